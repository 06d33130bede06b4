"""StableSwap pool of 2 to 8 coins with the legacy Curve 3pool contract's integer arithmetic.

Design. State follows the 3pool contract (docs/amm-spec.md §2): ``balances`` are the pool-accounted
balances in coin units; the ledger account ``amm:<id>`` holds the actual tokens, and the
difference (token balance − accounted balance) is the admin fee, implicit as in the contract.
Coins of different decimals enter the math through ``RATES[i] = 10^(36 - decimals_i)``:
``xp[i] = balances[i] * RATES[i] // 1e18`` (18-decimal D units). Every formula is the
contract's, in its order, with its floors; where the contract would revert on uint256
underflow or division by zero, a typed error is raised instead (the action rolls back).

The owner functions (ramp, fees, kill, admin fees, ``file``) and the parameter state are in
stableswap_admin.py. Departures, all documented in docs/amm.md: the 3pool's owner-only ``withdraw_admin_fees`` (to
the owner) is ``claim_fees`` (anyone, to ``fee_receiver``); ownership moves through
``file("owner", ...)``; no fee-on-transfer coin exists in the ledger, so "amount received" is
the amount sent; products are unbounded Python ints (the contract would revert above 2^256).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...errors import InvalidInput, ShutDown, Slippage
from ...kernel import Chain, Table, action, query
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
from ...units import check_amount, show
from .common import (
    check_account,
    check_amounts,
    check_in_amount,
    check_pool_id,
    lp_symbol,
    pool_account,
    register_state,
)
from .events import (
    LiquidityAdded,
    LiquidityRemoved,
    LiquidityRemovedImbalance,
    LiquidityRemovedOne,
    TokenExchanged,
)
from .stableswap_admin import (
    ADMIN_ACTIONS_DELAY,
    KILL_DEADLINE_DT,
    MAX_A,
    MAX_A_CHANGE,
    MAX_ADMIN_FEE,
    MAX_FEE,
    MIN_RAMP_TIME,
    StableSwapAdmin,
    StableSwapState,
    check_fees,
)

__all__ = [
    "ADMIN_ACTIONS_DELAY",
    "KILL_DEADLINE_DT",
    "MAX_A",
    "MAX_ADMIN_FEE",
    "MAX_A_CHANGE",
    "MAX_COINS",
    "MAX_FEE",
    "MIN_RAMP_TIME",
    "StableSwapPool",
    "StableSwapState",
]

MAX_COINS = 8


class StableSwapPool(StableSwapAdmin):
    """A legacy-math StableSwap pool whose reserves and LP token live in the chain's ledger."""

    kind = "stableswap"

    def __init__(
        self,
        chain: Chain,
        pool_id: str,
        coins: Sequence[str],
        A: int,
        *,
        fee: int = 4_000_000,
        admin_fee: int = 5_000_000_000,
        owner: str | None = None,
        fee_receiver: str | None = None,
        registry: Table[str, Any] | None = None,
    ) -> None:
        self.chain = chain
        self.id = check_pool_id(pool_id)
        ledger = chain.ledger
        if isinstance(coins, str) or not isinstance(coins, Sequence):
            raise InvalidInput(
                "amm/bad-coins", f"coins must be a sequence of token symbols, got {coins!r}"
            )
        coins_t = tuple(coins)
        n = len(coins_t)
        if not 2 <= n <= MAX_COINS:
            raise InvalidInput(
                "amm/bad-coins", f"a StableSwap pool has 2 to {MAX_COINS} coins, got {n}"
            )
        if len(set(coins_t)) != n:
            raise InvalidInput("amm/bad-coins", f"coins must be distinct, got {coins_t}")
        decimals = []
        for c in coins_t:
            tok = ledger.token(c)
            if tok.decimals > 18:
                raise InvalidInput(
                    "amm/bad-decimals", f"{c} has {tok.decimals} decimals; at most 18"
                )
            decimals.append(tok.decimals)
        if type(A) is not int or not 0 < A < MAX_A:
            raise InvalidInput("amm/bad-A", f"A must be an int in (0, {MAX_A}), got {A!r}")
        check_fees(fee, admin_fee)
        owner = chain.root if owner is None else owner
        fee_receiver = owner if fee_receiver is None else fee_receiver
        self.coins: tuple[str, ...] = coins_t
        self.n_coins = n
        self.decimals: tuple[int, ...] = tuple(decimals)
        self.rates: tuple[int, ...] = tuple(10 ** (36 - d) for d in decimals)
        self.precision_mul: tuple[int, ...] = tuple(10 ** (18 - d) for d in decimals)
        self.account = pool_account(self.id)
        check_account(owner, self.account, "owner")
        check_account(fee_receiver, self.account, "fee_receiver")
        self.lp_token = lp_symbol(self.id)
        if self.lp_token in ledger.tokens:
            raise InvalidInput("amm/pool-exists", f"pool {self.id} already exists")
        self.index: dict[str, int] = {c: k for k, c in enumerate(coins_t)}
        self.kill_deadline = chain.now + KILL_DEADLINE_DT
        self.state = StableSwapState(
            chain.journal,
            balances=(0,) * n,
            initial_A=A,
            future_A=A,
            initial_A_time=0,
            future_A_time=0,
            fee=fee,
            admin_fee=admin_fee,
            future_fee=0,
            future_admin_fee=0,
            admin_actions_deadline=0,
            is_killed=False,
            owner=owner,
            fee_receiver=fee_receiver,
        )
        ledger.create_token(self.lp_token, 18, f"Curve-style LP of {self.id}")
        register_state(chain, self.id, self.state, registry)

    # -- reads ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"StableSwapPool({self.id!r}, coins={self.coins}, A={self.A()})"

    @property
    def balances(self) -> tuple[int, ...]:
        """Pool-accounted balances in coin units (admin fees excluded)."""
        return self.state.balances

    @property
    def owner(self) -> str:
        return self.state.owner

    @property
    def fee_receiver(self) -> str:
        return self.state.fee_receiver

    @property
    def fee(self) -> int:
        return self.state.fee

    @property
    def admin_fee(self) -> int:
        return self.state.admin_fee

    @property
    def is_killed(self) -> bool:
        return self.state.is_killed

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

    # -- internal helpers for actions ------------------------------------------------------------
    def _require_live(self) -> None:
        if self.state.is_killed:
            raise ShutDown(
                "amm/killed", f"pool {self.id} is killed: only remove_liquidity is allowed"
            )

    def _imbalance_fees(
        self, old: list[int], new: list[int], d0: int, d1: int
    ) -> tuple[list[int], list[int], list[int]]:
        """Per-coin imbalance fees (contract loop): ``(fees, stored_balances, balances_for_D2)``."""
        st = self.state
        n = self.n_coins
        fee_rate = st.fee * n // (4 * (n - 1))
        admin_fee = st.admin_fee
        fees = [0] * n
        stored = [0] * n
        after = list(new)
        for k in range(n):
            ideal = d1 * old[k] // d0
            diff = ideal - new[k] if ideal > new[k] else new[k] - ideal
            fees[k] = fee_rate * diff // FEE_DENOMINATOR
            stored[k] = new[k] - fees[k] * admin_fee // FEE_DENOMINATOR
            after[k] = new[k] - fees[k]
            if after[k] < 0:
                raise InvalidInput(
                    "amm/insufficient-liquidity", f"coin {k}: fee exceeds the balance left"
                )
        return fees, stored, after

    # -- swaps -------------------------------------------------------------------------------------
    @action
    def exchange(
        self, i: int, j: int, dx: int, min_dy: int, *, sender: str, receiver: str | None = None
    ) -> int:
        """Sell ``dx`` of coin ``i`` for at least ``min_dy`` of coin ``j``; returns the amount out.

        Invariant: the accounted balances move by ``+dx`` (i) and ``-(out + admin fee)`` (j); the
        LP share of the fee stays in ``balances``, so ``D`` never falls.
        """
        i, j = self._check_pair(i, j)
        dx = check_in_amount(dx, "dx")
        min_dy = check_amount(min_dy, "min_dy", "amm/bad-amount")
        return self._exchange(i, j, dx, min_dy, sender, receiver)

    def _exchange(
        self, i: int, j: int, dx: int, min_dy: int, sender: str, receiver: str | None
    ) -> int:
        self._require_live()
        to = sender if receiver is None else check_account(receiver, self.account)
        out, dy_admin = self._exchange_result(i, j, dx)
        if out < min_dy:
            raise Slippage(
                "amm/slippage", f"exchange pays {out} of coin {j}, below min_dy {min_dy}"
            )
        ledger = self.chain.ledger
        coins = self.coins
        ledger.transfer(coins[i], sender, self.account, dx)
        ledger.transfer(coins[j], self.account, to, out)
        st = self.state
        bal = list(st.balances)
        bal[i] += dx
        bal[j] -= out + dy_admin
        st.balances = tuple(bal)
        self.chain.emit(TokenExchanged(self.id, sender, i, dx, j, out, dy_admin))
        return out

    @action
    def swap_exact_in(
        self,
        token_in: str,
        amount_in: int,
        min_out: int,
        *,
        sender: str,
        token_out: str | None = None,
        receiver: str | None = None,
    ) -> int:
        """``exchange`` addressed by token symbols (the router's entry point)."""
        i, j = self._resolve_out(token_in, token_out)
        amount_in = check_in_amount(amount_in, "amount_in")
        min_out = check_amount(min_out, "min_out", "amm/bad-amount")
        return self._exchange(i, j, amount_in, min_out, sender, receiver)

    # -- liquidity -----------------------------------------------------------------------------------
    @action
    def add_liquidity(
        self, amounts: Sequence[int], min_mint: int, *, sender: str, receiver: str | None = None
    ) -> int:
        """Deposit ``amounts``; mint LP ``supply * (D2 - D0) // D0`` (``D1`` for the first deposit).

        Imbalanced deposits pay ``fee * N / (4(N-1))`` on each coin's distance from the ideal
        (proportional) balance; the admin part leaves the accounted balances.
        """
        self._require_live()
        amts = check_amounts(amounts, self.n_coins)
        min_mint = check_amount(min_mint, "min_mint", "amm/bad-amount")
        to = sender if receiver is None else check_account(receiver, self.account)
        if not any(amts):
            raise InvalidInput("amm/zero-amount", "add_liquidity needs a positive amount")
        st = self.state
        ledger = self.chain.ledger
        amp = self.A()
        supply = ledger.supply[self.lp_token]
        old = list(st.balances)
        d0 = get_D(self._xp_of(old), amp) if supply > 0 else 0
        if supply == 0 and not all(amts):
            raise InvalidInput(
                "amm/initial-deposit-all-coins", "the first deposit needs every coin"
            )
        new = [o + a for o, a in zip(old, amts)]
        d1 = get_D(self._xp_of(new), amp)
        if d1 <= d0:
            raise InvalidInput("amm/d-not-increased", "the deposit does not increase the invariant")
        if supply > 0:
            fees, stored, after = self._imbalance_fees(old, new, d0, d1)
            d2 = get_D(self._xp_of(after), amp)
            mint = supply * (d2 - d0) // d0
        else:
            fees, stored, d2 = [0] * self.n_coins, new, d1
            mint = d1
        if mint < min_mint:
            raise Slippage("amm/slippage", f"deposit mints {mint} LP, below min_mint {min_mint}")
        for c, a in zip(self.coins, amts):
            if a:
                ledger.transfer(c, sender, self.account, a)
        st.balances = tuple(stored)
        ledger.mint(self.lp_token, to, mint)
        self.chain.emit(
            LiquidityAdded(self.id, sender, tuple(amts), tuple(fees), d2, mint, supply + mint)
        )
        return mint

    @action
    def remove_liquidity(
        self,
        lp_amount: int,
        min_amounts: Sequence[int],
        *,
        sender: str,
        receiver: str | None = None,
    ) -> list[int]:
        """Burn ``lp_amount`` for ``balances[i] * lp // supply`` of every coin (no fee; works when killed)."""
        lp_amount = check_in_amount(lp_amount, "lp_amount")
        mins = check_amounts(min_amounts, self.n_coins, "min_amounts")
        to = sender if receiver is None else check_account(receiver, self.account)
        st = self.state
        ledger = self.chain.ledger
        supply = ledger.supply[self.lp_token]
        if lp_amount > supply:
            raise InvalidInput("amm/exceeds-supply", f"{lp_amount} LP exceeds the supply {supply}")
        bal = list(st.balances)
        out = []
        for k in range(self.n_coins):
            value = bal[k] * lp_amount // supply
            if value < mins[k]:
                raise Slippage("amm/slippage", f"coin {k}: {value} is below the minimum {mins[k]}")
            bal[k] -= value
            out.append(value)
        ledger.burn(self.lp_token, sender, lp_amount)
        st.balances = tuple(bal)
        for c, v in zip(self.coins, out):
            if v:
                ledger.transfer(c, self.account, to, v)
        self.chain.emit(
            LiquidityRemoved(self.id, sender, tuple(out), lp_amount, supply - lp_amount)
        )
        return out

    @action
    def remove_liquidity_imbalance(
        self, amounts: Sequence[int], max_burn: int, *, sender: str, receiver: str | None = None
    ) -> int:
        """Withdraw exact ``amounts``; burn ``(D0 - D2) * supply // D0 + 1`` LP (≤ ``max_burn``)."""
        self._require_live()
        amts = check_amounts(amounts, self.n_coins)
        max_burn = check_amount(max_burn, "max_burn", "amm/bad-amount")
        to = sender if receiver is None else check_account(receiver, self.account)
        if not any(amts):
            raise InvalidInput(
                "amm/zero-amount", "remove_liquidity_imbalance needs a positive amount"
            )
        st = self.state
        ledger = self.chain.ledger
        supply = ledger.supply[self.lp_token]
        if supply == 0:
            raise InvalidInput("amm/no-liquidity", f"pool {self.id} has no LP supply")
        amp = self.A()
        old = list(st.balances)
        new = []
        for k, (o, a) in enumerate(zip(old, amts)):
            if a > o:
                raise InvalidInput(
                    "amm/insufficient-liquidity", f"coin {k}: pool holds {o}, asked {a}"
                )
            new.append(o - a)
        d0 = get_D(self._xp_of(old), amp)
        d1 = get_D(self._xp_of(new), amp)
        fees, stored, after = self._imbalance_fees(old, new, d0, d1)
        d2 = get_D(self._xp_of(after), amp)
        burn = (d0 - d2) * supply // d0
        if burn <= 0:
            raise InvalidInput("amm/zero-burn", "the withdrawal burns no LP (too small)")
        burn += 1  # round in the pool's favour
        if burn > max_burn:
            raise Slippage("amm/slippage", f"withdrawal burns {burn} LP, above max_burn {max_burn}")
        ledger.burn(self.lp_token, sender, burn)
        st.balances = tuple(stored)
        for c, a in zip(self.coins, amts):
            if a:
                ledger.transfer(c, self.account, to, a)
        self.chain.emit(
            LiquidityRemovedImbalance(
                self.id, sender, tuple(amts), tuple(fees), d2, burn, supply - burn
            )
        )
        return burn

    @action
    def remove_liquidity_one_coin(
        self, lp_amount: int, i: int, min_amount: int, *, sender: str, receiver: str | None = None
    ) -> int:
        """Burn ``lp_amount`` for coin ``i`` only; pays ``calc_withdraw_one_coin(lp_amount, i)``."""
        self._require_live()
        i = self._check_index(i)
        min_amount = check_amount(min_amount, "min_amount", "amm/bad-amount")
        to = sender if receiver is None else check_account(receiver, self.account)
        dy, dy_fee = self.calc_withdraw_one_coin_detail(lp_amount, i)
        if dy < min_amount:
            raise Slippage("amm/slippage", f"withdrawal pays {dy} of coin {i}, below {min_amount}")
        st = self.state
        admin = dy_fee * st.admin_fee // FEE_DENOMINATOR
        bal = list(st.balances)
        bal[i] -= dy + admin
        if bal[i] < 0:
            raise InvalidInput(
                "amm/insufficient-liquidity", f"coin {i}: pool balance would go negative"
            )
        ledger = self.chain.ledger
        ledger.burn(self.lp_token, sender, lp_amount)
        st.balances = tuple(bal)
        if dy:
            ledger.transfer(self.coins[i], self.account, to, dy)
        self.chain.emit(LiquidityRemovedOne(self.id, sender, lp_amount, i, dy, dy_fee))
        return dy
