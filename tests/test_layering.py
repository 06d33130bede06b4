"""DESIGN.md's layering: imports flow downward only (checked on the source, not at run time)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "peglab"

# layer -> layers it must never import
FORBIDDEN = {
    "units": {"math", "kernel", "protocols", "sim", "risk", "store", "service", "cli", "examples"},
    "errors": {
        "units",
        "math",
        "kernel",
        "protocols",
        "sim",
        "risk",
        "store",
        "service",
        "cli",
        "examples",
    },
    "math": {"kernel", "protocols", "sim", "risk", "store", "service", "cli", "examples"},
    "kernel": {"protocols", "sim", "risk", "store", "service", "cli", "examples"},
    "protocols": {"sim", "risk", "store", "service", "cli", "examples"},
    "sim": {"risk", "store", "service", "cli"},
    "risk": {"store", "service", "cli"},
}


def layer_of(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0].removesuffix(".py")


def imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    rel_parts = path.relative_to(PKG).parts
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                base = list(rel_parts[:-1])[: len(rel_parts) - 1 - (node.level - 1)]
                parts = base + (node.module.split(".") if node.module else [])
                if parts:
                    out.add(parts[0])
                elif node.module is None:
                    out.update(a.name for a in node.names)
            elif node.module and node.module.startswith("peglab."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("peglab."):
                    out.add(a.name.split(".")[1])
    return out


def test_imports__every_module__flow_downward_only() -> None:
    violations = []
    for path in PKG.rglob("*.py"):
        layer = layer_of(path)
        bad = imported_layers(path) & FORBIDDEN.get(layer, set())
        if bad:
            violations.append(f"{path.relative_to(PKG)} imports {sorted(bad)}")
    assert not violations, violations


def test_layering_check__upward_import__detected(tmp_path: Path) -> None:
    """Canary: the checker sees an upward import."""
    fake = PKG / "kernel" / "_canary_tmp.py"
    fake.write_text("from ..protocols import cdp\n")
    try:
        assert "protocols" in imported_layers(fake)
    finally:
        fake.unlink()
