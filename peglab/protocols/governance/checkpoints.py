"""Slope/bias checkpoints of the voting escrow: user and global point histories.

Rules: docs/governance-spec.md §2.

Design. A normal lock of ``amount`` ending at ``end`` has voting power that falls linearly:
``power(t) = slope * (end - t)`` with ``slope = amount // MAXTIME``. Storing that line at the time
of the last change as a point ``(bias, slope, ts)`` gives ``power(t) = bias - slope * (t - ts)``
for any later ``t``. The sum over all locks is again piecewise linear; its slope only changes
when a lock ends, and lock ends are week multiples. So the global line is kept as one point plus
a table ``slope_changes[week]`` of the (negative) slope changes scheduled at each week boundary:
to move the global point from ``ts`` to ``now`` walk week by week, ``bias -= slope * dt`` then
``slope += slope_changes[week]`` at each full boundary, clamping both at zero, writing one
history point per boundary. A lock change then adds its own delta
``(slope_new - slope_old, bias_new - bias_old)`` and moves its scheduled change:
``slope_changes[old_end] += old_slope`` (cancel) and ``slope_changes[new_end] -= new_slope``.
Permanent locks have no slope: their power is their amount, carried as ``permanent`` in the user
point and as ``permanent_total`` in the global point.

Past queries binary-search the history: ``power_at(id, t)`` finds the last user point with
``ts <= t``; ``supply_at(t)`` the last global point with ``ts <= t`` then walks forward applying
slope changes. A walk of more than 255 weeks is refused (``gov/checkpoint-gap``) except by the
global ``checkpoint`` action, which advances 255 weeks per call, as the reference does.

Points are tuples: user ``(bias, slope, ts, permanent)``, global ``(bias, slope, ts,
permanent_total)``. Two writes at the same timestamp overwrite the latest point.
"""

from __future__ import annotations

from ...errors import LimitExceeded
from ...kernel import Journal, Record, Table
from .epochs import MAXTIME, WEEK, last_at_or_before

__all__ = [
    "EMPTY_LOCK",
    "MAX_WALK_WEEKS",
    "GlobalPoint",
    "LockedBalance",
    "PointHistory",
    "UserPoint",
]

MAX_WALK_WEEKS = 255

UserPoint = tuple[int, int, int, int]  # (bias, slope, ts, permanent)
GlobalPoint = tuple[int, int, int, int]  # (bias, slope, ts, permanent_total)
LockedBalance = tuple[int, int, bool]  # (amount, end, is_permanent)

EMPTY_LOCK: LockedBalance = (0, 0, False)


class HistoryState(Record):
    """Scalar state of the point history: the latest global epoch and the permanent total."""

    __slots__ = ("epoch", "permanent_total")
    epoch: int
    permanent_total: int


class PointHistory:
    """User and global checkpoints with history; pure bookkeeping called by the escrow."""

    def __init__(self, journal: Journal, start_time: int) -> None:
        self.state = HistoryState(journal, epoch=0, permanent_total=0)
        self.point_history: Table[int, GlobalPoint] = Table(journal)
        self.point_history[0] = (0, 0, start_time, 0)
        self.slope_changes: Table[int, int] = Table(journal)
        self.user_point_epoch: Table[int, int] = Table(journal)
        self.user_points: Table[tuple[int, int], UserPoint] = Table(journal)

    # -- writes -------------------------------------------------------------------------------
    def checkpoint(
        self,
        token_id: int,
        old: LockedBalance,
        new: LockedBalance,
        now: int,
        *,
        allow_partial: bool = False,
    ) -> None:
        """Record a lock change ``old -> new`` at ``now`` (``token_id == 0``: global walk only).

        Rounding: slopes truncate (``amount // MAXTIME``), so recorded power never exceeds the
        locked amount; biases and slopes clamp at zero where the reference does.
        """
        slope_changes = self.slope_changes
        history = self.point_history
        st = self.state
        old_slope = old_bias = new_slope = new_bias = 0
        old_dslope = new_dslope = 0
        new_permanent = 0
        if token_id:
            new_permanent = new[0] if new[2] else 0
            if old[1] > now and old[0] > 0:
                old_slope = old[0] // MAXTIME
                old_bias = old_slope * (old[1] - now)
            if new[1] > now and new[0] > 0:
                new_slope = new[0] // MAXTIME
                new_bias = new_slope * (new[1] - now)
            old_dslope = slope_changes.get(old[1], 0)
            if new[1] != 0:
                new_dslope = old_dslope if new[1] == old[1] else slope_changes.get(new[1], 0)

        epoch = st.epoch
        if epoch > 0:
            bias, slope, last_ts, permanent = history[epoch]
        else:
            bias, slope, last_ts, permanent = 0, 0, now, 0
        t_i = last_ts // WEEK * WEEK
        reached_now = False
        for _ in range(MAX_WALK_WEEKS):
            t_i += WEEK
            d_slope = 0
            if t_i > now:
                t_i = now
            else:
                d_slope = slope_changes.get(t_i, 0)
            bias -= slope * (t_i - last_ts)
            slope += d_slope
            if bias < 0:
                bias = 0
            if slope < 0:
                slope = 0
            last_ts = t_i
            epoch += 1
            if t_i == now:
                reached_now = True
                break
            history[epoch] = (bias, slope, t_i, permanent)
        if not reached_now:
            if not allow_partial:
                raise LimitExceeded(
                    "gov/checkpoint-gap",
                    f"the global checkpoint is more than {MAX_WALK_WEEKS} weeks old; call "
                    "checkpoint() (it advances 255 weeks per call) until it reaches now",
                )
            st.epoch = epoch
            return

        if token_id:
            slope += new_slope - old_slope
            bias += new_bias - old_bias
            if slope < 0:
                slope = 0
            if bias < 0:
                bias = 0
            permanent = st.permanent_total
        point = (bias, slope, now, permanent)
        if epoch != 1 and history[epoch - 1][2] == now:
            history[epoch - 1] = point
        else:
            st.epoch = epoch
            history[epoch] = point

        if token_id:
            if old[1] > now:
                old_dslope += old_slope
                if new[1] == old[1]:
                    old_dslope -= new_slope
                slope_changes[old[1]] = old_dslope
            if new[1] > now and new[1] > old[1]:
                new_dslope -= new_slope
                slope_changes[new[1]] = new_dslope
            user_point = (new_bias, new_slope, now, new_permanent)
            user_epoch = self.user_point_epoch.get(token_id, 0)
            if user_epoch and self.user_points[(token_id, user_epoch)][2] == now:
                self.user_points[(token_id, user_epoch)] = user_point
            else:
                user_epoch += 1
                self.user_point_epoch[token_id] = user_epoch
                self.user_points[(token_id, user_epoch)] = user_point

    # -- reads --------------------------------------------------------------------------------
    def past_user_index(self, token_id: int, t: int) -> int:
        """Index of the last user point with ``ts <= t`` (0: none)."""
        n = self.user_point_epoch.get(token_id, 0)
        if n == 0:
            return 0
        points = self.user_points
        return last_at_or_before(1, n, lambda i: points[(token_id, i)][2], t)

    def past_global_index(self, t: int) -> int:
        """Index of the last global point with ``ts <= t`` (0: none)."""
        n = self.state.epoch
        if n == 0:
            return 0
        history = self.point_history
        return last_at_or_before(1, n, lambda i: history[i][2], t)

    def power_at(self, token_id: int, t: int) -> int:
        """Voting power of ``token_id`` at time ``t`` from its history (never negative)."""
        idx = self.past_user_index(token_id, t)
        if idx == 0:
            return 0
        bias, slope, ts, permanent = self.user_points[(token_id, idx)]
        if permanent:
            return permanent
        bias -= slope * (t - ts)
        return bias if bias > 0 else 0

    def supply_at(self, t: int) -> int:
        """Total voting power at ``t``: decayed global bias (clamped at 0) plus permanent total."""
        idx = self.past_global_index(t)
        if idx == 0:
            return 0
        bias, slope, ts, permanent = self.point_history[idx]
        slope_changes = self.slope_changes
        t_i = ts // WEEK * WEEK
        for _ in range(MAX_WALK_WEEKS):
            t_i += WEEK
            d_slope = 0
            if t_i > t:
                t_i = t
            else:
                d_slope = slope_changes.get(t_i, 0)
            bias -= slope * (t_i - ts)
            if t_i == t:
                break
            slope += d_slope
            ts = t_i
        if bias < 0:
            bias = 0
        return bias + permanent

    def user_point(self, token_id: int, index: int) -> UserPoint:
        """The ``index``-th user point (1-based), or zeros if absent."""
        return self.user_points.get((token_id, index), (0, 0, 0, 0))
