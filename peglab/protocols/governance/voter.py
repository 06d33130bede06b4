"""Voter: weekly votes of locks across gauges, the emission index, gauge admin and distribution.

Rules: docs/governance-spec.md §3.

Design (emission index). The minter notifies ``E`` per epoch; instead of paying every gauge at
once, a global ``index`` grows by ``E * 1e18 // max(total_weight, 1)`` and each gauge remembers
the index it last saw. ``_update_for(g)`` credits ``weights[g] * (index - supply_index[g]) //
1e18`` to ``claimable[g]`` (or returns it to the minter if the gauge is killed). Every change of a
pool's weight first calls ``_update_for``, so each gauge is paid for the weight it actually held
when the index moved — emissions follow the weights standing at the flip. Floors leave dust in
the Voter's account (``voter:<name>``), never a deficit.

Votes persist across epochs until reset, re-cast or poked; a lock votes (or resets) at most
once per epoch and not in the epoch's first hour; in the last hour only whitelisted locks vote.
Pools are keyed by a string: an AMM pool's ``id`` or a vault-incentive key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown
from ...kernel import Chain, Record, Table, action, nonreentrant, query
from ...units import check_amount
from .epochs import MULTIPLIER, WEEK, epoch_start, epoch_vote_end, epoch_vote_start
from .escrow import GOVERNOR_ROLE, VotingEscrow
from .events import (
    GaugeCreated,
    GaugeKilled,
    GaugeRevived,
    GaugesDistributed,
    GovernanceFiled,
    VoteCast,
    VotePoked,
    VoteReset,
    Whitelisted,
)
from .gauge import Gauge, GaugeState
from .interfaces import FeeSource, MinterLike
from .rewards import RewardState, VotingReward

__all__ = ["EMERGENCY_COUNCIL_ROLE", "Voter", "VoterState"]

EMERGENCY_COUNCIL_ROLE = "gov/emergency-council"
MIN_MAX_VOTING_NUM = 10


class VoterState(Record):
    """Scalar Voter state and cumulative emission counters (for invariants)."""

    __slots__ = (
        "distributed_total",
        "index",
        "max_voting_num",
        "pools",
        "received_total",
        "returned_total",
        "total_weight",
    )
    total_weight: int
    index: int
    max_voting_num: int
    pools: tuple[str, ...]
    received_total: int  # GOV emissions notified by the minter
    distributed_total: int  # GOV sent on to gauges
    returned_total: int  # GOV sent back to the minter (killed gauges)


class Voter:
    """Votes, gauges, fee and bribe rewards of one governance system."""

    def __init__(self, chain: Chain, escrow: VotingEscrow, token: str, *, name: str) -> None:
        j = chain.journal
        self.chain = chain
        self.escrow = escrow
        self.token = token
        self.name = name
        self.account = f"voter:{name}"
        for ns in ("voter", "fees", "bribes", "gauge", "gauge-emissions"):
            chain.protect_namespace(ns, "governance")  # engine accounts (docs/architecture.md)
        self.state = VoterState(
            j,
            total_weight=0,
            index=0,
            max_voting_num=30,
            pools=(),
            received_total=0,
            distributed_total=0,
            returned_total=0,
        )
        self.gauges: Table[str, GaugeState] = Table(j)
        self.fees: Table[str, RewardState] = Table(j)
        self.bribes: Table[str, RewardState] = Table(j)
        self.weights: Table[str, int] = Table(j)
        self.votes: Table[tuple[int, str], int] = Table(j)
        self.pool_vote: Table[int, tuple[str, ...]] = Table(j)
        self.used_weights: Table[int, int] = Table(j)
        self.last_voted: Table[int, int] = Table(j)
        self.whitelisted_tokens: Table[str, bool] = Table(j)
        self.whitelisted_nfts: Table[int, bool] = Table(j)
        self.fee_sources: dict[str, FeeSource] = {}  # wiring; existence is ``gauges``
        self._minter: MinterLike | None = None  # wiring, set once by ``set_minter``
        prefix = f"gov:{name}:voter"
        for suffix, obj in (
            ("state", self.state),
            ("gauges", self.gauges),
            ("fees", self.fees),
            ("bribes", self.bribes),
            ("weights", self.weights),
            ("votes", self.votes),
            ("pool-vote", self.pool_vote),
            ("used-weights", self.used_weights),
            ("last-voted", self.last_voted),
            ("whitelisted-tokens", self.whitelisted_tokens),
            ("whitelisted-nfts", self.whitelisted_nfts),
        ):
            chain.register(f"{prefix}:{suffix}", obj)

    @property
    def minter(self) -> MinterLike:
        """The minter wired to this Voter."""
        if self._minter is None:
            raise InvalidInput("gov/not-wired", "the voter has no minter")
        return self._minter

    def set_minter(self, minter: MinterLike) -> None:
        """Wire the minter once, at deployment (Aerodrome ``Voter.initialize``); setup code."""
        if self._minter is not None:
            raise InvalidInput("gov/already-wired", "the voter already has a minter")
        self._minter = minter

    # -- reads --------------------------------------------------------------------------------
    def _gauge_state(self, pool: object) -> GaugeState:
        st = self.gauges.get(pool) if isinstance(pool, str) else None
        if st is None:
            raise InvalidInput("gov/unknown-gauge", f"no gauge for pool {pool!r}")
        return st

    @query
    def gauge(self, pool: str) -> Gauge:
        """The gauge of ``pool`` (``gov/unknown-gauge`` if none)."""
        return Gauge(self, pool, self._gauge_state(pool))

    @query
    def fees_reward(self, pool: str) -> VotingReward:
        """The fee reward contract of ``pool``'s gauge."""
        self._gauge_state(pool)
        return VotingReward(self, pool, "fees", self.fees[pool])

    @query
    def bribe_reward(self, pool: str) -> VotingReward:
        """The bribe reward contract of ``pool``'s gauge."""
        self._gauge_state(pool)
        return VotingReward(self, pool, "bribes", self.bribes[pool])

    def pools(self) -> tuple[str, ...]:
        """Pools with a gauge, in creation order."""
        return self.state.pools

    @query
    def is_alive(self, pool: str) -> bool:
        """True if ``pool`` has a live gauge."""
        st = self.gauges.get(pool)
        return st is not None and st.alive

    @query
    def is_whitelisted_token(self, token: str) -> bool:
        """True if ``token`` may be used for bribes (and, for non-governors, gauge creation)."""
        return self.whitelisted_tokens.get(token, False)

    @query
    def votes_of(self, token_id: int) -> dict[str, int]:
        """``{pool: vote share}`` currently standing for ``token_id``."""
        return {p: self.votes[(token_id, p)] for p in self.pool_vote.get(token_id, ())}

    # -- voting actions -----------------------------------------------------------------------
    @action
    def vote(
        self, token_id: int, pools: Sequence[str], weights: Sequence[int], *, sender: str
    ) -> dict[str, int]:
        """Split the lock's current power across ``pools`` pro rata to ``weights`` (once per epoch).

        Shares floor (``w_k * power // Σw``); the dust of power is simply not used.
        """
        self.escrow.require_approved_or_owner(sender, token_id)
        self._require_new_epoch(token_id)
        now = self.chain.now
        if now > epoch_vote_end(now) and not self.whitelisted_nfts.get(token_id, False):
            raise NotAuthorized(
                "gov/not-whitelisted-nft",
                f"only whitelisted locks vote in the epoch's last hour (lock {token_id})",
            )
        pool_list, weight_list = self._check_vote_args(pools, weights)
        amount, end, permanent = self.escrow.locked(token_id)
        if not permanent and end <= now:
            raise InvalidInput(
                "gov/lock-expired", f"lock {token_id} expired at {end}; it has no power"
            )
        self.last_voted[token_id] = now
        power = self.escrow.power(token_id)
        shares = self._vote(token_id, power, pool_list, weight_list)
        self.chain.emit(VoteCast(token_id, tuple(shares), tuple(shares.values()), power))
        return shares

    @action
    def reset(self, token_id: int, *, sender: str) -> int:
        """Withdraw every vote of the lock (same epoch rule as ``vote``); returns the weight freed."""
        self.escrow.require_approved_or_owner(sender, token_id)
        self._require_new_epoch(token_id)
        freed = self._reset(token_id)
        self.chain.emit(VoteReset(token_id, freed))
        return freed

    @action
    def poke(self, token_id: int, *, sender: str) -> dict[str, int]:
        """Anyone re-casts a lock's standing votes with its current (decayed) power."""
        self.escrow.owner(token_id)
        now = self.chain.now
        if now <= epoch_vote_start(now):
            raise InvalidInput("gov/distribute-window", "no voting in the first hour of an epoch")
        power = self.escrow.power(token_id)
        pools = list(self.pool_vote.get(token_id, ()))
        weights = [self.votes[(token_id, p)] for p in pools]
        shares = self._vote(token_id, power, pools, weights)
        self.chain.emit(VotePoked(token_id, tuple(shares), tuple(shares.values()), power))
        return shares

    def _require_new_epoch(self, token_id: int) -> None:
        now = self.chain.now
        if epoch_start(now) <= self.last_voted.get(token_id, 0):
            raise InvalidInput(
                "gov/already-voted",
                f"lock {token_id} already voted this epoch; wait for the next one",
            )
        if now <= epoch_vote_start(now):
            raise InvalidInput("gov/distribute-window", "no voting in the first hour of an epoch")

    def _check_vote_args(self, pools: object, weights: object) -> tuple[list[str], list[int]]:
        if not isinstance(pools, list | tuple) or not isinstance(weights, list | tuple):
            raise InvalidInput("gov/bad-vote", "pools and weights must be lists")
        if len(pools) != len(weights):
            raise InvalidInput(
                "gov/unequal-lengths", f"{len(pools)} pools but {len(weights)} weights"
            )
        if len(pools) > self.state.max_voting_num:
            raise LimitExceeded(
                "gov/too-many-pools",
                f"{len(pools)} pools > max_voting_num {self.state.max_voting_num}",
            )
        ws = [check_amount(w, "weight", "gov/bad-amount") for w in weights]
        for p in pools:
            self._gauge_state(p)
        return list(pools), ws

    def _reset(self, token_id: int) -> int:
        freed = 0
        for pool in self.pool_vote.get(token_id, ()):
            key = (token_id, pool)
            share = self.votes.get(key, 0)
            if share:
                self._update_for(pool)
                self.weights[pool] -= share
                del self.votes[key]
                VotingReward(self, pool, "fees", self.fees[pool]).withdraw(share, token_id)
                VotingReward(self, pool, "bribes", self.bribes[pool]).withdraw(share, token_id)
                freed += share
        self.escrow.set_voting(token_id, False)
        self.state.total_weight -= freed
        self.used_weights.discard(token_id)
        self.pool_vote.discard(token_id)
        return freed

    def _vote(
        self, token_id: int, power: int, pools: list[str], weights: list[int]
    ) -> dict[str, int]:
        self._reset(token_id)
        total_vote_weight = sum(weights)
        if pools and total_vote_weight == 0:
            raise InvalidInput("gov/zero-weight", "vote weights sum to zero")
        used = 0
        shares: dict[str, int] = {}
        voted: list[str] = list(self.pool_vote.get(token_id, ()))
        for pool, w in zip(pools, weights):
            st = self._gauge_state(pool)
            if not st.alive:
                raise ShutDown("gov/gauge-killed", f"the gauge of {pool} is killed")
            share = w * power // total_vote_weight
            key = (token_id, pool)
            if self.votes.get(key, 0):
                raise InvalidInput("gov/duplicate-pool", f"pool {pool} appears twice in the vote")
            if share == 0:
                raise InvalidInput(
                    "gov/zero-weight",
                    f"lock {token_id} would give {pool} zero weight (power {power}; a lock has no power "
                    "in the instant it changed owner)",
                )
            self._update_for(pool)
            voted.append(pool)
            self.weights[pool] = self.weights.get(pool, 0) + share
            self.votes[key] = share
            VotingReward(self, pool, "fees", self.fees[pool]).deposit(share, token_id)
            VotingReward(self, pool, "bribes", self.bribes[pool]).deposit(share, token_id)
            used += share
            shares[pool] = share
        if used:
            self.escrow.set_voting(token_id, True)
            self.used_weights[token_id] = used
            self.pool_vote[token_id] = tuple(voted)
        self.state.total_weight += used
        return shares

    # -- emissions ----------------------------------------------------------------------------
    def notify_reward_amount(self, amount: int) -> None:
        """Minter hook: take ``amount`` GOV from the minter and raise the index (floor)."""
        minter = self.minter
        self.chain.ledger.transfer(self.token, minter.account, self.account, amount)
        st = self.state
        st.received_total += amount
        ratio = amount * MULTIPLIER // max(st.total_weight, 1)
        if ratio:
            st.index += ratio

    def _update_for(self, pool: str) -> None:
        gs = self.gauges[pool]
        supplied = self.weights.get(pool, 0)
        index = self.state.index
        if supplied > 0:
            delta = index - gs.supply_index
            if delta:
                gs.supply_index = index
                share = supplied * delta // MULTIPLIER
                if share:
                    if gs.alive:
                        gs.claimable += share
                    else:
                        self._return_to_minter(share)
        elif gs.supply_index != index:
            gs.supply_index = index

    def _return_to_minter(self, amount: int) -> None:
        self.chain.ledger.transfer(self.token, self.account, self.minter.account, amount)
        self.state.returned_total += amount

    def _distribute(self, pool: str) -> int:
        self._update_for(pool)
        gs = self.gauges[pool]
        claimable = gs.claimable
        gauge = Gauge(self, pool, gs)
        if claimable > gauge.left() and claimable > WEEK:
            gs.claimable = 0
            gauge.notify_reward_amount(claimable)
            self.state.distributed_total += claimable
            return claimable
        return 0

    @action
    @nonreentrant  # pools are outside code (their fee claims run inside)
    def distribute(self, pools: Sequence[str] | None = None, *, sender: str) -> dict[str, int]:
        """Run the minter's epoch flip if due, then push each gauge's claimable (default: all)."""
        targets = list(self.state.pools) if pools is None else list(pools)
        for p in targets:
            self._gauge_state(p)
        self.minter.update_period_internal()
        amounts = {p: self._distribute(p) for p in targets}
        self.chain.emit(GaugesDistributed(tuple(amounts), tuple(amounts.values())))
        return amounts

    # -- gauge administration -----------------------------------------------------------------
    @action
    @nonreentrant  # calls the caller-supplied pool object
    def create_gauge(self, pool: FeeSource, *, sender: str) -> Gauge:
        """Gauge for an AMM pool: stakes its LP token; its fees go to the gauge's voters.

        Governors may gauge any pool; others only pools whose coins are all whitelisted. Points
        the pool's ``fee_receiver`` at the fee reward account (the sender must be allowed to).
        """
        if not isinstance(pool, FeeSource):
            raise InvalidInput("gov/not-a-pool", f"{pool!r} lacks id/coins/lp_token/claim_fees")
        key = pool.id
        if not self.chain.has_role(GOVERNOR_ROLE, sender):
            missing = [c for c in pool.coins if not self.is_whitelisted_token(c)]
            if missing:
                raise NotAuthorized("gov/not-whitelisted", f"coins {missing} are not whitelisted")
        gs = self._new_gauge(key, "pool", pool.lp_token)
        fees_account = f"fees:{self.name}:{key}"
        if pool.fee_receiver != fees_account:
            pool.file("fee_receiver", fees_account, sender=sender)
        self.fee_sources[key] = pool
        self.chain.emit(GaugeCreated(key, "pool", pool.lp_token))
        return Gauge(self, key, gs)

    @action
    def create_vault_gauge(self, key: str, stake_token: str, *, sender: str) -> Gauge:
        """Governance: a vault-incentive gauge staking any ledger token (e.g. vault shares)."""
        self.chain.require_role(GOVERNOR_ROLE, sender, "gov/not-governor")
        gs = self._new_gauge(key, "vault", stake_token)
        self.chain.emit(GaugeCreated(key, "vault", stake_token))
        return Gauge(self, key, gs)

    def _new_gauge(self, key: object, kind: str, stake_token: str) -> GaugeState:
        if not isinstance(key, str) or not key:
            raise InvalidInput("gov/bad-pool", f"a pool key is a non-empty string, got {key!r}")
        if key in self.gauges:
            raise InvalidInput("gov/gauge-exists", f"pool {key} already has a gauge")
        self.chain.ledger.token(stake_token)
        j = self.chain.journal
        gs = GaugeState.new(j, kind, stake_token, self.state.index)
        self.gauges[key] = gs
        self.fees[key] = RewardState.new(j)
        self.bribes[key] = RewardState.new(j)
        self.state.pools = (*self.state.pools, key)
        return gs

    @action
    def kill_gauge(self, pool: str, *, sender: str) -> int:
        """Emergency council: stop a gauge's emissions; its claimable returns to the minter."""
        self.chain.require_role(EMERGENCY_COUNCIL_ROLE, sender, "gov/not-emergency-council")
        gs = self._gauge_state(pool)
        if not gs.alive:
            raise InvalidInput("gov/gauge-already-killed", f"the gauge of {pool} is already killed")
        returned = gs.claimable
        if returned:
            gs.claimable = 0
            self._return_to_minter(returned)
        gs.alive = False
        self.chain.emit(GaugeKilled(pool, returned))
        return returned

    @action
    def revive_gauge(self, pool: str, *, sender: str) -> None:
        """Emergency council: let a killed gauge earn again."""
        self.chain.require_role(EMERGENCY_COUNCIL_ROLE, sender, "gov/not-emergency-council")
        gs = self._gauge_state(pool)
        if gs.alive:
            raise InvalidInput("gov/gauge-alive", f"the gauge of {pool} is alive")
        gs.alive = True
        self.chain.emit(GaugeRevived(pool))

    @action
    def whitelist_token(self, token: str, allowed: bool, *, sender: str) -> None:
        """Governance: allow ``token`` as a bribe (and permissionless gauge) token."""
        self.chain.require_role(GOVERNOR_ROLE, sender, "gov/not-governor")
        self.chain.ledger.token(token)
        if type(allowed) is not bool:
            raise InvalidInput("gov/bad-flag", f"allowed must be a bool, got {allowed!r}")
        if allowed:
            self.whitelisted_tokens[token] = True
        else:
            self.whitelisted_tokens.discard(token)
        self.chain.emit(Whitelisted("token", token, allowed))

    @action
    def whitelist_nft(self, token_id: int, allowed: bool, *, sender: str) -> None:
        """Governance: let ``token_id`` vote in the epoch's last hour."""
        self.chain.require_role(GOVERNOR_ROLE, sender, "gov/not-governor")
        self.escrow.owner(token_id)
        if type(allowed) is not bool:
            raise InvalidInput("gov/bad-flag", f"allowed must be a bool, got {allowed!r}")
        if allowed:
            self.whitelisted_nfts[token_id] = True
        else:
            self.whitelisted_nfts.discard(token_id)
        self.chain.emit(Whitelisted("nft", str(token_id), allowed))

    @action
    def file(self, what: str, value: Any, *, sender: str) -> None:
        """Governance setter. Keys: ``max_voting_num`` (int >= 10)."""
        self.chain.require_role(GOVERNOR_ROLE, sender, "gov/not-governor")
        if what == "max_voting_num":
            if type(value) is not int or value < MIN_MAX_VOTING_NUM:
                raise InvalidInput(
                    "gov/bad-value", f"max_voting_num must be an int >= 10, got {value!r}"
                )
            self.state.max_voting_num = value
        else:
            raise InvalidInput("gov/unknown-param", f"voter has no parameter {what!r}")
        self.chain.emit(GovernanceFiled("voter", what, value))
