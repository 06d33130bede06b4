"""V4: Liquity on 19 May 2021, ETH $3,400 -> $1,800 (docs/validation.md §3).

The book: 1,054 troves whose ICR at $3,400 follows Liquity's own agent-based model,
``1.1 + 0.03 chi2(16)`` (docs/validation.md §3-4), debts lognormal (median 20,000 LUSD, log-sd 1.2, our
choice), 90% of the LUSD supply deposited in the Stability Pool by the borrowers. Nothing here is
fitted. Every 5 minutes the oracle reports the path's price and a liquidator calls
``liquidate_troves(90)`` until nothing is left to liquidate; each liquidation is counted under the
mode it was made in (the ``recovery_flags`` of the engine's ``LiquidationBatch`` event).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ....errors import LimitExceeded
from ....kernel import Chain, LogEntry
from ....protocols.liquity import LiquidationBatch, Liquity
from ....sim.processes import Diffusion, anchor_path, rng_from
from ....units import WAD
from ..core import Value

__all__ = ["NAME", "build_book", "run"]

NAME = "liquity-2021-05-19"
N_TROVES = 1054
P0, P1 = 3400, 1800
STEP_S, HORIZON_S = 300, 12 * 3600
ETH_SIGMA = 0.8  # per year [O]; the segment uses 1.5x (docs/risk-lab.md, anchor_paths)
SP_SHARE = 0.90  # [P] share of LUSD in the Stability Pool (docs/validation.md §3)
ORACLE, KEEPER = "chainlink", "liquidator"


def build_book(
    rng: np.random.Generator, n_troves: int = N_TROVES
) -> tuple[Chain, Liquity, list[str]]:
    """A chain with the Liquity system and ``n_troves`` troves opened at $3,400."""
    chain = Chain(keep_log=False)
    chain.ledger.create_token("ETH")
    lq = Liquity(chain, price_wad=P0 * WAD)
    chain.grant(Liquity.ORACLE_ROLE, ORACLE, sender=chain.root)
    icr = 1.1 + 0.03 * rng.chisquare(16, size=n_troves)
    lusd = np.maximum(2000.0, np.exp(np.log(20_000.0) + 1.2 * rng.standard_normal(n_troves)))
    owners: list[str] = []
    # open from the safest down, so every opening keeps TCR above 150% as the engine requires
    for k in np.argsort(-icr):
        owner = f"trove{k:04d}"
        lusd_wad = round(float(lusd[k])) * WAD
        debt = lusd_wad + lusd_wad * lq.params.borrowing_fee_wad // WAD + lq.params.gas_comp_wad
        icr_wad = round(float(icr[k]) * 1e9) * 10**9
        coll = -(-icr_wad * debt // (P0 * WAD))  # ceil: the trove's ICR is at least the draw
        chain.ledger.mint("ETH", owner, coll)
        lq.open_trove(coll, lusd_wad, sender=owner)
        deposit = lusd_wad * int(SP_SHARE * 1000) // 1000
        lq.sp.provide(deposit, sender=owner)
        owners.append(owner)
    return chain, lq, owners


def eth_path(rng: np.random.Generator) -> np.ndarray:
    """$3,400 -> $1,800 over 12 h on 5-minute steps, log-space bridge (docs/risk-lab.md, anchor_paths)."""
    n = HORIZON_S // STEP_S
    path = anchor_path(
        float(P0), [HORIZON_S], [P1 / P0], Diffusion(sigma=ETH_SIGMA), STEP_S, n, rng
    )
    return np.asarray(path[:, 0])


def run(draw: int, seed: np.random.SeedSequence) -> Mapping[str, Value]:
    """One draw: a book and a path from ``seed``; the liquidation counts and outcomes."""
    rng = rng_from(seed)
    chain, lq, _ = build_book(rng)
    prices = eth_path(rng)
    counts = {"normal": 0, "recovery": 0}
    absorbed = [0]

    def on_event(entry: LogEntry) -> None:
        ev = entry.event
        if isinstance(ev, LiquidationBatch):
            for flag in ev.recovery_flags:
                counts["recovery" if flag else "normal"] += 1
            absorbed[0] += ev.debt_offset_wad

    chain.subscribers.append(on_event)
    entered = 0
    was_recovery = lq.recovery_mode()
    for price in prices[1:]:
        chain.advance(STEP_S)
        lq.set_price(round(float(price) * 1e6) * 10**12, sender=ORACLE)
        for _ in range(100):
            now_recovery = lq.recovery_mode()
            if now_recovery and not was_recovery:
                entered += 1
            was_recovery = now_recovery
            try:
                lq.liquidate_troves(90, sender=KEEPER)
            except LimitExceeded:
                break
        now_recovery = lq.recovery_mode()
        if now_recovery and not was_recovery:
            entered += 1
        was_recovery = now_recovery
    coll, debt = lq.entire_system()
    bad = max(0, debt - coll * lq.state.price_wad // WAD)
    return {
        "liquidations_total": float(counts["normal"] + counts["recovery"]),
        "liquidations_normal": float(counts["normal"]),
        "liquidations_recovery": float(counts["recovery"]),
        "troves_end": float(len(lq.troves)),
        "recovery_entered_and_exited": entered >= 1 and not lq.recovery_mode(),
        "sp_absorbed_lusd": absorbed[0] / WAD,
        "bad_debt_lusd": bad / WAD,
    }
