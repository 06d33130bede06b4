"""AMM throughput: our StableSwap vs curvesim's CurvePool on the same trades, plus constant product.

    .venv/bin/python benchmarks/bench_amm.py [--trades N]

curvesim runs in the dev-only reference environment (.venv-ref, made by tools/ref_env.sh) in a
subprocess, on the same 3pool snapshot and the same trade list; its outputs are compared with
ours (they must be identical) and the swaps/s ratio is printed. Without .venv-ref only our own
figures are printed. Timings are wall-clock best-of-3; nothing here is asserted in tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import time
from pathlib import Path

from peglab.kernel import Chain
from peglab.protocols.amm import ConstantProductPool, StableSwapPool

ROOT = Path(__file__).resolve().parent.parent
REF_PY = ROOT / ".venv-ref" / "bin" / "python"
BALANCES = [295949605740077243186725223, 284320067518878, 288200854907854]
SUPPLY = 849743149250065202008212976
DECIMALS = [18, 6, 6]
RATES = [10 ** (36 - d) for d in DECIMALS]

CURVESIM_SIDE = r"""
import hashlib, json, sys, time
from curvesim.pool.stableswap.pool import CurvePool
cfg = json.loads(sys.stdin.read())
best = None
for _ in range(3):
    pool = CurvePool(2000, list(cfg["balances"]), 3, rates=cfg["rates"], tokens=cfg["supply"],
                     fee=4_000_000, admin_fee=5 * 10**9)
    outs = []
    t = time.perf_counter()
    for i, j, dx in cfg["trades"]:
        outs.append(pool.exchange(i, j, dx)[0])
    dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
digest = hashlib.sha256(",".join(str(int(o)) for o in outs).encode()).hexdigest()
print(json.dumps({"seconds": best, "digest": digest, "balances": [int(b) for b in pool.balances]}))
"""


def make_trades(n: int, seed: int = 7) -> list[tuple[int, int, int]]:
    rng = random.Random(seed)
    trades = []
    for _ in range(n):
        i, j = rng.sample(range(3), 2)
        units = rng.randint(1, 2_000_000)
        trades.append((i, j, units * 10 ** DECIMALS[i]))
    return trades


def ours_stableswap(trades: list[tuple[int, int, int]]) -> tuple[float, str, list[int], float]:
    best = best_math = float("inf")
    outs: list[int] = []
    for _ in range(3):
        chain = Chain(keep_log=False)
        coins = ["DAI", "USDC", "USDT"]
        for c, d in zip(coins, DECIMALS):
            chain.ledger.create_token(c, d)
            chain.ledger.mint(c, "trader", 10**40)
        pool = StableSwapPool(chain, "3pool", coins, 2000, fee=4_000_000, admin_fee=5 * 10**9)
        for c, b in zip(coins, BALANCES):
            chain.ledger.mint(c, pool.account, b)
        pool.state.balances = tuple(BALANCES)
        chain.ledger.mint(pool.lp_token, "lp", SUPPLY)
        exchange = pool.exchange
        outs = []
        t = time.perf_counter()
        for i, j, dx in trades:
            outs.append(exchange(i, j, dx, 0, sender="trader"))
        best = min(best, time.perf_counter() - t)
        balances = list(pool.balances)
        # the pure math of one exchange (quote), without the ledger and the transaction
        pool.state.balances = tuple(BALANCES)
        quote = pool._exchange_result
        t = time.perf_counter()
        for i, j, dx in trades:
            quote(i, j, dx)
        best_math = min(best_math, time.perf_counter() - t)
    digest = hashlib.sha256(",".join(map(str, outs)).encode()).hexdigest()
    return best, digest, balances, best_math


def curvesim_stableswap(trades: list[tuple[int, int, int]]) -> dict[str, object] | None:
    if not REF_PY.exists():
        return None
    cfg = json.dumps({"balances": BALANCES, "rates": RATES, "supply": SUPPLY, "trades": trades})
    res = subprocess.run(
        [str(REF_PY), "-c", CURVESIM_SIDE], input=cfg, capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        print("curvesim side failed:\n" + res.stderr[-2000:], file=sys.stderr)
        return None
    out: dict[str, object] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def constant_product(n: int) -> float:
    best = float("inf")
    rng = random.Random(3)
    sizes = [rng.randint(1, 10**6) * 10**18 for _ in range(n)]
    for _ in range(3):
        chain = Chain(keep_log=False)
        for t in ("ATH", "AUSD"):
            chain.ledger.create_token(t)
            chain.ledger.mint(t, "lp", 10**33)
            chain.ledger.mint(t, "trader", 10**33)
        pool = ConstantProductPool(chain, "ath", "ATH", "AUSD")
        pool.mint(10**9 * 10**18, 4 * 10**9 * 10**18, sender="lp")
        swap = pool.swap_exact_in
        t = time.perf_counter()
        for k, a in enumerate(sizes):
            swap("ATH" if k % 2 else "AUSD", a, 0, sender="trader")
        best = min(best, time.perf_counter() - t)
    return n / best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trades", type=int, default=5000)
    args = ap.parse_args()
    trades = make_trades(args.trades)
    secs, digest, balances, secs_math = ours_stableswap(trades)
    ours = len(trades) / secs
    print(f"StableSwap 3pool exchange, {len(trades)} trades (best of 3)")
    print(f"  peglab pool.exchange (ledger, atomic tx, event): {ours:12,.0f} swaps/s")
    print(
        f"  peglab exchange math only (quote):               {len(trades) / secs_math:12,.0f} swaps/s"
    )
    ref = curvesim_stableswap(trades)
    if ref is None:
        print("  curvesim: .venv-ref not found (bash tools/ref_env.sh) - no ratio")
    else:
        theirs = len(trades) / float(ref["seconds"])  # type: ignore[arg-type]
        same = ref["digest"] == digest and ref["balances"] == balances
        print(f"  curvesim CurvePool.exchange:                     {theirs:12,.0f} swaps/s")
        print(
            f"  ratio peglab/curvesim (full action): {ours / theirs:.2f}x ; math only: {len(trades) / secs_math / theirs:.2f}x"
        )
        print(f"  outputs and final balances identical to curvesim: {same}")
        if not same:
            return 1
    print(f"Constant product swap_exact_in: {constant_product(len(trades)):12,.0f} swaps/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
