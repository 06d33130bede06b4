"""ve(3,3) governance: GOV, voting escrow, voter, gauges, minter with rebase, fee and bribe rewards.

Follows Aerodrome/Velodrome v2 (docs/governance-spec.md). Build a system with
``Governance.deploy(chain)``; every balance lives in ``chain.ledger``.
"""

from __future__ import annotations

from .checkpoints import PointHistory
from .distributor import RewardsDistributor
from .epochs import (
    MAXTIME,
    WEEK,
    epoch_next,
    epoch_start,
    epoch_vote_end,
    epoch_vote_start,
)
from .escrow import GOVERNOR_ROLE, VotingEscrow
from .formulas import (
    EmissionSchedule,
    lock_bias,
    lock_slope,
    rebase_aerodrome,
    rebase_velodrome,
    team_emission_aerodrome,
    team_emission_velodrome,
)
from .gauge import Gauge
from .interfaces import FeeSource
from .minter import EPOCH_GOVERNOR_ROLE, Minter
from .rewards import VotingReward
from .system import Governance
from .voter import EMERGENCY_COUNCIL_ROLE, Voter

__all__ = [
    "EMERGENCY_COUNCIL_ROLE",
    "EPOCH_GOVERNOR_ROLE",
    "GOVERNOR_ROLE",
    "MAXTIME",
    "WEEK",
    "EmissionSchedule",
    "FeeSource",
    "Gauge",
    "Governance",
    "Minter",
    "PointHistory",
    "RewardsDistributor",
    "Voter",
    "VotingEscrow",
    "VotingReward",
    "epoch_next",
    "epoch_start",
    "epoch_vote_end",
    "epoch_vote_start",
    "lock_bias",
    "lock_slope",
    "rebase_aerodrome",
    "rebase_velodrome",
    "team_emission_aerodrome",
    "team_emission_velodrome",
]
