"""V4: Liquity on 19 May 2021, ETH $3,400 -> $1,800 (docs/validation.md §3).

The book (inputs and sources in ``liquity_2021.toml`` beside this module): 1,054 troves whose ICR
at $3,400 is ``1.1 + icr_scale chi2(16)`` (the shape of Liquity's own agent-based model; the scale
is **fitted on this case's total liquidation count**, ``fit_icr_scale``, because no public ICR
distribution of that day was found), debts lognormal with the mean of the LUSD supply per trove
at the May lows (Liquity newsletter), 90% of the LUSD supply deposited in the Stability Pool by
the borrowers. Every 5 minutes the oracle reports the path's price and a liquidator calls
``liquidate_troves(90)`` until nothing is left to liquidate; each liquidation is counted under the
mode it was made in (the ``recovery_flags`` of the engine's ``LiquidationBatch`` event).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from ....errors import LimitExceeded
from ....kernel import Chain, LogEntry
from ....protocols.liquity import LiquidationBatch, Liquity
from ....sim.processes import Diffusion, anchor_path, rng_from
from ....units import WAD
from ..core import Value

__all__ = ["NAME", "book_inputs", "build_book", "fit_icr_scale", "run"]

NAME = "liquity-2021-05-19"
ORACLE, KEEPER = "chainlink", "liquidator"
TARGET_LIQUIDATIONS = 310  # [P] what icr_scale is fitted on (docs/validation.md §3)


@cache
def book_inputs() -> dict[str, Any]:
    """The case's inputs (``liquity_2021.toml``: ``book`` and ``path`` tables)."""
    text = resources.files(__package__).joinpath("liquity_2021.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def build_book(
    rng: np.random.Generator, n_troves: int | None = None, icr_scale: float | None = None
) -> tuple[Chain, Liquity, list[str]]:
    """A chain with the Liquity system and the case's troves opened at $3,400 (``n_troves`` and
    ``icr_scale`` override the data file's)."""
    bk = book_inputs()["book"]
    n_troves = int(bk["troves"]) if n_troves is None else n_troves
    scale = float(bk["icr_scale"]) if icr_scale is None else icr_scale
    p0 = int(bk["eth_start_usd"])
    sd = float(bk["debt_log_sd"])
    median = float(bk["debt_mean_lusd"]) / math.exp(sd * sd / 2)
    chain = Chain(keep_log=False)
    chain.ledger.create_token("ETH")
    lq = Liquity(chain, price_wad=p0 * WAD)
    chain.grant(Liquity.ORACLE_ROLE, ORACLE, sender=chain.root)
    icr = 1.1 + scale * rng.chisquare(int(bk["icr_df"]), size=n_troves)
    lusd = np.maximum(2000.0, np.exp(np.log(median) + sd * rng.standard_normal(n_troves)))
    owners: list[str] = []
    # open from the safest down, so every opening keeps TCR above 150% as the engine requires
    for k in np.argsort(-icr):
        owner = f"trove{k:04d}"
        lusd_wad = round(float(lusd[k])) * WAD
        debt = lusd_wad + lusd_wad * lq.params.borrowing_fee_wad // WAD + lq.params.gas_comp_wad
        icr_wad = round(float(icr[k]) * 1e9) * 10**9
        coll = -(-icr_wad * debt // (p0 * WAD))  # ceil: the trove's ICR is at least the draw
        chain.ledger.mint("ETH", owner, coll)
        lq.open_trove(coll, lusd_wad, sender=owner)
        deposit = lusd_wad * round(float(bk["sp_share"]) * 1000) // 1000
        lq.sp.provide(deposit, sender=owner)
        owners.append(owner)
    return chain, lq, owners


def eth_path(rng: np.random.Generator) -> np.ndarray:
    """$3,400 -> $1,800 over 12 h on 5-minute steps, log-space bridge (docs/risk-lab.md, anchor_paths)."""
    data = book_inputs()
    bk, pt = data["book"], data["path"]
    p0, p1 = float(bk["eth_start_usd"]), float(bk["eth_end_usd"])
    step, horizon = int(pt["step_s"]), int(pt["horizon_s"])
    diffusion = Diffusion(sigma=float(pt["eth_sigma"]))
    path = anchor_path(p0, [horizon], [p1 / p0], diffusion, step, horizon // step, rng)
    return np.asarray(path[:, 0])


def run(draw: int, seed: np.random.SeedSequence) -> Mapping[str, Value]:
    """One draw: a book and a path from ``seed``; the liquidation counts and outcomes."""
    return replay(seed)


def replay(seed: np.random.SeedSequence, icr_scale: float | None = None) -> dict[str, Value]:
    """The case on one draw, with the data file's ICR scale or ``icr_scale``."""
    rng = rng_from(seed)
    chain, lq, _ = build_book(rng, icr_scale=icr_scale)
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
        chain.advance(int(book_inputs()["path"]["step_s"]))
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


def fit_icr_scale(
    draws: int = 3, seed: int = 0, lo: float = 0.05, hi: float = 0.15, tol: float = 1e-4
) -> tuple[float, float]:
    """The ICR scale at which the median total liquidation count over ``draws`` (the reduced
    form's draws, seeds as ``core.evaluate`` spawns them) is closest to 310, by bisection (the
    count falls as the scale grows). Returns ``(scale, median count)``; docs/validation.md §3."""
    root = np.random.SeedSequence(seed)

    def count(scale: float) -> float:
        seeds = [np.random.SeedSequence(root.entropy, spawn_key=(i,)) for i in range(draws)]
        totals = [replay(s, scale)["liquidations_total"] for s in seeds]
        return float(np.median([float(t or 0.0) for t in totals]))

    while hi - lo > tol:
        mid = (lo + hi) / 2
        if count(mid) > TARGET_LIQUIDATIONS:
            lo = mid
        else:
            hi = mid
    best = min((lo, hi), key=lambda x: abs(count(x) - TARGET_LIQUIDATIONS))
    return round(best, 5), count(best)
