"""StableSwap pool of 2 to 8 coins with the legacy Curve 3pool contract's integer arithmetic.

Design. State follows the 3pool contract (docs/amm-spec.md §2): ``balances`` are the pool-accounted
balances in coin units; the ledger account ``amm:<id>`` holds the actual tokens, and the
difference (token balance − accounted balance) is the admin fee, implicit as in the contract.
Coins of different decimals enter the math through ``RATES[i] = 10^(36 - decimals_i)``:
``xp[i] = balances[i] * RATES[i] // 1e18`` (18-decimal D units). Every formula is the
contract's, in its order, with its floors; where the contract would revert on uint256
underflow or division by zero, a typed error is raised instead (the action rolls back).

The owner functions (ramp, fees, kill, admin fees, ``file``) and the parameter state are in
stableswap_admin.py, the reads (quotes, ``get_dy``, ``calc_*``, the ``quoter`` of a search) in
stableswap_views.py. Departures, all documented in docs/amm.md: the 3pool's owner-only ``withdraw_admin_fees`` (to
the owner) is ``claim_fees`` (anyone, to ``fee_receiver``); ownership moves through
``file("owner", ...)``; no fee-on-transfer coin exists in the ledger, so "amount received" is
the amount sent; products are unbounded Python ints (the contract would revert above 2^256).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import InvalidInput, ShutDown, Slippage
from ...kernel import Chain, Table, action
from ...math.stableswap import (
    FEE_DENOMINATOR,
    get_D,
)
from ...units import check_amount
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
    StableSwapState,
    check_fees,
)
from .stableswap_views import StableSwapViews

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


class StableSwapPool(StableSwapViews):
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
