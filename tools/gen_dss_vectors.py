"""Generate tests/vectors/dss_rpow_drip.json from an independent transcription of dss's assembly.

Independent of peglab: this file imports nothing from it. ``evm_rpow`` transcribes the
``rpow`` assembly of makerdao/dss jug.sol line by line as 256-bit EVM arithmetic (``div`` of
unsigned words, the explicit overflow checks that ``revert``), and ``drip`` the Jug's
``rmul(rpow(add(base, duty), sub(now, rho), ONE), rate)`` followed by Vat ``fold``'s
``rad = mul(ilk.Art, rate)``. The duty table is derived with 80-digit decimal arithmetic.

Run: ``python tools/gen_dss_vectors.py`` (stdlib only). Tests compare peglab bit for bit.
"""

from __future__ import annotations

import json
import random
from decimal import ROUND_HALF_UP, Decimal, getcontext
from pathlib import Path

U256 = 2**256
ONE = 10**27


class Revert(Exception):
    pass


def evm_div(a: int, b: int) -> int:
    """EVM ``div``: division by zero yields zero."""
    return 0 if b == 0 else a // b


def evm_rpow(x: int, n: int, b: int) -> int:
    """dss jug.sol rpow, as the EVM executes it (reverts on overflow)."""
    if x == 0:
        return b if n == 0 else 0
    z = b if n % 2 == 0 else x
    half = b // 2
    n = n // 2
    while n > 0:
        xx = x * x
        if xx >= U256 or evm_div(xx, x) != x:
            raise Revert("xx overflow")
        xx_round = xx + half
        if xx_round >= U256:
            raise Revert("xxRound overflow")
        x = xx_round // b
        if n % 2 == 1:
            zx = z * x
            if zx >= U256 or (x != 0 and evm_div(zx, x) != z):
                raise Revert("zx overflow")
            zx_round = zx + half
            if zx_round >= U256:
                raise Revert("zxRound overflow")
            z = zx_round // b
        n = n // 2
    return z


def rmul(x: int, y: int) -> int:
    z = x * y
    if z >= U256:
        raise Revert("rmul overflow")
    return z // ONE


def duty_for(apr: str) -> int:
    getcontext().prec = 80
    r = (Decimal(1) + Decimal(apr)) ** (Decimal(1) / Decimal(31_536_000))
    return int((r * ONE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def main() -> None:
    rng = random.Random(20261122)
    rpow_cases = []
    fixed = [
        (duty_for("0.01"), 31_536_000),
        (duty_for("0.05"), 31_536_000),
        (duty_for("0.20"), 31_536_000),
        (ONE, 10**9),
        (0, 0),
        (0, 5),
        (12345, 0),
        (2 * ONE, 60),
    ]
    for x, n in fixed:
        rpow_cases.append({"x": str(x), "n": n, "b": str(ONE), "z": str(evm_rpow(x, n, ONE))})
    for _ in range(300):
        x = ONE + rng.randrange(0, 10**19)  # up to ~ +100000% APR per year territory
        n = rng.choice([1, 2, 3, 59, 60, 3600, 86_400, rng.randrange(0, 400_000_000)])
        try:
            z = evm_rpow(x, n, ONE)
        except Revert:
            continue
        rpow_cases.append({"x": str(x), "n": n, "b": str(ONE), "z": str(z)})
    for _ in range(100):  # wad base and small bases
        b = rng.choice([10**18, 10**6, 100])
        x = rng.randrange(0, 2 * b)
        n = rng.randrange(0, 200)
        try:
            z = evm_rpow(x, n, b)
        except Revert:
            continue
        rpow_cases.append({"x": str(x), "n": n, "b": str(b), "z": str(z)})

    drip_cases = []
    aprs = ["0", "0.01", "0.05", "0.10", "0.15", "0.20", "0.5", "2"]
    for _ in range(200):
        base = rng.choice([0, 0, duty_for("0.005") - ONE])
        duty = duty_for(rng.choice(aprs))
        rate = ONE + rng.randrange(0, 3 * ONE)
        art = rng.randrange(0, 10**30)
        dt = rng.choice([0, 1, 12, 3600, 86_400, 31_536_000, rng.randrange(1, 10**8)])
        new_rate = rmul(evm_rpow(base + duty, dt, ONE), rate)
        drip_cases.append(
            {
                "base": str(base),
                "duty": str(duty),
                "rate": str(rate),
                "art": str(art),
                "dt": dt,
                "new_rate": str(new_rate),
                "fee_rad": str(art * (new_rate - rate)),
            }
        )

    duties = {apr: str(duty_for(apr)) for apr in ["0.01", "0.05", "0.10", "0.15", "0.20"]}
    out = {
        "source": "tools/gen_dss_vectors.py: EVM transcription of makerdao/dss jug.sol rpow/drip",
        "rpow": rpow_cases,
        "drip": drip_cases,
        "duty_for_apr": duties,
    }
    path = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "dss_rpow_drip.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {len(rpow_cases)} rpow and {len(drip_cases)} drip vectors to {path}")


if __name__ == "__main__":
    main()
