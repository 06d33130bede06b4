"""The layering of docs/architecture.md, checked on the source (not at run time):

1. imports flow downward only (units/errors < math < kernel < protocols < sim < risk < cli);
2. a protocol family (a package under ``peglab/protocols``) imports another family only through
   that family's declared ``interfaces`` module, never its implementation;
3. no module reaches another module's private names: no ``from m import _name`` and no
   ``x._name`` unless ``x`` is ``self``/``cls`` or ``_name`` is defined in the same module;
4. no import circle between the modules of the package (imports under ``if TYPE_CHECKING:``
   included, so a circle cannot hide behind type annotations).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def module_parts(path: Path) -> list[str]:
    """``peglab/protocols/cdp/vat.py`` -> ``["protocols", "cdp", "vat"]`` (``__init__`` dropped)."""
    parts = list(path.relative_to(PKG).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_modules(path: Path, tree: ast.Module | None = None) -> Iterator[list[str]]:
    """Every ``peglab`` module (as parts below ``peglab``) a file imports, names included.

    ``from .x import y`` yields both ``[.., "x"]`` and ``[.., "x", "y"]``: ``y`` may be a module.
    """
    tree = tree or ast.parse(path.read_text())
    rel_parts = path.relative_to(PKG).parts
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                base = list(rel_parts[:-1])[: len(rel_parts) - 1 - (node.level - 1)]
                parts = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.startswith("peglab."):
                parts = node.module.split(".")[1:]
            else:
                continue
            if parts:
                yield parts
            for a in node.names:
                yield [*parts, a.name]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("peglab."):
                    yield a.name.split(".")[1:]


def imported_layers(path: Path) -> set[str]:
    return {parts[0] for parts in imported_modules(path) if parts}


def sources() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


# -- 1. downward only --------------------------------------------------------------------------
def test_imports__every_module__flow_downward_only() -> None:
    violations = []
    for path in sources():
        layer = layer_of(path)
        bad = imported_layers(path) & FORBIDDEN.get(layer, set())
        if bad:
            violations.append(f"{path.relative_to(PKG)} imports {sorted(bad)}")
    assert not violations, violations


def test_layering_check__upward_import__detected() -> None:
    """Canary: the checker sees an upward import."""
    fake = PKG / "kernel" / "_canary_tmp.py"
    fake.write_text("from ..protocols import cdp\n")
    try:
        assert "protocols" in imported_layers(fake)
    finally:
        fake.unlink()


# -- 2. families meet only through interfaces ---------------------------------------------------
def family_of(parts: list[str]) -> str | None:
    """The protocol family of a module (``["protocols", "cdp", ...]`` -> ``cdp``), if any."""
    return parts[1] if len(parts) >= 2 and parts[0] == "protocols" else None


def from_import_base(path: Path, node: ast.ImportFrom) -> list[str] | None:
    """The ``peglab`` module an ``import from`` statement names, as parts below ``peglab``."""
    stmt = ast.Module(body=[node], type_ignores=[])
    return next(imported_modules(path, stmt), None)


def cross_family_violations(path: Path) -> list[str]:
    mine = family_of(module_parts(path))
    if mine is None:
        return []
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[list[str]] = []
        if isinstance(node, ast.Import):
            targets = [a.name.split(".")[1:] for a in node.names if a.name.startswith("peglab.")]
        elif isinstance(node, ast.ImportFrom):
            base = from_import_base(path, node)
            if base is not None:
                # ``from ..amm import interfaces`` and ``from .. import amm`` name modules
                targets = [base] if len(base) >= 3 else [[*base, a.name] for a in node.names]
        for t in targets:
            other = family_of(t)
            if other not in (None, mine) and t[2:3] != ["interfaces"]:
                out.append(f"{path.relative_to(PKG)}:{node.lineno} imports {'.'.join(t)}")
    return out


def test_protocol_families__import_each_other__only_through_interfaces() -> None:
    violations = [v for path in sources() for v in cross_family_violations(path)]
    assert not violations, violations


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("from ..amm import AmmFactory\n", True),
        ("from ..amm.stableswap import StableSwapPool\n", True),
        ("from peglab.protocols.amm import factory\n", True),
        ("from .. import amm\n", True),
        ("import peglab.protocols.amm.stableswap\n", True),
        ("from ..amm.interfaces import PoolLike\n", False),
        ("from ..amm import interfaces\n", False),
        ("from .vat import VaultEngine\n", False),
        ("from ..vaults.interfaces import AsyncVault\n", False),
        ("from ..gaib.said import SaidVault\n", True),
    ],
)
def test_family_check__cross_family_import__detected(source: str, bad: bool) -> None:
    """Canary: the checker refuses a family importing another's implementation."""
    fake = PKG / "protocols" / "cdp" / "_canary_tmp.py"
    fake.write_text(source)
    try:
        assert bool(cross_family_violations(fake)) is bad
    finally:
        fake.unlink()


# -- 3. private names stay private -----------------------------------------------------------
def defined_private_names(tree: ast.Module) -> set[str]:
    """Private names a module defines: functions, classes, names and ``self.``/``cls.`` attributes
    it assigns, and ``__slots__`` entries."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets)
            and isinstance(node.value, ast.Tuple | ast.List)
        ):
            names.update(
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def private_access_violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    own = defined_private_names(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for a in node.names:
                if a.name.startswith("_") and not a.name.startswith("__"):
                    out.append(f"{path.relative_to(PKG)}:{node.lineno} imports {a.name}")
        elif isinstance(node, ast.Attribute):
            name = node.attr
            if not name.startswith("_") or name.startswith("__") or name in own:
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            out.append(f"{path.relative_to(PKG)}:{node.lineno} reaches .{name}")
    return out


def test_modules__never_reach__another_modules_private_names() -> None:
    violations = [v for path in sources() for v in private_access_violations(path)]
    assert not violations, violations


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("def f(inst):\n    inst._join_dai('a', 1)\n", True),
        ("from .instance import _Collateral\n", True),
        ("def f(voter, m):\n    voter._minter = m\n", True),
        ("class A:\n    def f(self):\n        return self._x\n", False),
        ("class A:\n    _n = 1\n\ndef f(a):\n    return a._n\n", False),
        ("S = '_join_dai'\n\ndef f(inst):\n    inst._join_dai('a', 1)\n", True),
    ],
)
def test_private_check__foreign_private_name__detected(source: str, bad: bool) -> None:
    """Canary: the checker sees a reach into another module's private names."""
    fake = PKG / "protocols" / "cdp" / "_canary_tmp.py"
    fake.write_text(source)
    try:
        assert bool(private_access_violations(fake)) is bad
    finally:
        fake.unlink()


# -- 4. no import circles ----------------------------------------------------------------------
def import_graph() -> dict[str, set[str]]:
    modules = {".".join(module_parts(p)): p for p in sources()}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for parts in imported_modules(path):
            target = ".".join(parts)
            if target in modules and target != name:
                graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (package ``__init__`` re-exports excluded), or None."""
    packages = {m for m in graph if any(o.startswith(m + ".") for o in graph)}
    color: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        color[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if n in packages:  # importing a package's re-exports is not a dependency on its modules
                continue
            if n not in graph:
                continue
            if color.get(n) == 1:
                return [*stack[stack.index(n) :], n]
            if n not in color and (found := visit(n)):
                return found
        stack.pop()
        color[m] = 2
        return None

    for m in sorted(graph):
        if m not in color and m not in packages and (found := visit(m)):
            return found
    return None


def test_modules__import_graph__has_no_circle() -> None:
    assert find_cycle(import_graph()) is None


def test_cycle_check__circle__detected() -> None:
    """Canary: a two-module circle is found."""
    graph = {"a.x": {"a.y"}, "a.y": {"a.x"}, "a.z": set()}
    assert find_cycle(graph) == ["a.x", "a.y", "a.x"]
