"""A StableSwap pool as an allocation target: one-sided liquidity in the vault's asset
(docs/yield-vaults.md §3.1).

The safe supplies its asset (coin ``i``) alone and holds the pool's LP token. ``PoolSleeve``
satisfies the curator's ``MarketLike`` and adds what an allocator needs to price a move:

* **value**: a position is marked at what it pays out now, ``calc_withdraw_one_coin(lp, i)``
  (exit fees and price impact included, so NAV never counts value the pool would not pay);
* **rate with own impact**: the pool's fee (and incentive) APR is a caller's estimate at today's
  size; a deposit of ``x`` spreads the same fee income over more liquidity,
  ``apr(x) = apr₀ · V / (V + x)`` with ``V`` the pool's value in asset units (``D`` scaled down);
* **slippage from the pool's own quote**, in asset units: entering with ``x`` costs
  ``x − value_vp(mint(x))``, leaving with ``y`` costs ``value_vp(burn(y)) − y``, where ``mint``
  and ``burn`` are exact restatements of ``add_liquidity`` and ``remove_liquidity_imbalance``
  (imbalance fees included; tests prove them equal to the pool's actions) and ``value_vp`` marks
  LP at the pool's virtual price after the move (floor). The ARMA optimiser adds it to the cost
  of a move (its gate), so a pool is only entered when the gain after slippage clears it.

``withdraw(amount)`` takes exactly ``amount`` through ``remove_liquidity_imbalance``, or, for a
full exit (``amount`` at least the position's exit value, or more LP needed than held), burns
every LP token through ``remove_liquidity_one_coin`` and returns what the pool pays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ...errors import InvalidInput
from ...math.stableswap import get_D
from .curves import DilutedCurve

__all__ = ["PoolSleeve", "StableSwapLike", "quote_add_one", "quote_remove_one"]

PRECISION = 10**18
FEE_DENOMINATOR = 10**10


class PoolStateLike(Protocol):
    @property
    def balances(self) -> tuple[int, ...]: ...
    @property
    def fee(self) -> int: ...
    @property
    def admin_fee(self) -> int: ...


class LedgerLike(Protocol):
    def balance_of(self, token: str, account: str) -> int: ...


class StableSwapLike(Protocol):
    """What the sleeve reads and calls on a StableSwap pool (``StableSwapPool`` satisfies it)."""

    @property
    def id(self) -> str: ...
    @property
    def coins(self) -> tuple[str, ...]: ...
    @property
    def lp_token(self) -> str: ...
    @property
    def rates(self) -> tuple[int, ...]: ...
    @property
    def state(self) -> PoolStateLike: ...
    def A(self) -> int: ...
    def lp_supply(self) -> int: ...
    def calc_withdraw_one_coin(self, lp_amount: int, i: int) -> int: ...
    def add_liquidity(
        self, amounts: Sequence[int], min_mint: int, *, sender: str, receiver: str | None = None
    ) -> int: ...
    def remove_liquidity_imbalance(
        self, amounts: Sequence[int], max_burn: int, *, sender: str, receiver: str | None = None
    ) -> int: ...
    def remove_liquidity_one_coin(
        self, lp_amount: int, i: int, min_amount: int, *, sender: str, receiver: str | None = None
    ) -> int: ...


def _xp(pool: StableSwapLike, balances: Sequence[int]) -> list[int]:
    return [b * r // PRECISION for b, r in zip(balances, pool.rates)]


def _after_fees(
    pool: StableSwapLike, old: list[int], new: list[int], d0: int, d1: int
) -> tuple[list[int], list[int]]:
    """Each coin less its imbalance fee (for ``D2``), and the balances the pool stores (less
    only the admin part of the fee): the pool's contract loop."""
    n = len(old)
    st = pool.state
    fee_rate = st.fee * n // (4 * (n - 1))
    after, stored = [], []
    for k in range(n):
        ideal = d1 * old[k] // d0
        diff = ideal - new[k] if ideal > new[k] else new[k] - ideal
        fee = fee_rate * diff // FEE_DENOMINATOR
        after.append(new[k] - fee)
        stored.append(new[k] - fee * st.admin_fee // FEE_DENOMINATOR)
    return after, stored


def quote_add_one(pool: StableSwapLike, i: int, amount: int) -> tuple[int, int, int]:
    """``(lp minted, D of the stored balances after, lp supply after)`` of ``add_liquidity`` with ``amount`` of coin ``i``
    only, exactly as the pool computes it (needs a pool that already has liquidity)."""
    supply = pool.lp_supply()
    if supply == 0 or amount <= 0:
        raise InvalidInput("yield/bad-pool", "quotes need a seeded pool and a positive amount")
    amp = pool.A()
    old = list(pool.state.balances)
    new = list(old)
    new[i] += amount
    d0 = get_D(_xp(pool, old), amp)
    d1 = get_D(_xp(pool, new), amp)
    after, stored = _after_fees(pool, old, new, d0, d1)
    mint = supply * (get_D(_xp(pool, after), amp) - d0) // d0
    return mint, get_D(_xp(pool, stored), amp), supply + mint


def quote_remove_one(pool: StableSwapLike, i: int, amount: int) -> tuple[int, int, int]:
    """``(lp burned, D of the stored balances after, lp supply after)`` of
    ``remove_liquidity_imbalance`` taking exactly
    ``amount`` of coin ``i``, as the pool computes it (its ``+ 1`` included)."""
    supply = pool.lp_supply()
    old = list(pool.state.balances)
    if supply == 0 or not 0 < amount <= old[i]:
        raise InvalidInput("yield/bad-pool", f"cannot take {amount} of coin {i} from {pool.id}")
    amp = pool.A()
    new = list(old)
    new[i] -= amount
    d0 = get_D(_xp(pool, old), amp)
    d1 = get_D(_xp(pool, new), amp)
    after, stored = _after_fees(pool, old, new, d0, d1)
    burn = (d0 - get_D(_xp(pool, after), amp)) * supply // d0 + 1
    return burn, get_D(_xp(pool, stored), amp), supply - burn


class PoolSleeve:
    """One-sided liquidity of ``asset`` in a StableSwap pool (module docstring)."""

    style = "stableswap"

    def __init__(
        self,
        pool: StableSwapLike,
        asset: str,
        ledger: LedgerLike,
        fee_apr_ray: int,
        incentive_apr_ray: int = 0,
    ) -> None:
        if asset not in pool.coins:
            raise InvalidInput("yield/bad-markets", f"{asset} is not a coin of pool {pool.id}")
        if min(fee_apr_ray, incentive_apr_ray) < 0:
            raise InvalidInput("yield/bad-markets", "pool APRs must not be negative")
        self.pool = pool
        self.asset = asset
        self.i = pool.coins.index(asset)
        self.ledger = ledger
        self.fee_apr_ray = fee_apr_ray
        self.incentive_apr_ray = incentive_apr_ray
        self._scale = pool.rates[self.i]  # asset units -> D units: x * rate // 1e18

    @property
    def id(self) -> str:
        return self.pool.id

    def lp_of(self, account: str) -> int:
        return self.ledger.balance_of(self.pool.lp_token, account)

    def _value_vp(self, lp: int, d: int, supply: int) -> int:
        """``lp`` at the virtual price ``D / supply``, in asset units (floor)."""
        return lp * d * PRECISION // (supply * self._scale) if supply else 0

    # -- MarketLike -------------------------------------------------------------------------------
    def supply_balance(self, account: str) -> int:
        lp = self.lp_of(account)
        return self.pool.calc_withdraw_one_coin(lp, self.i) if lp else 0

    def max_withdraw(self, account: str) -> int:
        return self.supply_balance(account)

    def total_supplied(self) -> int:
        """The pool's value in asset units (``D`` scaled down, floor)."""
        return (
            get_D(_xp(self.pool, self.pool.state.balances), self.pool.A())
            * PRECISION
            // self._scale
        )

    def utilisation_wad(self) -> int:
        return 0

    def curve(self) -> DilutedCurve:
        """The own-impact rate curve frozen at the pool's present value (one ``get_D``)."""
        return DilutedCurve(self.fee_apr_ray + self.incentive_apr_ray, self.total_supplied())

    def rates_ray(self, supply_delta: int = 0, debt_delta: int = 0) -> tuple[int, int]:
        """Fee and incentive APR diluted by the vault's own deposit (module docstring)."""
        return self.curve()(supply_delta), 0

    def slippage(self, delta: int) -> int:
        """Asset units a move of ``delta`` loses to the pool's fees and price impact (≥ 0)."""
        if delta > 0:
            mint, d, supply = quote_add_one(self.pool, self.i, delta)
            return max(0, delta - self._value_vp(mint, d, supply))
        if delta < 0:
            burn, d, supply = quote_remove_one(self.pool, self.i, -delta)
            return max(0, self._value_vp(burn, d, supply) + delta)
        return 0

    def supply(self, amount: int, *, sender: str, on_behalf: str | None = None) -> int:
        amounts = [0] * len(self.pool.coins)
        amounts[self.i] = amount
        return self.pool.add_liquidity(amounts, 0, sender=sender, receiver=on_behalf)

    def withdraw(self, amount: int, *, sender: str, to: str | None = None) -> int:
        held = self.lp_of(sender)
        full = amount >= self.pool.calc_withdraw_one_coin(held, self.i) if held else False
        if full or quote_remove_one(self.pool, self.i, amount)[0] > held:
            # a full exit: every LP token for what the pool pays
            return self.pool.remove_liquidity_one_coin(held, self.i, 0, sender=sender, receiver=to)
        amounts = [0] * len(self.pool.coins)
        amounts[self.i] = amount
        self.pool.remove_liquidity_imbalance(amounts, held, sender=sender, receiver=to)
        return amount
