"""Liquity v1 Stability Pool: LUSD deposits absorb liquidated debt and earn the collateral (product-sum).

Design (the product-sum scheme of Liquity's Stability Pool, restated)
----------------------------------------------------------------------
Depositors hold LUSD in one pool. A liquidation "offset" of debt ``D`` with collateral ``E``
burns ``D`` LUSD from the pool and gives it ``E`` collateral, pro rata to the deposits at that
moment. Updating every deposit would cost O(depositors) per liquidation, so the pool keeps two
running quantities instead:

* ``P``: the product of the factors ``(1 - D_t / T_t)`` of every offset so far (``T_t`` the pool
  total before offset ``t``). A deposit ``d0`` made when the product was ``P0`` is worth
  ``d0 * P / P0`` now (a compounded deposit).
* ``S``: the sum over offsets of ``(E_t / T_t) * P_{t-1}``: collateral gained per unit of deposit,
  weighted by the product before the offset. A deposit ``d0`` snapshotting ``S0, P0`` has gained
  ``d0 * (S - S0) / P0`` collateral.

Both are wad fixed point. Two refinements keep integers from drifting:

* **Scale.** ``P`` shrinks with every offset. When a multiplication would leave ``P`` below
  ``SCALE_FACTOR = 1e9`` (wad), ``P`` is multiplied by 1e9 and the *scale* counter rises; ``S`` is
  kept per (epoch, scale) and a deposit's gain adds ``S[scale0 + 1] / 1e9`` for the next scale. A
  deposit whose snapshot is two or more scales behind is worth 0 (it lost more than 1 - 1e-18).
* **Epoch.** An offset that empties the pool (``D = T``) sets ``P`` to zero; the epoch counter
  rises and ``P`` restarts at 1. Deposits from an older epoch are worth 0 (their collateral gain is
  still paid from the ``S`` of their own epoch).

Rounding favours the pool's solvency: the loss per unit staked is rounded **up** (``+1``) so no
depositor is credited more LUSD than the pool holds; the collateral gain per unit staked is
rounded **down**; both carry their integer division remainder forward to the next offset
(``last_*_error``), so the error does not accumulate. Compounded deposits and gains round down.
The loss error carried into the next offset is given back to the deposits *then* in the pool,
while earlier deposits already absorbed it in their floored snapshot; so the sum of compounded
deposits can exceed the pool's total by a few wei (as in the reference, where the last
withdrawal would revert). Here a withdrawal is capped at the pool's total, so the ledger never
overdraws; the stateful tests bound the excess (a few wei per offset) and check
``sum of gains <= pool collateral``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ...errors import InvalidInput, Unsafe
from ...kernel import Record, Table, action, query
from ...units import WAD, check_positive
from .events import StabilityDeposited, StabilityWithdrawn

if TYPE_CHECKING:
    from ...kernel import Chain

__all__ = ["SCALE_FACTOR", "Deposit", "StabilityPool", "StabilityPoolState"]

SCALE_FACTOR = 10**9


class StabilityPoolState(Record):
    """The running product ``P``, its scale and epoch, the total, and the rounding carries."""

    __slots__ = (
        "current_epoch",
        "current_scale",
        "last_eth_error_wad",
        "last_loss_error_wad",
        "p_wad",
        "total_deposits_wad",
    )
    p_wad: int
    current_scale: int
    current_epoch: int
    total_deposits_wad: int
    last_eth_error_wad: int
    last_loss_error_wad: int


class Deposit(Record):
    """A depositor's initial (last-touched) deposit and the snapshots taken then."""

    __slots__ = ("epoch", "initial_wad", "p_wad", "s_wad", "scale")
    initial_wad: int
    p_wad: int
    s_wad: int
    scale: int
    epoch: int


class StabilityPool:
    """The pool's state, reads (compounded deposit, collateral gain), two actions and ``offset``."""

    def __init__(
        self,
        chain: Chain,
        *,
        stable: str,
        coll: str,
        account: str,
        withdraw_guard: Callable[[], None],
        name: str = "liquity",
    ) -> None:
        self.chain, self.stable, self.coll, self.account = chain, stable, coll, account
        self._withdraw_guard = withdraw_guard
        j = chain.journal
        self.state = StabilityPoolState(
            j,
            p_wad=WAD,
            current_scale=0,
            current_epoch=0,
            total_deposits_wad=0,
            last_eth_error_wad=0,
            last_loss_error_wad=0,
        )
        self.deposits: Table[str, Deposit] = Table(j)
        self.sums: Table[tuple[int, int], int] = Table(j)  # (epoch, scale) -> S
        chain.register(f"{name}/sp", self.state)
        chain.register(f"{name}/sp-deposits", self.deposits)
        chain.register(f"{name}/sp-sums", self.sums)

    # -- reads --------------------------------------------------------------------------------
    @query
    def compounded_deposit(self, owner: str) -> int:
        """``d0 * P / P0`` within one scale step (``/ 1e9`` one scale later); 0 beyond. Floors."""
        d = self.deposits.get(owner)
        if d is None or d.initial_wad == 0:
            return 0
        st = self.state
        if d.epoch < st.current_epoch:
            return 0
        diff = st.current_scale - d.scale
        if diff == 0:
            out = d.initial_wad * st.p_wad // d.p_wad
        elif diff == 1:
            out = d.initial_wad * st.p_wad // d.p_wad // SCALE_FACTOR
        else:
            return 0
        # below a billionth of the initial deposit the product's precision is gone: treat as 0
        return 0 if out < d.initial_wad // 10**9 else out

    @query
    def eth_gain(self, owner: str) -> int:
        """Collateral gained since the snapshot: ``d0 * (S - S0 + S_next / 1e9) / P0 / WAD``. Floors."""
        d = self.deposits.get(owner)
        if d is None or d.initial_wad == 0:
            return 0
        first = self.sums.get((d.epoch, d.scale), 0) - d.s_wad
        second = self.sums.get((d.epoch, d.scale + 1), 0) // SCALE_FACTOR
        return d.initial_wad * (first + second) // d.p_wad // WAD

    # -- actions ------------------------------------------------------------------------------
    @action
    def provide(self, amount_wad: int, *, sender: str) -> int:
        """Deposit ``amount_wad`` LUSD; pays out the collateral gain so far. Returns the new deposit."""
        check_positive(amount_wad, "amount_wad", "liquity/bad-amount")
        gain, compounded = self._settle(sender)
        self.chain.ledger.transfer(self.stable, sender, self.account, amount_wad)
        new = compounded + amount_wad
        self.state.total_deposits_wad += amount_wad
        self._snapshot(sender, new)
        self.chain.emit(StabilityDeposited(sender, amount_wad, new, gain))
        return new

    @action
    def withdraw(self, amount_wad: int, *, sender: str) -> int:
        """Withdraw up to ``amount_wad`` of the compounded deposit (0: gains only). Returns LUSD sent.

        Refused while a trove is below the minimum ratio (depositors cannot dodge a pending
        liquidation, as in Liquity).
        """
        if type(amount_wad) is not int or amount_wad < 0:
            raise InvalidInput("liquity/bad-amount", f"amount must be an int >= 0: {amount_wad!r}")
        if sender not in self.deposits or self.deposits[sender].initial_wad == 0:
            raise InvalidInput("liquity/no-deposit", f"{sender} has no Stability Pool deposit")
        self._withdraw_guard()
        gain, compounded = self._settle(sender)
        # the carried loss error can credit a deposit a few wei above what the pool holds
        # (docs/liquity.md §4): the last withdrawal is capped at the pool, never beyond it
        compounded = min(compounded, self.state.total_deposits_wad)
        out = min(amount_wad, compounded)
        if out:
            self.chain.ledger.transfer(self.stable, self.account, sender, out)
            self.state.total_deposits_wad -= out
        self._snapshot(sender, compounded - out)
        self.chain.emit(StabilityWithdrawn(sender, out, compounded - out, gain))
        return out

    # -- internals ----------------------------------------------------------------------------
    def _settle(self, owner: str) -> tuple[int, int]:
        """Pay ``owner``'s collateral gain; return (gain, compounded deposit)."""
        gain = self.eth_gain(owner)
        compounded = self.compounded_deposit(owner)
        if gain:
            self.chain.ledger.transfer(self.coll, self.account, owner, gain)
        return gain, compounded

    def _snapshot(self, owner: str, amount: int) -> None:
        st = self.state
        if amount == 0:
            self.deposits.discard(owner)
            return
        self.deposits[owner] = Deposit(
            self.chain.journal,
            initial_wad=amount,
            p_wad=st.p_wad,
            s_wad=self.sums.get((st.current_epoch, st.current_scale), 0),
            scale=st.current_scale,
            epoch=st.current_epoch,
        )

    def offset(self, debt_wad: int, coll_wad: int) -> None:
        """Cancel ``debt_wad`` of debt against deposits and book ``coll_wad`` as gains (no transfer).

        The caller burns the LUSD from the pool's account and moves the collateral into it in the
        same transaction. Requires ``0 < debt_wad <= total``.
        """
        st = self.state
        total = st.total_deposits_wad
        if not 0 < debt_wad <= total:
            raise Unsafe("liquity/bad-offset", f"offset {debt_wad} against deposits {total}")
        eth_num = coll_wad * WAD + st.last_eth_error_wad
        if debt_wad == total:
            loss_per_unit = WAD  # the pool is emptied
            st.last_loss_error_wad = 0
        else:
            loss_num = debt_wad * WAD - st.last_loss_error_wad
            loss_per_unit = loss_num // total + 1  # round up: never over-credit deposits
            st.last_loss_error_wad = loss_per_unit * total - loss_num
        gain_per_unit = eth_num // total  # round down: never over-pay collateral
        st.last_eth_error_wad = eth_num - gain_per_unit * total
        # S += gain per unit * P ; P *= (1 - loss per unit)
        key = (st.current_epoch, st.current_scale)
        self.sums[key] = self.sums.get(key, 0) + gain_per_unit * st.p_wad
        factor = WAD - loss_per_unit
        if factor == 0:
            st.current_epoch += 1
            st.current_scale = 0
            st.p_wad = WAD
        elif st.p_wad * factor // WAD < SCALE_FACTOR:
            st.p_wad = st.p_wad * factor * SCALE_FACTOR // WAD
            st.current_scale += 1
        else:
            st.p_wad = st.p_wad * factor // WAD
        if st.p_wad <= 0:
            raise Unsafe("liquity/p-zero", "the running product reached zero")
        st.total_deposits_wad = total - debt_wad
