"""The README's relative links point at files that exist and, for #anchors, at headings they have.

`mkdocs build --strict` (make docs) checks the links between the pages under docs/; the README is
outside the site, so its links into docs/ are checked here, with the slugs GitHub gives headings
(the README is read on GitHub).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

REPO = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _prose(markdown: str) -> str:
    """The text outside fenced code blocks and inline code spans (links there are examples)."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", markdown))


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its rendered text lower-cased, punctuation other than
    '-' and '_' removed, each space a '-' (runs are not collapsed)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link renders as its text
    text = text.replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor; a repeated slug gets -1, -2, … as on GitHub."""
    seen: dict[str, int] = {}
    out = set()
    for heading in HEADING.findall(FENCE.sub("", markdown)):
        slug = github_slug(heading)
        n = seen.get(slug, 0)
        out.add(slug if n == 0 else f"{slug}-{n}")
        seen[slug] = n + 1
    return out


def broken_links(doc: Path) -> list[str]:
    """The relative links of doc whose file or anchor does not exist, as 'target: why'."""
    text = doc.read_text(encoding="utf-8")
    problems = []
    for target in LINK.findall(_prose(text)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, mailto:, …: not a file
            continue
        path, _, anchor = unquote(target).partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists():
            problems.append(f"{target}: no file {path}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text(encoding="utf-8")):
            problems.append(f"{target}: {path or doc.name} has no heading #{anchor}")
    return problems


def test_github_slugs_of_known_headings():
    assert github_slug("Two commands for a new machine") == "two-commands-for-a-new-machine"
    assert github_slug("Bills of materials: `hflineage bom`") == "bills-of-materials-hflineage-bom"
    assert github_slug("First load of a large file: `--bulk`") == "first-load-of-a-large-file---bulk"
    assert github_slug("History (snapshot loads only)") == "history-snapshot-loads-only"
    assert anchors("# A\n## A\n```\n# not a heading\n```\n## B\n") == {"a", "a-1", "b"}


def test_a_broken_link_and_a_broken_anchor_are_found(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# Page\n\n## The load lock\n", encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text("# R\n\n[ok](docs/page.md#the-load-lock) [self](#r) [web](https://example.org/x.md)\n"
                      "[gone](docs/none.md) [bad anchor](docs/page.md#the-lock) [bad self](#nope)\n"
                      "`[in code](docs/none.md)`\n\n```\n[in a block](docs/none.md)\n```\n", encoding="utf-8")
    assert broken_links(readme) == ["docs/none.md: no file docs/none.md",
                                    "docs/page.md#the-lock: docs/page.md has no heading #the-lock",
                                    "#nope: README.md has no heading #nope"]


def test_readme_links_resolve():
    assert (REPO / "README.md").read_text(encoding="utf-8").count("](docs/") >= 10  # the links are there
    assert broken_links(REPO / "README.md") == []


def test_every_docs_page_is_in_the_site_nav():
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (REPO / "docs").glob("*.md"))
    assert pages and [p for p in pages if f": {p}" not in nav] == []
