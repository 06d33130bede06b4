"""Benchmark: credit stress paths per second, and one simulated month of a 500-deal book, with a
same-run plain reference.

1. Scenarios. Each named credit scenario (docs/gaib.md §5) runs a few exact paths (24 months,
   20 deals, daily steps: every mint, redemption, T-bill trade, pool swap, settlement, workout and
   cycle an engine action); paths/s per scenario, for Gaib and for USD.AI.
2. 500-deal book. 500 debt deals are settled for 12 months through the engine (``DealBook
   .settle_month``: atomic transaction, journal, validation, fee routing through the ledger, an
   event) and through ``PlainBook``: the same integer settlement arithmetic on plain dicts, no
   kernel. Both end with the same principal outstanding (checked); the ratio is the price of
   atomicity, typed errors and an auditable ledger.

Run: ``.venv/bin/python benchmarks/bench_gaib.py [--paths N]``.
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

import numpy as np

from peglab.kernel import Chain
from peglab.protocols.gaib import MONTH_S, DealBook, DealTerms, annuity_payment
from peglab.sim.gpu_credit import SCENARIOS, run_scenario
from peglab.sim.gpu_credit_usdai import run_usdai_path
from peglab.units import WAD

N_DEALS = 500
MONTHS = 12
BPS = 10_000


class PlainBook:
    """Monthly debt settlement (annuity, reserve first, fees) on plain dicts: the reference."""

    def __init__(self) -> None:
        self.deals: dict[int, dict[str, int]] = {}
        self.fund = 0

    def originate(self, did: int, principal: int, coupon_bps: int, term: int) -> None:
        r = Fraction(coupon_bps, 12 * BPS)
        g = (1 + r) ** term
        exact = principal * r * g / (g - 1)
        pay = -((-exact.numerator) // exact.denominator)
        reserve = -((-principal * 660) // BPS)
        self.deals[did] = {"p": principal, "sched": principal, "pay": pay, "c": coupon_bps,
                           "reserve": reserve, "arrears_int": 0, "done": 0, "term": term}  # fmt: skip

    def settle(self, did: int, cash: int) -> None:
        d = self.deals[did]
        last = d["done"] + 1 >= d["term"]
        interest = -((-d["p"] * d["c"]) // (12 * BPS))
        sched_int = -((-d["sched"] * d["c"]) // (12 * BPS))
        amort = d["sched"] if last else min(d["sched"], max(d["pay"] - sched_int, 0))
        after = d["sched"] - amort
        due = d["arrears_int"] + interest + d["p"] - after
        applied = min(cash, due)
        draw = min(d["reserve"], due - applied)
        d["reserve"] -= draw
        received = applied + draw
        int_due = d["arrears_int"] + interest
        int_paid = min(received, int_due)
        d["arrears_int"] = int_due - int_paid
        d["p"] -= received - int_paid
        d["sched"] = after
        fee = min(int_paid, (d["p"] + received - int_paid) * 25 // (12 * BPS))
        perf = (int_paid - fee) * 1500 // BPS
        self.fund += received - fee - perf
        d["done"] += 1


def bench_book() -> tuple[float, float, int, int]:
    principal = 100_000 * WAD
    pay = annuity_payment(principal, 1500, 36)
    chain = Chain(keep_log=False)
    chain.ledger.create_token("AID", 18)
    chain.ledger.mint("AID", "fund", N_DEALS * principal)
    book = DealBook(chain, "AID", "fund")
    ids = []
    for k in range(N_DEALS):
        ids.append(
            book.originate(DealTerms("debt", f"b{k}", principal, 36, coupon_bps=1500), sender="gov")
        )
        chain.transfer("AID", "vendor", chain.ledger.balance_of("AID", f"b{k}"), sender=f"b{k}")
    ref = PlainBook()
    for k in range(N_DEALS):
        ref.originate(k, principal, 1500, 36)
    cash = [pay if k % 10 else pay // 2 for k in range(N_DEALS)]  # every 10th pays half
    engine_s = ref_s = 0.0
    for _ in range(MONTHS):
        chain.advance(MONTH_S)
        for k in range(N_DEALS):
            chain.ledger.mint("AID", f"b{k}", cash[k])
        t = time.perf_counter()
        for did in ids:
            book.settle_month(did, 0, 0, sender="gov")
        engine_s += time.perf_counter() - t
        t = time.perf_counter()
        for k in range(N_DEALS):
            ref.settle(k, cash[k])
        ref_s += time.perf_counter() - t
    p_engine = book.principal_wad()
    p_ref = sum(d["p"] for d in ref.deals.values())
    return engine_s / MONTHS, ref_s / MONTHS, p_engine, p_ref


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", type=int, default=4)
    args = ap.parse_args()
    print(
        f"credit scenarios on the exact engine (24 months, 20 deals, daily steps, {args.paths} paths)"
    )
    for name, sc in SCENARIOS.items():
        t = time.perf_counter()
        run_scenario(sc, args.paths, 11)
        dt = time.perf_counter() - t
        print(
            f"  {name:22s} {args.paths / dt:6.1f} paths/s  ({dt / args.paths * 1e3:6.0f} ms/path)"
        )
    print(f"USD.AI paths on the same scenarios ({args.paths} paths)")
    for name in ("credit-base", "gpu-rental-collapse", "redemption-run"):
        t = time.perf_counter()
        for ss in np.random.SeedSequence(11).spawn(args.paths):
            run_usdai_path(SCENARIOS[name], ss)
        dt = time.perf_counter() - t
        print(
            f"  {name:22s} {args.paths / dt:6.1f} paths/s  ({dt / args.paths * 1e3:6.0f} ms/path)"
        )
    eng, ref, p_eng, p_ref = bench_book()
    assert p_eng == p_ref, f"engine and reference disagree: {p_eng} vs {p_ref}"
    print(f"500-deal book, one simulated month of settlements (mean of {MONTHS}):")
    print(f"  engine    {eng * 1e3:8.1f} ms/month  ({eng / N_DEALS * 1e6:6.1f} us/deal)")
    print(f"  reference {ref * 1e3:8.1f} ms/month  ({ref / N_DEALS * 1e6:6.1f} us/deal)")
    print(
        f"  ratio engine/reference: {eng / ref:.1f}x (same principal outstanding: {p_eng == p_ref})"
    )


if __name__ == "__main__":
    main()
