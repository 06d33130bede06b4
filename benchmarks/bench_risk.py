"""Benchmark the risk lab: runner path-steps/s, Monte Carlo speed-up, and the toy CDP vs radCAD.

1. Exact runner: path-steps per second on ``ai-token-crash`` (768 steps, 650 vaults, 3 AI dollars,
   7 pools), and the same paths on the float reference model (ratio exact/float).
2. Monte Carlo: wall time of the same 8 paths with 1 and with 2 worker processes (speed-up).
3. Toy CDP model, the same model in both tools: ``N`` vaults, a GBM price path (numpy seed 7), per
   step fees and liquidation below 1.5 with a 13% penalty. peglab runs it on the exact engine
   (price feed, OSM, drip, bark, a keeper taking every auction, all as transactions); radCAD runs
   ``benchmarks/radcad_toy_cdp.py`` in the dev-only ``.venv-ref-risk`` (``tools/ref_env_risk.sh``).
   Reported: steps/s of each and the ratio, measured in the same run.

Run: ``.venv/bin/python benchmarks/bench_risk.py`` (about a minute).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from peglab.kernel import Chain
from peglab.protocols.cdp import (
    AIDollarSpec,
    CollateralSpec,
    Launchpad,
    PriceFeed,
    native_ai_token,
    replace,
)
from peglab.risk.library import load_scenario
from peglab.risk.montecarlo import run_monte_carlo
from peglab.sim.runner import float_path as float_cdp_path
from peglab.sim.runner import run_path
from peglab.units import RAY, WAD, ray

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / ".venv-ref-risk" / "bin" / "python"
N_VAULTS, N_STEPS = 200, 500


def bench_runner(paths: int = 2) -> None:
    sc = load_scenario("ai-token-crash")
    t = time.perf_counter()
    for i in range(paths):
        run_path(sc, i, np.random.SeedSequence(1, spawn_key=(i,)))
    exact = paths * sc.n_steps / (time.perf_counter() - t)
    t = time.perf_counter()
    for i in range(paths):
        float_cdp_path(sc, i, np.random.SeedSequence(1, spawn_key=(i,)))
    flt = paths * sc.n_steps / (time.perf_counter() - t)
    print(
        f"runner, ai-token-crash ({sc.n_steps} steps, 650 vaults): exact engine {exact:,.0f} "
        f"path-steps/s, float model {flt:,.0f}; exact/float = {exact / flt:.3f}"
    )


def bench_workers(paths: int = 8) -> None:
    sc = load_scenario("ai-token-crash")
    walls = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            run_monte_carlo(
                sc,
                run_path,
                paths=paths,
                seed=5,
                out_dir=d,
                workers=workers,
                progress=False,
                n_resamples=50,
            )
            walls[workers] = time.perf_counter() - t
    print(
        f"monte carlo, {paths} paths: 1 worker {walls[1]:.1f} s, 2 workers {walls[2]:.1f} s; "
        f"speed-up {walls[1] / walls[2]:.2f}x"
    )


def prices(n: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    dt = 1 / 288
    z = rng.standard_normal(n)
    return 1.0 * np.exp(np.cumsum((-0.2 - 0.5 * 0.5**2) * dt + 0.5 * np.sqrt(dt) * z))


def toy_cdp_peglab(n_vaults: int, n_steps: int) -> dict[str, float]:
    """The toy model on the exact engine: every action a transaction."""
    chain = Chain(start_time=1_700_006_400, keep_log=False)
    chain.ledger.create_token("TOY")
    feed = PriceFeed(chain, "TOY", WAD)
    chain.grant(feed.role, "oracle", sender="gov")
    params = replace(
        native_ai_token(10**9, apr="0.10"),
        mat_ray=ray("1.5"),
        hop_s=900,
        max_age_s=10**9,
        dust_rad=0,
        hole_rad=10**9 * RAY * WAD,
    )
    d = Launchpad(chain).create_ai_usd(
        AIDollarSpec("tUSD", "toy", 10**9, (CollateralSpec("TOY-A", "TOY", params, feed),)),
        sender="gov",
    )
    for i, r in enumerate(np.linspace(1.8, 3.0, n_vaults)):
        who = f"v{i}"
        chain.ledger.mint("TOY", who, int(1000 * r) * WAD)
        vid = d.open_vault("TOY-A", sender=who)
        d.deposit(vid, int(1000 * r) * WAD, sender=who)
        d.mint(vid, 1000 * WAD, sender=who)
        chain.transfer("tUSD", "keeper", 1000 * WAD, sender=who)
    chain.ledger.mint(
        "TOY", "keeper", 10**8 * WAD
    )  # the keeper's own, very safe vault funds its bids
    kv = d.open_vault("TOY-A", sender="keeper")
    d.deposit(kv, 10**8 * WAD, sender="keeper")
    d.mint(kv, 10**6 * WAD, sender="keeper")
    ids = [vid for vid in d.vat.vaults if vid != kv]
    path = prices(n_steps)
    liquidations = 0
    t = time.perf_counter()
    for k in range(n_steps):
        chain.advance(300)
        feed.set_price(int(path[k] * 1e18), sender="oracle")
        d.poke_prices(sender="keeper")
        d.drip("TOY-A", sender="keeper")
        spot, rate = d.vat.ilks["TOY-A"].spot_ray, d.vat.ilks["TOY-A"].rate_ray
        for vid in ids:
            v = d.vat.vaults[vid]
            if v.art_wad and v.art_wad * rate > v.ink_wad * spot:
                aid = d.bark(vid, "keeper", sender="keeper")
                s = d.auction("TOY-A", aid)
                d.take("TOY-A", aid, s.lot_wad, s.price_ray, sender="keeper")
                liquidations += 1
    secs = time.perf_counter() - t
    assert not d.invariant_errors()
    return {
        "steps": n_steps,
        "seconds": secs,
        "liquidations": liquidations,
        "bad_debt": max(0, d.vow.sin_rad - d.vow.dai_rad) / (WAD * RAY),
    }


def main() -> None:
    bench_runner()
    bench_workers()
    ours = toy_cdp_peglab(N_VAULTS, N_STEPS)
    line = (
        f"toy CDP ({N_VAULTS} vaults x {N_STEPS} steps): peglab exact engine "
        f"{ours['steps'] / ours['seconds']:,.0f} steps/s ({ours['liquidations']} liquidations)"
    )
    if REF.exists():
        out = subprocess.run(
            [str(REF), str(ROOT / "benchmarks" / "radcad_toy_cdp.py"), str(N_VAULTS), str(N_STEPS)],
            capture_output=True,
            text=True,
            check=True,
        )
        ref = json.loads(out.stdout)
        rate_ref = ref["steps"] / ref["seconds"]
        print(
            f"{line}; radCAD {rate_ref:,.0f} steps/s ({ref['liquidations']} liquidations); "
            f"peglab/radCAD = {ours['steps'] / ours['seconds'] / rate_ref:.2f}"
        )
    else:
        print(f"{line}; radCAD reference absent (bash tools/ref_env_risk.sh to compare)")


if __name__ == "__main__":
    sys.exit(main())
