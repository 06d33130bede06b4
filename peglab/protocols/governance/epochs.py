"""Governance time: Unix weeks (Thursday 00:00 UTC), MAXTIME and the voting window.

Rules: docs/governance-spec.md §1.

Pure functions of a timestamp in seconds, named after Aerodrome's ProtocolTimeLibrary.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "MAXTIME",
    "MULTIPLIER",
    "VOTE_BUFFER",
    "WEEK",
    "epoch_next",
    "epoch_start",
    "epoch_vote_end",
    "epoch_vote_start",
    "last_at_or_before",
    "round_to_week",
]

WEEK: int = 604_800  # seconds; Unix time 0 is a Thursday, so weeks start Thursday 00:00 UTC
MAXTIME: int = 4 * 365 * 86_400  # 126_144_000 s, the longest lock
MULTIPLIER: int = 10**18  # precision of the emission index and reward-per-token
VOTE_BUFFER: int = 3_600  # first hour of an epoch: distribution only; last hour: whitelisted only


def epoch_start(t: int) -> int:
    """Start of the week containing ``t``: ``t - t % WEEK``."""
    return t - t % WEEK


def epoch_next(t: int) -> int:
    """Start of the week after the one containing ``t``."""
    return t - t % WEEK + WEEK


def epoch_vote_start(t: int) -> int:
    """First instant of the epoch at which votes are allowed is strictly after this."""
    return t - t % WEEK + VOTE_BUFFER


def epoch_vote_end(t: int) -> int:
    """After this instant only whitelisted locks may vote in the epoch containing ``t``."""
    return t - t % WEEK + WEEK - VOTE_BUFFER


def round_to_week(t: int) -> int:
    """``t // WEEK * WEEK`` — lock ends are rounded down to a week boundary."""
    return t // WEEK * WEEK


def last_at_or_before(first: int, last: int, ts_of: Callable[[int], int], t: int) -> int:
    """Index of the last checkpoint in ``first..last`` whose time ``ts_of(i) <= t``; 0 when none.

    The binary search of Aerodrome's VotingEscrow and Reward checkpoint lookups (their
    ``getPastUserPointIndex``/``getPriorBalanceIndex``): the ends are checked first, then the
    search runs on ``0..last`` with the upper middle, returning an exact time match at once.
    """
    if ts_of(last) <= t:
        return last
    if ts_of(first) > t:
        return 0
    lower, upper = 0, last
    while upper > lower:
        center = upper - (upper - lower) // 2
        ts = ts_of(center)
        if ts == t:
            return center
        if ts < t:
            lower = center
        else:
            upper = center - 1
    return lower
