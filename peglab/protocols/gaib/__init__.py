"""Gaib: AID (a whitelisted T-bill dollar), sAID (a NAV vault over AID) and the GPU deal book."""

from __future__ import annotations

from .aid import ADMIN_ROLE, MANAGER_ROLE, Aid, TBillLot
from .cycles import FIFO, PRO_RATA, Fill, Pending, allocate
from .deals import (
    MONTH_S,
    Deal,
    DealBook,
    DealTerms,
    annuity_payment,
    tokenisation_fee,
)
from .said import CYCLE_S, WINDOW_S, SaidVault

__all__ = [
    "ADMIN_ROLE",
    "CYCLE_S",
    "FIFO",
    "MANAGER_ROLE",
    "MONTH_S",
    "PRO_RATA",
    "WINDOW_S",
    "Aid",
    "Deal",
    "DealBook",
    "DealTerms",
    "Fill",
    "Pending",
    "SaidVault",
    "TBillLot",
    "allocate",
    "annuity_payment",
    "tokenisation_fee",
]
