"""Price sources and the oracle security module (OSM): a one-hop delay, staleness and a jump guard.

Sources. ``PriceFeed`` is one reporter's value, set by holders of its poker role (in a
simulation, the scenario's market; in the sandbox, a keeper). ``Median`` takes the median of
several feeds and fails (``ok = False``) below its quorum, as docs/cdp-spec.md §7.1 asks.

OSM (makerdao/osm, docs/cdp-spec.md §7.2-7.4):

    poke(): require now >= zzz + hop ; (val, ok) = source.read()
            if ok: cur = nxt ; nxt = val ; zzz = now - now % hop
    peek() -> cur, valid only while now - zzz <= max_age   (staleness, our addition)

Jump guard [O]: a reading more than ``max_jump`` away from the last accepted value is held
back: ``cur`` still advances, ``nxt`` keeps the old value, and the event
``cdp/price-jump-held`` is emitted. The next poke accepts the new level only if it agrees
with the held reading within ``confirm`` (2%). A one-hop manipulated print is never used;
a genuine jump arrives one hop later.
"""

from __future__ import annotations

from typing import Protocol

from ...errors import InvalidInput, ShutDown, StalePrice
from ...kernel import Chain, Record, action
from ...units import WAD, check_amount
from .events import PriceHeld, PricePoked, PriceReported

__all__ = ["OSM", "Median", "PriceFeed", "PriceSource"]


class PriceSource(Protocol):
    """Anything that reports a wad price: ``(value, ok, observed_at)``."""

    name: str

    def read(self) -> tuple[int, bool, int]: ...


class _FeedState(Record):
    __slots__ = ("observed_at", "ok", "val_wad")
    val_wad: int
    ok: bool
    observed_at: int


class PriceFeed:
    """One reporter's price. ``set_price`` needs the ``oracle/<name>`` role."""

    def __init__(self, chain: Chain, name: str, val_wad: int = 0) -> None:
        self.chain = chain
        self.name = name
        self.role = f"oracle/{name}"
        self.state = _FeedState(
            chain.journal, val_wad=val_wad, ok=val_wad > 0, observed_at=chain.now
        )
        chain.register(f"oracle/{name}", self.state)

    def read(self) -> tuple[int, bool, int]:
        s = self.state
        return s.val_wad, s.ok, s.observed_at

    @action
    def set_price(self, val_wad: int, *, sender: str, ok: bool = True) -> None:
        """Report a price [wad]; ``ok=False`` reports an outage."""
        self.chain.require_role(self.role, sender, "oracle/not-poker")
        check_amount(val_wad, "price")
        if ok and val_wad == 0:
            raise InvalidInput(
                "oracle/zero-price", "a valid price must be positive; report ok=False for an outage"
            )
        s = self.state
        s.val_wad, s.ok, s.observed_at = val_wad, ok, self.chain.now
        self.chain.emit(PriceReported(self.name, val_wad, ok))


class Median:
    """Median of several sources (mean of the middle two for an even count, floored)."""

    def __init__(
        self, name: str, sources: list[PriceSource], quorum: int = 3, max_age_s: int = 3600
    ) -> None:
        if not 1 <= quorum <= len(sources):
            raise InvalidInput(
                "oracle/bad-quorum", f"quorum {quorum} must be in [1, {len(sources)}]"
            )
        self.name = name
        self.sources = list(sources)
        self.quorum = quorum
        self.max_age_s = max_age_s

    def read(self) -> tuple[int, bool, int]:
        vals: list[int] = []
        newest = 0
        for s in self.sources:
            v, ok, t = s.read()
            if ok and v > 0:
                vals.append(v)
                newest = max(newest, t)
        if len(vals) < self.quorum:
            return 0, False, newest
        vals.sort()
        n = len(vals)
        mid = vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) // 2
        return mid, True, newest


class _OsmState(Record):
    __slots__ = ("cur_has", "cur_wad", "held_wad", "nxt_has", "nxt_wad", "stopped", "zzz")
    cur_wad: int
    cur_has: bool
    nxt_wad: int
    nxt_has: bool
    held_wad: int
    zzz: int
    stopped: bool


class OSM:
    """Oracle security module: delays ``source`` by one ``hop``; stale after ``max_age``."""

    def __init__(
        self,
        chain: Chain,
        name: str,
        source: PriceSource,
        *,
        hop_s: int = 3600,
        max_age_s: int | None = None,
        max_jump_wad: int = 4 * WAD // 10,
        confirm_wad: int = 2 * WAD // 100,
    ) -> None:
        if type(hop_s) is not int or hop_s <= 0:
            raise InvalidInput(
                "oracle/bad-hop", f"hop must be a positive number of seconds, got {hop_s!r}"
            )
        self.chain = chain
        self.name = name
        self.source = source
        self.hop_s = hop_s
        self.max_age_s = 3 * hop_s if max_age_s is None else max_age_s
        self.max_jump_wad = max_jump_wad
        self.confirm_wad = confirm_wad
        self.state = _OsmState(
            chain.journal,
            cur_wad=0,
            cur_has=False,
            nxt_wad=0,
            nxt_has=False,
            held_wad=0,
            zzz=0,
            stopped=False,
        )
        chain.register(f"osm/{name}", self.state)

    def passed(self) -> bool:
        """True when a poke is allowed (one hop since the last accepted one)."""
        return self.chain.now >= self.state.zzz + self.hop_s

    def peek(self) -> tuple[int, bool]:
        """The current (delayed) price and whether it is valid and fresh."""
        s = self.state
        fresh = self.chain.now - s.zzz <= self.max_age_s
        return s.cur_wad, s.cur_has and fresh and not s.stopped

    def peep(self) -> tuple[int, bool]:
        """The next price, visible one hop early (keepers use it)."""
        s = self.state
        return s.nxt_wad, s.nxt_has and not s.stopped

    def _jumps(self, val: int, ref: int) -> bool:
        return ref > 0 and abs(val - ref) * WAD > self.max_jump_wad * ref

    @action
    def poke(self, *, sender: str) -> bool:
        """Advance the delayed price if a hop has passed; returns whether a value was accepted."""
        s = self.state
        if s.stopped:
            raise ShutDown("cdp/osm-stopped", f"OSM {self.name} is stopped")
        if not self.passed():
            raise StalePrice(
                "cdp/osm-not-passed", f"OSM {self.name}: next poke at {s.zzz + self.hop_s}"
            )
        val, ok, _ = self.source.read()
        if not ok:
            return False
        now = self.chain.now
        new_nxt = val
        if s.nxt_has and self._jumps(val, s.nxt_wad):
            held = s.held_wad
            confirmed = held > 0 and abs(val - held) * WAD <= self.confirm_wad * held
            if not confirmed:
                s.held_wad = val
                new_nxt = s.nxt_wad
                self.chain.emit(PriceHeld(self.name, val, s.nxt_wad))
            else:
                s.held_wad = 0
        else:
            s.held_wad = 0
        s.cur_wad, s.cur_has = s.nxt_wad, s.nxt_has
        s.nxt_wad, s.nxt_has = new_nxt, True
        s.zzz = now - now % self.hop_s
        self.chain.emit(PricePoked(self.name, s.cur_wad, s.nxt_wad, s.zzz))
        return True

    def seed(self) -> None:
        """At launch: take the source's current value as both ``cur`` and ``nxt`` (no delay yet)."""
        val, ok, _ = self.source.read()
        if ok:
            s = self.state
            s.cur_wad = s.nxt_wad = val
            s.cur_has = s.nxt_has = True
            s.zzz = self.chain.now - self.chain.now % self.hop_s

    def void(self) -> None:
        """Invalidate both values and stop (governance emergency)."""
        s = self.state
        s.cur_wad = s.nxt_wad = 0
        s.cur_has = s.nxt_has = False
        s.stopped = True
