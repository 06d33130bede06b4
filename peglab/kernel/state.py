"""Journaled state containers (``Record``, ``Table``), the canonical encoding and the incremental digest.

Design. Atomicity uses an undo journal rather than snapshots: every write to a ``Record``
attribute or a ``Table`` key, made while a transaction is open (``journal.depth > 0``), first
appends ``(container, key, old_value)``. Rolling back to a mark pops entries in reverse order and
restores each old value (``_UNSET`` means "did not exist": delete it). Cost is one tuple per write;
nothing is copied. Writes outside any transaction (setup code) are not journaled.

Canonical encoding. ``encode`` turns ints, strings, bools, None, tuples, Records and Tables into
bytes with type tags and lengths, tables sorted by their encoded keys, so equal states give equal
bytes whatever the insertion order. Record fields are its slots not starting with ``_``.

Digest (what the state hash is made of), defined recursively and computed two ways:

    digest(Table)  = sha256("T" len ":" (sum over entries of H(encode(k) ++ part(v)) mod 2^256))
    digest(Record) = sha256("R" name ":" part(field_1) ... part(field_n))
    part(v)        = "@" ++ digest(v) for a Table or Record, else encode(v)        H = sha256 as int

The sum of entry hashes does not depend on insertion order, and it can be updated one entry at a
time. A container becomes *tracked* when it is attached under the chain's registry (directly or
nested); a tracked container knows its parent and key, remembers each entry's hash, and a write
marks the key dirty and, the first time, its parent's key, up to the registry. ``digest`` then
re-hashes only dirty entries: the cost of a hash after an action is proportional to what the
action wrote, not to the size of the state. ``digest_full`` recomputes everything without caches;
the two are equal (tests/test_kernel_hash.py). Writes into tracked containers accept only
canonical values (int within 256 bits, str, bool, None, tuples and frozensets of those, frozen
dataclasses of those, Records, Tables): anything else is refused before it is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import fields as dc_fields
from dataclasses import is_dataclass
from typing import Any, ClassVar, Generic, NoReturn, TypeVar

from ..errors import InvalidInput, Overflow
from ..units import MAX_UINT256, MIN_INT256, show

__all__ = [
    "UNSET",
    "Journal",
    "Record",
    "Table",
    "check_canonical",
    "digest",
    "digest_full",
    "encode",
    "record_fields",
]

K = TypeVar("K")
V = TypeVar("V")

_MOD = 1 << 256
_sha = hashlib.sha256


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()
# the base class methods the journaled writes call past their own overrides, bound once
_object_setattr = object.__setattr__
_dict_get = dict.get
_dict_setitem = dict.__setitem__
UNSET: Any = _UNSET  # the journal's "did not exist" marker, for readers of undo entries


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
            if container._dirty is not None:  # a restored value must be hashed again
                container._touch(key)


# -- canonical values ---------------------------------------------------------------------------
_SCALARS = frozenset({int, str, bool, type(None)})


def check_canonical(value: Any, where: str = "state") -> None:
    """Refuse a value that may not live in protocol state (see the module docstring)."""
    t = type(value)
    if t is int:
        if not MIN_INT256 <= value <= MAX_UINT256:
            raise Overflow("state/overflow", f"{where}: {show(value)} does not fit a 256-bit word")
    elif t is str or t is bool or value is None or isinstance(value, Record | Table):
        return
    elif t is tuple or t is frozenset:
        for x in value:
            check_canonical(x, where)
    elif is_dataclass(value) and not isinstance(value, type):
        for f in dc_fields(value):
            check_canonical(getattr(value, f.name), where)
    else:
        raise InvalidInput(
            "state/not-canonical",
            f"{where}: a {t.__name__} cannot be stored in protocol state (ints, str, bool, tuples)",
        )


def _adopt(parent: Record | Table[Any, Any], key: Any, value: Any) -> None:
    """Check a value written into a tracked container; attach it if it is a container."""
    t = type(value)
    if t is int:
        if MIN_INT256 <= value <= MAX_UINT256:
            return
    elif t is str or t is bool or value is None:
        return
    elif isinstance(value, Record | Table):
        _attach(value, parent, key)
        return
    check_canonical(value, f"{type(parent).__name__}[{show(key, 60)}]")


def _attach(c: Record | Table[Any, Any], parent: Record | Table[Any, Any] | None, key: Any) -> None:
    """Make ``c`` (and everything under it) tracked, with ``parent[key]`` as its place."""
    object.__setattr__(c, "_parent", parent)
    object.__setattr__(c, "_pkey", key)
    if isinstance(c, Table):
        if c._dirty is None:
            object.__setattr__(c, "_cache", {})
            object.__setattr__(c, "_acc", 0)
            object.__setattr__(c, "_dirty", set(dict.keys(c)))
            object.__setattr__(c, "_digest", None)
            for k, v in dict.items(c):
                check_canonical(k, "table key")
                _adopt(c, k, v)
    elif c._dirty is None:
        object.__setattr__(c, "_dirty", True)
        object.__setattr__(c, "_digest", None)
        for f in c._fields:
            v = getattr(c, f, None)
            _adopt(c, f, v)


class Record:
    """A mutable record whose attribute writes are journaled. Subclasses declare ``__slots__``.

    Slots whose names start with ``_`` hold wiring (references, caches) and are left out of the
    state hash; the others are state.
    """

    __slots__ = ("_digest", "_dirty", "_journal", "_parent", "_pkey")
    _journal: Journal
    _parent: Record | Table[Any, Any] | None
    _pkey: Any
    _dirty: bool | None  # None: not tracked; True: digest must be recomputed
    _digest: bytes | None
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
        object.__setattr__(self, "_parent", None)
        object.__setattr__(self, "_pkey", None)
        object.__setattr__(self, "_dirty", None)
        object.__setattr__(self, "_digest", None)
        for k, v in fields.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name: str, value: Any) -> None:
        dirty = self._dirty
        if dirty is not None and name[0] != "_":
            if type(value) is not int or not MIN_INT256 <= value <= MAX_UINT256:
                _adopt(self, name, value)  # (an int word is all ``_adopt`` would accept as is)
            if not dirty:
                self._touch(name)
        j = self._journal
        if j.depth:
            j.entries.append((self, name, getattr(self, name, _UNSET)))
        _object_setattr(self, name, value)

    def _touch(self, key: Any) -> None:
        if not self._dirty:
            object.__setattr__(self, "_dirty", True)
            p = self._parent
            if p is not None:
                p._touch(self._pkey)

    def as_dict(self) -> dict[str, Any]:
        """The state fields as a plain dict (for display and serialisation)."""
        return {f: getattr(self, f, None) for f in self._fields}

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"{type(self).__name__}({inner})"


class Table(dict[K, V], Generic[K, V]):
    """A dict whose writes are journaled. Reads are plain dict reads (C speed)."""

    __slots__ = ("_acc", "_cache", "_digest", "_dirty", "_journal", "_parent", "_pkey")
    _parent: Record | Table[Any, Any] | None
    _pkey: Any
    _dirty: set[Any] | None  # None: not tracked; else the keys whose entry hash is stale
    _cache: dict[Any, int]
    _acc: int
    _digest: bytes | None

    def __init__(self, journal: Journal, items: Iterable[tuple[K, V]] = ()) -> None:
        super().__init__()
        self._journal = journal
        self._parent = None
        self._pkey = None
        self._dirty = None
        self._digest = None
        for k, v in items:
            dict.__setitem__(self, k, v)

    def __setitem__(self, key: K, value: V) -> None:
        d = self._dirty
        if d is not None:
            if type(key) is not str and type(key) is not int:
                check_canonical(key, "table key")
            if type(value) is not int or not MIN_INT256 <= value <= MAX_UINT256:  # type: ignore[operator]
                _adopt(self, key, value)  # (an int word is all ``_adopt`` would accept as is)
        j = self._journal
        if j.depth:
            j.entries.append((self, key, _dict_get(self, key, _UNSET)))
        _dict_setitem(self, key, value)
        if d is not None:
            if not d:
                self._touch(key)
            else:
                d.add(key)

    def __delitem__(self, key: K) -> None:
        j = self._journal
        old = dict.__getitem__(self, key)
        if j.depth:
            j.entries.append((self, key, old))
        dict.__delitem__(self, key)
        if self._dirty is not None:
            self._touch(key)

    def _touch(self, key: Any) -> None:
        d = self._dirty
        assert d is not None
        if d:
            d.add(key)
            return
        d.add(key)
        p = self._parent
        if p is not None:
            p._touch(self._pkey)

    def discard(self, key: K) -> None:
        """Delete ``key`` if present."""
        if key in self:
            del self[key]

    def _refuse(self, *a: Any, **kw: Any) -> NoReturn:
        raise TypeError("Table supports item assignment and deletion only (journaled)")

    update = setdefault = pop = popitem = clear = _refuse


# -- encoding ------------------------------------------------------------------------------------
def record_fields(rec: Record) -> tuple[str, ...]:
    """The state fields of a record (its slots not starting with ``_``), in declaration order."""
    return rec._fields


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


# -- digests -------------------------------------------------------------------------------------
def _part(v: Any, full: bool) -> bytes:
    if isinstance(v, Table | Record):
        return b"@" + (digest_full(v) if full else digest(v))
    return encode(v)


def _entry(k: Any, v: Any, full: bool) -> int:
    return int.from_bytes(_sha(encode(k) + _part(v, full)).digest(), "big")


def _table_digest(n: int, acc: int) -> bytes:
    return _sha(b"T%d:" % n + acc.to_bytes(32, "big")).digest()


def _record_digest(r: Record, full: bool) -> bytes:
    name = type(r).__name__.encode()
    h = _sha(b"R%d:" % len(name) + name)
    for f in r._fields:
        h.update(_part(getattr(r, f, None), full))
    return h.digest()


def digest_full(c: Record | Table[Any, Any] | dict[Any, Any]) -> bytes:
    """The digest of a container computed from scratch (no caches): the reference value."""
    if isinstance(c, Record):
        return _record_digest(c, True)
    acc = sum(_entry(k, v, True) for k, v in c.items()) % _MOD
    return _table_digest(len(c), acc)


def digest(c: Record | Table[Any, Any]) -> bytes:
    """The digest of a container, re-hashing only what changed since it was last computed.

    Untracked containers (not attached under a chain's registry) are computed in full.
    """
    if c._dirty is None:
        return digest_full(c)
    if isinstance(c, Record):
        if c._dirty or c._digest is None:
            object.__setattr__(c, "_digest", _record_digest(c, False))
            object.__setattr__(c, "_dirty", False)
        assert c._digest is not None
        return c._digest
    dirty = c._dirty
    if dirty or c._digest is None:
        cache = c._cache
        acc = c._acc
        for k in dirty:
            old = cache.pop(k, None)
            if old is not None:
                acc -= old
            if dict.__contains__(c, k):
                e = _entry(k, dict.__getitem__(c, k), False)
                cache[k] = e
                acc += e
        acc %= _MOD
        c._acc = acc
        dirty.clear()
        c._digest = _table_digest(len(c), acc)
    return c._digest


def track_root(table: Table[Any, Any]) -> None:
    """Make ``table`` a tracked root (the chain's registry): it has no parent."""
    _attach(table, None, None)
