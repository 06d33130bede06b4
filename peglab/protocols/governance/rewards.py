"""Voting rewards: a gauge's trading fees and anyone's bribes, paid per epoch pro rata to votes.

Rules: docs/governance-spec.md §5.

Design. The Voter deposits each lock's vote share for a pool as a "balance" here; balances and
their total are checkpointed, one checkpoint per epoch (later writes in the same epoch overwrite).
Rewards notified during epoch ``e`` accrue to ``rewards_per_epoch[(token, e)]``. For each
completed epoch ``e`` a lock earns
``bal(e + WEEK - 1) * rewards_per_epoch[(token, e)] // max(sup(e + WEEK - 1), 1)``, where bal
and sup are the last checkpoints at or before the end of ``e``: only votes standing at the end
of the epoch count. Because each term floors and ``Σ bal == sup`` at every checkpoint, the sum
paid for an epoch never exceeds what was notified for it; the floor dust stays in the account.
Claims are recorded per epoch (``claimed_per_epoch``) so that bound is checkable.

Fees arrive in the reward account directly (the pool's ``fee_receiver``); amounts below one
``WEEK`` of wei wait in ``pending_fees`` until the next notification, as the reference gauge
holds them.
"""

from __future__ import annotations

from ...errors import InvalidInput, NotAuthorized
from ...kernel import Chain, Journal, Record, Table, action, query
from ...units import check_amount
from .epochs import WEEK, epoch_start, last_at_or_before
from .events import RewardClaimed, RewardNotified
from .interfaces import VoterLike

__all__ = ["RewardState", "VotingReward"]


class RewardState(Record):
    """State of one reward contract (fees or bribes) of one gauge."""

    __slots__ = (
        "balance_of",
        "checkpoints",
        "claimed_per_epoch",
        "last_earn",
        "num_checkpoints",
        "pending_fees",
        "reward_tokens",
        "rewards_per_epoch",
        "supply_checkpoints",
        "supply_num",
        "total_supply",
    )
    total_supply: int
    supply_num: int
    balance_of: Table[int, int]
    checkpoints: Table[tuple[int, int], tuple[int, int]]  # (id, idx) -> (ts, balance)
    num_checkpoints: Table[int, int]
    supply_checkpoints: Table[int, tuple[int, int]]  # idx -> (ts, supply)
    rewards_per_epoch: Table[tuple[str, int], int]
    claimed_per_epoch: Table[tuple[str, int], int]
    last_earn: Table[tuple[str, int], int]
    reward_tokens: Table[str, bool]
    pending_fees: Table[str, int]

    @classmethod
    def new(cls, journal: Journal) -> RewardState:
        """An empty reward contract."""
        return cls(
            journal,
            total_supply=0,
            supply_num=0,
            balance_of=Table(journal),
            checkpoints=Table(journal),
            num_checkpoints=Table(journal),
            supply_checkpoints=Table(journal),
            rewards_per_epoch=Table(journal),
            claimed_per_epoch=Table(journal),
            last_earn=Table(journal),
            reward_tokens=Table(journal),
            pending_fees=Table(journal),
        )


class VotingReward:
    """View over one ``RewardState``: deposits by the Voter, notifications, claims."""

    __slots__ = ("account", "chain", "kind", "pool", "state", "voter")

    def __init__(self, voter: VoterLike, pool: str, kind: str, state: RewardState) -> None:
        self.voter = voter
        self.chain: Chain = voter.chain
        self.pool = pool
        self.kind = kind  # "fees" or "bribes"
        self.state = state
        self.account = f"{kind}:{voter.name}:{pool}"

    @property
    def lock_domain(self) -> object:
        """Reward contracts share the voter's re-entrancy lock (kernel ``lock_key``)."""
        return self.voter

    # -- voter hooks --------------------------------------------------------------------------
    def deposit(self, amount: int, token_id: int) -> None:
        """Voter hook: ``token_id`` adds ``amount`` of vote share."""
        st = self.state
        st.total_supply += amount
        bal = st.balance_of.get(token_id, 0) + amount
        st.balance_of[token_id] = bal
        self._write_checkpoint(token_id, bal)
        self._write_supply_checkpoint()

    def withdraw(self, amount: int, token_id: int) -> None:
        """Voter hook: ``token_id`` removes ``amount`` of vote share."""
        st = self.state
        st.total_supply -= amount
        bal = st.balance_of.get(token_id, 0) - amount
        if bal:
            st.balance_of[token_id] = bal
        else:
            st.balance_of.discard(token_id)
        self._write_checkpoint(token_id, bal)
        self._write_supply_checkpoint()

    def _write_checkpoint(self, token_id: int, balance: int) -> None:
        st = self.state
        now = self.chain.now
        n = st.num_checkpoints.get(token_id, 0)
        if n and epoch_start(st.checkpoints[(token_id, n - 1)][0]) == epoch_start(now):
            st.checkpoints[(token_id, n - 1)] = (now, balance)
        else:
            st.checkpoints[(token_id, n)] = (now, balance)
            st.num_checkpoints[token_id] = n + 1

    def _write_supply_checkpoint(self) -> None:
        st = self.state
        now = self.chain.now
        n = st.supply_num
        if n and epoch_start(st.supply_checkpoints[n - 1][0]) == epoch_start(now):
            st.supply_checkpoints[n - 1] = (now, st.total_supply)
        else:
            st.supply_checkpoints[n] = (now, st.total_supply)
            st.supply_num = n + 1

    # -- reads --------------------------------------------------------------------------------
    def prior_balance_index(self, token_id: int, t: int) -> int:
        """Index of the last balance checkpoint of ``token_id`` at or before ``t`` (0 if none)."""
        st = self.state
        n = st.num_checkpoints.get(token_id, 0)
        if n == 0:
            return 0
        cps = st.checkpoints
        return last_at_or_before(0, n - 1, lambda i: cps[(token_id, i)][0], t)

    def prior_supply_index(self, t: int) -> int:
        """Index of the last supply checkpoint at or before ``t`` (0 if none)."""
        st = self.state
        n = st.supply_num
        if n == 0:
            return 0
        cps = st.supply_checkpoints
        return last_at_or_before(0, n - 1, lambda i: cps[i][0], t)

    def earned_by_epoch(self, token: str, token_id: int) -> list[tuple[int, int]]:
        """``[(epoch, amount)]`` earned by ``token_id`` in ``token`` for completed unclaimed epochs.

        Rounding: each epoch's share floors (dust stays with the contract).
        """
        st = self.state
        if st.num_checkpoints.get(token_id, 0) == 0:
            return []
        curr = epoch_start(st.last_earn.get((token, token_id), 0))
        idx = self.prior_balance_index(token_id, curr)
        curr = max(curr, epoch_start(st.checkpoints[(token_id, idx)][0]))
        out: list[tuple[int, int]] = []
        now_epoch = epoch_start(self.chain.now)
        rewards = st.rewards_per_epoch
        while curr < now_epoch:
            amount = rewards.get((token, curr), 0)
            if amount:
                end = curr + WEEK - 1
                bal = st.checkpoints[(token_id, self.prior_balance_index(token_id, end))][1]
                sup = max(st.supply_checkpoints[self.prior_supply_index(end)][1], 1)
                share = bal * amount // sup
                if share:
                    out.append((curr, share))
            curr += WEEK
        return out

    @query
    def earned(self, token: str, token_id: int) -> int:
        """Total claimable by ``token_id`` in ``token`` now."""
        return sum(a for _, a in self.earned_by_epoch(token, token_id))

    def tokens(self) -> list[str]:
        """Tokens ever notified to this contract, sorted."""
        return sorted(self.state.reward_tokens)

    # -- actions ------------------------------------------------------------------------------
    @action
    def notify_reward_amount(self, token: str, amount: int, *, sender: str) -> None:
        """Bribe: anyone deposits ``amount`` of a whitelisted ``token`` for the current epoch."""
        if self.kind != "bribes":
            raise NotAuthorized("gov/not-gauge", "only the gauge notifies fees")
        check_amount(amount, "amount", "gov/bad-amount")
        if amount == 0:
            raise InvalidInput("gov/zero-amount", "bribe amount must be positive")
        self.chain.ledger.token(token)
        if not self.state.reward_tokens.get(token, False) and not self.voter.is_whitelisted_token(
            token
        ):
            raise InvalidInput(
                "gov/token-not-whitelisted", f"{token} is not a whitelisted bribe token"
            )
        self.chain.ledger.transfer(token, sender, self.account, amount)
        epoch = self.credit(token, amount)
        self.chain.emit(RewardNotified(self.pool, self.kind, token, amount, epoch))

    def credit(self, token: str, amount: int) -> int:
        """Book ``amount`` of ``token`` (already in the account) for the current epoch."""
        st = self.state
        epoch = epoch_start(self.chain.now)
        key = (token, epoch)
        st.rewards_per_epoch[key] = st.rewards_per_epoch.get(key, 0) + amount
        if not st.reward_tokens.get(token, False):
            st.reward_tokens[token] = True
        return epoch

    def add_fees(self, token: str, amount: int) -> int:
        """Gauge hook: fees already in the account; notify once above WEEK wei. Returns the
        amount notified now (0 if still pending)."""
        st = self.state
        total = st.pending_fees.get(token, 0) + amount
        if total > WEEK:
            st.pending_fees.discard(token)
            self.credit(token, total)
            return total
        if total:
            st.pending_fees[token] = total
        return 0

    @action
    def get_reward(
        self, token_id: int, tokens: list[str] | tuple[str, ...] | None = None, *, sender: str
    ) -> dict[str, int]:
        """Pay the owner of ``token_id`` everything earned in ``tokens`` (default: all).

        Sender: owner or approved. Refuses with ``gov/nothing-to-claim`` if nothing is due.
        """
        owner = self.voter.escrow.require_approved_or_owner(sender, token_id)
        return self._get_reward(token_id, owner, tokens)

    def _get_reward(
        self, token_id: int, recipient: str, tokens: list[str] | tuple[str, ...] | None
    ) -> dict[str, int]:
        st = self.state
        if tokens is None:
            tokens = self.tokens()
        if not isinstance(tokens, list | tuple) or any(not isinstance(t, str) for t in tokens):
            raise InvalidInput(
                "gov/bad-tokens", f"tokens must be a list of symbols, got {tokens!r}"
            )
        now = self.chain.now
        paid: dict[str, int] = {}
        for token in dict.fromkeys(tokens):
            total = 0
            for epoch, amount in self.earned_by_epoch(token, token_id):
                key = (token, epoch)
                st.claimed_per_epoch[key] = st.claimed_per_epoch.get(key, 0) + amount
                total += amount
            st.last_earn[(token, token_id)] = now
            if total:
                self.chain.ledger.transfer(token, self.account, recipient, total)
                paid[token] = total
        if not paid:
            raise InvalidInput(
                "gov/nothing-to-claim",
                f"lock {token_id} has nothing to claim from the {self.kind} of {self.pool} "
                "(already claimed, or the epoch is not over)",
            )
        self.chain.emit(
            RewardClaimed(
                self.pool, self.kind, token_id, recipient, tuple(paid), tuple(paid.values())
            )
        )
        return paid
