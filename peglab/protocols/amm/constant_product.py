"""Constant-product pool with Uniswap v2's integer arithmetic (pair core plus exact-in/out swaps).

Design. The v2 pair measures what it was paid: ``swap`` first sends the outputs, then reads its
token balances, infers the inputs (``in = balance - (reserve - out)``) and requires the
fee-adjusted product not to fall: ``(b0*1e4 - in0*fee)(b1*1e4 - in1*fee) >= r0*r1*1e8`` (the K
check; with ``fee = 30`` bps this is v2's ``997/1000`` form exactly). ``swap`` is exposed as
is (an "optimistic" caller transfers in first, in the same transaction or earlier), and the
convenience actions ``swap_exact_in`` / ``swap_exact_out`` transfer the input computed by
``get_amount_out`` / ``get_amount_in`` and then run the same core swap, K check included.

Liquidity: the first mint locks ``MINIMUM_LIQUIDITY = 1000`` LP in ``amm:<id>:locked`` (v2's
``address(0)``) and gives ``isqrt(a0*a1) - 1000``; later mints give
``min(a0*S // r0, a1*S // r1)`` (any excess is donated). With the protocol fee on, before each
mint, burn and ``claim_fees`` the fee receiver is minted ``S*(√k - √k_last) // (5√k + √k_last)``
LP: one sixth of the growth of √k since ``k_last`` (docs/amm-spec.md §5). Reserves are capped at 2^112 - 1
(``amm/overflow``); TWAP accumulators add ``(r1 << 112) // r0 * dt`` modulo 2^256 as in v2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import InvalidInput, LimitExceeded, NotAuthorized, Slippage
from ...kernel import Chain, Record, Table, action, query
from ...math.uniswap_v2 import (
    BPS_DENOMINATOR,
    DEFAULT_FEE_BPS,
    MINIMUM_LIQUIDITY,
    get_amount_in,
    get_amount_out,
    isqrt,
)
from ...units import check_amount
from .common import (
    check_account,
    check_in_amount,
    check_pool_id,
    lp_symbol,
    pool_account,
    register_state,
)
from .events import (
    FeesClaimed,
    LiquidityAdded,
    LiquidityRemoved,
    ParameterChanged,
    PoolSynced,
    SkimmedExcess,
    Swapped,
)

__all__ = ["MAX_FEE_BPS", "UINT112_MAX", "ConstantProductPool", "ConstantProductState"]

UINT112_MAX = 2**112 - 1
MAX_FEE_BPS = 1000  # 10%: a guard on configuration, not a v2 constant
_U256 = 2**256
_U32 = 2**32


class ConstantProductState(Record):
    """Mutable pair state (v2 storage): reserves, TWAP accumulators, ``k_last``, roles."""

    __slots__ = (
        "block_timestamp_last",
        "fee_receiver",
        "k_last",
        "owner",
        "price0_cumulative_last",
        "price1_cumulative_last",
        "protocol_fee_on",
        "reserve0",
        "reserve1",
    )
    reserve0: int
    reserve1: int
    block_timestamp_last: int
    price0_cumulative_last: int
    price1_cumulative_last: int
    k_last: int
    protocol_fee_on: bool
    owner: str
    fee_receiver: str


class ConstantProductPool:
    """A Uniswap-v2 pair of two ledger tokens, sorted by symbol (``token0 < token1``)."""

    kind = "constant_product"

    def __init__(
        self,
        chain: Chain,
        pool_id: str,
        token_a: str,
        token_b: str,
        *,
        fee_bps: int = DEFAULT_FEE_BPS,
        protocol_fee_on: bool = False,
        owner: str | None = None,
        fee_receiver: str | None = None,
        registry: Table[str, Any] | None = None,
    ) -> None:
        self.chain = chain
        self.id = check_pool_id(pool_id)
        ledger = chain.ledger
        ledger.token(token_a)
        ledger.token(token_b)
        if token_a == token_b:
            raise InvalidInput(
                "amm/bad-coins", f"a pair needs two different tokens, got {token_a} twice"
            )
        if type(fee_bps) is not int or not 0 <= fee_bps <= MAX_FEE_BPS:
            raise InvalidInput(
                "amm/bad-fee", f"fee_bps must be an int in [0, {MAX_FEE_BPS}], got {fee_bps!r}"
            )
        if type(protocol_fee_on) is not bool:
            raise InvalidInput(
                "amm/bad-fee", f"protocol_fee_on must be a bool, got {protocol_fee_on!r}"
            )
        t0, t1 = sorted((token_a, token_b))
        self.coins: tuple[str, ...] = (t0, t1)
        self.token0 = t0
        self.token1 = t1
        self.fee_bps = fee_bps
        self.account = pool_account(self.id)
        self.locked_account = f"{self.account}:locked"
        owner = chain.root if owner is None else owner
        fee_receiver = owner if fee_receiver is None else fee_receiver
        check_account(owner, self.account, "owner")
        check_account(fee_receiver, self.account, "fee_receiver")
        self.lp_token = lp_symbol(self.id)
        if self.lp_token in ledger.tokens:
            raise InvalidInput("amm/pool-exists", f"pool {self.id} already exists")
        self.state = ConstantProductState(
            chain.journal,
            reserve0=0,
            reserve1=0,
            block_timestamp_last=0,
            price0_cumulative_last=0,
            price1_cumulative_last=0,
            k_last=0,
            protocol_fee_on=protocol_fee_on,
            owner=owner,
            fee_receiver=fee_receiver,
        )
        ledger.create_token(self.lp_token, 18, f"Uniswap-v2-style LP of {self.id}")
        register_state(chain, self.id, self.state, registry)

    # -- reads -----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"ConstantProductPool({self.id!r}, {self.token0}/{self.token1}, fee={self.fee_bps}bps)"
        )

    @property
    def owner(self) -> str:
        return self.state.owner

    @property
    def fee_receiver(self) -> str:
        return self.state.fee_receiver

    def get_reserves(self) -> tuple[int, int, int]:
        """``(reserve0, reserve1, block_timestamp_last)`` as v2's ``getReserves``."""
        st = self.state
        return st.reserve0, st.reserve1, st.block_timestamp_last

    def lp_supply(self) -> int:
        return self.chain.ledger.supply[self.lp_token]

    def _side(self, token_in: object, token_out: object) -> bool:
        """True if ``token_in`` is token0; validates both symbols."""
        if token_in == self.token0:
            zero_in = True
        elif token_in == self.token1:
            zero_in = False
        else:
            raise InvalidInput(
                "amm/unknown-token",
                f"pool {self.id} has no token {token_in!r}; coins: {self.coins}",
            )
        if token_out is not None:
            expected = self.token1 if zero_in else self.token0
            if token_out == token_in:
                raise InvalidInput("amm/same-coin", f"token in and out are both {token_in}")
            if token_out != expected:
                raise InvalidInput(
                    "amm/unknown-token",
                    f"pool {self.id} has no token {token_out!r}; coins: {self.coins}",
                )
        return zero_in

    @query
    def quote_exact_in(self, token_in: str, amount_in: int, token_out: str | None = None) -> int:
        """``get_amount_out`` at the current reserves (what ``swap_exact_in`` pays)."""
        zero_in = self._side(token_in, token_out)
        amount_in = check_in_amount(amount_in, "amount_in")
        st = self.state
        r_in, r_out = (st.reserve0, st.reserve1) if zero_in else (st.reserve1, st.reserve0)
        return get_amount_out(amount_in, r_in, r_out, self.fee_bps)

    def quoter(self, token_in: str, token_out: str | None = None) -> Callable[[int], int]:
        """``quote(dx)``: ``quote_exact_in(token_in, dx, token_out)`` without the query boundary
        for a caller that quotes many sizes (``dx`` must be an int in ``(0, 2^256)``, what the
        boundary admits); it reads the reserves and fee at each call. Raises what
        ``quote_exact_in`` raises for the tokens."""
        zero_in = self._side(token_in, token_out)

        def quote(dx: int) -> int:
            st = self.state
            r_in, r_out = (st.reserve0, st.reserve1) if zero_in else (st.reserve1, st.reserve0)
            return get_amount_out(dx, r_in, r_out, self.fee_bps)

        return quote

    @query
    def quote_exact_out(self, token_in: str, amount_out: int, token_out: str | None = None) -> int:
        """``get_amount_in`` at the current reserves (what ``swap_exact_out`` charges)."""
        zero_in = self._side(token_in, token_out)
        amount_out = check_in_amount(amount_out, "amount_out")
        st = self.state
        r_in, r_out = (st.reserve0, st.reserve1) if zero_in else (st.reserve1, st.reserve0)
        return get_amount_in(amount_out, r_in, r_out, self.fee_bps)

    @query
    def get_amount_out(self, amount_in: int, token_in: str) -> int:
        """v2 router name for ``quote_exact_in``."""
        return self.quote_exact_in(token_in, amount_in)

    @query
    def get_amount_in(self, amount_out: int, token_in: str) -> int:
        """v2 router name for ``quote_exact_out``."""
        return self.quote_exact_out(token_in, amount_out)

    def pending_protocol_fee(self) -> int:
        """LP that ``claim_fees`` would mint to the fee receiver now."""
        st = self.state
        return self._protocol_fee_liquidity(st.reserve0, st.reserve1) if st.protocol_fee_on else 0

    # -- core internals ------------------------------------------------------------------------------
    def _protocol_fee_liquidity(self, r0: int, r1: int) -> int:
        k_last = self.state.k_last
        if k_last == 0:
            return 0
        root_k = isqrt(r0 * r1)
        root_k_last = isqrt(k_last)
        if root_k <= root_k_last:
            return 0
        return self.lp_supply() * (root_k - root_k_last) // (root_k * 5 + root_k_last)

    def _mint_fee(self, r0: int, r1: int) -> tuple[bool, int]:
        """v2 ``_mintFee``: mint the protocol's share of √k growth; returns (fee on, LP minted)."""
        st = self.state
        if st.protocol_fee_on:
            liquidity = self._protocol_fee_liquidity(r0, r1)
            if liquidity > 0:
                self.chain.ledger.mint(self.lp_token, st.fee_receiver, liquidity)
            return True, liquidity
        if st.k_last != 0:
            st.k_last = 0
        return False, 0

    def _update(self, balance0: int, balance1: int, r0: int, r1: int) -> None:
        """v2 ``_update``: accumulate TWAP with the old reserves, store the new ones."""
        if balance0 > UINT112_MAX or balance1 > UINT112_MAX:
            raise LimitExceeded("amm/overflow", "a reserve would exceed 2^112 - 1 (uint112)")
        st = self.state
        ts = self.chain.now % _U32
        elapsed = (ts - st.block_timestamp_last) % _U32
        if elapsed > 0 and r0 != 0 and r1 != 0:
            st.price0_cumulative_last = (
                st.price0_cumulative_last + ((r1 << 112) // r0) * elapsed
            ) % _U256
            st.price1_cumulative_last = (
                st.price1_cumulative_last + ((r0 << 112) // r1) * elapsed
            ) % _U256
        st.reserve0 = balance0
        st.reserve1 = balance1
        st.block_timestamp_last = ts

    def _balances(self) -> tuple[int, int]:
        bal = self.chain.ledger.balance_of
        return bal(self.token0, self.account), bal(self.token1, self.account)

    def _swap(self, amount0_out: int, amount1_out: int, sender: str, to: str) -> None:
        """v2 ``swap`` core: send the outputs, infer the inputs, check K, update reserves."""
        if amount0_out == 0 and amount1_out == 0:
            raise InvalidInput("amm/insufficient-output", "swap needs a positive output")
        st = self.state
        r0, r1 = st.reserve0, st.reserve1
        if amount0_out >= r0 or amount1_out >= r1:
            raise InvalidInput(
                "amm/insufficient-liquidity",
                f"outputs ({amount0_out}, {amount1_out}) reach the reserves ({r0}, {r1})",
            )
        ledger = self.chain.ledger
        if amount0_out:
            ledger.transfer(self.token0, self.account, to, amount0_out)
        if amount1_out:
            ledger.transfer(self.token1, self.account, to, amount1_out)
        b0, b1 = self._balances()
        in0 = b0 - (r0 - amount0_out) if b0 > r0 - amount0_out else 0
        in1 = b1 - (r1 - amount1_out) if b1 > r1 - amount1_out else 0
        if in0 == 0 and in1 == 0:
            raise InvalidInput("amm/insufficient-input", "nothing was paid into the pool")
        fee = self.fee_bps
        adj0 = b0 * BPS_DENOMINATOR - in0 * fee
        adj1 = b1 * BPS_DENOMINATOR - in1 * fee
        if adj0 * adj1 < r0 * r1 * BPS_DENOMINATOR * BPS_DENOMINATOR:
            raise InvalidInput("amm/k", "the fee-adjusted product of balances would fall")
        self._update(b0, b1, r0, r1)
        self.chain.emit(Swapped(self.id, sender, in0, in1, amount0_out, amount1_out, to, b0, b1))

    def _require_owner(self, sender: str) -> None:
        if sender != self.state.owner and not self.chain.has_role("root", sender):
            raise NotAuthorized("amm/not-owner", f"{sender} is not the owner of pool {self.id}")

    # -- swaps ---------------------------------------------------------------------------------------
    @action
    def swap(
        self, amount0_out: int, amount1_out: int, *, sender: str, receiver: str | None = None
    ) -> None:
        """v2 core ``swap``: pays the outputs against whatever was transferred in beforehand."""
        amount0_out = check_amount(amount0_out, "amount0_out", "amm/bad-amount")
        amount1_out = check_amount(amount1_out, "amount1_out", "amm/bad-amount")
        to = sender if receiver is None else check_account(receiver, self.account)
        self._swap(amount0_out, amount1_out, sender, to)

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
        """Pay ``amount_in`` of ``token_in``; receive ``get_amount_out`` (≥ ``min_out``) of the other."""
        zero_in = self._side(token_in, token_out)
        amount_in = check_in_amount(amount_in, "amount_in")
        min_out = check_amount(min_out, "min_out", "amm/bad-amount")
        to = sender if receiver is None else check_account(receiver, self.account)
        st = self.state
        r_in, r_out = (st.reserve0, st.reserve1) if zero_in else (st.reserve1, st.reserve0)
        out = get_amount_out(amount_in, r_in, r_out, self.fee_bps)
        if out < min_out:
            raise Slippage("amm/slippage", f"swap pays {out}, below min_out {min_out}")
        self.chain.ledger.transfer(token_in, sender, self.account, amount_in)
        if zero_in:
            self._swap(0, out, sender, to)
        else:
            self._swap(out, 0, sender, to)
        return out

    @action
    def swap_exact_out(
        self,
        token_in: str,
        amount_out: int,
        max_in: int,
        *,
        sender: str,
        token_out: str | None = None,
        receiver: str | None = None,
    ) -> int:
        """Receive exactly ``amount_out``; pay ``get_amount_in`` (≤ ``max_in``) of ``token_in``."""
        zero_in = self._side(token_in, token_out)
        amount_out = check_in_amount(amount_out, "amount_out")
        max_in = check_amount(max_in, "max_in", "amm/bad-amount")
        to = sender if receiver is None else check_account(receiver, self.account)
        st = self.state
        r_in, r_out = (st.reserve0, st.reserve1) if zero_in else (st.reserve1, st.reserve0)
        amount_in = get_amount_in(amount_out, r_in, r_out, self.fee_bps)
        if amount_in > max_in:
            raise Slippage("amm/slippage", f"swap costs {amount_in}, above max_in {max_in}")
        self.chain.ledger.transfer(token_in, sender, self.account, amount_in)
        if zero_in:
            self._swap(0, amount_out, sender, to)
        else:
            self._swap(amount_out, 0, sender, to)
        return amount_in

    # -- liquidity -------------------------------------------------------------------------------------
    @action
    def mint(
        self,
        amount0: int,
        amount1: int,
        min_liquidity: int = 0,
        *,
        sender: str,
        receiver: str | None = None,
    ) -> int:
        """Deposit ``amount0`` of token0 and ``amount1`` of token1 (plus anything already
        transferred to the pool) for LP; the first deposit locks ``MINIMUM_LIQUIDITY``."""
        amount0 = check_amount(amount0, "amount0", "amm/bad-amount")
        amount1 = check_amount(amount1, "amount1", "amm/bad-amount")
        min_liquidity = check_amount(min_liquidity, "min_liquidity", "amm/bad-amount")
        to = sender if receiver is None else check_account(receiver, self.account)
        ledger = self.chain.ledger
        if amount0:
            ledger.transfer(self.token0, sender, self.account, amount0)
        if amount1:
            ledger.transfer(self.token1, sender, self.account, amount1)
        st = self.state
        r0, r1 = st.reserve0, st.reserve1
        b0, b1 = self._balances()
        a0, a1 = b0 - r0, b1 - r1
        fee_on, _ = self._mint_fee(r0, r1)
        supply = self.lp_supply()
        if supply == 0:
            liquidity = isqrt(a0 * a1) - MINIMUM_LIQUIDITY
            if liquidity > 0:
                ledger.mint(self.lp_token, self.locked_account, MINIMUM_LIQUIDITY)
        else:
            liquidity = min(a0 * supply // r0, a1 * supply // r1)
        if liquidity <= 0:
            raise InvalidInput("amm/insufficient-liquidity-minted", "the deposit mints no LP")
        if liquidity < min_liquidity:
            raise Slippage("amm/slippage", f"deposit mints {liquidity} LP, below {min_liquidity}")
        ledger.mint(self.lp_token, to, liquidity)
        self._update(b0, b1, r0, r1)
        if fee_on:
            st.k_last = b0 * b1
        self.chain.emit(
            LiquidityAdded(
                self.id, sender, (a0, a1), (), isqrt(b0 * b1), liquidity, self.lp_supply()
            )
        )
        return liquidity

    @action
    def burn(
        self,
        liquidity: int,
        min_amount0: int = 0,
        min_amount1: int = 0,
        *,
        sender: str,
        receiver: str | None = None,
    ) -> tuple[int, int]:
        """Burn ``liquidity`` LP of the sender for ``liquidity * balance_k // supply`` of each token."""
        liquidity = check_in_amount(liquidity, "liquidity")
        min0 = check_amount(min_amount0, "min_amount0", "amm/bad-amount")
        min1 = check_amount(min_amount1, "min_amount1", "amm/bad-amount")
        to = sender if receiver is None else check_account(receiver, self.account)
        st = self.state
        r0, r1 = st.reserve0, st.reserve1
        b0, b1 = self._balances()
        ledger = self.chain.ledger
        if liquidity > self.lp_supply():
            raise InvalidInput(
                "amm/exceeds-supply", f"{liquidity} LP exceeds the supply {self.lp_supply()}"
            )
        # v2 order: the LP reaches the pair before _mintFee, so the fee receiver cannot burn the
        # protocol fee that this very call mints to it (v2 reverts: ds-math-sub-underflow)
        ledger.transfer(self.lp_token, sender, self.account, liquidity)
        fee_on, _ = self._mint_fee(r0, r1)
        supply = self.lp_supply()
        a0 = liquidity * b0 // supply
        a1 = liquidity * b1 // supply
        if a0 == 0 or a1 == 0:
            raise InvalidInput(
                "amm/insufficient-liquidity-burned", "the burn returns nothing of a token"
            )
        if a0 < min0 or a1 < min1:
            raise Slippage("amm/slippage", f"burn returns ({a0}, {a1}), below ({min0}, {min1})")
        ledger.burn(self.lp_token, self.account, liquidity)
        ledger.transfer(self.token0, self.account, to, a0)
        ledger.transfer(self.token1, self.account, to, a1)
        b0, b1 = self._balances()
        self._update(b0, b1, r0, r1)
        if fee_on:
            st.k_last = b0 * b1
        self.chain.emit(LiquidityRemoved(self.id, sender, (a0, a1), liquidity, self.lp_supply()))
        return a0, a1

    @action
    def skim(self, *, sender: str, receiver: str | None = None) -> tuple[int, int]:
        """Send token balances above the reserves to ``receiver`` (v2 ``skim``)."""
        to = sender if receiver is None else check_account(receiver, self.account)
        st = self.state
        b0, b1 = self._balances()
        x0, x1 = b0 - st.reserve0, b1 - st.reserve1
        ledger = self.chain.ledger
        if x0:
            ledger.transfer(self.token0, self.account, to, x0)
        if x1:
            ledger.transfer(self.token1, self.account, to, x1)
        self.chain.emit(SkimmedExcess(self.id, to, x0, x1))
        return x0, x1

    @action
    def sync(self, *, sender: str) -> None:
        """Set the reserves to the token balances (v2 ``sync``)."""
        st = self.state
        b0, b1 = self._balances()
        self._update(b0, b1, st.reserve0, st.reserve1)
        self.chain.emit(PoolSynced(self.id, b0, b1))

    # -- fees and parameters ------------------------------------------------------------------------------
    @action
    def claim_fees(self, *, sender: str) -> dict[str, int]:
        """Anyone: mint the accrued protocol-fee LP to ``fee_receiver`` (0 when the fee is off)."""
        st = self.state
        fee_on, minted = self._mint_fee(st.reserve0, st.reserve1)
        if fee_on:
            st.k_last = st.reserve0 * st.reserve1
        self.chain.emit(FeesClaimed(self.id, st.fee_receiver, ((self.lp_token, minted),)))
        return {self.lp_token: minted}

    @action
    def file(self, what: str, value: object, *, sender: str) -> None:
        """Owner: set ``fee_receiver`` / ``owner`` (account) or ``protocol_fee_on`` (bool)."""
        self._require_owner(sender)
        st = self.state
        if what in ("fee_receiver", "owner"):
            account = check_account(value, self.account, what)
            if what == "fee_receiver" and st.protocol_fee_on:
                # settle the fee accrued so far to the old receiver, as v2's _mintFee would at the next mint
                self._mint_fee(st.reserve0, st.reserve1)
                st.k_last = st.reserve0 * st.reserve1
            setattr(st, what, account)
        elif what == "protocol_fee_on":
            if type(value) is not bool:
                raise InvalidInput(
                    "amm/bad-param", f"protocol_fee_on must be a bool, got {value!r}"
                )
            if value and not st.protocol_fee_on:
                st.k_last = st.reserve0 * st.reserve1  # accrue from now on
            elif not value and st.protocol_fee_on:
                self._mint_fee(st.reserve0, st.reserve1)
            st.protocol_fee_on = value
            if not value:
                st.k_last = 0
        else:
            raise InvalidInput(
                "amm/unknown-param",
                f"unknown parameter {what!r}; known: fee_receiver, owner, protocol_fee_on",
            )
        self.chain.emit(ParameterChanged(self.id, what, str(value)))
