"""Rewards distributor: the minter's rebase, claimed by locks pro rata to past voting power.

Rules: docs/governance-spec.md §4.

Design. Each flip the minter sends ``growth`` here and calls ``checkpoint_token``, which spreads
the GOV received since the last checkpoint over the weeks elapsed, pro rata to time (at most 20
weeks per call): ``tokens_per_week[w] += amount * (seconds of the gap in w) // gap``. A lock
claims, for each completed week ``w`` since its cursor (at most 50 per call),
``power_at(id, w + WEEK - 1) * tokens_per_week[w] // max(supply_at(w + WEEK - 1), 1)``. Every
term floors and ``Σ power_at == supply_at`` exactly (week-aligned ends), so claims never exceed
what arrived; dust stays here. A claim compounds into the lock (``deposit_for``) unless the
lock has expired and is not permanent, in which case it is paid to the owner.
"""

from __future__ import annotations

from ...errors import InvalidInput
from ...kernel import Chain, Record, Table, action, query
from .epochs import WEEK
from .escrow import VotingEscrow
from .events import RebaseClaimed
from .interfaces import MinterLike

__all__ = ["DistributorState", "RewardsDistributor"]

MAX_CHECKPOINT_WEEKS = 20
MAX_CLAIM_WEEKS = 50


class DistributorState(Record):
    """Scalar state of the rebase distributor."""

    __slots__ = ("claimed_total", "last_token_time", "start_time", "token_last_balance")
    start_time: int
    last_token_time: int
    token_last_balance: int
    claimed_total: int


class RewardsDistributor:
    """Rebase claims of one governance system (``rebase:<name>`` holds the GOV)."""

    def __init__(self, chain: Chain, escrow: VotingEscrow, token: str, *, name: str) -> None:
        j = chain.journal
        self.chain = chain
        self.escrow = escrow
        self.token = token
        self.name = name
        self.account = f"rebase:{name}"
        chain.protect_namespace("rebase", "governance")
        start = chain.now // WEEK * WEEK
        self.state = DistributorState(
            j, start_time=start, last_token_time=start, token_last_balance=0, claimed_total=0
        )
        self.tokens_per_week: Table[int, int] = Table(j)
        self.time_cursor_of: Table[int, int] = Table(j)
        self._minter: MinterLike | None = None  # wiring, set once by ``set_minter``
        chain.register(f"gov:{name}:rebase:state", self.state)
        chain.register(f"gov:{name}:rebase:tokens-per-week", self.tokens_per_week)
        chain.register(f"gov:{name}:rebase:time-cursor", self.time_cursor_of)

    def set_minter(self, minter: MinterLike) -> None:
        """Wire the minter once, at deployment (Aerodrome ``RewardsDistributor.setMinter``)."""
        if self._minter is not None:
            raise InvalidInput("gov/already-wired", "the distributor already has a minter")
        self._minter = minter

    # -- minter hook --------------------------------------------------------------------------
    def checkpoint_token(self) -> None:
        """Spread GOV received since the last checkpoint over the elapsed weeks (floor)."""
        st = self.state
        balance = self.chain.ledger.balance_of(self.token, self.account)
        to_distribute = balance - st.token_last_balance
        st.token_last_balance = balance
        t = st.last_token_time
        now = self.chain.now
        since_last = now - t
        st.last_token_time = now
        this_week = t // WEEK * WEEK
        tpw = self.tokens_per_week
        for _ in range(MAX_CHECKPOINT_WEEKS):
            next_week = this_week + WEEK
            if now < next_week:
                if since_last == 0 and now == t:
                    add = to_distribute
                else:
                    add = to_distribute * (now - t) // since_last
                if add:
                    tpw[this_week] = tpw.get(this_week, 0) + add
                break
            if since_last == 0 and next_week == t:
                add = to_distribute
            else:
                add = to_distribute * (next_week - t) // since_last
            if add:
                tpw[this_week] = tpw.get(this_week, 0) + add
            t = next_week
            this_week = next_week

    # -- reads --------------------------------------------------------------------------------
    def _claimable(self, token_id: int, last_token_time: int) -> tuple[int, int]:
        """``(amount, new_week_cursor)`` for ``token_id`` up to ``last_token_time`` (a week)."""
        history = self.escrow.history
        cursor = self.time_cursor_of.get(token_id, 0)
        if history.user_point_epoch.get(token_id, 0) == 0:
            return 0, cursor
        if cursor == 0:
            first_ts = history.user_point(token_id, 1)[2]
            cursor = (first_ts + WEEK - 1) // WEEK * WEEK
        if cursor >= last_token_time:
            return 0, cursor
        cursor = max(cursor, self.state.start_time)
        amount = 0
        for _ in range(MAX_CLAIM_WEEKS):
            if cursor >= last_token_time:
                break
            t = cursor + WEEK - 1
            balance = history.power_at(token_id, t)
            supply = history.supply_at(t) or 1
            amount += balance * self.tokens_per_week.get(cursor, 0) // supply
            cursor += WEEK
        return amount, cursor

    @query
    def claimable(self, token_id: int) -> int:
        """GOV a claim would give ``token_id`` now."""
        return self._claimable(token_id, self.state.last_token_time // WEEK * WEEK)[0]

    # -- actions ------------------------------------------------------------------------------
    @action
    def claim(self, token_id: int, *, sender: str) -> int:
        """Anyone claims a lock's rebase: compounded into the lock, or paid out if it expired."""
        if self._minter is None or self._minter.active_period < self.chain.now // WEEK * WEEK:
            raise InvalidInput(
                "gov/update-period", "the minter has not run this epoch; call update_period"
            )
        owner = self.escrow.owner(token_id)
        st = self.state
        old_cursor = self.time_cursor_of.get(token_id, 0)
        amount, cursor = self._claimable(token_id, st.last_token_time // WEEK * WEEK)
        if amount == 0 and cursor == old_cursor:
            raise InvalidInput("gov/nothing-to-claim", f"lock {token_id} has no rebase to claim")
        self.time_cursor_of[token_id] = cursor
        compounded = False
        if amount:
            _, end, permanent = self.escrow.locked(token_id)
            if self.chain.now >= end and not permanent:
                self.chain.ledger.transfer(self.token, self.account, owner, amount)
            else:
                self.escrow.increase_amount_internal(token_id, amount, self.account)
                compounded = True
            st.token_last_balance -= amount
            st.claimed_total += amount
        self.chain.emit(RebaseClaimed(token_id, amount, compounded))
        return amount
