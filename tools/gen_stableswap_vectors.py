"""Generate StableSwap test vectors from curvesim's CurvePool (the independent reference).

Run in the dev-only reference environment (never a runtime or CI dependency):

    bash tools/ref_env.sh
    .venv-ref/bin/python tools/gen_stableswap_vectors.py

Writes tests/vectors/stableswap_math.json (get_D, get_y, get_y_D on random states, N = 2..8)
and tests/vectors/stableswap_pools.json (scenarios: a pool state, then a sequence of actions
with every output and the state after each; 2, 3, 4, 5 and 8 coins, mixed decimals, extreme
imbalance, A ramps, the 3pool mainnet snapshot). This script does not import peglab.

Where curvesim's CurvePool has no counterpart of a contract function, the script composes the
contract's formula (docs/amm-spec.md §2) around curvesim's own get_y / get_D / get_y_D:
``get_dy`` (coin units before the fee), ``calc_token_amount`` for withdrawals, the first deposit
(mint = D1), and the A ramp (the pool's ``A`` attribute is set to A(t) before each action).
Actions the contract would revert (uint underflow, zero burn) are skipped, not recorded.
"""

from __future__ import annotations

import copy
import json
import random
import signal
import sys
from pathlib import Path
from typing import Any

from curvesim.pool.stableswap.pool import CurvePool

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "vectors"
FEE_DEN = 10**10
PRECISION = 10**18


def rates_for(decimals: list[int]) -> list[int]:
    return [10 ** (36 - d) for d in decimals]


def a_at(a0: int, a1: int, t0: int, t1: int, t: int) -> int:
    """The contract's A(t) ramp (docs/amm-spec.md §2.4), restated here independently of peglab."""
    if t >= t1:
        return a1
    if a1 > a0:
        return a0 + (a1 - a0) * (t - t0) // (t1 - t0)
    return a0 - (a0 - a1) * (t - t0) // (t1 - t0)


class RefTimeout(Exception):
    """curvesim's loops have no iteration cap: a non-converging state never returns."""


def _on_alarm(*_: Any) -> None:
    raise RefTimeout


signal.signal(signal.SIGALRM, _on_alarm)


def with_timeout(fn: Any, *args: Any, seconds: float = 0.5) -> Any:
    """Call a curvesim function; raise RefTimeout if it has not returned after ``seconds``."""
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def plain_get_D(xp: list[int], amp: int) -> int:
    """Straightforward legacy get_D with the contract's 255-iteration cap (for the states where
    curvesim, which has no cap, never returns). Written from docs/amm-spec.md §2.1, not from peglab."""
    s = sum(xp)
    if s == 0:
        return 0
    n = len(xp)
    d = s
    ann = amp * n
    for _ in range(255):
        d_p = d
        for x in xp:
            d_p = d_p * d // (x * n)
        d_prev = d
        d = (ann * s + d_p * n) * d // ((ann - 1) * d + (n + 1) * d_p)
        if abs(d - d_prev) <= 1:
            break
    return d


# -- math vectors ---------------------------------------------------------------------------------


def random_xp(rng: random.Random, n: int, extreme: bool) -> list[int]:
    base = 10 ** rng.randint(20, 30)
    if not extreme:
        return [base * rng.randint(500, 2000) // 1000 + rng.randint(0, 10**18) for _ in range(n)]
    xs = []
    for _ in range(n):
        xs.append(max(1, base // 10 ** rng.randint(0, 8)) + rng.randint(0, 10**12))
    return xs


def math_vectors(rng: random.Random) -> dict[str, Any]:
    d_cases, y_cases, yd_cases = [], [], []
    for k in range(400):
        n = [2, 3, 4, 5, 8][k % 5]
        extreme = k % 3 == 0
        xp = random_xp(rng, n, extreme)
        amp = rng.choice([1, 2, 10, 50, 100, 200, 1000, 2000, 5000, rng.randint(1, 10**6 - 1)])
        pool = CurvePool(amp, [10**18] * n, n)
        pool.A = amp
        try:
            d = with_timeout(pool.get_D, xp, amp)
            d_cases.append({"xp": xp, "amp": amp, "D": d, "ref": "curvesim"})
        except RefTimeout:
            # no convergence: the contract returns its 255th iterate; curvesim loops forever
            d_cases.append(
                {"xp": xp, "amp": amp, "D": plain_get_D(xp, amp), "ref": "script-255-cap"}
            )
            continue
        i, j = rng.sample(range(n), 2)
        x = (
            xp[i]
            + xp[i] * rng.randint(1, 10**6) // 10**6 * rng.choice([0, 1, 3]) // 2
            + rng.randint(1, 10**18)
        )
        try:
            y = with_timeout(pool.get_y, i, j, x, xp)
            y_cases.append({"i": i, "j": j, "x": x, "xp": xp, "amp": amp, "y": y})
        except RefTimeout:
            pass
        d_new = d * rng.randint(100_000, 1_000_000) // 1_000_000
        try:
            yd = with_timeout(pool.get_y_D, amp, i, xp, d_new)
            yd_cases.append({"amp": amp, "i": i, "xp": xp, "D": d_new, "y": yd})
        except RefTimeout:
            pass
    return {"get_D": d_cases, "get_y": y_cases, "get_y_D": yd_cases}


# -- pool scenarios -------------------------------------------------------------------------------


class Scenario:
    """A curvesim pool plus the contract-only pieces (supply, ramp clock, first deposit)."""

    def __init__(self, name: str, decimals: list[int], a: int, fee: int, admin_fee: int,
                 balances: list[int], supply: int) -> None:  # fmt: skip
        self.name = name
        self.n = len(decimals)
        self.decimals = decimals
        self.rates = rates_for(decimals)
        self.a0 = self.a1 = a
        self.t0 = self.t1 = 0
        self.t = 0
        self.fee = fee
        self.admin_fee = admin_fee
        self.initial = {"balances": list(balances), "supply": supply}
        self.ramp: dict[str, int] | None = None
        if supply:
            self.pool = CurvePool(a, list(balances), self.n, rates=self.rates, tokens=supply,
                                  fee=fee, admin_fee=admin_fee)  # fmt: skip
        else:
            self.pool = None
        self.ops: list[dict[str, Any]] = []

    def set_ramp(self, future_a: int, duration: int) -> None:
        self.ramp = {"future_A": future_a, "duration_s": duration}
        self.a1 = future_a
        self.t0 = 0
        self.t1 = duration

    def amp(self) -> int:
        return a_at(self.a0, self.a1, self.t0, self.t1, self.t)

    def state(self) -> dict[str, Any]:
        p = self.pool
        return {
            "balances": list(map(int, p.balances)),
            "admin": list(map(int, p.admin_balances)),
            "supply": int(p.tokens),
            "virtual_price": int(p.get_virtual_price()),
        }

    def record(self, op: dict[str, Any], dt: int) -> None:
        op["dt"] = dt
        op["A"] = self.amp()
        op.update(self.state())
        self.ops.append(op)

    def xp(self) -> list[int]:
        return [b * r // PRECISION for b, r in zip(self.pool.balances, self.rates)]

    # each action returns True if recorded
    def first_deposit(self, amounts: list[int]) -> bool:
        rates = self.rates
        tmp = CurvePool(
            self.a0, list(amounts), self.n, rates=rates, fee=self.fee, admin_fee=self.admin_fee
        )
        d1 = tmp.get_D_mem(list(amounts), self.amp())
        self.pool = CurvePool(self.a0, list(amounts), self.n, rates=rates, tokens=d1,
                              fee=self.fee, admin_fee=self.admin_fee)  # fmt: skip
        self.record({"op": "add_liquidity", "amounts": amounts, "out": d1}, 0)
        return True

    def try_op(self, rng: random.Random, dt: int) -> bool:
        kind = rng.choice(
            ["exchange"] * 5 + ["add", "remove", "imbalance", "one_coin", "get_dy",
                                "calc_withdraw", "calc_token_in", "calc_token_out"]
        )  # fmt: skip
        snapshot = copy.deepcopy(self.pool)
        n_ops = len(self.ops)
        try:
            ok = with_timeout(self._do_op, kind, rng, dt, seconds=0.5)
        except (AssertionError, ZeroDivisionError, ValueError, RefTimeout):
            ok = False
        if not ok:
            self.pool = snapshot
            del self.ops[n_ops:]
        return ok

    def _do_op(self, kind: str, rng: random.Random, dt: int) -> bool:
        self.t += dt
        p = self.pool
        p.A = self.amp()
        try:
            op = getattr(self, "op_" + kind)(rng)
            if op is None or any(b < 0 for b in p.balances) or p.tokens <= 0:
                raise ValueError("the contract would revert")
            self.record(op, dt)
        except BaseException:
            self.t -= dt
            raise
        return True

    def _amount(self, rng: random.Random, k: int) -> int:
        bal = self.pool.balances[k]
        scale = rng.choice([10**-9, 10**-6, 10**-3, 0.05, 0.3, 1.0, 3.0])
        amt = int(bal * scale * rng.random())
        return max(amt, rng.randint(1, 10 ** self.decimals[k]))

    def op_exchange(self, rng: random.Random) -> dict[str, Any] | None:
        i, j = rng.sample(range(self.n), 2)
        dx = self._amount(rng, i)
        xp = self.xp()
        x = xp[i] + dx * self.rates[i] // PRECISION
        y = self.pool.get_y(i, j, x, xp)
        if xp[j] - y - 1 < 0:  # the contract reverts (uint underflow)
            return None
        dy, _fee = self.pool.exchange(i, j, dx)
        return {"op": "exchange", "i": i, "j": j, "dx": dx, "out": int(dy)}

    def op_get_dy(self, rng: random.Random) -> dict[str, Any] | None:
        i, j = rng.sample(range(self.n), 2)
        dx = self._amount(rng, i)
        xp = self.xp()
        x = xp[i] + dx * self.rates[i] // PRECISION
        y = self.pool.get_y(i, j, x, xp)
        raw = xp[j] - y - 1
        if raw < 0:
            return None
        dy = raw * PRECISION // self.rates[j]
        return {"op": "get_dy", "i": i, "j": j, "dx": dx, "out": dy - self.fee * dy // FEE_DEN}

    def op_add(self, rng: random.Random) -> dict[str, Any] | None:
        amounts = [self._amount(rng, k) if rng.random() < 0.7 else 0 for k in range(self.n)]
        if not any(amounts):
            amounts[0] = self._amount(rng, 0)
        mint = self.pool.add_liquidity(amounts)
        if mint <= 0:
            return None
        return {"op": "add_liquidity", "amounts": amounts, "out": int(mint)}

    def op_remove(self, rng: random.Random) -> dict[str, Any] | None:
        lp = max(1, int(self.pool.tokens * rng.choice([1e-6, 0.01, 0.2, 0.5, 0.9]) * rng.random()))
        before = list(self.pool.balances)
        self.pool.remove_liquidity(lp)
        out = [b - a for b, a in zip(before, self.pool.balances)]
        return {"op": "remove_liquidity", "lp": lp, "out": out}

    def op_imbalance(self, rng: random.Random) -> dict[str, Any] | None:
        amounts = [
            int(b * rng.choice([1e-6, 0.01, 0.1, 0.4]) * rng.random()) if rng.random() < 0.7 else 0
            for b in self.pool.balances
        ]
        if not any(amounts):
            return None
        p = self.pool
        # the contract asserts (D0 - D2) * supply // D0 != 0 before adding one
        trial = copy.deepcopy(p)
        burn, _fees = trial.remove_liquidity_imbalance(amounts)
        if burn - 1 <= 0:
            return None
        burn, _fees = p.remove_liquidity_imbalance(amounts)
        return {"op": "remove_liquidity_imbalance", "amounts": amounts, "out": int(burn)}

    def op_one_coin(self, rng: random.Random) -> dict[str, Any] | None:
        i = rng.randrange(self.n)
        lp = max(1, int(self.pool.tokens * rng.choice([1e-6, 0.001, 0.05, 0.2]) * rng.random()))
        dy, fee = self.pool.calc_withdraw_one_coin(lp, i)
        if dy < 0:
            return None
        dy, fee = self.pool.remove_liquidity_one_coin(lp, i)
        return {
            "op": "remove_liquidity_one_coin",
            "lp": lp,
            "i": i,
            "out": int(dy),
            "fee": int(fee),
        }

    def op_calc_withdraw(self, rng: random.Random) -> dict[str, Any] | None:
        i = rng.randrange(self.n)
        lp = max(1, int(self.pool.tokens * rng.choice([1e-6, 0.001, 0.05, 0.3]) * rng.random()))
        trial = copy.deepcopy(self.pool)
        dy, fee = trial.calc_withdraw_one_coin(lp, i)
        if dy < 0:
            return None
        return {"op": "calc_withdraw_one_coin", "lp": lp, "i": i, "out": int(dy), "fee": int(fee)}

    def op_calc_token_in(self, rng: random.Random) -> dict[str, Any] | None:
        amounts = [self._amount(rng, k) if rng.random() < 0.7 else 0 for k in range(self.n)]
        out = self.pool.calc_token_amount(amounts)
        return {"op": "calc_token_amount", "amounts": amounts, "is_deposit": True, "out": int(out)}

    def op_calc_token_out(self, rng: random.Random) -> dict[str, Any] | None:
        p = self.pool
        amounts = [int(b * 0.3 * rng.random()) if rng.random() < 0.7 else 0 for b in p.balances]
        d0 = p.get_D_mem(list(p.balances), p.A)
        d1 = p.get_D_mem([b - a for b, a in zip(p.balances, amounts)], p.A)
        return {
            "op": "calc_token_amount",
            "amounts": amounts,
            "is_deposit": False,
            "out": (d0 - d1) * int(p.tokens) // d0,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "decimals": self.decimals,
            "A": self.a0,
            "fee": self.fee,
            "admin_fee": self.admin_fee,
            "initial": self.initial,
            "ramp": self.ramp,
            "ops": self.ops,
        }


def snapshot_3pool() -> list[dict[str, Any]]:
    """The 3pool mainnet snapshot (docs/amm-spec.md §7 L1/L2), fees 4 bps and 1 bp."""
    out = []
    balances = [295949605740077243186725223, 284320067518878, 288200854907854]
    supply = 849743149250065202008212976
    for fee in (4_000_000, 1_000_000):
        for action in ("exchange", "one_coin", "add"):
            s = Scenario(
                f"3pool-{action}-fee{fee}", [18, 6, 6], 2000, fee, 5 * 10**9, balances, supply
            )
            s.record({"op": "virtual_price", "out": int(s.pool.get_virtual_price())}, 0)
            if action == "exchange":
                xp = s.xp()
                x = xp[0] + 10**24
                y = s.pool.get_y(0, 1, x, xp)
                dy = (xp[1] - y - 1) * PRECISION // s.rates[1]
                s.record(
                    {"op": "get_dy", "i": 0, "j": 1, "dx": 10**24, "out": dy - fee * dy // FEE_DEN},
                    0,
                )
                got, _ = s.pool.exchange(0, 1, 10**24)
                s.record({"op": "exchange", "i": 0, "j": 1, "dx": 10**24, "out": int(got)}, 0)
            elif action == "one_coin":
                dy, f = copy.deepcopy(s.pool).calc_withdraw_one_coin(10**24, 1)
                s.record(
                    {
                        "op": "calc_withdraw_one_coin",
                        "lp": 10**24,
                        "i": 1,
                        "out": int(dy),
                        "fee": int(f),
                    },
                    0,
                )
                dy, f = s.pool.remove_liquidity_one_coin(10**24, 1)
                s.record(
                    {
                        "op": "remove_liquidity_one_coin",
                        "lp": 10**24,
                        "i": 1,
                        "out": int(dy),
                        "fee": int(f),
                    },
                    0,
                )
            else:
                mint = s.pool.add_liquidity([10**24, 0, 0])
                s.record({"op": "add_liquidity", "amounts": [10**24, 0, 0], "out": int(mint)}, 0)
            out.append(s.as_json())
    return out


def make_scenario(label: str, style: str, decimals: list[int], a: int, fee: int, admin_fee: int,
                  balances: list[int], first: bool, rng: random.Random) -> Scenario:  # fmt: skip
    n = len(decimals)
    s = Scenario(f"{label}-{style}", decimals, a, fee, admin_fee, balances if not first else [0] * n,
                 0)  # fmt: skip
    if style == "ramp":
        factor = rng.choice([2, 5, 10, -2, -10])
        fut = a * factor if factor > 0 else max(1, -(-a // -factor))
        fut = min(fut, 10**6 - 1)
        s.set_ramp(fut, rng.choice([86400, 3 * 86400, 10 * 86400]))
    if first:
        s.first_deposit(balances)
    else:
        # an initial supply equal to D (virtual price 1) then a few trades
        xp = [b * r // PRECISION for b, r in zip(balances, s.rates)]
        supply = CurvePool(a, list(balances), n, rates=s.rates).get_D(xp, a)
        s.initial["supply"] = supply
        s.pool = CurvePool(
            a, list(balances), n, rates=s.rates, tokens=supply, fee=fee, admin_fee=admin_fee
        )
    return s


def random_scenarios(rng: random.Random) -> list[dict[str, Any]]:
    configs: list[tuple[str, list[int]]] = [
        ("n2-18", [18, 18]),
        ("n2-mixed", [18, 6]),
        ("n3-18", [18, 18, 18]),
        ("n3-mixed", [18, 6, 6]),
        ("n4-18", [18, 18, 18, 18]),
        ("n4-mixed", [18, 6, 8, 2]),
        ("n5-mixed", [18, 6, 18, 8, 12]),
        ("n8-mixed", [18, 6, 6, 18, 8, 12, 18, 6]),
    ]
    out = []
    for rep in range(4):
        for label, decimals in configs:
            n = len(decimals)
            style = ["balanced", "imbalanced", "extreme", "ramp"][rep]
            a = rng.choice([10, 100, 200, 1000, 2000, rng.randint(1, 5000)])
            fee = rng.choice([0, 1_000_000, 4_000_000, 30_000_000, rng.randint(0, 5 * 10**9)])
            admin_fee = rng.choice([0, 5 * 10**9, 10**10, rng.randint(0, 10**10)])
            unit = [10**d for d in decimals]
            size = 10 ** rng.randint(3, 9)
            if style == "balanced":
                weights = [rng.randint(900, 1100) for _ in range(n)]
            elif style == "imbalanced":
                weights = [rng.randint(1, 1000) for _ in range(n)]
            elif style == "extreme":
                weights = [1000] * n
                weights[rng.randrange(n)] = rng.choice([1, 1e-3, 1e-5])
            else:
                weights = [rng.randint(500, 1500) for _ in range(n)]
            balances = [max(1, int(size * u * w / 1000)) for u, w in zip(unit, weights)]
            first = rep == 0 and label.endswith("mixed")
            try:
                s = with_timeout(make_scenario, label, style, decimals, a, fee, admin_fee, balances, first, rng,
                                 seconds=2.0)  # fmt: skip
            except RefTimeout:
                print(
                    f"  {label}-{style}: curvesim does not converge on the initial state; skipped"
                )
                continue
            recorded = 0
            tries = 0
            while recorded < 25 and tries < 200:
                tries += 1
                dt = (
                    rng.choice([0, 0, 600, 3600, 40_000])
                    if style == "ramp"
                    else rng.choice([0, 12])
                )
                recorded += s.try_op(rng, dt)
            print(f"  {s.name}: {recorded} ops in {tries} tries", flush=True)
            out.append(s.as_json())
    return out


def main() -> int:
    rng = random.Random(20240404)
    OUT.mkdir(parents=True, exist_ok=True)
    math = math_vectors(rng)
    (OUT / "stableswap_math.json").write_text(json.dumps(math, separators=(",", ":")) + "\n")
    pools = {
        "source": "curvesim.pool.stableswap.pool.CurvePool",
        "scenarios": snapshot_3pool() + random_scenarios(rng),
    }
    (OUT / "stableswap_pools.json").write_text(json.dumps(pools, separators=(",", ":")) + "\n")
    n_ops = sum(len(s["ops"]) for s in pools["scenarios"])
    print(
        f"math: {sum(len(v) for v in math.values())} cases; pools: {len(pools['scenarios'])} scenarios, {n_ops} ops"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
