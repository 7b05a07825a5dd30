"""The public Python API: one object per connection, one method per question.

    import hflineage

    with hflineage.connect() as lin:          # arguments, else NEO4J_* env, else the local server
        lin.load("models.parquet")
        tree = lin.show("meta-llama/Llama-3.1-8B-Instruct")
        lin.stats().depth_frame               # a DataFrame, one column per pipeline tag

Every method returns a typed result (``hflineage.lineage.results``) whose ``to_dict()`` is what
the CLI prints with ``--format json``: the CLI calls these methods and only formats, so a notebook
and the command line cannot disagree. Failures raise ``hflineage.store.errors.HFLineageError``
subclasses (or the driver's own errors); nothing here exits.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable

from ..impute import BATCH as IMPUTE_BATCH, DEFAULT_K
from ..licenses import LEVELS
from ..store.errors import HFLineageError, QueryError
from ..loader.report import LoadReport
from ..lineage.results import (Chain, Descendants, Evaluation, Impact, ImputeAll, Imputed, License, LicenseAudit, LicenseDownstream,
                      LicenseDrift, Show, Stats, Table1)
from ..store.settings import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS, Connection, resolve_connection

# The library is imported by the methods that use it: importing this module (the CLI does, for
# --help too) loads neither the driver nor Arrow.
if TYPE_CHECKING:
    from ..chart.store import ChartReport
    from ..licenses.policy import Policy
    from ..lineage import changes as changes_lib
    from ..outputs.plots import Plots
    from ..store.db import Graph

PolicyLike = "str | os.PathLike | Policy | None"


class Lineage:
    """A connection to one lineage graph. Close it (or use ``with``) to close the driver."""

    def __init__(self, db: Graph, progress: bool = False):
        self.db = db  # the driver and database; ``graph()`` draws a lineage
        self.progress = progress
        self._policies: dict = {}

    # --- connection ---

    @property
    def connection(self) -> Connection:
        return self.db.connection

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Lineage":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Lineage {self.connection.uri} database={self.connection.database}>"

    def policy(self, policy: PolicyLike = None) -> "Policy":
        """The license policy: a Policy, a YAML path, else ``HFLINEAGE_LICENSE_POLICY``, else the built-in one."""
        from ..licenses import propagation as licenses

        if isinstance(policy, licenses.Policy):
            return policy
        key = str(policy) if policy else None
        if key not in self._policies:
            self._policies[key] = licenses.load_policy(policy)
        return self._policies[key]

    # --- loading ---

    def load(self, path: str | os.PathLike, bulk: bool = False, batch_size: int = DEFAULT_BATCH_SIZE,
             workers: int = DEFAULT_WORKERS, force: bool = False, snapshot: bool | str = False) -> LoadReport:
        """Load a hub-stats parquet (local path or ``hf://…``); ``bulk``: the offline importer
        into an empty local database. Holds the database's load lock (``force``: take it from
        a holder that may still be alive; store/lock.py). ``snapshot``: the file is the complete
        dump of that date (``True``: the file's own date, else ``YYYY-MM-DD``): models it lacks
        are deleted and kept as history, and the interval's changes recorded (the report's
        ``changes``)."""
        from ..loader.load import load as run_load
        from ..loader.plan import open_source
        from ..store import memory
        from ..store.lock import LoadLock

        with memory.lean():  # a load's phases free what the next allocates: hand it back
            if snapshot is not False and snapshot is not None:  # "" is a date, and an error
                from ..loader import snapshot as snapshots

                date = snapshot if isinstance(snapshot, str) else None
                if bulk:
                    from ..loader.bulk import bulk_load

                    snapshots.check_new_snapshot(self.db, snapshots.parse_date(date) if date is not None else
                                                 snapshots.file_date(open_source(str(path))))
                    report = bulk_load(self.db, str(path), batch_size=batch_size, progress=self.progress, force=force)
                    with LoadLock(self.db, str(path), force=force):
                        return snapshots.record_bulk_snapshot(self.db, str(path), date, report, progress=self.progress)
                with LoadLock(self.db, str(path), force=force):
                    return snapshots.snapshot_load(self.db, str(path), date, batch_size=batch_size,
                                                   progress=self.progress, workers=workers)
            if bulk:
                from ..loader.bulk import bulk_load

                return bulk_load(self.db, str(path), batch_size=batch_size, progress=self.progress, force=force)
            return run_load(self.db, str(path), batch_size=batch_size, progress=self.progress, workers=workers,
                            force=force)

    def load_datasets(self, path: str | os.PathLike, batch_size: int = DEFAULT_BATCH_SIZE,
                      workers: int = DEFAULT_WORKERS, force: bool = False):
        """Fill the Dataset nodes from a hub-stats datasets.parquet (license, downloads, likes,
        dates); returns a DatasetsReport. A models file, or a file without ``id``, is refused
        before anything is written."""
        from ..loader.datasets_file import load_datasets

        return load_datasets(self.db, str(path), batch_size=batch_size, workers=workers,
                             progress=self.progress, force=force)

    def reset(self, force: bool = False):
        """Empty the database (``hflineage db reset``): every node and edge, and the loader's
        constraint and indexes; returns a ResetResult."""
        from ..loader.reset import reset

        return reset(self.db, force=force)

    # --- lineage ---

    def show(self, model_id: str) -> Show:
        from ..lineage import analyses

        return Show.from_dict(analyses.show(self.db, model_id))

    def chart(self, seed: int = 0, top: int = 5, min_score: float = 0.05) -> "ChartReport":
        """Suggest bases for the models without one and store them as SUSPECTED_BASE edges,
        replacing the previous run's (docs/charting.md)."""
        from ..chart import store as chart_store

        return chart_store.chart(self.db, seed=seed, top=top, min_score=min_score)

    def suspected(self, min_score: float = 0.0) -> list[dict]:
        """The stored suggestions, one row per model (its best), best first."""
        from ..chart import store as chart_store

        return chart_store.listing(self.db, min_score=min_score)

    def descendants(self, model_id: str) -> Descendants:
        """Every model deriving from ``model_id`` (``to_pandas()``: one row each, most downloaded first)."""
        from ..lineage import analyses

        return Descendants.from_dict(analyses.descendants(self.db, model_id))

    def chain(self, model_id: str) -> Chain:
        from ..lineage import analyses

        return Chain.from_dict(analyses.chain(self.db, model_id))

    def impact(self, model_ids: str | Iterable[str], with_list: bool = False) -> Impact:
        """Deletion impact of one model or a set (ids not in the graph are reported as unknown)."""
        from ..lineage import analyses

        ids = [model_ids] if isinstance(model_ids, str) else list(model_ids)
        return Impact.from_dict(analyses.impact(self.db, ids, with_list=with_list))

    def dataset(self, dataset_id: str) -> "Dataset":
        """One dataset: license, properties, the models trained on it, their downstream, downloads."""
        from ..lineage import datasets
        from ..lineage.results import Dataset

        return Dataset.from_dict(datasets.dataset(self.db, dataset_id))

    def dataset_impact(self, dataset_ids: str | Iterable[str], with_list: bool = False) -> "DatasetImpact":
        """What withdrawing datasets reaches: trained models, their downstream, downloads, families."""
        from ..lineage import datasets
        from ..lineage.results import DatasetImpact

        ids = [dataset_ids] if isinstance(dataset_ids, str) else list(dataset_ids)
        return DatasetImpact.from_dict(datasets.dataset_impact(self.db, ids, with_list=with_list))

    def stats(self, top: int = 10) -> Stats:
        from ..lineage import analyses

        return Stats.from_dict(analyses.stats(self.db, top=top))

    def plots(self, out_dir: str | os.PathLike, top: int = 10) -> "Plots":
        """The study's figures as PNG files in ``out_dir``, with ``stats.json`` beside them."""
        from ..outputs import plots as plots_lib

        return plots_lib.write(self.db, self.stats(top=top), out_dir, intervals=self.changes().intervals)

    # --- pictures ---

    def graph(self, model_id: str, up: int | None = None, down: int = 2, max_nodes: int = 200):
        """The ancestors and descendants ``hflineage graph`` draws (``LineageGraph``); render it
        with ``hflineage.outputs.graph_render.write(result, "x.html")``."""
        from ..outputs import graph_view

        return graph_view.lineage(self.db, model_id, up=up, down=down, max_nodes=max_nodes)

    # --- licenses ---

    def license(self, model_id: str, policy: PolicyLike = None) -> License:
        from ..licenses import propagation as licenses

        return License.from_dict(licenses.model_license(self.db, model_id, self.policy(policy)))

    def license_audit(self, model_ids: Iterable[str] | None = None, fail_on: str = "low",
                      policy: PolicyLike = None, with_suspected: bool = False,
                      min_score: float = 0.9) -> LicenseAudit:
        """Conflicts over ``model_ids``, or over every model when ``model_ids`` is None.
        ``with_suspected`` adds the ``undeclared-lineage`` findings: the licenses of the suspected
        bases of score >= ``min_score`` (``hflineage chart``) and of their declared ancestors."""
        from ..licenses import propagation as licenses

        if fail_on not in LEVELS:
            raise HFLineageError(f"fail_on must be one of {', '.join(LEVELS)}, not '{fail_on}'")
        if isinstance(min_score, bool) or not isinstance(min_score, (int, float)) or not 0 <= min_score <= 1:
            raise HFLineageError(f"min_score must be a number from 0 to 1, not {min_score!r}")
        pol = self.policy(policy)
        score = float(min_score) if with_suspected else None
        if model_ids is None:
            return LicenseAudit.from_dict(licenses.audit_all(self.db, pol, fail_on=fail_on, min_score=score))
        return LicenseAudit.from_dict(licenses.audit(self.db, list(model_ids), pol, fail_on=fail_on,
                                                     min_score=score))

    def license_downstream(self, model_id: str, policy: PolicyLike = None) -> LicenseDownstream:
        from ..licenses import propagation as licenses

        return LicenseDownstream.from_dict(licenses.downstream(self.db, model_id, self.policy(policy)))

    def license_drift(self, top: int = 20, policy: PolicyLike = None) -> LicenseDrift:
        """How declared licenses change from base to derived over every lineage edge."""
        from ..licenses import drift as drift_lib

        return LicenseDrift.from_dict(drift_lib.drift(self.db, self.policy(policy), top=top))

    def license_evidence(self, audit: LicenseAudit | dict, policy: PolicyLike = None) -> list[dict]:
        """Every conflict of an audit with its evidence (lineage path with each hop's license, the
        policy rule of each dropped obligation, why the severity), worst first."""
        from ..outputs import license_report as report  # imported on use: the CLI's start-up stays light

        doc = audit.to_dict() if isinstance(audit, LicenseAudit) else audit
        return report.evidence(self.db, doc, self.policy(policy), progress=self.progress)

    def bom(self, model_ids: str | Iterable[str], spec: str = "1.6", policy: PolicyLike = None,
            with_suspected: bool = False, min_score: float = 0.9) -> str:
        """A CycloneDX ML-BOM (JSON text, validated by the strict schema) for one or more models;
        ``with_suspected``: each model's suspected bases scored at least ``min_score`` as
        ``hflineage:suspectedBase`` properties, never as pedigree."""
        from ..outputs import bom as bom_lib  # cyclonedx-python-lib and jsonschema load on use only

        ids = [model_ids] if isinstance(model_ids, str) else list(model_ids)
        if with_suspected and not 0.0 <= min_score <= 1.0:
            raise HFLineageError(f"min_score must be between 0 and 1, not {min_score}")
        return bom_lib.to_json(bom_lib.build_bom(self.db, ids, self.policy(policy),
                                                 min_score if with_suspected else None), spec)

    # --- imputation ---

    def impute(self, model_id: str, attribute: str, k: int = DEFAULT_K, method: str = "knn") -> Imputed:
        from ..impute import knn as impute_lib

        return Imputed.from_dict(impute_lib.impute(self.db, model_id, attribute, k=k, method=method).as_dict())

    def impute_all(self, attribute: str, method: str = "knn", k: int = DEFAULT_K,
                   batch_size: int = IMPUTE_BATCH) -> ImputeAll:
        """Store predictions for every linked model lacking ``attribute`` (beside the declared value)."""
        from ..impute import knn as impute_lib

        return ImputeAll.from_dict(impute_lib.impute_all(self.db, attribute, method=method, k=k,
                                                         batch_size=batch_size, progress=self.progress))

    def impute_evaluate(self, attribute: str, holdout: float = 0.2, seed: int = 0, scale: str = "raw") -> Evaluation:
        """Hide a seeded fraction of declared values and score every method (``impute/evaluate.py``)."""
        from ..impute import evaluate as impute_eval

        return Evaluation.from_dict(impute_eval.evaluate(self.db, attribute, holdout=holdout, seed=seed, scale=scale,
                                                         progress=self.progress))

    def impute_table1(self, holdout: float = 0.2, seed: int = 0) -> Table1:
        """Seed 002's Table 1 (hub vs graph majority; kNN regression) with the paper's figures beside ours."""
        from ..impute import evaluate as impute_eval

        return Table1.from_dict(impute_eval.table1(self.db, holdout=holdout, seed=seed, progress=self.progress))

    # --- snapshots ---

    def changes(self, since: str | None = None, until: str | None = None) -> "changes_lib.Changes":
        """The figures of every interval between consecutive snapshot loads (``to_pandas()``: one
        row per interval), and the top families of the first snapshot against the last."""
        from ..lineage import changes as changes_lib

        return changes_lib.changes(self.db, since, until)

    def change_list(self, kind: str, week: str | None = None) -> "changes_lib.ChangeList":
        """The models ``added``, ``deleted``, ``updated`` or ``rebased`` in the interval ending on
        ``week`` (default: the latest), with class and relation."""
        from ..lineage import changes as changes_lib

        return changes_lib.change_list(self.db, kind, week)

    def deleted_impact(self, week: str | None = None) -> "changes_lib.DeletedImpact":
        """Each base model deleted in the interval ending on ``week`` (default: the latest), with
        its affected downstream models and their downloads, largest first."""
        from ..lineage import changes as changes_lib

        return changes_lib.deleted_impact(self.db, week)

    # --- stored queries ---

    def query(self, name: str, params: dict | None = None, write: bool = False, **kw) -> list[dict]:
        """Run a stored query by name (``hflineage queries`` lists them): a read query in a READ
        session; a write query only with ``write=True``, through the one write gateway."""
        from ..cypher import registry

        params = {**(params or {}), **kw}
        stored = registry().get(name)
        if not stored.read_only and not write:
            raise QueryError(f"'{name}' writes to the graph; pass write=True (the CLI: --write) to run it")
        registry().check_params(stored, params)
        return self.db.run(stored, params)

    def running_load(self) -> dict | None:
        """The holder of the load lock (source, owner, started), or None."""
        from ..store.lock import running_load

        return running_load(self.db)


def open_lineage(uri: str | None = None, user: str | None = None, password: str | None = None,
                 database: str | None = None, progress: bool = False) -> Lineage:
    """``connect``, and fail at once (ServiceUnavailable, AuthError) when the server cannot be reached."""
    lineage = connect(uri=uri, user=user, password=password, database=database, progress=progress)
    try:
        lineage.db.verify()
    except BaseException:
        lineage.close()
        raise
    return lineage


def connect(uri: str | None = None, user: str | None = None, password: str | None = None,
            database: str | None = None, progress: bool = False) -> Lineage:
    """A Lineage on the graph the CLI would use: these arguments, else ``NEO4J_URI`` /
    ``NEO4J_USER`` / ``NEO4J_PASSWORD`` / ``NEO4J_DATABASE``, else the local server that
    ``hflineage db start`` runs. ``progress``: tqdm bars on stderr for long work."""
    from ..store.db import Graph

    return Lineage(Graph(resolve_connection(uri=uri, user=user, password=password, database=database)),
                   progress=progress)
