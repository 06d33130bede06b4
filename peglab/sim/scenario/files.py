"""Scenario files: TOML/YAML loading with ``base`` composition, one-line errors, the hash.

A file may say ``base = "default-system"`` (a ``_<name>.toml`` partial in the built-in library)
or ``base = "relative/path.toml"``; the base is loaded first and the file is deep-merged over it
(tables merge key by key, arrays and scalars replace). ``scenario_hash`` is the sha256 of the
canonical JSON (sorted keys, no spaces, decimals as normalised strings).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ...errors import InvalidInput
from .model import Scenario

__all__ = [
    "LIBRARY_DIR",
    "canonical_json",
    "format_validation_error",
    "load_scenario_file",
    "parse_scenario",
    "scenario_hash",
]


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def format_validation_error(err: ValidationError, source: str) -> str:
    """One line: ``<source>: <field.path[i]>: <problem> (got <value>)`` (+ count of other errors)."""
    first = err.errors(include_url=False)[0]
    msg = str(first["msg"]).removeprefix("Value error, ")
    value = first.get("input")
    got = ""
    if isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool):
        got = f" (got {value!r})"
    more = err.error_count() - 1
    tail = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
    line = f"{source}: {_loc(tuple(first['loc']))}: {msg}{got}{tail}"
    return " ".join(line.split())


def parse_scenario(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a mapping into a :class:`Scenario`; refusals are one-line ``scenario/invalid``."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise InvalidInput("scenario/invalid", format_validation_error(err, source)) from None


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


LIBRARY_DIR = Path(__file__).resolve().parent.parent.parent / "risk" / "library"


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InvalidInput("scenario/unreadable", f"{path}: {e.strerror or e}") from None
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise InvalidInput("scenario/invalid", f"{path}: not valid TOML: {e}") from None
    if suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise InvalidInput(
                "scenario/yaml-unavailable",
                f"{path}: YAML needs the pyyaml package (pip install pyyaml); TOML works without it",
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise InvalidInput(
                "scenario/invalid", f"{path}: not valid YAML: {' '.join(str(e).split())}"
            ) from None
        if not isinstance(data, dict):
            raise InvalidInput("scenario/invalid", f"{path}: the top level must be a mapping")
        return data
    raise InvalidInput(
        "scenario/invalid", f"{path}: unknown file type {suffix!r} (use .toml or .yaml)"
    )


def _resolve_base(ref: object, here: Path) -> Path:
    if not isinstance(ref, str) or not ref:
        raise InvalidInput("scenario/invalid", f"{here}: base: must be a name or a relative path")
    if "/" not in ref and "." not in ref:
        path = LIBRARY_DIR / f"_{ref}.toml"
        if not path.is_file():
            raise InvalidInput(
                "scenario/invalid", f"{here}: base: no library partial named {ref!r}"
            )
        return path
    return (here.parent / ref).resolve()


def _load_merged(path: Path, depth: int = 0) -> dict[str, Any]:
    if depth > 4:
        raise InvalidInput("scenario/invalid", f"{path}: base: chain of bases is too deep (cycle?)")
    data = _read_mapping(path)
    ref = data.pop("base", None)
    if ref is None:
        return data
    return _deep_merge(_load_merged(_resolve_base(ref, path), depth + 1), data)


def load_scenario_file(path: str | Path) -> Scenario:
    """Load and validate a TOML (or YAML) scenario file, resolving ``base``."""
    p = Path(path)
    return parse_scenario(_load_merged(p), source=str(p))


def canonical_json(scenario: Scenario) -> str:
    """Sorted-key, separator-tight JSON of the scenario (decimals as normalised strings)."""
    return json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def scenario_hash(scenario: Scenario) -> str:
    """``sha256`` hex digest of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(scenario).encode()).hexdigest()
