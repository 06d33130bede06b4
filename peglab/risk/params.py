"""Scenario parameters by path: read and set one field of a scenario (``peglab sweep --param``).

A path is dotted field names with ``[i]`` list indices or ``[name]`` selecting the list element
whose ``symbol``, ``ilk``, ``id``, ``kind`` or ``name`` is ``name``, e.g.
``agents.keepers.max_buy_price`` or ``system.ai_dollars[vUSD].collaterals[0].mat``. Values are
written as in a scenario file; the changed scenario is validated like one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput
from ..sim.scenario import Scenario
from ..sim.scenario.files import parse_scenario

__all__ = ["Param", "apply_params", "get_param", "parse_param"]

_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\]]+\])*)$")
_NAME_KEYS = ("symbol", "ilk", "id", "kind", "name")


@dataclass(frozen=True)
class Param:
    """One swept scenario path and its values (as written in a scenario file)."""

    path: str
    values: tuple[str, ...]


def parse_param(text: str) -> Param:
    """``PATH=v1,v2,...`` -> :class:`Param` (``sweep/bad-param`` when malformed)."""
    path, sep, rest = text.partition("=")
    values = tuple(v.strip() for v in rest.split(",")) if sep else ()
    if not sep or not path.strip() or not values or any(not v for v in values):
        raise InvalidInput(
            "sweep/bad-param", f"--param must look like PATH=v1,v2,... (got {text!r})"
        )
    if len(set(values)) != len(values):
        raise InvalidInput("sweep/bad-param", f"{path.strip()}: a value is repeated in {text!r}")
    return Param(path.strip(), values)


def _steps(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.split("."):
        m = _STEP.match(part)
        if m is None:
            raise InvalidInput("sweep/bad-param", f"{path}: cannot read {part!r} as a field")
        out.append(m.group(1))
        for sel in re.findall(r"\[([^\]]+)\]", m.group(2)):
            out.append(int(sel) if sel.lstrip("-").isdigit() else sel)
    return out


def _locate(data: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container and key of the value at ``path`` in a scenario dump."""
    node: Any = data
    steps = _steps(path)
    for n, step in enumerate(steps):
        where = path if n == len(steps) - 1 else f"{path} (at {step!r})"
        if isinstance(step, int):
            if not isinstance(node, list) or not -len(node) <= step < len(node):
                raise InvalidInput("sweep/unknown-param", f"{where}: no such list element")
        elif isinstance(node, list):
            hits = [i for i, el in enumerate(node) if isinstance(el, dict)
                    and any(el.get(k) == step for k in _NAME_KEYS)]  # fmt: skip
            if len(hits) != 1:
                raise InvalidInput("sweep/unknown-param", f"{where}: no single element named so")
            step = hits[0]
        elif not isinstance(node, dict) or step not in node:
            raise InvalidInput("sweep/unknown-param", f"{where}: the scenario has no such field")
        if n == len(steps) - 1:
            if isinstance(node[step], (dict, list)):
                raise InvalidInput("sweep/bad-param", f"{path}: names a section, not a value")
            return node, step
        node = node[step]
    raise InvalidInput("sweep/bad-param", f"{path}: empty path")  # pragma: no cover - split


def get_param(scenario: Scenario, path: str) -> str:
    """The value at ``path`` as a scenario file would write it (``sweep/unknown-param``...)."""
    node, key = _locate(scenario.model_dump(mode="json"), path)
    return str(node[key])


def apply_params(scenario: Scenario, values: Mapping[str, str]) -> Scenario:
    """A copy of ``scenario`` with each ``path = value`` set, validated like a scenario file."""
    data = scenario.model_dump(mode="json")
    for path, value in values.items():
        node, key = _locate(data, path)
        node[key] = value
    label = ", ".join(f"{p}={v}" for p, v in values.items())
    return parse_scenario(data, f"{scenario.name} with {label}")
