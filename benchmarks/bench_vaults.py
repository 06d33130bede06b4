"""Benchmark: vault actions per second, and a 10,000-vault fee-accrual sweep, with same-run references.

1. Vault actions. The same workload (open, deposit, mint, partial repay, withdraw per vault) runs
   through the full engine (atomic transactions, journal, validation, events, ledger) and through
   ``BareVat``: dss's frob arithmetic on plain dicts with no kernel at all. The ratio is the price
   of atomicity, typed errors and an auditable ledger.
2. Fee sweep. 10,000 vaults over 10 collateral types accrue one year of fees: the engine drips
   each collateral type once (O(ilks), the rate accumulator) and reads every vault's debt; the
   reference compounds each vault's debt on its own (O(vaults) rpow calls), as a per-loan ledger
   would. Both give each vault's debt; the ratio is the accumulator's advantage.

Run: ``.venv/bin/python benchmarks/bench_vaults.py [--vaults N]``.
"""

from __future__ import annotations

import argparse
import time

from peglab.examples.systems import two_ai_dollars
from peglab.math import ceil_div, rmul, rpow
from peglab.protocols.cdp import AIDollarSpec, CollateralSpec, native_ai_token
from peglab.units import RAY, YEAR, wad


class BareVat:
    """dss frob arithmetic on plain dicts: the floor of what any Python engine must do."""

    def __init__(self, spot: int, rate: int = RAY) -> None:
        self.spot, self.rate, self.line, self.dust = spot, rate, 10**60, 500 * 10**45
        self.ink: dict[int, int] = {}
        self.art: dict[int, int] = {}
        self.gem: dict[str, int] = {}
        self.dai: dict[str, int] = {}
        self.Art = 0
        self.debt = 0

    def frob(self, u: int, who: str, dink: int, dart: int) -> None:
        ink, art = self.ink.get(u, 0) + dink, self.art.get(u, 0) + dart
        rate = self.rate
        tab = art * rate
        if ink < 0 or art < 0:
            raise ValueError("underflow")
        if dart > 0 and (self.Art + dart) * rate > self.line:
            raise ValueError("ceiling")
        if (dart > 0 or dink < 0) and tab > ink * self.spot:
            raise ValueError("not-safe")
        if art and tab < self.dust:
            raise ValueError("dust")
        self.gem[who] = self.gem.get(who, 0) - dink
        self.dai[who] = self.dai.get(who, 0) + dart * rate
        self.ink[u], self.art[u] = ink, art
        self.Art += dart
        self.debt += dart * rate


def bench_actions(n: int) -> tuple[float, float]:
    s = two_ai_dollars(keep_log=False)
    d = s.dollars["AUSD"]
    c = s.chain
    users = [f"u{i}" for i in range(n)]
    for u in users:
        c.ledger.mint("ATH", u, wad(1_000_000))
    t0 = time.perf_counter()
    for u in users:
        vid = d.open_vault("ATH-A", sender=u)
        d.deposit(vid, wad(1_000_000), sender=u)
        d.mint(vid, wad(4_000), sender=u)
        d.repay(vid, wad(1_000), sender=u)
        d.withdraw(vid, wad(100_000), sender=u)
    engine = time.perf_counter() - t0
    assert not d.invariant_errors()

    bare = BareVat(spot=d.vat.ilks["ATH-A"].spot_ray)
    t0 = time.perf_counter()
    for i, u in enumerate(users):
        bare.frob(i, u, 0, 0)
        bare.gem[u] = wad(1_000_000)
        bare.frob(i, u, wad(1_000_000), 0)
        bare.frob(i, u, 0, ceil_div(wad(4_000) * RAY, bare.rate))
        bare.frob(i, u, 0, -(wad(1_000) * RAY // bare.rate))
        bare.frob(i, u, -wad(100_000), 0)
    ref = time.perf_counter() - t0
    return 5 * n / engine, 5 * n / ref


def bench_fee_sweep(n_vaults: int, n_ilks: int = 10) -> tuple[float, float, int]:
    s = two_ai_dollars(keep_log=False)
    c = s.chain
    pad = s.launchpad
    c.ledger.create_token("AIX")
    pad.create_ai_usd(
        AIDollarSpec(
            "xUSD",
            "sweep",
            900_000_000,
            tuple(
                CollateralSpec(
                    f"AIX-{k}",
                    "AIX",
                    native_ai_token(50_000_000, apr=f"0.{k + 1:02d}"),
                    s.feeds["ATH"],
                )
                for k in range(n_ilks)
            ),
        ),
        sender="gov",
    )
    d = pad["xUSD"]
    c.ledger.mint("AIX", "whale", wad(10**12))
    vaults = []
    for i in range(n_vaults):
        ilk = f"AIX-{i % n_ilks}"
        vid = d.open_vault(ilk, sender="whale")
        d.deposit(vid, wad(1_000_000), sender="whale")
        d.mint(vid, wad(1_000 + i), sender="whale")
        vaults.append((vid, ilk, wad(1_000 + i)))
    c.advance(YEAR)

    t0 = time.perf_counter()
    for k in range(n_ilks):
        d.drip(f"AIX-{k}", sender="keeper")
    rates = {k: i.rate_ray for k, i in d.vat.ilks.items()}
    engine_debts = [ceil_div(d.vat.vaults[vid].art_wad * rates[ilk], RAY) for vid, ilk, _ in vaults]
    engine = time.perf_counter() - t0

    duties = {k: f.duty_ray for k, f in d.jug.ilks.items()}
    t0 = time.perf_counter()
    naive_debts = [rmul(rpow(duties[ilk], YEAR, RAY), principal) for _, ilk, principal in vaults]
    ref = time.perf_counter() - t0
    worst = max(abs(a - b) for a, b in zip(engine_debts, naive_debts))
    return engine, ref, worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vaults", type=int, default=10_000)
    ap.add_argument("--actions-vaults", type=int, default=4_000)
    args = ap.parse_args()
    eng, ref = bench_actions(args.actions_vaults)
    print(
        f"vault actions: engine {eng:,.0f}/s, bare dss arithmetic {ref:,.0f}/s, "
        f"engine/bare = {eng / ref:.3f} (bare is {ref / eng:.1f}x faster: the cost of atomicity, "
        "validation, events and the ledger)"
    )
    e, r, worst = bench_fee_sweep(args.vaults)
    print(
        f"fee sweep, {args.vaults:,} vaults x 1 year: accumulator {e * 1e3:.1f} ms, per-vault compounding "
        f"{r * 1e3:.1f} ms, speed-up {r / e:.1f}x; largest debt difference {worst} wei"
    )


if __name__ == "__main__":
    main()
