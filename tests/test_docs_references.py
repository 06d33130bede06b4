"""Every reference to a document resolves inside the repository (docs/risk-spec.md and its peers).

The code, the tests, the library and the docs cite rules as ``docs/cdp-spec.md §8.1``. This test
reads them all and fails when a cited page does not exist in the clone, when a cited section is
not a heading of that page, or when something points outside the repository (the specification
directory that sits beside a checkout during development). A "Sources" section of a page, which
names files of external projects (``SPECIFICATION.md`` of Aerodrome and the like), is not read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("peglab", "tests", "benchmarks", "tools", "docs")
SUFFIXES = {".py", ".toml", ".md"}
# a page name, optionally a directory, optionally followed by a section sign and a number
REF = re.compile(r"(?<![\w/.-])((?:[\w-]+/)*[\w-]+\.md)(?:#[\w-]+)?(?:\)?\s*§\s*(\d+(?:\.\d+)*))?")
OUTSIDE = re.compile(r"\.\./shared|shared/specs|(?<![\w-])specs/\w+\.md")


def _texts() -> list[tuple[Path, str]]:
    files = [ROOT / "README.md"]
    for top in SCANNED:
        files += [p for p in (ROOT / top).rglob("*") if p.suffix in SUFFIXES and p.is_file()]
    out = []
    for p in sorted(files):
        if p == Path(__file__):
            continue
        text = p.read_text(encoding="utf-8")
        if p.suffix == ".md":  # external file names in a page's source list are not references
            text = re.split(r"^## Sources\b", text, flags=re.M)[0]
        out.append((p, text))
    return out


def _resolve(name: str, where: Path) -> Path | None:
    candidates = [ROOT / name, where.parent / name, ROOT / "docs" / name]
    return next((c for c in candidates if c.is_file()), None)


def _sections(page: Path) -> set[str]:
    heads = re.findall(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", page.read_text(encoding="utf-8"), re.M)
    return set(heads)


def references(texts: list[tuple[Path, str]]) -> list[str]:
    """Every unresolved reference as ``file:line: message`` (empty when all resolve)."""
    bad = []
    for path, text in texts:
        rel = path.relative_to(ROOT)
        for n, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                bad.append(f"{rel}:{n}: points outside the repository: {line.strip()[:90]}")
            for m in REF.finditer(line):
                name, section = m.group(1), m.group(2)
                page = _resolve(name, path)
                if page is None:
                    bad.append(f"{rel}:{n}: no page {name} in the repository")
                elif section and section not in _sections(page):
                    bad.append(f"{rel}:{n}: {name} has no section {section}")
    return bad


def test_references__every_cited_page_and_section__resolves_inside_the_repository() -> None:
    bad = references(_texts())
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    "line",
    [
        "the rule of risk.md §5 (a page that is not in the repository)",
        "see docs/cdp-spec.md §99 (a section that does not exist)",
        "read ../shared/specs/risk.md first",
    ],
)
def test_references__canary__a_dangling_reference_is_found(line: str, tmp_path: Path) -> None:
    fake = ROOT / "peglab" / "canary.py"  # resolved as if it lived in the package
    assert references([(fake, line)])
