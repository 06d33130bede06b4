"""The liquidator (dss Dog): anyone starts the liquidation of an unsafe vault, within debt-in-auction limits.

    room = min(Hole - Dirt, hole - dirt)                                     [rad]
    dart = min(art, ((room * WAD) // rate) // chop)                           two floors, this order
    if art > dart:  (art - dart) * rate < dust  ->  dart = art               never leave a dusty vault
                    else require dart * rate >= dust                          no dusty auction
    dink = (ink * dart) // art ;  due = dart * rate ;  tab = (due * chop) // WAD
    grab(-dink, -dart): collateral -> clipper, due -> sin of the buffer (queued by ``fess``)
    Dirt += tab ; dirt += tab ; clipper.kick(tab, dink, vault, keeper)

Every floor is against the liquidated vault's owner in the protocol's favour only by the
penalty: ``dart`` floors (less debt seized, never more than room allows), ``dink`` floors (the
vault keeps the sub-wei of collateral), ``tab`` floors (the penalty is never rounded up). The dust
rule may overshoot ``hole``/``Hole`` by at most ``ceil(dust * chop / WAD)`` (docs/cdp-spec.md §13 item 5).
Before reading debt, ``bark`` drips the collateral type and refreshes ``spot`` [O].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import InvalidInput, LimitExceeded, ShutDown, StalePrice, Unsafe
from ...kernel import Record, Table, action, query
from ...units import WAD, check_amount
from .accounts import InstanceAccounts
from .events import LiquidationStarted, ParameterChanged
from .interfaces import AuctionHouse, BufferLike, FeesLike, SpotterLike, VatLike

if TYPE_CHECKING:
    from ...kernel import Chain
    from .params import Guardrails

__all__ = ["DogIlk", "DogState", "Liquidator", "bark_amounts"]


class DogState(Record):
    """Global limit on debt in auction (``Hole``), debt in auction now (``Dirt``), live flag."""

    __slots__ = ("dirt_total_rad", "hole_total_rad", "live")
    hole_total_rad: int
    dirt_total_rad: int
    live: bool


class DogIlk(Record):
    """Per-ilk penalty ``chop`` [wad], limit ``hole`` and debt in auction ``dirt`` [rad]."""

    __slots__ = ("chop_wad", "dirt_rad", "hole_rad")
    chop_wad: int
    hole_rad: int
    dirt_rad: int


def bark_amounts(
    ink_wad: int,
    art_wad: int,
    rate_ray: int,
    spot_ray: int,
    chop_wad: int,
    dust_rad: int,
    limits_rad: tuple[int, int, int, int],
) -> tuple[int, int, int, int]:
    """``(dart, dink, due, tab)`` of a liquidation (module docstring); raises on a refused one.

    ``limits_rad = (hole, dirt, Hole, Dirt)``.
    """
    if not (spot_ray > 0 and ink_wad * spot_ray < art_wad * rate_ray):
        raise InvalidInput(
            "cdp/not-unsafe", f"the vault is safe: {art_wad * rate_ray} rad <= {ink_wad * spot_ray}"
        )
    hole, dirt, hole_total, dirt_total = limits_rad
    if not (hole_total > dirt_total and hole > dirt):
        raise LimitExceeded(
            "cdp/liquidation-limit-hit", "debt in auction is at its limit (hole or Hole)"
        )
    room = min(hole_total - dirt_total, hole - dirt)
    dart = min(art_wad, ((room * WAD) // rate_ray) // chop_wad)
    if art_wad > dart:
        if (art_wad - dart) * rate_ray < dust_rad:
            dart = art_wad
        elif dart * rate_ray < dust_rad:
            raise Unsafe(
                "cdp/dusty-auction-from-partial-liquidation",
                f"room for {dart * rate_ray} rad of debt is below the dust {dust_rad} rad",
            )
    dink = (ink_wad * dart) // art_wad
    if dink <= 0:
        raise InvalidInput("cdp/null-auction", "the liquidation would seize no collateral")
    due = dart * rate_ray
    return dart, dink, due, (due * chop_wad) // WAD


class Liquidator:
    """dss Dog for one AI-dollar instance."""

    PARAMS = ("Hole", "hole", "chop")

    def __init__(
        self,
        chain: Chain,
        accounts: InstanceAccounts,
        vat: VatLike,
        jug: FeesLike,
        spotter: SpotterLike,
        vow: BufferLike,
        guardrails: Guardrails,
    ) -> None:
        self.chain = chain
        self.accounts = accounts
        self.symbol = accounts.symbol
        self.vat = vat
        self.jug = jug
        self.spotter = spotter
        self.vow = vow
        self.guardrails = guardrails
        j = chain.journal
        self.state = DogState(j, hole_total_rad=0, dirt_total_rad=0, live=True)
        self.ilks: Table[str, DogIlk] = Table(j)
        # each ilk's auction house (dss ``ilks[ilk].clip``): wiring, journaled with launches
        self.houses: Table[str, AuctionHouse] = Table(j)
        chain.register(f"cdp/{self.symbol}/dog/state", self.state)
        chain.register(f"cdp/{self.symbol}/dog/ilks", self.ilks)

    def init_ilk(self, ilk: str, chop_wad: int, hole_rad: int, house: AuctionHouse) -> None:
        """Configure ``ilk`` and its auction house; ``Hole`` grows by its ``hole`` (Hole = sum of
        ilk holes, docs/cdp-spec.md §12)."""
        self.ilks[ilk] = DogIlk(
            self.chain.journal, chop_wad=chop_wad, hole_rad=hole_rad, dirt_rad=0
        )
        self.houses[ilk] = house
        self.state.hole_total_rad += hole_rad

    @query
    def ilk(self, ilk: str) -> DogIlk:
        d = self.ilks.get(ilk) if isinstance(ilk, str) else None
        if d is None:
            raise InvalidInput("cdp/unknown-ilk", f"{self.symbol} cannot liquidate {ilk!r}")
        return d

    def chop_wad(self, ilk: str) -> int:
        """The liquidation penalty of ``ilk`` [wad] (a read for its auction house)."""
        return self.ilks[ilk].chop_wad

    # -- the action --------------------------------------------------------------------------
    @action
    def bark(self, vault_id: int, keeper: str = "", *, sender: str) -> int:
        """Liquidate the unsafe vault ``vault_id`` (anyone); returns the auction id.

        The keeper incentive goes to ``keeper`` (default: the sender) in AI dollars.
        """
        if not self.state.live:
            raise ShutDown("cdp/not-live", f"{self.symbol} is shut down: no new liquidations")
        keeper = keeper or sender
        if not isinstance(keeper, str):
            raise InvalidInput("cdp/bad-keeper", f"keeper must be an account, got {keeper!r}")
        urn = self.vat.open_vault(vault_id)
        name = urn.ilk
        milk = self.ilk(name)
        rate = self.jug.accrue(name)
        spot = self.spotter.poke(name)
        if spot == 0:
            raise StalePrice(
                "cdp/invalid-price", f"no valid price for {name}: liquidations wait for the oracle"
            )
        st = self.state
        dart, dink, due, tab = bark_amounts(
            urn.ink_wad,
            urn.art_wad,
            rate,
            spot,
            milk.chop_wad,
            self.vat.ilks[name].dust_rad,
            (milk.hole_rad, milk.dirt_rad, st.hole_total_rad, st.dirt_total_rad),
        )
        # the collateral's auction house: the Dutch clipper, or the English flipper (flip.py)
        house = self.houses[name]
        self.vat.grab(vault_id, house.account, self.accounts.vow, -dink, -dart)
        self.vow.fess(due)
        st.dirt_total_rad += tab
        milk.dirt_rad += tab
        auction, coin = house.kick(tab, dink, vault_id, keeper)
        self.chain.emit(
            LiquidationStarted(
                self.symbol, name, vault_id, auction, dink, dart, due, tab, coin, keeper
            )
        )
        return auction

    # -- auth hooks ----------------------------------------------------------------------------
    def digs(self, ilk: str, rad: int) -> None:
        """An auction raised or released ``rad`` of its tab: room for new liquidations."""
        self.state.dirt_total_rad -= rad
        self.ilks[ilk].dirt_rad -= rad

    def cage(self) -> None:
        self.state.live = False

    @action
    def file(self, what: str, value: int, *, ilk: str = "", sender: str) -> None:
        """Set ``Hole`` (instance-wide) or ``hole``/``chop`` of ``ilk`` (admin or governance)."""
        self.accounts.check_file(self.chain, sender, what, self.PARAMS)
        check_amount(value, what, "cdp/bad-value")
        if what == "Hole":
            self.state.hole_total_rad = value
        else:
            milk = self.ilk(ilk)
            if what == "hole":
                milk.hole_rad = value
            else:
                g = self.guardrails
                if value < WAD or (
                    value > g.max_chop_wad and not self.chain.has_role("gov", sender)
                ):
                    raise InvalidInput(
                        "cdp/guardrail", f"chop must be in [1, {g.max_chop_wad}] wad"
                    )
                milk.chop_wad = value
        self.chain.emit(ParameterChanged(f"{self.symbol}/dog", ilk, what, value))
