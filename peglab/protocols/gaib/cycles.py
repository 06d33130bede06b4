"""sAID withdrawal-cycle arithmetic: how one cycle's liquidity fills the pending requests (pure, exact).

At the end of a cycle every pending request is priced at the cycle's single withdrawal NAV
``nav_wad`` (assets per share, wad). Requests carried over from older cycles come first (they
keep the priority of the cycle they were made in); then (docs/gaib.md §3)::

    PRO_RATA (default): cohort by cohort, oldest cycle first. A cohort is filled in full when the
              liquidity left pays it; otherwise every request in it gets
              fill_k = floor(shares_k * L * 1e18 / (R * nav))      (R = the cohort's shares)
              and the cycle stops there (later cohorts roll whole).
    FIFO:     in (cycle, request id) order, full fills while the liquidity lasts, then one partial
              fill_k = floor(L * 1e18 / nav), then stop.
    paid_k  = floor(fill_k * nav / 1e18)

Both round fills and payouts down, so ``Σ paid_k <= L`` and what is left stays with the holders
who remain. Unfilled shares stay pending with their original cycle: the next cycle serves them
first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...units import WAD

__all__ = ["FIFO", "MODES", "PRO_RATA", "Fill", "Pending", "allocate"]

PRO_RATA = "pro-rata"
FIFO = "fifo"
MODES = (PRO_RATA, FIFO)


@dataclass(frozen=True, slots=True)
class Pending:
    """A pending request: its id (arrival order), the cycle it was made in, its unfilled shares."""

    request: int
    cycle: int
    shares: int


@dataclass(frozen=True, slots=True)
class Fill:
    request: int
    shares: int
    paid_wad: int


def allocate(pending: Sequence[Pending], liquidity_wad: int, nav_wad: int, mode: str) -> list[Fill]:
    """Fills of ``pending`` (any order) from ``liquidity_wad`` at ``nav_wad``; one Fill per request
    that receives shares, in priority order."""
    queue = sorted(pending, key=lambda p: (p.cycle, p.request))
    left = liquidity_wad
    fills: list[Fill] = []
    if nav_wad <= 0 or left <= 0:
        return fills
    if mode == FIFO:
        for p in queue:
            full = p.shares * nav_wad // WAD
            if full <= left:
                fills.append(Fill(p.request, p.shares, full))
                left -= full
                continue
            part = min(p.shares, left * WAD // nav_wad)
            if part:
                fills.append(Fill(p.request, part, part * nav_wad // WAD))
            break
        return fills
    i = 0
    while i < len(queue):
        j = i
        while j < len(queue) and queue[j].cycle == queue[i].cycle:
            j += 1
        cohort = queue[i:j]
        full_pay = sum(p.shares * nav_wad // WAD for p in cohort)
        if full_pay <= left:
            fills.extend(Fill(p.request, p.shares, p.shares * nav_wad // WAD) for p in cohort)
            left -= full_pay
            i = j
            continue
        total = sum(p.shares for p in cohort)
        for p in cohort:
            part = min(p.shares, p.shares * left * WAD // (total * nav_wad))
            if part:
                fills.append(Fill(p.request, part, part * nav_wad // WAD))
        break
    return fills
