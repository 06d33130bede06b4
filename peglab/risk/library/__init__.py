"""The built-in scenario library: ``list_scenarios()`` and ``load_scenario(name_or_path)`` (docs/risk-spec.md §7).

Scenario files are the ``*.toml`` files of this directory; files whose name starts with ``_`` are
partials (the default system) that scenarios extend with ``base = "default-system"``.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import InvalidInput
from ...sim.scenario import Scenario, load_scenario_file

__all__ = ["LIBRARY_DIR", "list_scenarios", "load_scenario", "scenario_path"]

LIBRARY_DIR = Path(__file__).resolve().parent


def list_scenarios() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    return sorted(p.stem for p in LIBRARY_DIR.glob("*.toml") if not p.name.startswith("_"))


def scenario_path(name_or_path: str | Path) -> Path:
    """The file of a library name or an existing path; ``scenario/unknown`` lists valid names."""
    text = str(name_or_path)
    candidate = Path(text)
    if candidate.suffix.lower() in (".toml", ".yaml", ".yml") or candidate.is_file():
        if not candidate.is_file():
            raise InvalidInput("scenario/unknown", f"no scenario file at {text}")
        return candidate
    if text in list_scenarios():
        return LIBRARY_DIR / f"{text}.toml"
    names = ", ".join(list_scenarios())
    raise InvalidInput(
        "scenario/unknown",
        f"unknown scenario {text!r}; built-in scenarios: {names} (or give a path to a .toml file)",
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name, or a scenario file by path (TOML; YAML with pyyaml)."""
    return load_scenario_file(scenario_path(name_or_path))
