"""Gauge: stake a ledger token (an LP token or any stake token) and earn the epoch's emissions.

Rules: docs/governance-spec.md §6.

Design (reward per token, Synthetix/Velodrome). Emissions notified at time ``n`` stream at
``rate = (amount + leftover) // (epoch_next(n) - n)`` until the next flip. A global accumulator
``reward_per_token`` grows by ``dt * rate * 1e18 // total_staked`` whenever the gauge is touched;
an account's earnings are ``staked * (reward_per_token - paid) // 1e18 + rewards``. Both
divisions floor, so stakers are never paid more than was streamed; the floor dust, the rate's
truncation remainder and anything streamed while nothing is staked stay in the emissions account.

Staked tokens sit in ``gauge:<name>:<pool>``; emissions in ``gauge-emissions:<name>:<pool>``
(separate accounts, so a gauge may stake GOV itself). A pool gauge's stake token is the pool's
LP token; on each notify it first claims the pool's trading fees into the fee reward contract.
"""

from __future__ import annotations

from ...errors import InvalidInput, NotAuthorized, ShutDown
from ...kernel import Chain, Journal, Record, Table, action, query
from ...units import check_amount
from .epochs import MULTIPLIER, epoch_next
from .events import FeesClaimed, GaugeStaked, GaugeUnstaked, StakerRewardPaid
from .interfaces import VoterLike

__all__ = ["Gauge", "GaugeState"]


class GaugeState(Record):
    """State of one gauge, including the Voter's per-gauge fields (alive, supply index, claimable)."""

    __slots__ = (
        "alive",
        "claimable",
        "gauge_kind",
        "last_update",
        "notified_total",
        "paid_per_token",
        "paid_total",
        "period_finish",
        "reward_per_token_stored",
        "reward_rate",
        "rewards",
        "stake_token",
        "staked",
        "supply_index",
        "total_staked",
    )
    gauge_kind: str  # "pool" or "vault"
    stake_token: str
    alive: bool
    supply_index: int
    claimable: int
    total_staked: int
    reward_rate: int
    period_finish: int
    last_update: int
    reward_per_token_stored: int
    notified_total: int
    paid_total: int
    staked: Table[str, int]
    paid_per_token: Table[str, int]
    rewards: Table[str, int]

    @classmethod
    def new(cls, journal: Journal, gauge_kind: str, stake_token: str, index: int) -> GaugeState:
        """A fresh live gauge whose emission index starts at the Voter's current index."""
        return cls(
            journal,
            gauge_kind=gauge_kind,
            stake_token=stake_token,
            alive=True,
            supply_index=index,
            claimable=0,
            total_staked=0,
            reward_rate=0,
            period_finish=0,
            last_update=0,
            reward_per_token_stored=0,
            notified_total=0,
            paid_total=0,
            staked=Table(journal),
            paid_per_token=Table(journal),
            rewards=Table(journal),
        )


class Gauge:
    """View over one ``GaugeState``: stake, unstake, claim emissions; notified by the Voter."""

    __slots__ = ("chain", "emissions_account", "pool", "stake_account", "state", "voter")

    def __init__(self, voter: VoterLike, pool: str, state: GaugeState) -> None:
        self.voter = voter
        self.chain: Chain = voter.chain
        self.pool = pool
        self.state = state
        self.stake_account = f"gauge:{voter.name}:{pool}"
        self.emissions_account = f"gauge-emissions:{voter.name}:{pool}"

    @property
    def lock_domain(self) -> object:
        """Gauges share the voter's re-entrancy lock (kernel ``lock_key``)."""
        return self.voter

    # -- reads --------------------------------------------------------------------------------
    def last_time_reward_applicable(self) -> int:
        """min(now, period_finish)."""
        return min(self.chain.now, self.state.period_finish)

    def reward_per_token(self) -> int:
        """stored + (min(now, finish) - last_update) * rate * 1e18 // total_staked (floor)."""
        st = self.state
        if st.total_staked == 0:
            return st.reward_per_token_stored
        dt = self.last_time_reward_applicable() - st.last_update
        return st.reward_per_token_stored + dt * st.reward_rate * MULTIPLIER // st.total_staked

    @query
    def earned(self, account: str) -> int:
        """staked * (reward_per_token - paid) // 1e18 + rewards (floor)."""
        st = self.state
        rpt = self.reward_per_token()
        return st.staked.get(account, 0) * (
            rpt - st.paid_per_token.get(account, 0)
        ) // MULTIPLIER + st.rewards.get(account, 0)

    def left(self) -> int:
        """Emissions still to stream this period: (finish - now) * rate, or 0."""
        st = self.state
        now = self.chain.now
        return (st.period_finish - now) * st.reward_rate if now < st.period_finish else 0

    @query
    def balance_of(self, account: str) -> int:
        """Stake of ``account``."""
        return self.state.staked.get(account, 0)

    # -- actions ------------------------------------------------------------------------------
    @action
    def deposit(self, amount: int, *, sender: str, recipient: str | None = None) -> None:
        """Stake ``amount`` of the stake token from the sender for ``recipient`` (default sender)."""
        check_amount(amount, "amount", "gov/bad-amount")
        if amount == 0:
            raise InvalidInput("gov/zero-amount", "stake amount must be positive")
        st = self.state
        if not st.alive:
            raise ShutDown("gov/gauge-killed", f"gauge {self.pool} is killed; staking is closed")
        to = sender if recipient is None else recipient
        if not isinstance(to, str) or not to:
            raise InvalidInput(
                "gov/bad-account", f"recipient must be a non-empty string, got {to!r}"
            )
        self._update_rewards(to)
        self.chain.ledger.transfer(st.stake_token, sender, self.stake_account, amount)
        st.total_staked += amount
        st.staked[to] = st.staked.get(to, 0) + amount
        self.chain.emit(GaugeStaked(self.pool, to, amount))

    @action
    def withdraw(self, amount: int, *, sender: str) -> None:
        """Unstake ``amount`` back to the sender (allowed even when the gauge is killed)."""
        check_amount(amount, "amount", "gov/bad-amount")
        if amount == 0:
            raise InvalidInput("gov/zero-amount", "unstake amount must be positive")
        st = self.state
        bal = st.staked.get(sender, 0)
        if bal < amount:
            raise InvalidInput("gov/insufficient-stake", f"{sender} staked {bal}, asked {amount}")
        self._update_rewards(sender)
        st.total_staked -= amount
        if bal == amount:
            st.staked.discard(sender)
        else:
            st.staked[sender] = bal - amount
        self.chain.ledger.transfer(st.stake_token, self.stake_account, sender, amount)
        self.chain.emit(GaugeUnstaked(self.pool, sender, amount))

    @action
    def get_reward(self, account: str, *, sender: str) -> int:
        """Pay ``account`` its earned emissions (sender: the account itself)."""
        if sender != account:
            raise NotAuthorized("gov/not-account", f"{sender} may not claim for {account}")
        self._update_rewards(account)
        st = self.state
        reward = st.rewards.get(account, 0)
        if reward == 0:
            raise InvalidInput(
                "gov/nothing-to-claim", f"{account} has no emissions to claim in {self.pool}"
            )
        st.rewards.discard(account)
        st.paid_total += reward
        self.chain.ledger.transfer(self.voter.token, self.emissions_account, account, reward)
        self.chain.emit(StakerRewardPaid(self.pool, account, reward))
        return reward

    @action
    def claim_fees(self, *, sender: str) -> dict[str, int]:
        """Pull the pool's accrued trading fees into the fee reward contract (anyone)."""
        claimed = self._claim_fees()
        self.chain.emit(FeesClaimed(self.pool, tuple(claimed), tuple(claimed.values())))
        return claimed

    # -- internals ----------------------------------------------------------------------------
    def _update_rewards(self, account: str) -> None:
        st = self.state
        rpt = self.reward_per_token()
        st.reward_per_token_stored = rpt
        st.last_update = self.last_time_reward_applicable()
        earned = st.staked.get(account, 0) * (
            rpt - st.paid_per_token.get(account, 0)
        ) // MULTIPLIER + st.rewards.get(account, 0)
        if earned:
            st.rewards[account] = earned
        else:
            st.rewards.discard(account)
        if rpt:
            st.paid_per_token[account] = rpt

    def _claim_fees(self) -> dict[str, int]:
        source = self.voter.fee_sources.get(self.pool)
        if source is None or self.state.gauge_kind != "pool":
            return {}
        fees = self.voter.fees_reward(self.pool)
        if source.fee_receiver != fees.account:
            # The pool's owner redirected its fees: nothing to book here, and the flip must not
            # fail because of it (one gauge would block every other gauge's distribution).
            return {}
        # The pool is outside code (permissionless gauges): its claim runs in a savepoint as the
        # caller of this action (never as an engine account), and if it fails only this gauge's
        # fees are skipped; the flip and every other gauge go on (docs/architecture.md).
        # Only what really arrived in the fee account is booked, whatever the pool reports.
        ledger = self.chain.ledger
        tokens = sorted({*source.coins, source.lp_token})
        before = {t: ledger.balance_of(t, fees.account) for t in tokens}
        try:  # the voter's domain (voter, gauges, rewards) is locked while the pool runs
            with self.chain.locked(self.voter), self.chain.transaction(self.chain.sender):
                claimed = source.claim_fees(sender=self.chain.sender)
                out: dict[str, int] = {}
                for token in tokens:
                    arrived = ledger.balance_of(token, fees.account) - before[token]
                    amount = min(claimed.get(token, 0), arrived)
                    if amount > 0:
                        out[token] = amount
                        fees.add_fees(token, amount)
        except Exception:  # any failure of outside code is isolated here
            return {}
        return out

    def notify_reward_amount(self, amount: int) -> None:
        """Voter hook: move ``amount`` GOV from the Voter and stream it until the next flip.

        ``rate = (amount + leftover) // dt`` floors; the remainder stays in the account.
        """
        if amount == 0:
            raise InvalidInput("gov/zero-amount", "cannot notify zero emissions")
        self._claim_fees()
        st = self.state
        st.reward_per_token_stored = self.reward_per_token()
        now = self.chain.now
        dt = epoch_next(now) - now
        ledger = self.chain.ledger
        ledger.transfer(self.voter.token, self.voter.account, self.emissions_account, amount)
        leftover = (st.period_finish - now) * st.reward_rate if now < st.period_finish else 0
        rate = (amount + leftover) // dt
        if rate == 0:
            raise InvalidInput(
                "gov/zero-reward-rate", f"{amount} over {dt} s rounds to a zero rate"
            )
        if rate > ledger.balance_of(self.voter.token, self.emissions_account) // dt:
            raise InvalidInput("gov/reward-rate-too-high", "rate exceeds the gauge's balance")
        st.reward_rate = rate
        st.last_update = now
        st.period_finish = now + dt
        st.notified_total += amount
