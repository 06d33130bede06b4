"""Generate tests/vectors/lagoon_fees.json by running tools/ref_lagoon.sol in an EVM.

Independent of peglab (imports nothing from it): solc-js compiles the Solidity restatement of the
fee take and py-evm runs it (the harness is shared with tools/gen_rate_vectors.py). The first case
is the worked vector of docs/yield-vaults.md §2 (A = 1,050,000 USDC, S = 1,000,000, 30 days,
2%/20%/10%); the rest are seeded random valuations around and below the high-water mark.

Run: ``bash tools/ref_env_yield.sh`` then ``.venv-ref-yield/bin/python tools/gen_lagoon_vectors.py``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from gen_rate_vectors import ROOT, Evm

OUT = ROOT / "tests" / "vectors" / "lagoon_fees.json"
DAY = 86_400


def main() -> None:
    evm = Evm(Path(__file__).with_name("ref_lagoon.sol"), "RefLagoon")
    rng = random.Random(7540)
    cases = [[1_050_000 * 10**6, 1_000_000 * 10**6, 10**6, 30 * DAY, 200, 2000, 1000, 6, 0]]
    for _ in range(400):
        dec, off = rng.choice([(6, 0), (12, 6), (18, 0)])
        supply = rng.randint(1, 10**9) * 10**dec // rng.choice([1, 7, 1000])
        hwm = 10**dec * rng.randint(900, 1300) // 1000
        price = hwm * rng.randint(800, 1250) // 1000
        assets = supply * price // 10**dec + rng.randint(0, 10**dec)
        dt = rng.choice([0, 1, DAY, 7 * DAY, 30 * DAY, 365 * DAY, rng.randint(0, 2 * 365 * DAY)])
        mg = rng.choice([0, 200, 1000, rng.randint(0, 1000)])
        pf = rng.choice([0, 2000, 5000, rng.randint(0, 5000)])
        pr = rng.choice([0, 1000, 3000, 4000, rng.randint(0, 3000)])
        cases.append([assets, supply, hwm, dt, mg, pf, pr, dec, off])
    out = []
    for a in cases:
        r = evm.call("take(uint256[9])", *a)
        if r is None:
            continue  # fees above the assets: the contract reverts (peglab raises)
        out.append({"args": a, "out": r})
    OUT.write_text(
        json.dumps({"source": "tools/ref_lagoon.sol via " + evm.solc, "cases": out}, indent=1)
        + "\n"
    )
    print(f"wrote {OUT.relative_to(ROOT)}: {len(out)} cases; first {out[0]['out']}")


if __name__ == "__main__":
    main()
