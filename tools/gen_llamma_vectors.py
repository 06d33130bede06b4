"""Generate tests/vectors/llamma_ops.json by running Curve's crvUSD AMM and Controller in an EVM.

Independent of peglab: this file imports nothing from it. It compiles the Vyper 0.3.9 contracts
``AMM.vy`` and ``Controller.vy`` of curvefi/curve-stablecoin (commit c2fb4455, November 2023),
read at run time from the paths given on the command line (they are never committed), deploys
them in titanoboa's EVM against small mocks written here (ERC-20 tokens, a settable price oracle,
a factory, a fixed-rate monetary policy), plays seeded random sequences of loans, oracle moves,
arbitrage and random trades, repayments, collateral changes and liquidations, and records each
operation with the contract's results and the whole observable state after it. The peglab test
(tests/test_llamma_vectors.py) replays the operations and compares every integer.

Run (dev-only environment, see tools/ref_env_llamma.sh):
``.venv-ref-llamma/bin/python tools/gen_llamma_vectors.py AMM.vy Controller.vy``
"""

from __future__ import annotations

import json
import random
import sys
from decimal import Decimal, getcontext
from math import isqrt
from pathlib import Path

import boa  # type: ignore[import-not-found]

OUT = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "llamma_ops.json"
WAD = 10**18

ERC20 = """
# @version 0.3.9
decimals: public(uint256)
balanceOf: public(HashMap[address, uint256])
totalSupply: public(uint256)

@external
def __init__(d: uint256):
    self.decimals = d

@external
def transfer(_to: address, _value: uint256) -> bool:
    self.balanceOf[msg.sender] -= _value
    self.balanceOf[_to] += _value
    return True

@external
def transferFrom(_from: address, _to: address, _value: uint256) -> bool:
    # allowances are not what the vectors test: any holder's coins move
    self.balanceOf[_from] -= _value
    self.balanceOf[_to] += _value
    return True

@external
def approve(_spender: address, _value: uint256) -> bool:
    return True

@external
def mint(_to: address, _value: uint256):
    self.balanceOf[_to] += _value
    self.totalSupply += _value
"""

ORACLE = """
# @version 0.3.9
p: public(uint256)

@external
def __init__(p: uint256):
    self.p = p

@external
def set_price(p: uint256):
    self.p = p

@external
@view
def price() -> uint256:
    return self.p

@external
def price_w() -> uint256:
    return self.p
"""

FACTORY = """
# @version 0.3.9
stablecoin: public(address)
admin: public(address)
fee_receiver: public(address)
WETH: public(address)

@external
def __init__(s: address, a: address):
    self.stablecoin = s
    self.admin = a
    self.fee_receiver = a
"""

POLICY = """
# @version 0.3.9
rate: public(uint256)

@external
def __init__(r: uint256):
    self.rate = r

@external
def rate_write() -> uint256:
    return self.rate
"""

SCENARIOS = [
    # name, A, collateral decimals, fee, admin fee, base price, rate per second, seed, steps
    ("a100-eth-rate", 100, 18, 6 * 10**15, 0, 3000 * WAD, 3_170_979_198, 1, 80),
    ("a50-wbtc-adminfee", 50, 8, 3 * 10**15, 5 * 10**17, 40_000 * WAD, 0, 2, 80),
    ("a30-crv", 30, 18, 10**16, 0, WAD // 2, 1_000_000_000, 3, 80),
]
USERS = ["u0", "u1", "u2", "u3"]


class World:
    def __init__(self, amm_src: str, ctl_src: str, sc: tuple[object, ...]) -> None:
        name, a, dec, fee, admin_fee, base, rate, seed, steps = sc
        self.a, self.dec, self.base = int(a), int(dec), int(base)  # type: ignore[call-overload]
        self.prec = 10 ** (18 - self.dec)
        self.admin = boa.env.generate_address()
        self.stable = boa.loads(ERC20, 18)
        self.coll = boa.loads(ERC20, self.dec)
        self.oracle = boa.loads(ORACLE, self.base + self.base // 300)
        self.factory = boa.loads(FACTORY, self.stable.address, self.admin)
        self.policy = boa.loads(POLICY, rate)
        assert getcontext().prec >= 60  # vyper installs a 78-digit decimal context
        ratio = Decimal(self.a) / Decimal(self.a - 1)
        sqrt_ratio = int(ratio.sqrt() * WAD)
        log_ratio = int(ratio.ln() * WAD)
        self.log_ratio, self.sqrt_ratio = log_ratio, sqrt_ratio
        self.amm = boa.loads_partial(amm_src, "AMM").deploy(
            self.stable.address,
            1,
            self.coll.address,
            self.prec,
            self.a,
            sqrt_ratio,
            log_ratio,
            self.base,
            fee,
            admin_fee,
            self.oracle.address,
        )
        with boa.env.prank(self.factory.address):
            self.ctl = boa.loads_partial(ctl_src, "Controller").deploy(
                self.coll.address, self.policy.address, 9 * 10**16, 6 * 10**16, self.amm.address
            )
        self.amm.set_admin(self.ctl.address)
        self.stable.mint(self.ctl.address, 10**40)
        self.addr = {u: boa.env.generate_address() for u in [*USERS, "arb", "liq"]}
        self.stable.mint(self.addr["arb"], 10**40)
        self.stable.mint(self.addr["liq"], 10**40)
        self.coll.mint(self.addr["arb"], 10**40)
        self.rng = random.Random(seed)
        self.ops: list[dict[str, object]] = []
        self.params = {
            "name": name,
            "a": self.a,
            "collateral_decimals": self.dec,
            "fee": fee,
            "admin_fee": admin_fee,
            "base_price": self.base,
            "initial_price": self.base + self.base // 300,
            "rate": rate,
            "sqrt_band_ratio": sqrt_ratio,
            "log_a_ratio": log_ratio,
            "loan_discount": 9 * 10**16,
            "liquidation_discount": 6 * 10**16,
        }
        self.steps = int(steps)  # type: ignore[call-overload]

    def snapshot(self) -> dict[str, object]:
        amm, ctl = self.amm, self.ctl
        lo, hi = amm.min_band(), amm.max_band()
        bands = [[n, amm.bands_x(n), amm.bands_y(n)] for n in range(lo, hi + 1)]
        users: dict[str, object] = {}
        for u in USERS:
            ad = self.addr[u]
            if not ctl.loan_exists(ad):
                continue
            users[u] = {
                "debt": ctl.debt(ad),
                "ticks": list(amm.read_user_tick_numbers(ad)),
                "sum_xy": list(amm.get_sum_xy(ad)),
                "x_down": amm.get_x_down(ad),
                "y_up": amm.get_y_up(ad),
                "health": ctl.health(ad, False),
                "health_full": ctl.health(ad, True),
            }
        return {
            "active_band": amm.active_band(),
            "min_band": lo,
            "max_band": hi,
            "bands": bands,
            "admin_fees": [amm.admin_fees_x(), amm.admin_fees_y()],
            "price_oracle": amm.price_oracle(),
            "dynamic_fee": amm.dynamic_fee(),
            "get_p": amm.get_p(),
            "base_price": amm.get_base_price(),
            "total_debt": ctl.total_debt(),
            "users": users,
        }

    def record(self, op: dict[str, object], fn) -> None:  # type: ignore[no-untyped-def]
        try:
            ret = fn()
            op["ok"] = True
            op["ret"] = _plain(ret)
        except Exception as e:  # a revert: peglab must refuse too
            op["ok"] = False
            op["error"] = str(e).splitlines()[0][:120]
        op["state"] = self.snapshot()
        self.ops.append(op)

    def step(self) -> None:
        r = self.rng
        dt = r.choice([0, 5, 30, 60, 600, 3600, 86_400])
        boa.env.time_travel(seconds=dt)
        kind = r.choices(
            [
                "loan",
                "move",
                "trade",
                "trade_dy",
                "repay",
                "liquidate",
                "collateral",
                "borrow_more",
            ],
            weights=[3, 8, 3, 2, 2, 2, 1, 1],
        )[0]
        user = r.choice(USERS)
        ad = self.addr[user]
        if kind == "loan" or not any(self.ctl.loan_exists(self.addr[u]) for u in USERS):
            coll = r.randint(1, 100) * 10**self.dec // r.choice([1, 10])
            n = r.randint(4, 30)
            try:
                mx = self.ctl.max_borrowable(coll, n)
            except Exception:
                mx = 10**18
            debt = max(mx * r.randint(50, 101) // 100, 1)
            self.coll.mint(ad, coll)
            op = {"op": "create_loan", "dt": dt, "user": user, "collateral": coll, "debt": debt}
            op["n"] = n
            op["max_borrowable"] = mx
            with boa.env.prank(ad):
                self.record(op, lambda: self.ctl.create_loan(coll, debt, n))
        elif kind == "move":
            p = self.oracle.price() * r.randint(9_700, 10_300) // 10_000
            self.oracle.set_price(p)
            amount, pump = self.amm.get_amount_for_price(p)
            op = {"op": "arbitrage", "dt": dt, "price": p, "amount_for_price": [amount, pump]}
            i = 0 if pump else 1
            with boa.env.prank(self.addr["arb"]):
                self.record(op, lambda: self.amm.exchange(i, 1 - i, amount, 0))
        elif kind == "trade":
            i = r.randint(0, 1)
            unit = self.base if i == 0 else 10**self.dec
            amount = unit * r.randint(1, 10**6) // 10**5
            dxdy = list(self.amm.get_dxdy(i, 1 - i, amount))
            op = {"op": "exchange", "dt": dt, "i": i, "amount": amount, "get_dxdy": dxdy}
            with boa.env.prank(self.addr["arb"]):
                self.record(op, lambda: self.amm.exchange(i, 1 - i, amount, 0))
        elif kind == "trade_dy":
            i = r.randint(0, 1)
            unit = 10**self.dec if i == 0 else self.base
            amount = unit * r.randint(1, 10**6) // 10**6
            dydx = list(self.amm.get_dydx(i, 1 - i, amount))
            op = {"op": "exchange_dy", "dt": dt, "i": i, "amount": amount, "get_dydx": dydx}
            with boa.env.prank(self.addr["arb"]):
                self.record(op, lambda: self.amm.exchange_dy(i, 1 - i, amount, 2**256 - 1))
        elif kind == "repay":
            debt = self.ctl.debt(ad)
            amount = max(debt * r.choice([10, 50, 100, 120]) // 100, 1)
            self.stable.mint(ad, amount)
            op = {"op": "repay", "dt": dt, "user": user, "amount": amount}
            with boa.env.prank(ad):
                self.record(op, lambda: self.ctl.repay(amount))
        elif kind == "liquidate":
            frac = r.choice([WAD, WAD // 2, WAD // 10])
            who = r.choice(["liq", user])
            op = {"op": "liquidate", "dt": dt, "user": user, "by": who, "frac": frac}
            with boa.env.prank(self.addr[who]):
                self.record(op, lambda: self.ctl.liquidate_extended(ad, 0, frac, False, _ZERO, []))
        elif kind == "collateral":
            amount = r.randint(1, 20) * 10**self.dec // 10
            if r.random() < 0.5:
                self.coll.mint(ad, amount)
                op = {"op": "add_collateral", "dt": dt, "user": user, "amount": amount}
                with boa.env.prank(ad):
                    self.record(op, lambda: self.ctl.add_collateral(amount, ad))
            else:
                op = {"op": "remove_collateral", "dt": dt, "user": user, "amount": amount}
                with boa.env.prank(ad):
                    self.record(op, lambda: self.ctl.remove_collateral(amount, False))
        else:
            debt = self.ctl.debt(ad) // r.choice([5, 20]) + 1
            op = {"op": "borrow_more", "dt": dt, "user": user, "amount": debt}
            with boa.env.prank(ad):
                self.record(op, lambda: self.ctl.borrow_more(0, debt))


_ZERO = "0x0000000000000000000000000000000000000000"


def _plain(v: object) -> object:
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return v
    return str(v)


def main() -> None:
    amm_src = Path(sys.argv[1]).read_text()
    ctl_src = Path(sys.argv[2]).read_text()
    scenarios = []
    for sc in SCENARIOS:
        with boa.env.anchor():
            w = World(amm_src, ctl_src, sc)
            w.record({"op": "start", "dt": 0}, lambda: None)
            for _ in range(w.steps):
                w.step()
            scenarios.append({"params": w.params, "ops": w.ops})
            ok = sum(1 for o in w.ops if o["ok"])
            print(f"{w.params['name']}: {len(w.ops)} ops, {ok} succeeded")
    assert isqrt(4) == 2
    doc = {
        "source": "curvefi/curve-stablecoin c2fb4455 contracts/AMM.vy, contracts/Controller.vy "
        "(Vyper 0.3.9) in titanoboa 0.1.7; generated by tools/gen_llamma_vectors.py",
        "scenarios": scenarios,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
