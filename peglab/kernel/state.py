"""Journaled state containers (``Record``, ``Table``) and the canonical encoding behind the state hash.

Design. Atomicity uses an undo journal rather than snapshots: every write to a ``Record``
attribute or a ``Table`` key, made while a transaction is open (``journal.depth > 0``), first
appends ``(container, key, old_value)``. Rolling back to a mark pops entries in reverse order and
restores each old value (``_UNSET`` means "did not exist": delete it). Cost is one tuple per write;
nothing is copied. Writes outside any transaction (setup code) are not journaled.

Canonical encoding. ``encode`` turns ints, strings, bools, None, tuples, Records and Tables into
bytes with type tags and lengths, tables sorted by their encoded keys, so equal states give equal
bytes whatever the insertion order. Record fields are its slots not starting with ``_``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Generic, NoReturn, TypeVar

__all__ = ["Journal", "Record", "Table", "encode"]

K = TypeVar("K")
V = TypeVar("V")


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


class Journal:
    """The undo log shared by every journaled container of one chain."""

    __slots__ = ("depth", "entries")

    def __init__(self) -> None:
        self.entries: list[tuple[Any, Any, Any]] = []
        self.depth = 0

    def rollback(self, mark: int) -> None:
        """Undo every write made after ``mark`` (newest first)."""
        entries = self.entries
        while len(entries) > mark:
            container, key, old = entries.pop()
            if isinstance(container, Table):
                if old is _UNSET:
                    dict.__delitem__(container, key)
                else:
                    dict.__setitem__(container, key, old)
            elif old is _UNSET:
                object.__delattr__(container, key)
            else:
                object.__setattr__(container, key, old)


class Record:
    """A mutable record whose attribute writes are journaled. Subclasses declare ``__slots__``.

    Slots whose names start with ``_`` hold wiring (references, caches) and are left out of the
    state hash; the others are state.
    """

    __slots__ = ("_journal",)
    _journal: Journal
    _fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for s in getattr(klass, "__slots__", ()):
                if not s.startswith("_") and s not in names:
                    names.append(s)
        cls._fields = tuple(names)

    def __init__(self, journal: Journal, **fields: Any) -> None:
        object.__setattr__(self, "_journal", journal)
        for k, v in fields.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name: str, value: Any) -> None:
        j = self._journal
        if j.depth:
            j.entries.append((self, name, getattr(self, name, _UNSET)))
        object.__setattr__(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        """The state fields as a plain dict (for display and serialisation)."""
        return {f: getattr(self, f, None) for f in self._fields}

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"{type(self).__name__}({inner})"


class Table(dict[K, V], Generic[K, V]):
    """A dict whose writes are journaled. Reads are plain dict reads (C speed)."""

    __slots__ = ("_journal",)

    def __init__(self, journal: Journal, items: Iterable[tuple[K, V]] = ()) -> None:
        super().__init__()
        self._journal = journal
        for k, v in items:
            dict.__setitem__(self, k, v)

    def __setitem__(self, key: K, value: V) -> None:
        j = self._journal
        if j.depth:
            j.entries.append((self, key, dict.get(self, key, _UNSET)))
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: K) -> None:
        j = self._journal
        old = dict.__getitem__(self, key)
        if j.depth:
            j.entries.append((self, key, old))
        dict.__delitem__(self, key)

    def discard(self, key: K) -> None:
        """Delete ``key`` if present."""
        if key in self:
            del self[key]

    def _refuse(self, *a: Any, **kw: Any) -> NoReturn:
        raise TypeError("Table supports item assignment and deletion only (journaled)")

    update = setdefault = pop = popitem = clear = _refuse


def encode(value: Any) -> bytes:
    """Canonical bytes of a state value (see module docstring)."""
    out: list[bytes] = []
    _encode(value, out)
    return b"".join(out)


def _encode(v: Any, out: list[bytes]) -> None:
    t = type(v)
    if t is int:
        s = str(v).encode()
        out.append(b"i%d:" % len(s) + s)
    elif t is str:
        s = v.encode()
        out.append(b"s%d:" % len(s) + s)
    elif t is bool:
        out.append(b"T" if v else b"F")
    elif v is None:
        out.append(b"N")
    elif t is tuple or t is list or t is frozenset:
        items = sorted(encode(x) for x in v) if t is frozenset else [encode(x) for x in v]
        out.append(b"(%d:" % len(items))
        out.extend(items)
        out.append(b")")
    elif isinstance(v, Table) or t is dict:
        pairs = sorted((encode(k), encode(x)) for k, x in v.items())
        out.append(b"{%d:" % len(pairs))
        for k, x in pairs:
            out.append(k)
            out.append(x)
        out.append(b"}")
    elif isinstance(v, Record):
        name = type(v).__name__.encode()
        out.append(b"R%d:" % len(name) + name)
        for f in v._fields:
            _encode(getattr(v, f, None), out)
        out.append(b";")
    elif hasattr(v, "__dataclass_fields__"):
        name = type(v).__name__.encode()
        out.append(b"D%d:" % len(name) + name)
        for f in v.__dataclass_fields__:
            _encode(getattr(v, f), out)
        out.append(b";")
    else:
        raise TypeError(f"cannot encode {t.__name__} in protocol state (use ints, str, tuples)")
