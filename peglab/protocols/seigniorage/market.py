"""A Terra-style mint/burn stablecoin: burn the stable for $1 of the native token at the oracle price.

This is the reference model behind the critic's "Terra Luna, anyone?" (validation V2), restated in
our own words from the public description of Terra's market module. The protocol promises one
dollar of native token (LUNA) for one stable (UST) and the reverse, at the oracle price, with a
spread that grows with recent use:

* A *virtual constant-product pool* of two sides worth ``B`` USD each at rest. ``delta`` is the
  stable side's net inflow (positive after stables were burnt). A swap of ``x`` USD worth of the
  stable moves the stable side from ``B + delta`` to ``B + delta + x`` and the native side (in
  USD) from ``B^2 / (B + delta)`` to ``B^2 / (B + delta + x)``: the difference is what the
  constant product would pay. The spread is ``max(min_spread, 1 - paid / x)`` and the trader gets
  ``x (1 - spread)`` USD worth of native token, minted at the oracle price. Native -> stable is
  the mirror image (``delta`` falls).
* ``delta`` decays toward 0 between swaps: ``delta * (1 - 1/N)^k`` after ``k`` blocks of
  ``block_s`` seconds with ``N = recovery_s / block_s`` (the pool "recovers" with time constant
  ``recovery_s``); computed with dss ``rpow`` in ray, rounded half up at each step as dss does.
* Optional daily cap on stables burnt (an IDLS-style circuit breaker; ``None``: none).

Value: the stable burnt leaves supply; native tokens are minted from nothing: that mint is the
reflexive channel (supply grows as the price falls). Rounding: minted amounts floor (the protocol
never mints more than the formula gives); the spread is computed in wad and rounds up.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import InvalidInput, LimitExceeded, NotAuthorized, StalePrice
from ...kernel import Chain, Record, action, query
from ...math.dss import rpow
from ...units import DAY, RAY, WAD, check_positive
from .events import NativePriceSet, Swapped

__all__ = ["MarketParams", "MarketState", "SeigniorageMarket"]


@dataclass(frozen=True, slots=True)
class MarketParams:
    """Virtual-pool parameters (all [O] in docs/validation.md §4)."""

    base_pool_usd_wad: int = 50_000_000 * WAD
    min_spread_wad: int = 5 * WAD // 1000  # 0.5%
    recovery_s: int = DAY
    block_s: int = 6
    daily_burn_cap_wad: int | None = None


class MarketState(Record):
    __slots__ = ("burnt_today_wad", "day", "delta_usd_wad", "last_time", "price_wad")
    delta_usd_wad: int
    last_time: int
    price_wad: int
    day: int
    burnt_today_wad: int


class SeigniorageMarket:
    """The market module of one stable/native pair; creates both tokens with the given supplies."""

    ORACLE_ROLE = "seigniorage/oracle"

    def __init__(
        self,
        chain: Chain,
        *,
        stable: str = "UST",
        native: str = "LUNA",
        price_wad: int,
        params: MarketParams | None = None,
        name: str = "terra",
    ) -> None:
        check_positive(price_wad, "price_wad", "seigniorage/bad-price")
        self.chain, self.stable, self.native = chain, stable, native
        self.params = p = params or MarketParams()
        if p.base_pool_usd_wad <= 0 or p.recovery_s < p.block_s or p.block_s <= 0:
            raise InvalidInput("seigniorage/bad-params", "base pool > 0, recovery >= block > 0")
        chain.ledger.create_token(stable, 18, f"{stable} (mint/burn stable)")
        chain.ledger.create_token(native, 18, f"{native} (native token)")
        self.state = MarketState(
            chain.journal,
            delta_usd_wad=0,
            last_time=chain.now,
            price_wad=price_wad,
            day=chain.now // DAY,
            burnt_today_wad=0,
        )
        chain.register(f"{name}/market", self.state)

    # -- reads --------------------------------------------------------------------------------
    def current_delta(self) -> int:
        """``delta`` decayed to now (ray ``rpow`` of ``1 - 1/N`` over the elapsed blocks)."""
        st, p = self.state, self.params
        blocks = (self.chain.now - st.last_time) // p.block_s
        if blocks <= 0 or st.delta_usd_wad == 0:
            return st.delta_usd_wad
        n = p.recovery_s // p.block_s
        factor = rpow(RAY - RAY // n, blocks, RAY)
        sign = 1 if st.delta_usd_wad > 0 else -1
        return sign * (abs(st.delta_usd_wad) * factor // RAY)

    def _virtual_out(self, offer_usd: int, stable_in: bool) -> tuple[int, int, int]:
        """(USD paid after spread, spread wad, new delta) for ``offer_usd`` offered."""
        b = self.params.base_pool_usd_wad
        delta = self.current_delta()
        stable_side = b + delta
        native_side = b * b // stable_side
        if stable_in:  # stable side grows by the offer; the native side pays
            paid = native_side - b * b // (stable_side + offer_usd)
        else:  # native side grows by the offer's value; the stable side pays
            paid = stable_side - b * b // (native_side + offer_usd)
        lost = offer_usd - paid
        spread = min(WAD, max(self.params.min_spread_wad, -(-lost * WAD // offer_usd)))
        out_usd = offer_usd * (WAD - spread) // WAD
        new_delta = delta + offer_usd if stable_in else delta - out_usd
        return out_usd, spread, new_delta

    @query
    def quote_stable_for_native(self, stable_wad: int) -> int:
        """Native tokens (wad) minted for burning ``stable_wad`` now (floor)."""
        if stable_wad <= 0:
            return 0
        out_usd, _, _ = self._virtual_out(stable_wad, True)
        return out_usd * WAD // self.state.price_wad

    @query
    def quote_native_for_stable(self, native_wad: int) -> int:
        """Stables (wad) minted for burning ``native_wad`` now (floor)."""
        offer_usd = native_wad * self.state.price_wad // WAD if native_wad > 0 else 0
        if offer_usd == 0:
            return 0
        out_usd, _, _ = self._virtual_out(offer_usd, False)
        return out_usd

    # -- actions ------------------------------------------------------------------------------
    @action
    def set_price(self, price_wad: int, *, sender: str) -> None:
        """The oracle reports the native token's USD price."""
        if not self.chain.has_role(self.ORACLE_ROLE, sender):
            raise NotAuthorized("seigniorage/not-oracle", f"{sender} may not report prices")
        if type(price_wad) is not int or price_wad <= 0:
            raise StalePrice(
                "seigniorage/bad-price", f"price must be a positive int: {price_wad!r}"
            )
        self.state.price_wad = price_wad
        self.chain.emit(NativePriceSet(price_wad))

    @action
    def swap_stable_for_native(self, stable_wad: int, *, sender: str) -> int:
        """Burn ``stable_wad`` stables; mint their USD value less the spread in native tokens."""
        check_positive(stable_wad, "stable_wad", "seigniorage/bad-amount")
        st, p = self.state, self.params
        day = self.chain.now // DAY
        burnt = st.burnt_today_wad if st.day == day else 0
        if p.daily_burn_cap_wad is not None and burnt + stable_wad > p.daily_burn_cap_wad:
            raise LimitExceeded(
                "seigniorage/daily-cap", f"today's burns would reach {burnt + stable_wad} wad"
            )
        out_usd, spread, new_delta = self._virtual_out(stable_wad, True)
        native = out_usd * WAD // st.price_wad
        if native == 0:
            raise InvalidInput("seigniorage/too-small", "the swap would mint nothing")
        led = self.chain.ledger
        led.burn(self.stable, sender, stable_wad)
        led.mint(self.native, sender, native)
        st.delta_usd_wad, st.last_time = new_delta, self.chain.now
        st.day, st.burnt_today_wad = day, burnt + stable_wad
        self.chain.emit(
            Swapped(sender, self.stable, stable_wad, self.native, native, spread, new_delta)
        )
        return native

    @action
    def swap_native_for_stable(self, native_wad: int, *, sender: str) -> int:
        """Burn ``native_wad`` native tokens; mint their USD value less the spread in stables."""
        check_positive(native_wad, "native_wad", "seigniorage/bad-amount")
        st = self.state
        offer_usd = native_wad * st.price_wad // WAD
        if offer_usd == 0:
            raise InvalidInput("seigniorage/too-small", "the offer is worth less than 1 wei of USD")
        out_usd, spread, new_delta = self._virtual_out(offer_usd, False)
        if out_usd == 0:
            raise InvalidInput("seigniorage/too-small", "the swap would mint nothing")
        led = self.chain.ledger
        led.burn(self.native, sender, native_wad)
        led.mint(self.stable, sender, out_usd)
        st.delta_usd_wad, st.last_time = new_delta, self.chain.now
        self.chain.emit(
            Swapped(sender, self.native, native_wad, self.stable, out_usd, spread, new_delta)
        )
        return out_usd
