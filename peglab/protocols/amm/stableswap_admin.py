"""StableSwap pool administration: the 3pool contract's owner functions and its parameter state.

``StableSwapAdmin`` is the part of ``StableSwapPool`` (stableswap.py) that reads and changes the
pool's parameters: the amplification ramp (``A``, ``ramp_A``, ``stop_ramp_A``; docs/amm-spec.md
§2.4), fee changes through commit, 3-day delay and apply (§2.7), the kill switch of the first 60
days, admin fees (implicit, as in the contract: token balance minus accounted balance; claimed to
``fee_receiver`` or donated to LPs) and ``file`` for the owner and fee receiver.
"""

from __future__ import annotations

from ...errors import InvalidInput, LimitExceeded, NotAuthorized
from ...kernel import Chain, Record, action
from ...units import DAY
from .common import check_account
from .events import (
    AdminFeesDonated,
    FeeChangeCommitted,
    FeeChanged,
    FeeChangeReverted,
    FeesClaimed,
    KillChanged,
    ParameterChanged,
    RampStarted,
    RampStopped,
)

__all__ = [
    "ADMIN_ACTIONS_DELAY",
    "KILL_DEADLINE_DT",
    "MAX_A",
    "MAX_ADMIN_FEE",
    "MAX_A_CHANGE",
    "MAX_FEE",
    "MIN_RAMP_TIME",
    "StableSwapAdmin",
    "StableSwapState",
    "check_fees",
]

MAX_FEE = 5 * 10**9  # 50%
MAX_ADMIN_FEE = 10**10  # 100%
MAX_A = 10**6
MAX_A_CHANGE = 10
MIN_RAMP_TIME = DAY
ADMIN_ACTIONS_DELAY = 3 * DAY
KILL_DEADLINE_DT = 2 * 30 * DAY


class StableSwapState(Record):
    """Mutable pool state (the 3pool contract's storage, minus what the ledger holds)."""

    __slots__ = (
        "admin_actions_deadline",
        "admin_fee",
        "balances",
        "fee",
        "fee_receiver",
        "future_A",
        "future_A_time",
        "future_admin_fee",
        "future_fee",
        "initial_A",
        "initial_A_time",
        "is_killed",
        "owner",
    )
    balances: tuple[int, ...]
    initial_A: int
    future_A: int
    initial_A_time: int
    future_A_time: int
    fee: int
    admin_fee: int
    future_fee: int
    future_admin_fee: int
    admin_actions_deadline: int
    is_killed: bool
    owner: str
    fee_receiver: str


def check_fees(fee: object, admin_fee: object) -> None:
    """Refuse a swap fee above 50% or an admin fee above 100% (parts of 1e10)."""
    if type(fee) is not int or not 0 <= fee <= MAX_FEE:
        raise InvalidInput(
            "amm/bad-fee", f"fee must be an int in [0, {MAX_FEE}] (1e10 = 100%), got {fee!r}"
        )
    if type(admin_fee) is not int or not 0 <= admin_fee <= MAX_ADMIN_FEE:
        raise InvalidInput(
            "amm/bad-fee", f"admin fee must be an int in [0, {MAX_ADMIN_FEE}], got {admin_fee!r}"
        )


class StableSwapAdmin:
    """The owner functions and parameter reads of ``StableSwapPool`` (attributes set by its
    constructor)."""

    chain: Chain
    id: str
    coins: tuple[str, ...]
    account: str
    kill_deadline: int
    state: StableSwapState

    def A(self) -> int:
        """Amplification now, linearly ramped (docs/amm-spec.md §2.4), floored toward the start value."""
        st = self.state
        t1 = st.future_A_time
        a1 = st.future_A
        now = self.chain.now
        if now < t1:
            a0 = st.initial_A
            t0 = st.initial_A_time
            if a1 > a0:
                return a0 + (a1 - a0) * (now - t0) // (t1 - t0)
            return a0 - (a0 - a1) * (now - t0) // (t1 - t0)
        return a1

    def admin_balances(self) -> tuple[int, ...]:
        """Admin fees held: token balance of the pool account minus accounted balance, per coin."""
        bal = self.chain.ledger.balance_of
        acct = self.account
        return tuple(bal(c, acct) - b for c, b in zip(self.coins, self.state.balances))

    def _require_owner(self, sender: str) -> None:
        if sender != self.state.owner and not self.chain.has_role("root", sender):
            raise NotAuthorized("amm/not-owner", f"{sender} is not the owner of pool {self.id}")

    # -- owner actions ---------------------------------------------------------------------------------------
    @action
    def ramp_A(self, future_A: int, future_time: int, *, sender: str) -> None:
        """Ramp A linearly to ``future_A`` at ``future_time`` (≥ 1 day away, ≤ ×10 or ÷10)."""
        self._require_owner(sender)
        st = self.state
        now = self.chain.now
        if type(future_A) is not int or type(future_time) is not int:
            raise InvalidInput(
                "amm/bad-A", f"A and time must be ints, got {future_A!r}, {future_time!r}"
            )
        if now < st.initial_A_time + MIN_RAMP_TIME:
            raise LimitExceeded(
                "amm/ramp-too-soon", "a new ramp must wait one day after the last one"
            )
        if future_time < now + MIN_RAMP_TIME:
            raise LimitExceeded("amm/ramp-too-fast", "a ramp must last at least one day")
        initial = self.A()
        if not 0 < future_A < MAX_A:
            raise InvalidInput("amm/bad-A", f"A must be in (0, {MAX_A}), got {future_A}")
        up_ok = initial <= future_A <= initial * MAX_A_CHANGE
        down_ok = future_A < initial and future_A * MAX_A_CHANGE >= initial
        if not (up_ok or down_ok):
            raise LimitExceeded(
                "amm/A-change-too-large", f"A may change by ×10 at most: {initial} -> {future_A}"
            )
        st.initial_A = initial
        st.future_A = future_A
        st.initial_A_time = now
        st.future_A_time = future_time
        self.chain.emit(RampStarted(self.id, initial, future_A, now, future_time))

    @action
    def stop_ramp_A(self, *, sender: str) -> None:
        """Freeze A at its current value."""
        self._require_owner(sender)
        st = self.state
        current = self.A()
        now = self.chain.now
        st.initial_A = current
        st.future_A = current
        st.initial_A_time = now
        st.future_A_time = now
        self.chain.emit(RampStopped(self.id, current, now))

    @action
    def commit_new_fee(self, new_fee: int, new_admin_fee: int, *, sender: str) -> None:
        """Schedule a fee change, applicable after ``ADMIN_ACTIONS_DELAY`` (one pending at a time)."""
        self._require_owner(sender)
        st = self.state
        if st.admin_actions_deadline != 0:
            raise InvalidInput("amm/action-pending", "a fee change is already pending")
        check_fees(new_fee, new_admin_fee)
        deadline = self.chain.now + ADMIN_ACTIONS_DELAY
        st.admin_actions_deadline = deadline
        st.future_fee = new_fee
        st.future_admin_fee = new_admin_fee
        self.chain.emit(FeeChangeCommitted(self.id, deadline, new_fee, new_admin_fee))

    @action
    def apply_new_fee(self, *, sender: str) -> None:
        """Apply the committed fee change once its delay has passed."""
        self._require_owner(sender)
        st = self.state
        if st.admin_actions_deadline == 0:
            raise InvalidInput("amm/no-pending-action", "no fee change is pending")
        if self.chain.now < st.admin_actions_deadline:
            raise LimitExceeded(
                "amm/too-early", f"the fee change applies from t={st.admin_actions_deadline}"
            )
        st.admin_actions_deadline = 0
        st.fee = st.future_fee
        st.admin_fee = st.future_admin_fee
        self.chain.emit(FeeChanged(self.id, st.fee, st.admin_fee))

    @action
    def revert_new_parameters(self, *, sender: str) -> None:
        """Cancel a pending fee change."""
        self._require_owner(sender)
        self.state.admin_actions_deadline = 0
        self.chain.emit(FeeChangeReverted(self.id))

    @action
    def kill_me(self, *, sender: str) -> None:
        """Stop swaps and deposits (only before deploy + 60 days); ``remove_liquidity`` still works."""
        self._require_owner(sender)
        if self.chain.now >= self.kill_deadline:
            raise LimitExceeded("amm/kill-deadline-passed", "the pool can no longer be killed")
        self.state.is_killed = True
        self.chain.emit(KillChanged(self.id, True))

    @action
    def unkill_me(self, *, sender: str) -> None:
        """Reopen a killed pool."""
        self._require_owner(sender)
        self.state.is_killed = False
        self.chain.emit(KillChanged(self.id, False))

    @action
    def claim_fees(self, *, sender: str) -> dict[str, int]:
        """Anyone: send the admin fees (token balance − accounted balance) to ``fee_receiver``."""
        ledger = self.chain.ledger
        receiver = self.state.fee_receiver
        moved: dict[str, int] = {}
        for c, amount in zip(self.coins, self.admin_balances()):
            if amount > 0:
                ledger.transfer(c, self.account, receiver, amount)
            moved[c] = amount
        self.chain.emit(FeesClaimed(self.id, receiver, tuple(moved.items())))
        return moved

    withdraw_admin_fees = claim_fees

    @action
    def donate_admin_fees(self, *, sender: str) -> None:
        """Owner: give the admin fees to LPs (accounted balances := token balances)."""
        self._require_owner(sender)
        admin = self.admin_balances()
        st = self.state
        st.balances = tuple(b + a for b, a in zip(st.balances, admin))
        self.chain.emit(AdminFeesDonated(self.id, admin))

    @action
    def file(self, what: str, value: str, *, sender: str) -> None:
        """Owner: set ``fee_receiver`` or ``owner`` (an account)."""
        self._require_owner(sender)
        if what not in ("fee_receiver", "owner"):
            raise InvalidInput(
                "amm/unknown-param", f"unknown parameter {what!r}; known: fee_receiver, owner"
            )
        account = check_account(value, self.account, what)
        setattr(self.state, what, account)
        self.chain.emit(ParameterChanged(self.id, what, account))
