"""StableSwap pool reads: the 3pool contract's views and the quotes of the lab's callers.

``StableSwapViews`` is the part of ``StableSwapPool`` (stableswap.py) that reads the pool without
changing it: balances in D units, ``get_D``, the virtual price, ``get_dy`` (the contract's view),
``quote_exact_in`` (what ``exchange`` pays), ``calc_token_amount``, the one-coin withdrawal
quotes (docs/amm-spec.md §2.6) and ``quoter`` (a caller's search over sizes on a pool that does
not change). Every formula is the contract's, in its order, with its floors (stableswap.py's
module docstring).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ...errors import InvalidInput
from ...kernel import query
from ...math.stableswap import (
    FEE_DENOMINATOR,
    PRECISION,
    Settle,
    exchange_out,
    exchange_out_test,
    get_D,
    get_y,
    get_y_D,
)
from ...units import show
from .common import check_amounts, check_in_amount
from .stableswap_admin import StableSwapAdmin

__all__ = ["StableSwapViews"]


class StableSwapViews(StableSwapAdmin):
    """The reads of ``StableSwapPool`` (attributes set by its constructor)."""

    n_coins: int
    rates: tuple[int, ...]
    precision_mul: tuple[int, ...]
    lp_token: str
    index: dict[str, int]

    def lp_supply(self) -> int:
        return self.chain.ledger.supply[self.lp_token]

    def xp(self) -> list[int]:
        """Balances in D units: ``balances[i] * RATES[i] // 1e18``."""
        return [b * r // PRECISION for b, r in zip(self.state.balances, self.rates)]

    def _xp_of(self, balances: Sequence[int]) -> list[int]:
        return [b * r // PRECISION for b, r in zip(balances, self.rates)]

    def get_D(self) -> int:
        """Invariant of the accounted balances at ``A()``."""
        return get_D(self.xp(), self.A())

    def get_virtual_price(self) -> int:
        """``D * 1e18 // lp_supply`` [wad]; ``amm/no-liquidity`` if no LP exists."""
        supply = self.lp_supply()
        if supply == 0:
            raise InvalidInput("amm/no-liquidity", f"pool {self.id} has no LP supply")
        return self.get_D() * PRECISION // supply

    @query
    def coin_index(self, token: object) -> int:
        """Index of ``token`` in ``coins``; ``amm/unknown-token`` if the pool does not hold it."""
        return self._coin_index(token)

    def _coin_index(self, token: object) -> int:
        # for actions and queries whose own boundary checked ``token`` already (a str or None)
        k = self.index.get(token) if isinstance(token, str) else None
        if k is None:
            raise InvalidInput(
                "amm/unknown-token",
                f"pool {self.id} has no coin {show(token)}; coins: {self.coins}",
            )
        return k

    def _check_pair(self, i: object, j: object) -> tuple[int, int]:
        n = self.n_coins
        if type(i) is not int or type(j) is not int or not (0 <= i < n and 0 <= j < n):
            raise InvalidInput(
                "amm/bad-index", f"coin index out of range 0..{n - 1}: i={i!r}, j={j!r}"
            )
        if i == j:
            raise InvalidInput("amm/same-coin", f"coin indices must differ, got i = j = {i}")
        return i, j

    def _check_index(self, i: object) -> int:
        n = self.n_coins
        if type(i) is not int or not 0 <= i < n:
            raise InvalidInput("amm/bad-index", f"coin index out of range 0..{n - 1}: {i!r}")
        return i

    def _exchange_result(self, i: int, j: int, dx: int) -> tuple[int, int]:
        """(coin-j amount out, admin fee in coin j) of ``exchange`` — the contract's order."""
        rates = self.rates
        st = self.state
        xp = [b * r // PRECISION for b, r in zip(st.balances, rates)]
        x = xp[i] + dx * rates[i] // PRECISION
        y = get_y(i, j, x, xp, self.A())
        dy = xp[j] - y - 1  # -1 guards against rounding in the trader's favour
        if dy < 0:
            raise InvalidInput("amm/trade-too-small", f"{dx} of coin {i} buys nothing")
        dy_fee = dy * st.fee // FEE_DENOMINATOR
        rate_j = rates[j]
        dy_admin = dy_fee * st.admin_fee // FEE_DENOMINATOR * PRECISION // rate_j
        return exchange_out(dy, st.fee, rate_j), dy_admin

    def quoter(
        self, token_in: str | None, token_out: str
    ) -> tuple[Callable[[int], int], Callable[[], Settle]]:
        """``(quote, out_test)`` for one caller's search over sizes while the pool does not
        change: ``quote(dx)`` is ``quote_exact_in(token_in, dx, token_out)`` without the query
        boundary (``dx`` must be an int in ``(0, 2^256)``, what the boundary admits), and
        ``out_test()`` builds ``settle(dx, passes)`` (``math.stableswap.exchange_out_test``: a
        test non-decreasing in the output decided without the Newton loop, or ``None``) for the
        pool as it is now. Raises what ``quote_exact_in`` raises for the tokens."""
        i, j = self._resolve_out(token_in, token_out)

        def quote(dx: int) -> int:
            return self._exchange_result(i, j, dx)[0]

        def out_test() -> Settle:
            return exchange_out_test(i, j, self.xp(), self.rates, self.A(), self.state.fee)

        return quote, out_test

    @query
    def get_dy(self, i: int, j: int, dx: int) -> int:
        """The contract's view: ``(xp[j] - y - 1) * 1e18 // RATES[j]`` less ``fee * dy // 1e10``.

        Converts to coin units before the fee, unlike ``exchange``; may differ by one unit.
        """
        i, j = self._check_pair(i, j)
        dx = check_in_amount(dx, "dx")
        rates = self.rates
        xp = self.xp()
        x = xp[i] + dx * rates[i] // PRECISION
        y = get_y(i, j, x, xp, self.A())
        raw = xp[j] - y - 1
        if raw < 0:
            raise InvalidInput("amm/trade-too-small", f"{dx} of coin {i} buys nothing")
        dy = raw * PRECISION // rates[j]
        return dy - self.state.fee * dy // FEE_DENOMINATOR

    def _resolve_out(self, token_in: object, token_out: object) -> tuple[int, int]:
        i = self._coin_index(token_in)
        if token_out is None:
            if self.n_coins != 2:
                raise InvalidInput(
                    "amm/token-out-needed",
                    f"pool {self.id} has {self.n_coins} coins; name token_out",
                )
            j = 1 - i
        else:
            j = self._coin_index(token_out)
        if i == j:
            raise InvalidInput("amm/same-coin", f"token in and out are both {token_in}")
        return i, j

    @query
    def quote_exact_in(self, token_in: str, amount_in: int, token_out: str | None = None) -> int:
        """Exact output ``exchange`` would pay now (not ``get_dy``): the router's quote."""
        i, j = self._resolve_out(token_in, token_out)
        return self._exchange_result(i, j, check_in_amount(amount_in, "amount_in"))[0]

    @query
    def calc_token_amount(self, amounts: Sequence[int], is_deposit: bool) -> int:
        """``|D1 - D0| * supply // D0`` for a deposit or withdrawal, no fees (slippage guide)."""
        amts = check_amounts(amounts, self.n_coins)
        bal = list(self.state.balances)
        amp = self.A()
        d0 = get_D(self._xp_of(bal), amp)
        for k, a in enumerate(amts):
            if is_deposit:
                bal[k] += a
            else:
                if a > bal[k]:
                    raise InvalidInput(
                        "amm/insufficient-liquidity", f"coin {k}: pool holds {bal[k]}, asked {a}"
                    )
                bal[k] -= a
        d1 = get_D(self._xp_of(bal), amp)
        if d0 == 0:
            raise InvalidInput("amm/no-liquidity", f"pool {self.id} is empty")
        diff = d1 - d0 if is_deposit else d0 - d1
        return diff * self.lp_supply() // d0

    @query
    def calc_withdraw_one_coin(self, lp_amount: int, i: int) -> int:
        """Coin-``i`` amount ``remove_liquidity_one_coin(lp_amount, i)`` pays now."""
        return self.calc_withdraw_one_coin_detail(lp_amount, i)[0]

    @query
    def calc_withdraw_one_coin_detail(self, lp_amount: int, i: int) -> tuple[int, int]:
        """``(dy, fee)`` of a one-coin withdrawal, both in coin ``i`` units (docs/amm-spec.md §2.6)."""
        i = self._check_index(i)
        lp_amount = check_in_amount(lp_amount, "lp_amount")
        supply = self.lp_supply()
        if lp_amount > supply:
            raise InvalidInput("amm/exceeds-supply", f"{lp_amount} LP exceeds the supply {supply}")
        amp = self.A()
        n = self.n_coins
        fee_rate = self.state.fee * n // (4 * (n - 1))
        xp = self.xp()
        d0 = get_D(xp, amp)
        d1 = d0 - lp_amount * d0 // supply
        new_y = get_y_D(amp, i, xp, d1)
        prec_i = self.precision_mul[i]
        dy_0 = (xp[i] - new_y) // prec_i  # no fee
        xp_reduced = list(xp)
        for k in range(n):
            if k == i:
                expected = xp[k] * d1 // d0 - new_y
            else:
                expected = xp[k] - xp[k] * d1 // d0
            if expected < 0:
                raise InvalidInput(
                    "amm/math-domain", "withdrawal would underflow (contract reverts)"
                )
            xp_reduced[k] -= fee_rate * expected // FEE_DENOMINATOR
        raw = xp_reduced[i] - get_y_D(amp, i, xp_reduced, d1)
        if raw < 1:
            raise InvalidInput(
                "amm/trade-too-small", f"{lp_amount} LP withdraws nothing of coin {i}"
            )
        dy = (raw - 1) // prec_i
        return dy, dy_0 - dy
