"""``hflineage license``: license propagation along the lineage, checked against an editable policy.

Three command lines, one group:

    hflineage license MODEL [--policy FILE]
    hflineage license audit [FILE | -] [--all] [--fail-on low|medium|high] [--policy FILE]
    hflineage license downstream MODEL [--conflicts-only] [--policy FILE]

``ModelGroup`` (cli/groups.py) reads a first word that names a subcommand as that subcommand, and anything
else as MODEL. (A model whose id is literally ``audit`` or ``downstream`` is reached by putting an
option first: ``license --format table audit``.) The rules live in ``hflineage.licenses.propagation``.
"""

from __future__ import annotations

import sys

import click

from .. import api

from .context import CliError, Context, pass_ctx
from .groups import ModelArgument, ModelGroup
from .idlist import read_ids
from .output import emit, format_option, rows_table, warn, warn_unknown


def policy_option(fn):
    """Add ``--policy FILE`` (env ``HFLINEAGE_LICENSE_POLICY``; default: the built-in policy)."""
    return click.option(
        "--policy", "policy_path", metavar="FILE", envvar=api.POLICY_ENV,
        help=f"License policy YAML [env {api.POLICY_ENV}; default: the built-in licenses/license_policy.yaml].",
    )(fn)


@click.group("license", cls=ModelGroup, invoke_without_command=True, options_metavar="[OPTIONS] MODEL",
             subcommand_metavar="| audit|downstream|drift [ARGS]...")
@click.argument("model_id", metavar="MODEL", required=False, cls=ModelArgument)
@policy_option
@format_option
@click.pass_context
def license_group(click_ctx, model_id, policy_path, fmt):
    """A model's declared license, every ancestor's license with its distance (and one shortest
    path to each ancestor in conflict), the effective obligations, and the conflicts (severity
    and a one-line reason each); then the training data of the model and its ancestors (each
    dataset with its license, class, distance and the nearest model trained on it) and the
    training-data findings.

    A conflict: the model declares a license that drops an obligation an ancestor's license
    imposes on derivatives (apache-2.0 under llama3, gemma, cc-by-nc-4.0, a RAIL license or a
    named `other`), or declares none while an ancestor's license binds derivatives. A merge
    inherits from every parent; distance is the shortest number of hops. The classification is
    the policy file (--policy), not code. A dataset whose license class the policy marks as
    binding (default: non-commercial, no-derivatives) binds the model the same way; a dataset
    whose license is missing or not classified is a warning.

    Example:

    \b
        hflineage license some-org/llama3-finetune --format json
        hflineage license audit models.txt --fail-on medium
        hflineage license downstream meta-llama/Meta-Llama-3-8B --conflicts-only
    """
    if click_ctx.invoked_subcommand is not None:
        return
    if model_id is None:
        raise click.UsageError("give a MODEL, or a command: audit, downstream, drift")
    ctx = click_ctx.find_object(Context)
    doc = ctx.read_across_models(lambda: ctx.lineage.license(model_id, policy=policy_path).to_dict())
    _emit_model(fmt, doc)


@license_group.command()
@click.argument("ids_file", metavar="[FILE]", type=click.File("rb"), required=False)
@click.option("--all", "all_models", is_flag=True, help="Audit every model in the graph.")
@click.option("--fail-on", type=click.Choice(api.LEVELS), default="low", show_default=True,
              help="Exit 3 when a finding of this severity or higher exists (warning: training data "
                   "whose license is missing or not classified fails too).")
@click.option("--with-suspected", is_flag=True,
              help="Also judge the suspected bases stored by `hflineage chart` and their declared "
                   "ancestors (kind undeclared-lineage).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.9, show_default=True,
              help="With --with-suspected: the lowest suspected-base score taken.")
@click.option("--report", "report_path", metavar="FILE.html|FILE.md",
              help="Also write an evidence report (self-contained HTML, or Markdown, by the suffix).")
@policy_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "junit"]), default="table",
              show_default=True, help="Output format; junit: JUnit XML, one test case per model, for CI servers.")
@pass_ctx
def audit(ctx, ids_file, all_models, fail_on, with_suspected, min_score, report_path, policy_path, fmt):
    """One row per license finding over a list of model ids (FILE, '-' or piped stdin; one id a
    line, '#' comments) or --all: kind lineage (a conflict with an ancestor's license) or
    training-data (with a dataset's license, the model's own or an ancestor's); with
    --with-suspected also undeclared-lineage (with the license of a suspected base of score >=
    --min-score, or of an ancestor it declares: suspected, not declared). Exit 0 when
    clean, 3 when a finding at or above --fail-on exists (the rows are printed first), so a CI
    pipeline can gate on it. Ids not in the graph are reported as unknown and ignored.

    --format junit prints JUnit XML (one test case per model; a failure lists its conflicts at
    or above --fail-on; with --all, a case per model with a conflict). --report writes the
    evidence per finding (lineage path with each hop's relation and license, for training data
    from the dataset down to the model; the policy rule, severity and why), worst first, whole
    or not at all.

    Example:

    \b
        hflineage license audit models.txt --fail-on medium
        echo some-org/llama3-finetune | hflineage license audit --format json
        hflineage license audit --all --format csv > conflicts.csv
        hflineage license audit --all --with-suspected --min-score 0.8
        hflineage license audit models.txt --format junit --report audit.html > license-audit.xml
    """
    if report_path and not report_path.lower().endswith((".html", ".htm", ".md")):
        raise click.UsageError(f"--report {report_path}: give a .html or .md file name")
    if report_path:
        api.files.check_target(report_path)  # before the audit runs
    if all_models and ids_file is not None:
        raise click.UsageError("give either FILE or --all, not both")
    ids = None if all_models else _read_ids(ids_file)
    lineage = ctx.lineage
    policy = lineage.policy(policy_path)
    doc = ctx.read_across_models(
        lambda: lineage.license_audit(ids, fail_on=fail_on, policy=policy, with_suspected=with_suspected,
                                      min_score=min_score).to_dict())
    warn_unknown(doc["unknown"], False, "--format json lists them all")
    if not doc["checked"]:  # a gate that checked nothing must not pass
        what = (f"none of the {len(doc['unknown'])} id(s) given is a model in the graph" if ids is not None
                else "the graph holds no model")
        raise CliError(f"the audit checked no model: {what}", 1)
    if report_path:
        cases = lineage.license_evidence(doc, policy)
        render = api.reports.markdown if report_path.lower().endswith(".md") else api.reports.html_report
        api.files.write_atomic(report_path, render(doc, cases, policy))
    if fmt == "junit":
        click.echo(api.reports.junit_xml(doc, policy, ids))
    else:
        _emit_audit(fmt, doc, with_suspected)
    if doc["failing"]:
        raise CliError(f"{doc['failing']} license conflict(s) at or above '{fail_on}'", 3)


@license_group.command()
@click.argument("model_id", metavar="MODEL")
@click.option("--conflicts-only", is_flag=True,
              help="Table/csv: list only the descendants that drop MODEL's terms (json always has both lists).")
@policy_option
@format_option
@pass_ctx
def downstream(ctx, model_id, conflicts_only, policy_path, fmt):
    """The descendants bound by MODEL's license, and which of them declare a license that drops
    its terms (who redistributes my model under the wrong license). Distance is the shortest
    number of hops down to each descendant.

    Example:

        hflineage license downstream meta-llama/Meta-Llama-3-8B --conflicts-only --format json
    """
    doc = ctx.read_across_models(lambda: ctx.lineage.license_downstream(model_id, policy=policy_path).to_dict())
    _emit_downstream(fmt, doc, conflicts_only)


@license_group.command()
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many (base, derived) license pairs to list, most edges first.")
@policy_option
@format_option
@pass_ctx
def drift(ctx, top, policy_path, fmt):
    """License drift over every lineage edge: how the declared license changes from base to
    derived, by license class and by license id, with counts and the share that are conflicts
    by the policy (after Laufer et al. 2025). Each pair's change: same, loosens (drops a binding
    obligation of the base's), tightens, sideways, undeclared (the derived model declares none),
    from-undeclared. Edges to a missing base are counted apart.

    Example:

    \b
        hflineage license drift --top 10
        hflineage license drift --format csv > drift.csv
    """
    doc = ctx.lineage.license_drift(top=top, policy=policy_path).to_dict()
    summary = (f"{doc['edges']} edge(s) with a base in the data ({doc['missing_base_edges']} more to missing bases); "
               f"{doc['conflicts']} conflict(s) by the policy")
    text = "\n\n".join([
        summary,
        "by change:\n" + rows_table(doc["by_change"]),
        "by license class (base -> derived):\n" + rows_table(doc["by_class"]),
        f"top {top} license pairs (base -> derived):\n"
        + rows_table(doc["by_license"], _DRIFT_COLUMNS),
    ])
    emit(fmt, doc, rows=doc["by_license"], columns=_DRIFT_COLUMNS + ["relations"], text=text)


_DRIFT_COLUMNS = ["base_license", "license", "base_class", "class", "change", "edges", "share", "conflicts",
                  "conflict_share", "severity"]


# --- input and output ----------------------------------------------------------------------------


def _read_ids(ids_file) -> list[str]:
    """Model ids from FILE, or from stdin when it is piped (read by :mod:`.idlist`)."""
    if ids_file is None:
        if sys.stdin.isatty():
            raise click.UsageError("give a FILE of model ids ('-' reads stdin), pipe them in, or use --all")
        ids_file = "-"
    ids = read_ids(ids_file)
    if not ids:
        raise click.UsageError("no model ids given")
    return ids


def _licence_text(license: str | None, license_name: str | None) -> str:
    if license is None:
        return "(none declared)"
    return f"{license} ({license_name})" if license_name and license.lower() == "other" else license


def _classification(doc: dict) -> str:
    if doc["terms"] is None:
        return ""
    spdx = f", SPDX {doc['spdx']}" if doc["spdx"] else ""
    obligations = ", ".join(doc["obligations"]) or "none"
    return f"  [{doc['terms']}: {doc['class']}{spdx}; obligations: {obligations}]"


_CONFLICT_COLUMNS = ["severity", "ancestor", "ancestor_license", "distance", "reason"]


def _emit_model(fmt: str, doc: dict) -> None:
    """One model: a summary, the inherited licenses and the conflicts; csv: one row per ancestor."""
    conflict_of = {c["ancestor"]: c for c in doc["conflicts"]}
    lines = [
        f"{doc['id']}  {_licence_text(doc['license'], doc['license_name'])}{_classification(doc)}"
        + ("  [missing: referenced as a base, absent from the data]" if doc["missing"] else ""),
        "",
        "effective obligations (from ancestors):",
    ]
    lines += [f"  {o:<18} {', '.join(keys)}" for o, keys in doc["effective"].items()] or ["  (none)"]
    inherited = [{"distance": a["distance"], "id": a["id"], "license": _licence_text(a["license"], a["license_name"]),
                  "class": a["class"] or "", "path": api.path_text(a["path"])} for a in doc["inherited"]]
    lines += ["", f"inherited from {len(inherited)} ancestor(s):", rows_table(inherited)]
    lines += ["", f"conflicts ({len(doc['conflicts'])}):", rows_table(doc["conflicts"], _CONFLICT_COLUMNS)]
    lines += _training_lines(doc)
    rows = [{"id": doc["id"], "license": doc["license"], "license_name": doc["license_name"], "terms": doc["terms"],
             "ancestor": a["id"], "ancestor_license": a["license"], "ancestor_license_name": a["license_name"],
             "ancestor_terms": a["terms"], "ancestor_class": a["class"], "distance": a["distance"],
             "path": " > ".join(h["id"] for h in a["path"] or ()),
             "severity": conflict_of.get(a["id"], {}).get("severity"),
             "reason": conflict_of.get(a["id"], {}).get("reason")} for a in doc["inherited"]]
    columns = ["id", "license", "license_name", "terms", "ancestor", "ancestor_license", "ancestor_license_name",
               "ancestor_terms", "ancestor_class", "distance", "path", "severity", "reason"]
    rows = rows or [{"id": doc["id"], "license": doc["license"], "license_name": doc["license_name"],
                     "terms": doc["terms"]}]
    emit(fmt, doc, rows=rows, text="\n".join(lines), columns=columns)


def _training_lines(doc: dict) -> list[str]:
    """The datasets, nearest first, and the findings on them; warnings only counted (the datasets'
    lines show which licenses are missing or unclassified, json lists each warning)."""
    data = doc.get("training_data") or []
    if not data:
        return ["", "training data: none named by the model or its ancestors"]
    rows = [{"distance": d["distance"], "dataset": d["dataset"], "license": d["license"] or "(none known)",
             "class": d["class"] or "", "via": d["via"]} for d in data]
    findings = [f for f in doc.get("training_findings") or () if f["severity"] != api.LEVELS[0]]
    warnings = len(doc.get("training_findings") or ()) - len(findings)
    lines = ["", f"training data ({len(data)} dataset(s), nearest first; via: the model trained on it):",
             rows_table(rows), "", f"training-data findings ({len(findings)}):", rows_table(findings, _TRAINING_COLUMNS)]
    if warnings:
        lines.append(f"plus {warnings} warning(s): dataset licenses missing or not classified by the policy")
    return lines


_TRAINING_COLUMNS = ["severity", "dataset", "dataset_license", "via", "distance", "reason"]
_AUDIT_COLUMNS = ["severity", "kind", "model", "license", "ancestor", "ancestor_license", "dataset",
                  "dataset_license", "via", "distance", "reason"]


def _emit_audit(fmt: str, doc: dict, with_suspected: bool = False) -> None:
    """One row per finding; the table ends with a one-line summary. With --with-suspected the
    suspected base and its score are columns too (the evidence is in json and the report)."""
    counts = ", ".join(f"{s} {n}" for s, n in doc["counts"].items())
    summary = (f"{len(doc['conflicts'])} conflict(s) over {doc['checked']} model(s) ({counts}); "
               f"{doc['failing']} at or above '{doc['fail_on']}'")
    columns = _AUDIT_COLUMNS[:-1] + ["suspected_base", "score", "reason"] if with_suspected else _AUDIT_COLUMNS
    emit(fmt, doc, rows=doc["conflicts"], columns=columns,
         text=rows_table(doc["conflicts"], columns) + "\n\n" + summary)


_DOWNSTREAM_COLUMNS = ["distance", "id", "license", "license_name", "terms", "severity", "reason"]


def _emit_downstream(fmt: str, doc: dict, conflicts_only: bool) -> None:
    """MODEL's binding terms, then its bound descendants (or only the conflicting ones) with what each drops."""
    rows = doc["conflicts"] if conflicts_only else doc["bound"]
    head = f"{doc['id']}  {_licence_text(doc['license'], doc['license_name'])}{_classification(doc)}"
    if not doc["binds"]:
        what = "declares no license" if doc["license"] is None else "imposes nothing that binds derivatives"
        body = f"{doc['descendants']} descendant(s); {doc['license'] or 'the model'} {what}, so none is bound"
    else:
        body = (f"{doc['descendants']} descendant(s) bound by {', '.join(doc['binds'])}; "
                f"{len(doc['conflicts'])} drop these terms\n\n" + rows_table(rows, _DOWNSTREAM_COLUMNS))
    emit(fmt, doc, rows=rows, columns=_DOWNSTREAM_COLUMNS, text=head + "\n" + body)


commands = [license_group]
