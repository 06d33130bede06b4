"""Voting escrow: GOV locked as owned, transferable positions (veNFT ids) with decaying power.

Rules: docs/governance-spec.md §2.

Locked GOV sits in the ledger account ``ve:<name>``; ``state.supply`` equals its balance. Each
lock is ``(amount, end, is_permanent)`` under an integer id with an owner, an optional approved
spender and owner-wide operators. Every change goes through ``PointHistory.checkpoint``.
Flash guard: ``power(id)`` is 0 at the timestamp the id changed owner (the engine's "block").
Not modelled from the reference: managed/locked NFTs, delegation (see docs/governance.md).
"""

from __future__ import annotations

from ...errors import InvalidInput, NotAuthorized
from ...kernel import Chain, Record, Table, action, query
from ...units import check_amount, check_int
from .checkpoints import EMPTY_LOCK, LockedBalance, PointHistory
from .epochs import MAXTIME, WEEK
from .events import (
    EscrowCheckpointed,
    LockApproved,
    LockCreated,
    LockDeposited,
    LockExtended,
    LockMadePermanent,
    LocksMerged,
    LockSplit,
    LockTransferred,
    LockUnlocked,
    LockWithdrawn,
    OperatorApproved,
    Whitelisted,
)

__all__ = ["EscrowState", "VotingEscrow"]

GOVERNOR_ROLE = "gov/governor"


class EscrowState(Record):
    """Scalar escrow state: the last id issued and the total GOV locked."""

    __slots__ = ("next_id", "supply")
    next_id: int
    supply: int


class VotingEscrow:
    """Locks of GOV with slope/bias voting power; ids are owned and transferable."""

    def __init__(self, chain: Chain, token: str, *, name: str) -> None:
        j = chain.journal
        self.chain = chain
        self.token = token
        self.name = name
        self.account = f"ve:{name}"
        chain.protect_namespace("ve", "governance")
        self.state = EscrowState(j, next_id=0, supply=0)
        self.history = PointHistory(j, chain.now)
        self.locks: Table[int, LockedBalance] = Table(j)
        self.owner_of: Table[int, str] = Table(j)
        self.approved: Table[int, str] = Table(j)
        self.operators: Table[tuple[str, str], bool] = Table(j)
        self.ownership_change: Table[int, int] = Table(j)
        self.voted: Table[int, bool] = Table(j)
        self.can_split: Table[str, bool] = Table(j)
        prefix = f"gov:{name}:ve"
        for suffix, obj in (
            ("state", self.state),
            ("history", self.history.state),
            ("point-history", self.history.point_history),
            ("slope-changes", self.history.slope_changes),
            ("user-point-epoch", self.history.user_point_epoch),
            ("user-points", self.history.user_points),
            ("locks", self.locks),
            ("owners", self.owner_of),
            ("approved", self.approved),
            ("operators", self.operators),
            ("ownership-change", self.ownership_change),
            ("voted", self.voted),
            ("can-split", self.can_split),
        ):
            chain.register(f"{prefix}:{suffix}", obj)

    # -- reads --------------------------------------------------------------------------------
    @query
    def locked(self, token_id: int) -> LockedBalance:
        """``(amount, end, is_permanent)`` of a lock; zeros if it does not exist."""
        return self.locks.get(token_id, EMPTY_LOCK)

    @query
    def owner(self, token_id: int) -> str:
        """Owner of ``token_id`` or ``InvalidInput gov/unknown-lock``."""
        owner = self.owner_of.get(token_id) if type(token_id) is int else None
        if owner is None:
            raise InvalidInput("gov/unknown-lock", f"no lock with id {token_id!r}")
        return owner

    @query
    def is_approved_or_owner(self, account: str, token_id: int) -> bool:
        """True if ``account`` owns, is approved for, or operates for the owner of ``token_id``."""
        owner = self.owner_of.get(token_id)
        if owner is None:
            return False
        return (
            owner == account
            or self.approved.get(token_id) == account
            or self.operators.get((owner, account), False)
        )

    def require_approved_or_owner(self, account: str, token_id: int) -> str:
        """Owner of ``token_id``; raises unless ``account`` may act for it."""
        owner = self.owner(token_id)
        if not self.is_approved_or_owner(account, token_id):
            raise NotAuthorized(
                "gov/not-owner",
                f"{account} is neither owner ({owner}) nor approved for lock {token_id}",
            )
        return owner

    @query
    def locks_of(self, owner: str) -> list[int]:
        """Ids owned by ``owner``, ascending (a scan; for display and tests)."""
        return sorted(i for i, o in self.owner_of.items() if o == owner)

    @query
    def power(self, token_id: int) -> int:
        """Voting power now; 0 at the timestamp the lock changed owner (flash guard)."""
        if self.ownership_change.get(token_id) == self.chain.now:
            return 0
        return self.history.power_at(token_id, self.chain.now)

    @query
    def power_at(self, token_id: int, t: int) -> int:
        """Voting power of ``token_id`` at time ``t`` (history; no flash guard)."""
        return self.history.power_at(token_id, t)

    @query
    def supply_at(self, t: int) -> int:
        """Total voting power at ``t``."""
        return self.history.supply_at(t)

    def total_power(self) -> int:
        """Total voting power now."""
        return self.history.supply_at(self.chain.now)

    @property
    def permanent_total(self) -> int:
        """GOV in permanent locks."""
        return self.history.state.permanent_total

    # -- lock actions -------------------------------------------------------------------------
    @action
    def create_lock(
        self, value: int, duration_s: int, *, sender: str, to: str | None = None
    ) -> int:
        """Lock ``value`` GOV of the sender until ``(now + duration_s)`` rounded down to a week;
        mints a new id to ``to`` (default: the sender). Returns the id."""
        check_amount(value, "value", "gov/bad-amount")
        check_amount(duration_s, "duration_s", "gov/bad-duration")
        if value == 0:
            raise InvalidInput("gov/zero-amount", "cannot lock zero GOV")
        now = self.chain.now
        unlock = (now + duration_s) // WEEK * WEEK
        if unlock <= now:
            raise InvalidInput(
                "gov/lock-not-in-future",
                f"unlock time {unlock} (now + duration rounded down to a week) is not after now {now}",
            )
        if unlock > now + MAXTIME:
            raise InvalidInput(
                "gov/lock-too-long",
                f"duration {duration_s} s exceeds MAXTIME {MAXTIME} s (4 years)",
            )
        owner = sender if to is None else to
        if not isinstance(owner, str) or not owner:
            raise InvalidInput(
                "gov/bad-account", f"recipient must be a non-empty string, got {owner!r}"
            )
        token_id = self._mint(owner)
        self._deposit_for(token_id, value, unlock, EMPTY_LOCK, payer=sender)
        self.chain.emit(LockCreated(token_id, owner, value, unlock))
        return token_id

    @action
    def increase_amount(self, token_id: int, value: int, *, sender: str) -> None:
        """Add ``value`` GOV of the sender to a lock the sender owns or is approved for."""
        self.require_approved_or_owner(sender, token_id)
        added = self._increase_amount_for(token_id, value, payer=sender)
        self.chain.emit(LockDeposited(token_id, sender, added, self.locks[token_id][0]))

    @action
    def deposit_for(self, token_id: int, value: int, *, sender: str) -> None:
        """Anyone adds ``value`` GOV of their own to any live lock (end unchanged)."""
        self.owner(token_id)
        added = self._increase_amount_for(token_id, value, payer=sender)
        self.chain.emit(LockDeposited(token_id, sender, added, self.locks[token_id][0]))

    @action
    def increase_unlock_time(self, token_id: int, duration_s: int, *, sender: str) -> None:
        """Move a lock's end to ``(now + duration_s)`` rounded down to a week (must grow)."""
        self.require_approved_or_owner(sender, token_id)
        check_amount(duration_s, "duration_s", "gov/bad-duration")
        old = self.locks[token_id]
        now = self.chain.now
        if old[2]:
            raise InvalidInput("gov/permanent-lock", f"lock {token_id} is permanent; it has no end")
        if old[1] <= now:
            raise InvalidInput("gov/lock-expired", f"lock {token_id} expired at {old[1]}")
        unlock = (now + duration_s) // WEEK * WEEK
        if unlock <= old[1]:
            raise InvalidInput(
                "gov/lock-not-in-future", f"new end {unlock} is not after the current end {old[1]}"
            )
        if unlock > now + MAXTIME:
            raise InvalidInput(
                "gov/lock-too-long",
                f"duration {duration_s} s exceeds MAXTIME {MAXTIME} s (4 years)",
            )
        self._deposit_for(token_id, 0, unlock, old, payer=sender)
        self.chain.emit(LockExtended(token_id, old[1], unlock))

    @action
    def withdraw(self, token_id: int, *, sender: str) -> int:
        """Burn an expired, non-permanent, non-voting lock and pay its GOV to the sender."""
        self.require_approved_or_owner(sender, token_id)
        if self.voted.get(token_id, False):
            raise InvalidInput("gov/already-voted", f"lock {token_id} has votes; reset it first")
        old = self.locks[token_id]
        if old[2]:
            raise InvalidInput(
                "gov/permanent-lock", f"lock {token_id} is permanent; unlock it first"
            )
        if self.chain.now < old[1]:
            raise InvalidInput("gov/lock-not-expired", f"lock {token_id} ends at {old[1]}")
        owner = self.owner_of[token_id]
        self._burn(token_id)
        self.state.supply -= old[0]
        self.history.checkpoint(token_id, old, EMPTY_LOCK, self.chain.now)
        self.chain.ledger.transfer(self.token, self.account, sender, old[0])
        self.chain.emit(LockWithdrawn(token_id, owner, old[0]))
        return old[0]

    @action
    def lock_permanent(self, token_id: int, *, sender: str) -> None:
        """Make a live lock permanent: no decay, power = amount, no end."""
        self.require_approved_or_owner(sender, token_id)
        old = self.locks[token_id]
        if old[2]:
            raise InvalidInput("gov/permanent-lock", f"lock {token_id} is already permanent")
        if old[1] <= self.chain.now:
            raise InvalidInput("gov/lock-expired", f"lock {token_id} expired at {old[1]}")
        self.history.state.permanent_total += old[0]
        new = (old[0], 0, True)
        self.history.checkpoint(token_id, old, new, self.chain.now)
        self.locks[token_id] = new
        self.chain.emit(LockMadePermanent(token_id, old[0]))

    @action
    def unlock_permanent(self, token_id: int, *, sender: str) -> None:
        """Turn a permanent lock back into a MAXTIME lock (not while voting)."""
        self.require_approved_or_owner(sender, token_id)
        if self.voted.get(token_id, False):
            raise InvalidInput("gov/already-voted", f"lock {token_id} has votes; reset it first")
        old = self.locks[token_id]
        if not old[2]:
            raise InvalidInput("gov/not-permanent-lock", f"lock {token_id} is not permanent")
        self.history.state.permanent_total -= old[0]
        end = (self.chain.now + MAXTIME) // WEEK * WEEK
        new = (old[0], end, False)
        self.history.checkpoint(token_id, old, new, self.chain.now)
        self.locks[token_id] = new
        self.chain.emit(LockUnlocked(token_id, old[0], end))

    @action
    def merge(self, from_id: int, to_id: int, *, sender: str) -> None:
        """Move all of ``from_id`` into ``to_id`` (later end kept) and burn ``from_id``."""
        if from_id == to_id:
            raise InvalidInput("gov/same-nft", f"cannot merge lock {from_id} into itself")
        self.require_approved_or_owner(sender, from_id)
        self.require_approved_or_owner(sender, to_id)
        if self.voted.get(from_id, False):
            raise InvalidInput("gov/already-voted", f"lock {from_id} has votes; reset it first")
        now = self.chain.now
        old_to = self.locks[to_id]
        if old_to[1] <= now and not old_to[2]:
            raise InvalidInput("gov/lock-expired", f"lock {to_id} expired at {old_to[1]}")
        old_from = self.locks[from_id]
        if old_from[2]:
            raise InvalidInput(
                "gov/permanent-lock", f"lock {from_id} is permanent; unlock it first"
            )
        end = max(old_from[1], old_to[1])
        self._burn(from_id)
        self.history.checkpoint(from_id, old_from, EMPTY_LOCK, now)
        amount = old_to[0] + old_from[0]
        if old_to[2]:
            self.history.state.permanent_total += old_from[0]
            new_to: LockedBalance = (amount, 0, True)
        else:
            new_to = (amount, end, False)
        self.history.checkpoint(to_id, old_to, new_to, now)
        self.locks[to_id] = new_to
        self.chain.emit(LocksMerged(from_id, to_id, old_from[0], new_to[1]))

    @action
    def split(self, token_id: int, amount: int, *, sender: str) -> tuple[int, int]:
        """Burn ``token_id`` and mint two locks with the same end: ``amount`` and the rest.

        Permissioned: the owner (or everyone, key ``"*"``) must be allowed by ``toggle_split``.
        Returns ``(kept_id, split_id)``.
        """
        owner = self.require_approved_or_owner(sender, token_id)
        check_amount(amount, "amount", "gov/bad-amount")
        if self.voted.get(token_id, False):
            raise InvalidInput("gov/already-voted", f"lock {token_id} has votes; reset it first")
        if not (self.can_split.get(owner, False) or self.can_split.get("*", False)):
            raise NotAuthorized("gov/split-not-allowed", f"splitting is not enabled for {owner}")
        old = self.locks[token_id]
        now = self.chain.now
        if old[1] <= now and not old[2]:
            raise InvalidInput("gov/lock-expired", f"lock {token_id} expired at {old[1]}")
        if amount == 0:
            raise InvalidInput("gov/zero-amount", "split amount must be positive")
        if old[0] <= amount:
            raise InvalidInput(
                "gov/amount-too-big", f"split {amount} must be below the lock's {old[0]}"
            )
        self._burn(token_id)
        self.history.checkpoint(token_id, old, EMPTY_LOCK, now)
        kept = (old[0] - amount, old[1], old[2])
        part = (amount, old[1], old[2])
        ids = []
        for lock in (kept, part):
            new_id = self.state.next_id + 1
            self.state.next_id = new_id
            self.locks[new_id] = lock
            self.history.checkpoint(new_id, EMPTY_LOCK, lock, now)
            self.owner_of[new_id] = owner
            ids.append(new_id)
        self.chain.emit(LockSplit(token_id, ids[0], ids[1], amount))
        return ids[0], ids[1]

    @action
    def checkpoint(self, *, sender: str) -> None:
        """Advance the global point to now (at most 255 weeks per call)."""
        self.history.checkpoint(0, EMPTY_LOCK, EMPTY_LOCK, self.chain.now, allow_partial=True)
        st = self.history.state
        self.chain.emit(EscrowCheckpointed(st.epoch, self.history.point_history[st.epoch][2]))

    # -- ownership actions --------------------------------------------------------------------
    @action
    def transfer(self, token_id: int, to: str, *, sender: str) -> None:
        """Give ``token_id`` to ``to``; votes stay with the lock; clears the approval."""
        owner = self.require_approved_or_owner(sender, token_id)
        if not isinstance(to, str) or not to:
            raise InvalidInput(
                "gov/bad-account", f"recipient must be a non-empty string, got {to!r}"
            )
        self.approved.discard(token_id)
        self.owner_of[token_id] = to
        self.ownership_change[token_id] = self.chain.now
        self.chain.emit(LockTransferred(token_id, owner, to))

    @action
    def approve(self, token_id: int, spender: str, *, sender: str) -> None:
        """Let ``spender`` act for ``token_id`` (owner or operator only; "" clears)."""
        owner = self.owner(token_id)
        if sender != owner and not self.operators.get((owner, sender), False):
            raise NotAuthorized("gov/not-owner", f"{sender} may not approve for lock {token_id}")
        if not isinstance(spender, str):
            raise InvalidInput("gov/bad-account", f"spender must be a string, got {spender!r}")
        if spender:
            self.approved[token_id] = spender
        else:
            self.approved.discard(token_id)
        self.chain.emit(LockApproved(token_id, spender))

    @action
    def set_approval_for_all(self, operator: str, approved: bool, *, sender: str) -> None:
        """Let ``operator`` act for every lock of the sender (or stop it)."""
        if not isinstance(operator, str) or not operator or operator == sender:
            raise InvalidInput("gov/bad-account", f"bad operator {operator!r}")
        if type(approved) is not bool:
            raise InvalidInput("gov/bad-flag", f"approved must be a bool, got {approved!r}")
        if approved:
            self.operators[(sender, operator)] = True
        else:
            self.operators.discard((sender, operator))
        self.chain.emit(OperatorApproved(sender, operator, approved))

    @action
    def toggle_split(self, account: str, allowed: bool, *, sender: str) -> None:
        """Governance allows ``account`` (``"*"``: everyone) to split locks."""
        self.chain.require_role(GOVERNOR_ROLE, sender, "gov/not-governor")
        if not isinstance(account, str) or not account or type(allowed) is not bool:
            raise InvalidInput("gov/bad-account", f"bad split permission {account!r}, {allowed!r}")
        if allowed:
            self.can_split[account] = True
        else:
            self.can_split.discard(account)
        self.chain.emit(Whitelisted("split", account, allowed))

    # -- internals used by the voter and the rewards distributor ------------------------------
    def set_voting(self, token_id: int, voted: bool) -> None:
        """Voter hook: mark a lock as voting (blocks withdraw/merge/split/unlock)."""
        if voted:
            self.voted[token_id] = True
        else:
            self.voted.discard(token_id)

    def increase_amount_internal(self, token_id: int, value: int, payer: str) -> None:
        """Rewards-distributor hook: compound ``value`` from ``payer`` into a live lock."""
        self._increase_amount_for(token_id, value, payer=payer)

    def create_permanent_lock_internal(self, value: int, owner: str, payer: str) -> int:
        """Minter hook (initial allocations): a permanent lock of ``value`` for ``owner``."""
        token_id = self._mint(owner)
        end = (self.chain.now + MAXTIME) // WEEK * WEEK
        self._deposit_for(token_id, value, end, EMPTY_LOCK, payer=payer)
        old = self.locks[token_id]
        self.history.state.permanent_total += value
        new = (old[0], 0, True)
        self.history.checkpoint(token_id, old, new, self.chain.now)
        self.locks[token_id] = new
        return token_id

    def _mint(self, owner: str) -> int:
        token_id = self.state.next_id + 1
        self.state.next_id = token_id
        self.owner_of[token_id] = owner
        return token_id

    def _burn(self, token_id: int) -> None:
        del self.owner_of[token_id]
        self.approved.discard(token_id)
        self.locks.discard(token_id)

    def _increase_amount_for(self, token_id: int, value: object, *, payer: str) -> int:
        """Validate and add ``value`` to a live lock; returns the amount added (no event)."""
        v = check_amount(value, "value", "gov/bad-amount")
        if v == 0:
            raise InvalidInput("gov/zero-amount", "cannot add zero GOV")
        old = self.locks[check_int(token_id, "token_id", "gov/unknown-lock")]
        if old[1] <= self.chain.now and not old[2]:
            raise InvalidInput("gov/lock-expired", f"lock {token_id} expired at {old[1]}")
        if old[2]:
            self.history.state.permanent_total += v
        self._deposit_for(token_id, v, 0, old, payer=payer)
        return v

    def _deposit_for(
        self, token_id: int, value: int, unlock: int, old: LockedBalance, *, payer: str
    ) -> None:
        """Write the new lock, checkpoint it, then pull ``value`` GOV from ``payer``."""
        self.state.supply += value
        new = (old[0] + value, unlock if unlock else old[1], old[2])
        self.locks[token_id] = new
        self.history.checkpoint(token_id, old, new, self.chain.now)
        if value:
            self.chain.ledger.transfer(self.token, payer, self.account, value)
