"""The toy CDP model in radCAD (reference for benchmarks/bench_risk.py; runs in .venv-ref-risk).

Same model as ``toy_cdp_peglab`` in bench_risk.py: one collateral, ``N`` vaults at ratios
1.8..3.0, a GBM price path (numpy seed 7, 50%/day vol, drift -20%/day), per step: accrue the
stability fee, liquidate every vault below 1.5 at the step's price with a 13% penalty, book bad
debt where collateral falls short. Prints JSON: steps, seconds, liquidations, bad debt.
Imports only radcad and numpy: never peglab.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from radcad import Experiment, Model, Simulation

N_VAULTS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
N_STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 500


def price_path(n: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    dt = 1 / 288  # 5-minute steps, per day
    z = rng.standard_normal(n)
    return 1.0 * np.exp(np.cumsum((-0.2 - 0.5 * 0.5**2) * dt + 0.5 * np.sqrt(dt) * z))


PRICES = price_path(N_STEPS)
RATE = (1.10) ** (300 / 31_536_000)  # 10% APR per 5-minute step


def p_step(params, substep, history, state):
    """One step of the toy model: fees, then liquidate every vault below 1.5 at this price."""
    p = PRICES[state["timestep"] % N_STEPS]
    vaults, bad, liq = [], 0.0, 0
    for ink, debt, alive in state["vaults"]:
        if alive:
            debt *= RATE
            if ink * p < 1.5 * debt:
                bad += max(0.0, debt * 1.13 - ink * p)
                liq += 1
                ink, debt, alive = 0.0, 0.0, False
        vaults.append((ink, debt, alive))
    return {"price": p, "vaults": vaults, "bad": bad, "liq": liq}


def s_price(params, substep, history, state, policy):
    return "price", policy["price"]


def s_vaults(params, substep, history, state, policy):
    return "vaults", policy["vaults"]


def s_bad_debt(params, substep, history, state, policy):
    return "bad_debt", state["bad_debt"] + policy["bad"]


def s_liq(params, substep, history, state, policy):
    return "liquidations", state["liquidations"] + policy["liq"]


def main() -> None:
    ratios = np.linspace(1.8, 3.0, N_VAULTS)
    vaults = [(1000.0 * r, 1000.0, True) for r in ratios]
    state = {"price": 1.0, "vaults": vaults, "bad_debt": 0.0, "liquidations": 0}
    blocks = [
        {
            "policies": {"step": p_step},
            "variables": {
                "price": s_price,
                "vaults": s_vaults,
                "bad_debt": s_bad_debt,
                "liquidations": s_liq,
            },
        }
    ]
    model = Model(initial_state=state, state_update_blocks=blocks, params={})
    sim = Simulation(model=model, timesteps=N_STEPS, runs=1)
    t = time.perf_counter()
    result = Experiment([sim]).run()
    secs = time.perf_counter() - t
    last = result[-1]
    print(
        json.dumps(
            {
                "steps": N_STEPS,
                "seconds": secs,
                "liquidations": last["liquidations"],
                "bad_debt": last["bad_debt"],
            }
        )
    )


if __name__ == "__main__":
    main()
