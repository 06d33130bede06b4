"""The AI dollar's liquidation, buffer, PSM and shutdown actions, and the system's balance sheet.

A mixin of ``AIDollar``: each method delegates to the module that owns the rule (``dog``,
``clippers[ilk]``, ``vow``, ``psm``, ``end``), so users and keepers find every action on the
instance. The balance-sheet identity (docs/liquidations.md) follows from the engine's own
invariants but is computed here from ledger balances alone, so it can catch a module that moves
value around the engine:

    supply * RAY + held_elsewhere  ==  vault_debt + bad_debt - surplus          [rad]

``supply`` is the AI-dollar token supply, ``held_elsewhere`` the internal AI dollars held by
anyone but the join and the buffer, ``vault_debt = sum(Art * rate)`` (PSM vault included),
``bad_debt = sin[vow]`` and ``surplus = dai[vow]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from ...errors import InvalidInput, ShutDown
from ...kernel import UNSET, query
from ...units import RAY, WAD

if TYPE_CHECKING:
    from ...kernel import Chain, Table
    from .clip import AuctionStatus, Clipper, TakeCallback
    from .dog import Liquidator
    from .end import Shutdown
    from .flip import Flipper, FlipStatus
    from .psm import PegStabilityModule
    from .vat import VaultEngine
    from .vow import SystemBuffer

__all__ = ["BalanceSheet", "LiquidationFacade"]


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    """The instance's balance sheet in rad (see the module docstring)."""

    supply_rad: int
    held_elsewhere_rad: int
    vault_debt_rad: int
    bad_debt_rad: int
    surplus_rad: int
    in_auction_rad: int  # tab of running auctions (a claim on collateral, not yet AI dollars)

    @property
    def balanced(self) -> bool:
        liabilities = self.supply_rad + self.held_elsewhere_rad
        return liabilities == self.vault_debt_rad + self.bad_debt_rad - self.surplus_rad


class LiquidationFacade:
    """Mixin of ``AIDollar`` (attributes set by its constructor)."""

    chain: Chain
    symbol: str
    vat: VaultEngine
    join: str
    vow_account: str
    dog: Liquidator
    vow: SystemBuffer
    clippers: Table[str, Clipper]
    flippers: Table[str, Flipper]
    psm: PegStabilityModule | None
    end: Shutdown

    def _require_live(self) -> None:
        if not self.vat.state.live:
            raise ShutDown("cdp/not-live", f"{self.symbol} is shut down; only settlement remains")

    @query
    def clipper(self, ilk: str) -> Clipper:
        c = self.clippers.get(ilk) if isinstance(ilk, str) else None
        if c is None:
            raise InvalidInput("cdp/unknown-ilk", f"{self.symbol} has no auctions for {ilk!r}")
        return c

    # -- liquidations -------------------------------------------------------------------------
    def bark(self, vault_id: int, keeper: str = "", *, sender: str) -> int:
        """Liquidate an unsafe vault (anyone); returns the auction id of its collateral type."""
        return self.dog.bark(vault_id, keeper, sender=sender)

    def take(
        self,
        ilk: str,
        auction_id: int,
        amount_wad: int,
        max_price_ray: int,
        who: str = "",
        callback: TakeCallback | None = None,
        data: Any = None,
        *,
        sender: str,
    ) -> tuple[int, int]:
        """Buy collateral from a running auction; returns ``(slice_wad, owe_rad)``."""
        return self.clipper(ilk).take(
            auction_id, amount_wad, max_price_ray, who, callback, data, sender=sender
        )

    def redo(self, ilk: str, auction_id: int, keeper: str = "", *, sender: str) -> int:
        """Restart an auction past ``tail`` or below ``cusp`` (anyone); returns the new top."""
        return self.clipper(ilk).redo(auction_id, keeper, sender=sender)

    @query
    def auction(self, ilk: str, auction_id: int) -> AuctionStatus:
        """A running auction's price and state (a pure read)."""
        return self.clipper(ilk).status(auction_id)

    @query
    def auctions(self, ilk: str) -> list[int]:
        return self.clipper(ilk).active()

    # -- English auctions (flip.py), for collateral launched with auction="english" ------------
    @query
    def flipper(self, ilk: str) -> Flipper:
        f = self.flippers.get(ilk) if isinstance(ilk, str) else None
        if f is None:
            raise InvalidInput(
                "cdp/unknown-ilk", f"{self.symbol} has no English auctions for {ilk!r}"
            )
        return f

    def tend(self, ilk: str, auction_id: int, lot_wad: int, bid_rad: int, *, sender: str) -> None:
        """Raise the bid for the whole lot of an English auction (phase 1)."""
        self.flipper(ilk).tend(auction_id, lot_wad, bid_rad, sender=sender)

    def dent(self, ilk: str, auction_id: int, lot_wad: int, bid_rad: int, *, sender: str) -> None:
        """Bid the whole tab for less collateral (phase 2); the rest returns to the vault owner."""
        self.flipper(ilk).dent(auction_id, lot_wad, bid_rad, sender=sender)

    def deal(self, ilk: str, auction_id: int, *, sender: str) -> tuple[int, int]:
        """Settle a finished English auction: lot to the winner; returns ``(lot_wad, bid_rad)``."""
        return self.flipper(ilk).deal(auction_id, sender=sender)

    def tick(self, ilk: str, auction_id: int, *, sender: str) -> int:
        """Restart an English auction that ended with no bid; returns the new end."""
        return self.flipper(ilk).tick(auction_id, sender=sender)

    @query
    def flip_auctions(self, ilk: str) -> list[int]:
        return self.flipper(ilk).active()

    @query
    def flip_status(self, ilk: str, auction_id: int) -> FlipStatus:
        """An English auction's phase, bid, lot and what may be done now (a pure read)."""
        return self.flipper(ilk).status(auction_id)

    # -- peg stability module -----------------------------------------------------------------
    def _psm(self) -> PegStabilityModule:
        if self.psm is None:
            raise InvalidInput("cdp/no-psm", f"{self.symbol} has no peg stability module")
        return self.psm

    def sell_gem(self, gem_amount: int, usr: str = "", *, sender: str) -> int:
        """Reference stablecoin in, AI dollars out (1:1 minus ``tin``)."""
        return self._psm().sell_gem(gem_amount, usr, sender=sender)

    def buy_gem(self, gem_amount: int, usr: str = "", *, sender: str) -> int:
        """AI dollars in (1:1 plus ``tout``), reference stablecoin out."""
        return self._psm().buy_gem(gem_amount, usr, sender=sender)

    # -- shutdown -----------------------------------------------------------------------------
    def shutdown(self, *, sender: str) -> None:
        """Emergency shutdown (governance); settlement then runs through ``self.end``."""
        self.end.cage(sender=sender)

    # -- balance sheet and invariants ---------------------------------------------------------
    def balance_sheet(self) -> BalanceSheet:
        ledger = self.chain.ledger
        dai_book = ledger.balances[self.vat.dai]
        vow_dai = dai_book.get(self.vow_account, 0)
        elsewhere = sum(v for k, v in dai_book.items() if k not in (self.join, self.vow_account))
        return BalanceSheet(
            ledger.supply[self.symbol] * RAY,
            elsewhere,
            sum(i.art_total_wad * i.rate_ray for i in self.vat.ilks.values()),
            ledger.balance_of(self.vat.sin, self.vow_account),
            vow_dai,
            sum(s.tab_rad for c in self.clippers.values() for s in c.sales.values())
            + sum(b.tab_rad for f in self.flippers.values() for b in f.bids.values()),
        )

    def liquidation_invariant_errors(self) -> list[str]:
        """docs/cdp-spec.md §13 items 5, 7 and 8 plus the balance-sheet identity; empty when they hold."""
        errs: list[str] = []
        sheet = self.balance_sheet()
        if not sheet.balanced:
            errs.append(f"balance sheet does not balance: {sheet}")
        if self.chain.ledger.supply[self.vat.sin] != sheet.bad_debt_rad:
            errs.append("system debt held outside the buffer")
        dog = self.dog
        total_dirt = 0
        for ilk, clip in self.clippers.items():
            milk = dog.ilks[ilk]
            tabs = sum(s.tab_rad for s in clip.sales.values())
            total_dirt += milk.dirt_rad
            if milk.dirt_rad != tabs:
                errs.append(f"{ilk}: dirt {milk.dirt_rad} != sum of live tabs {tabs}")
            lots = sum(s.lot_wad for s in clip.sales.values())
            held = self.chain.ledger.balance_of(self.vat.gem(ilk), clip.account)
            if held != lots:
                errs.append(f"{ilk}: clipper holds {held} wad for lots of {lots}")
            for aid, s in clip.sales.items():
                if s.tab_rad == 0 or s.lot_wad == 0:
                    errs.append(f"{ilk}: auction {aid} should have closed (tab or lot is 0)")
        for ilk, flip in self.flippers.items():
            milk = dog.ilks[ilk]
            tabs = sum(b.tab_rad for b in flip.bids.values())
            total_dirt += milk.dirt_rad
            if milk.dirt_rad != tabs:
                errs.append(f"{ilk}: dirt {milk.dirt_rad} != sum of live tabs {tabs}")
            errs.extend(flip.invariant_errors())
        if dog.state.dirt_total_rad != total_dirt:
            errs.append(f"Dirt {dog.state.dirt_total_rad} != sum of dirt {total_dirt}")
        errs.extend(self._limit_errors())
        errs.extend(self.end.invariant_errors())
        return errs

    def _limit_errors(self) -> list[str]:
        """docs/cdp-spec.md §13, item 5: a bark leaves ``dirt <= hole + over`` and ``Dirt <= Hole +
        slack`` (``over = ceil(dust * chop / WAD)`` of the ilk, ``slack`` the largest ``over``).

        Governance may lower a limit below the debt already in auction (dss allows it; bark then
        waits until takes bring the debt under the limit), so the bound is checked when a bark
        raised the debt: if the last committed transaction raised ``dirt`` (or ``Dirt``), it
        must now lie within the largest limit and slack that held during that transaction. Only
        a bark raises it; afterwards takes only lower it. Exact when checked after every
        transaction, as the stateful tests and the fuzz campaign do.
        """
        dog, errs = self.dog, list[str]()
        if not dog.state.live:
            return errs
        slack = 0
        for ilk in (*self.clippers, *self.flippers):
            milk = dog.ilks[ilk]
            dust = max(_held(self.chain, self.vat.ilks[ilk], "dust_rad"))
            over = -(-dust * max(_held(self.chain, milk, "chop_wad")) // WAD)
            slack = max(slack, over)
            hole = max(_held(self.chain, milk, "hole_rad"))
            if _rose(_held(self.chain, milk, "dirt_rad")) and milk.dirt_rad > hole + over:
                errs.append(f"{ilk}: a bark left dirt {milk.dirt_rad} above hole {hole} + {over}")
        st = dog.state
        hole_total = max(_held(self.chain, st, "hole_total_rad"))
        if (
            _rose(_held(self.chain, st, "dirt_total_rad"))
            and st.dirt_total_rad > hole_total + slack
        ):
            errs.append(f"a bark left Dirt {st.dirt_total_rad} above Hole {hole_total} + {slack}")
        return errs


def _held(chain: Chain, rec: object, field: str) -> list[int]:
    """Every value ``rec.field`` held during the last committed transaction, the current last."""
    held = [old for c, k, old in chain.last_writes if c is rec and k == field and old is not UNSET]
    held.append(getattr(rec, field))
    return held


def _rose(values: list[int]) -> bool:
    return any(b > a for a, b in pairwise(values))
