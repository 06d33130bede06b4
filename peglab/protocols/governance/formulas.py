"""Pure formulas of ve(3,3): lock slope and bias, emission schedule, rebase and team share.

Rules: docs/governance-spec.md §2, §4.

Names mirror Aerodrome/Velodrome v2 (``calculate_growth`` is the Minter's ``calculateGrowth``).
All divisions floor (operands are non-negative), as the reference's unsigned arithmetic does;
flooring favours the protocol: a lock's power and every minted amount round down.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import InvalidInput
from ...units import BPS, WAD
from .epochs import MAXTIME

__all__ = [
    "EmissionSchedule",
    "lock_bias",
    "lock_slope",
    "rebase_aerodrome",
    "rebase_velodrome",
    "team_emission_aerodrome",
    "team_emission_velodrome",
]


def lock_slope(amount: int) -> int:
    """slope = amount // MAXTIME  (voting power lost per second, truncated)."""
    return amount // MAXTIME


def lock_bias(amount: int, end: int, t: int) -> int:
    """bias = slope * (end - t) for a lock still running at ``t``, else 0."""
    if end <= t or amount <= 0:
        return 0
    return (amount // MAXTIME) * (end - t)


def rebase_aerodrome(emission: int, ve_supply: int, total_supply: int) -> int:
    """Aerodrome growth: ((E*(T-V)//T)*(T-V)//T)//2 = E (1 - V/T)^2 / 2, floored at each step.

    Returns 0 when ``total_supply`` is 0 (nothing exists to dilute).
    """
    if total_supply <= 0:
        return 0
    free = total_supply - ve_supply
    return emission * free // total_supply * free // total_supply // 2


def rebase_velodrome(emission: int, ve_supply: int, total_supply: int) -> int:
    """Velodrome v2 growth: (((E*V//T)*V//T)*V//T)//2 = E (V/T)^3 / 2, floored at each step."""
    if total_supply <= 0:
        return 0
    return (
        emission
        * ve_supply
        // total_supply
        * ve_supply
        // total_supply
        * ve_supply
        // total_supply
        // 2
    )


def team_emission_velodrome(rate_bps: int, growth: int, emission: int) -> int:
    """Team share after Velodrome's "fix: team emissions": rate * (growth + E) // 10_000."""
    return rate_bps * (growth + emission) // BPS


def team_emission_aerodrome(rate_bps: int, growth: int, weekly_next: int) -> int:
    """Aerodrome team share: rate * (growth + weekly_next) // (10_000 - rate)."""
    return rate_bps * (growth + weekly_next) // (BPS - rate_bps)


@dataclass(frozen=True, slots=True)
class EmissionSchedule:
    """Minter constants (docs/governance-spec.md §4). All amounts wad; rates bps.

    ``next_weekly``: ×growth_bps while the epoch count (after increment) is below
    ``growth_epochs``, then ×decay_bps. Tail starts once ``weekly < tail_start``; a tail epoch
    emits ``total_supply * tail_rate_bps // 10_000``. ``rebase`` is "aerodrome" or "velodrome";
    ``team`` is "velodrome" (spec's choice) or "aerodrome".
    """

    initial_weekly: int
    growth_bps: int
    growth_epochs: int
    decay_bps: int
    tail_start: int
    tail_rate_bps: int
    tail_rate_min_bps: int = 1
    tail_rate_max_bps: int = 100
    team_rate_bps: int = 500
    max_team_rate_bps: int = 500
    rebase: str = "aerodrome"
    team: str = "velodrome"

    def __post_init__(self) -> None:
        for name in ("initial_weekly", "growth_bps", "growth_epochs", "decay_bps", "tail_start"):
            v = getattr(self, name)
            if type(v) is not int or v < 0:
                raise InvalidInput(
                    "gov/bad-config", f"{name} must be a non-negative int, got {v!r}"
                )
        if not 0 <= self.tail_rate_min_bps <= self.tail_rate_bps <= self.tail_rate_max_bps <= BPS:
            raise InvalidInput(
                "gov/bad-config", "need 0 <= tail min <= tail rate <= tail max <= 10_000 bps"
            )
        if not 0 <= self.team_rate_bps <= self.max_team_rate_bps < BPS:
            raise InvalidInput(
                "gov/bad-config", "need 0 <= team rate <= max team rate < 10_000 bps"
            )
        if self.rebase not in ("aerodrome", "velodrome") or self.team not in (
            "aerodrome",
            "velodrome",
        ):
            raise InvalidInput(
                "gov/bad-config", "rebase and team must be 'aerodrome' or 'velodrome'"
            )

    @classmethod
    def aerodrome(cls, initial_weekly: int = 10_000_000 * WAD) -> EmissionSchedule:
        """Aerodrome constants scaled by ``initial_weekly`` (docs/governance-spec.md §4 default): +3%/epoch for 14
        epochs, then -1%; tail below 89.6915% of the initial weekly at 67 bps of supply."""
        tail = 8_969_150 * WAD * initial_weekly // (10_000_000 * WAD)
        return cls(initial_weekly, 10_300, 15, 9_900, tail, 67)

    @classmethod
    def velodrome(cls, initial_weekly: int = 15_000_000 * WAD) -> EmissionSchedule:
        """Velodrome v2 constants: -1%/epoch from the start, tail below 40% at 30 bps, cubic rebase."""
        tail = 6_000_000 * WAD * initial_weekly // (15_000_000 * WAD)
        return cls(initial_weekly, 10_000, 0, 9_900, tail, 30, rebase="velodrome")

    def next_weekly(self, weekly: int, epoch_count: int) -> int:
        """Weekly emission of the next epoch, given this epoch's count (already incremented)."""
        if epoch_count < self.growth_epochs:
            return weekly * self.growth_bps // BPS
        return weekly * self.decay_bps // BPS

    def growth(self, emission: int, ve_supply: int, total_supply: int) -> int:
        """The rebase to lockers with this schedule's formula."""
        if self.rebase == "aerodrome":
            return rebase_aerodrome(emission, ve_supply, total_supply)
        return rebase_velodrome(emission, ve_supply, total_supply)

    def team_share(self, rate_bps: int, growth: int, emission: int, weekly_next: int) -> int:
        """The team's share with this schedule's formula."""
        if self.team == "velodrome":
            return team_emission_velodrome(rate_bps, growth, emission)
        return team_emission_aerodrome(rate_bps, growth, weekly_next)
