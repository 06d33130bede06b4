"""Exact, unambiguous JSON text for action arguments, results and events (the log's encoding).

Every int is written as decimal text so nothing passes through a float or a 64-bit integer, and
every scalar carries a one-letter tag so replay gets back exactly the Python value it logged:
``7 -> "i:7"``, ``"ATH" -> "s:ATH"``, ``True -> true``, ``None -> null``, tuples and lists ->
JSON arrays (decoded as tuples), dicts -> ``{"<tagged key>": value}``, a reference to an object of
the world -> ``"r:<target path>"``. Events are frozen dataclasses: ``{"kind": ..., "fields": ...}``
with the same tagging. ``plain`` renders the same values for people and JSON clients: ints as
decimal strings, no tags.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any

from ..errors import InvalidInput

__all__ = ["Ref", "decode", "dumps", "encode", "encode_event", "loads", "plain", "plain_events"]


class Ref(str):
    """A reference to an object of the world by its target path (see ``registry.walk_targets``)."""

    __slots__ = ()


def encode(value: Any, ref_of: Callable[[object], str | None] | None = None) -> Any:
    """Tagged JSON-ready form of ``value`` (see the module docstring)."""
    t = type(value)
    if t is bool or value is None:
        return value
    if t is int:
        return f"i:{value}"
    if t is Ref:
        return f"r:{value}"
    if t is str:
        return f"s:{value}"
    if t in (list, tuple):
        return [encode(v, ref_of) for v in value]
    if isinstance(value, dict):
        return {json.dumps(encode(k, ref_of)): encode(v, ref_of) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {
            "$": type(value).__name__,
            **{f.name: encode(getattr(value, f.name), ref_of) for f in fields(value)},
        }
    path = ref_of(value) if ref_of is not None else None
    if path is not None:
        return f"r:{path}"
    return {"$": type(value).__name__}


def decode(value: Any) -> Any:
    """Inverse of ``encode`` for arguments (ints, strings, bools, None, sequences, refs, dicts)."""
    if value is None or type(value) is bool:
        return value
    if isinstance(value, str):
        tag, _, body = value.partition(":")
        if tag == "i":
            return int(body)
        if tag == "s":
            return body
        if tag == "r":
            return Ref(body)
        raise InvalidInput("store/bad-encoding", f"untagged value {value!r} in the log")
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    if isinstance(value, dict):
        return {decode(json.loads(k)): decode(v) for k, v in value.items()}
    raise InvalidInput("store/bad-encoding", f"cannot decode {value!r}")


def encode_event(event: Any, ref_of: Callable[[object], str | None] | None = None) -> Any:
    """``{"kind": ..., "fields": {...}}`` of a typed event, fields tagged as ``encode``."""
    return {
        "kind": getattr(event, "kind", type(event).__name__),
        "fields": {f.name: encode(getattr(event, f.name), ref_of) for f in fields(event)},
    }


def plain(value: Any) -> Any:
    """Untagged, JSON-safe form of an encoded value: ints as decimal strings, refs as paths."""
    if isinstance(value, str):
        tag, _, body = value.partition(":")
        return body if tag in ("i", "s", "r") else value
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = k
            if k.startswith('"'):
                decoded = json.loads(k)
                key = (
                    str(plain(decoded)) if isinstance(decoded, str) else json.dumps(plain(decoded))
                )
            out[key] = plain(v)
        return out
    return value


def plain_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Logged events (``encode_event`` plus ``sender``) with their fields made ``plain``."""
    return [
        {"kind": e["kind"], "sender": e["sender"], "fields": plain(e["fields"])} for e in events
    ]


def dumps(value: Any) -> str:
    """Compact, key-sorted JSON text (deterministic)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    """JSON text back to the encoded form."""
    return json.loads(text)
