"""Minter: weekly GOV emissions with growth/decay and tail, the rebase to lockers and the team share.

Rules: docs/governance-spec.md §4.

Once per epoch (``now >= active_period + WEEK``) ``update_period``: ``E`` is the schedule's
weekly (or ``T * tail_rate // 10_000`` once weekly fell below ``tail_start``), ``V`` the locked
voting power one second before the flip, ``growth = rebase(E, V, T)`` (Aerodrome's
``E (1 - V/T)^2 / 2`` by default), ``team = rate * (growth + E) // 10_000`` (Velodrome's formula,
the spec's choice). It mints only the shortfall of ``E + growth + team`` over its own balance
(GOV returned by killed gauges is re-used), pays the team, sends ``growth`` to the rewards
distributor and ``E`` to the Voter. GOV accounting, checked by tests:
``total_supply == initial_supply + minted_total`` and
``minted_total <= emitted_total + growth_total + team_total - returned + balance(minter)``, equal
unless someone sent GOV to the minter from outside (open, as for any ERC-20 holder: that GOV is
spent first, so the minter mints that much less, as Aerodrome's Minter does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...errors import InvalidInput, LimitExceeded
from ...kernel import Chain, Record, Table, action, query
from ...units import BPS, check_amount
from .epochs import WEEK, epoch_start
from .escrow import GOVERNOR_ROLE, VotingEscrow
from .events import GovernanceFiled, MinterInitialized, PeriodUpdated, TailNudged
from .formulas import EmissionSchedule

if TYPE_CHECKING:
    from .distributor import RewardsDistributor
    from .voter import Voter

__all__ = ["EPOCH_GOVERNOR_ROLE", "Minter", "MinterState"]

EPOCH_GOVERNOR_ROLE = "gov/epoch-governor"


class MinterState(Record):
    """Schedule position, live rates and cumulative GOV counters."""

    __slots__ = (
        "active_period",
        "emitted_total",
        "epoch_count",
        "growth_total",
        "initial_supply",
        "initialized",
        "minted_total",
        "tail_rate_bps",
        "team",
        "team_rate_bps",
        "team_total",
        "weekly",
    )
    weekly: int
    active_period: int
    epoch_count: int
    tail_rate_bps: int
    team_rate_bps: int
    team: str
    initialized: bool
    initial_supply: int
    minted_total: int
    emitted_total: int
    growth_total: int
    team_total: int


class Minter:
    """Weekly emissions of one governance system."""

    def __init__(
        self,
        chain: Chain,
        escrow: VotingEscrow,
        voter: Voter,
        distributor: RewardsDistributor,
        token: str,
        schedule: EmissionSchedule,
        *,
        name: str,
        team: str = "team",
    ) -> None:
        self.chain = chain
        self.escrow = escrow
        self.voter = voter
        self.distributor = distributor
        self.token = token
        self.schedule = schedule  # immutable constants
        self.name = name
        self.account = f"minter:{name}"
        chain.protect_namespace("minter", "governance")
        self.state = MinterState(
            chain.journal,
            weekly=schedule.initial_weekly,
            active_period=epoch_start(chain.now),
            epoch_count=0,
            tail_rate_bps=schedule.tail_rate_bps,
            team_rate_bps=schedule.team_rate_bps,
            team=team,
            initialized=False,
            initial_supply=0,
            minted_total=0,
            emitted_total=0,
            growth_total=0,
            team_total=0,
        )
        self.nudged: Table[int, bool] = Table(chain.journal)
        chain.register(f"gov:{name}:minter:state", self.state)
        chain.register(f"gov:{name}:minter:nudged", self.nudged)

    # -- reads --------------------------------------------------------------------------------
    def is_tail(self) -> bool:
        """True once the schedule's weekly has fallen below ``tail_start``."""
        return self.state.weekly < self.schedule.tail_start

    @query
    def calculate_growth(self, emission: int) -> int:
        """The rebase the next flip would pay for ``emission`` at the current supplies."""
        v = self.escrow.supply_at(self.state.active_period - 1)
        t = self.chain.ledger.total_supply(self.token)
        return self.schedule.growth(emission, v, t)

    # -- actions ------------------------------------------------------------------------------
    @action
    def initialize(
        self,
        liquid: Sequence[tuple[str, int]] = (),
        locked: Sequence[tuple[str, int]] = (),
        *,
        sender: str,
    ) -> tuple[int, ...]:
        """Governance, once: mint the initial supply — ``liquid`` to accounts, ``locked`` as
        permanent locks (Aerodrome's initial distribution). Returns the new lock ids."""
        self.chain.require_role(GOVERNOR_ROLE, sender, "gov/not-governor")
        st = self.state
        if st.initialized:
            raise InvalidInput("gov/already-initialized", "the minter was already initialized")
        ledger = self.chain.ledger
        liquid_total = locked_total = 0
        for to, amount in _pairs(liquid):
            ledger.mint(self.token, to, amount)
            liquid_total += amount
        ids = []
        for to, amount in _pairs(locked):
            if amount == 0:
                raise InvalidInput("gov/zero-amount", "cannot lock zero GOV")
            ledger.mint(self.token, self.account, amount)
            ids.append(self.escrow.create_permanent_lock_internal(amount, to, self.account))
            locked_total += amount
        st.initialized = True
        st.initial_supply += liquid_total + locked_total
        self.chain.emit(MinterInitialized(liquid_total, locked_total, tuple(ids)))
        return tuple(ids)

    @action
    def update_period(self, *, sender: str) -> int:
        """Run the epoch flip if due (anyone); returns the active period."""
        return self.update_period_internal()

    @property
    def active_period(self) -> int:
        """Start of the last epoch the minter has run [s]."""
        return self.state.active_period

    def update_period_internal(self) -> int:
        """The flip itself; emits ``PeriodUpdated`` when it fires."""
        st = self.state
        now = self.chain.now
        period = st.active_period
        if now < period + WEEK:
            return period
        sched = self.schedule
        ledger = self.chain.ledger
        st.epoch_count += 1
        period = now // WEEK * WEEK
        st.active_period = period
        emission = st.weekly
        total_supply = ledger.total_supply(self.token)
        tail = emission < sched.tail_start
        if tail:
            emission = total_supply * st.tail_rate_bps // BPS
        else:
            st.weekly = sched.next_weekly(emission, st.epoch_count)
        ve_supply = self.escrow.supply_at(period - 1)
        growth = sched.growth(emission, ve_supply, total_supply)
        team = sched.team_share(st.team_rate_bps, growth, emission, st.weekly)
        required = growth + emission + team
        balance = ledger.balance_of(self.token, self.account)
        minted = required - balance if balance < required else 0
        if minted:
            ledger.mint(self.token, self.account, minted)
            st.minted_total += minted
        if team:
            ledger.transfer(self.token, self.account, st.team, team)
        if growth:
            ledger.transfer(self.token, self.account, self.distributor.account, growth)
        self.distributor.checkpoint_token()
        self.voter.notify_reward_amount(emission)
        st.emitted_total += emission
        st.growth_total += growth
        st.team_total += team
        self.chain.emit(
            PeriodUpdated(
                period,
                st.epoch_count,
                emission,
                growth,
                team,
                minted,
                ve_supply,
                total_supply,
                tail,
            )
        )
        return period

    @action
    def nudge(self, up: bool, *, sender: str) -> int:
        """Epoch governor, once per epoch in tail: move the tail rate 1 bp up or down (bounded)."""
        self.chain.require_role(EPOCH_GOVERNOR_ROLE, sender, "gov/not-epoch-governor")
        if type(up) is not bool:
            raise InvalidInput("gov/bad-flag", f"up must be a bool, got {up!r}")
        if not self.is_tail():
            raise InvalidInput("gov/tail-inactive", "tail emissions have not started")
        st = self.state
        if self.nudged.get(st.active_period, False):
            raise LimitExceeded(
                "gov/already-nudged", f"the tail rate was nudged in period {st.active_period}"
            )
        old = st.tail_rate_bps
        sched = self.schedule
        new = min(old + 1, sched.tail_rate_max_bps) if up else max(old - 1, sched.tail_rate_min_bps)
        st.tail_rate_bps = new
        self.nudged[st.active_period] = True
        self.chain.emit(TailNudged(st.active_period, old, new))
        return new

    @action
    def file(self, what: str, value: Any, *, sender: str) -> None:
        """Governance setter. Keys: ``team_rate_bps`` (<= schedule max), ``team`` (account)."""
        self.chain.require_role(GOVERNOR_ROLE, sender, "gov/not-governor")
        st = self.state
        if what == "team_rate_bps":
            if type(value) is not int or not 0 <= value <= self.schedule.max_team_rate_bps:
                raise InvalidInput(
                    "gov/bad-value",
                    f"team_rate_bps must be an int in [0, {self.schedule.max_team_rate_bps}], got {value!r}",
                )
            st.team_rate_bps = value
        elif what == "team":
            if not isinstance(value, str) or not value:
                raise InvalidInput(
                    "gov/bad-account", f"team must be a non-empty string, got {value!r}"
                )
            st.team = value
        else:
            raise InvalidInput("gov/unknown-param", f"minter has no parameter {what!r}")
        self.chain.emit(GovernanceFiled("minter", what, value))


def _pairs(items: object) -> list[tuple[str, int]]:
    if not isinstance(items, list | tuple):
        raise InvalidInput(
            "gov/bad-allocation", f"allocations must be a list of (account, amount), got {items!r}"
        )
    out = []
    for item in items:
        if (
            not isinstance(item, tuple | list)
            or len(item) != 2
            or not isinstance(item[0], str)
            or not item[0]
        ):
            raise InvalidInput("gov/bad-allocation", f"bad allocation {item!r}")
        out.append((item[0], check_amount(item[1], "amount", "gov/bad-amount")))
    return out
