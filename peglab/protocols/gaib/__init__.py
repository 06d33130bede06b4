"""Gaib: AID (a whitelisted T-bill dollar), sAID (a NAV vault over AID) and the GPU deal book."""

from __future__ import annotations

from .aid import ADMIN_ROLE, MANAGER_ROLE, Aid, TBillLot
from .deals import (
    MONTH_S,
    Deal,
    DealBook,
    DealTerms,
    annuity_payment,
    tokenisation_fee,
)

__all__ = [
    "ADMIN_ROLE",
    "MANAGER_ROLE",
    "MONTH_S",
    "Aid",
    "Deal",
    "DealBook",
    "DealTerms",
    "TBillLot",
    "annuity_payment",
    "tokenisation_fee",
]
