"""Benchmark: a ve(3,3) epoch flip with 10,000 locks and 100 gauges, with same-run references.

Setup: 10,000 locks created over 3.5 days (random amounts and durations, 5% permanent) each vote for 1-3 of 100
vault-incentive gauges, each gauge with one staker. Measured:

1. Votes. Casting the 10,000 votes through the engine (atomic actions, reward checkpoints,
   events) — reported as votes per second.
2. Epoch flip. ``voter.distribute()``: the minter's ``update_period`` (ve supply one second
   before the flip from the slope/bias checkpoints, rebase, team share, minting) plus the
   distribution to all 100 gauges through the emission index — O(gauges + weeks), independent
   of the number of locks.
3. Reference, same run: the naive way to get the same numbers, (a) the locked voting power at
   the flip as the sum over every lock of its power, with the independent model of
   ``tools/gen_governance_vectors.py``, and (b) each gauge's emission share by summing every
   lock's votes. Both are O(locks). The ve supply is cross-checked to be identical.

Run: ``.venv/bin/python benchmarks/bench_governance.py [--locks N] [--gauges G]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
from pathlib import Path

from peglab.kernel import Chain
from peglab.protocols.governance import MAXTIME, WEEK, Governance, epoch_next, epoch_start
from peglab.units import WAD


def _load_model() -> type:
    path = Path(__file__).resolve().parent.parent / "tools" / "gen_governance_vectors.py"
    spec = importlib.util.spec_from_file_location("gen_governance_vectors", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.Model  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locks", type=int, default=10_000)
    parser.add_argument("--gauges", type=int, default=100)
    args = parser.parse_args()
    n_locks, n_gauges = args.locks, args.gauges
    rng = random.Random(2024)

    chain = Chain(keep_log=False)
    gov = Governance.deploy(chain)
    gov.minter.initialize(liquid=[("funder", 10**9 * WAD)], sender="gov")
    chain.ledger.create_token("VSHARE")
    pools = [f"vault:{k}" for k in range(n_gauges)]
    for p in pools:
        gov.voter.create_vault_gauge(p, "VSHARE", sender="gov")
        chain.ledger.mint("VSHARE", f"staker:{p}", WAD)
        gov.voter.gauge(p).deposit(WAD, sender=f"staker:{p}")

    chain.warp(epoch_next(chain.now) + 2 * 3600)
    t0 = time.perf_counter()
    locks: list[tuple[int, str, int, int]] = []
    for k in range(n_locks):
        if k % 100 == 0:
            chain.advance(3000)  # locks arrive over ~3.5 days of the epoch
        owner = f"user{k}"
        amount = rng.randint(1, 50_000) * WAD
        duration = rng.randint(2 * WEEK, MAXTIME)
        i = gov.escrow.create_lock(amount, duration, sender="funder", to=owner)
        if rng.random() < 0.05:
            gov.escrow.lock_permanent(i, sender=owner)
        locks.append((i, owner, chain.now, duration))
    t_locks = time.perf_counter() - t0

    ballots = []
    for i, owner, _, _ in locks:
        chosen = rng.sample(pools, rng.randint(1, 3))
        ballots.append((i, owner, chosen, [rng.randint(1, 100) for _ in chosen]))
    t0 = time.perf_counter()
    for i, owner, chosen, weights in ballots:
        gov.voter.vote(i, chosen, weights, sender=owner)
    t_votes = time.perf_counter() - t0

    chain.warp(epoch_next(chain.now) + 1)
    t0 = time.perf_counter()
    amounts = gov.voter.distribute(sender="keeper")
    t_flip = time.perf_counter() - t0
    period = gov.minter.state.active_period
    assert period == epoch_start(chain.now) and sum(amounts.values()) > 0

    # reference (a): naive power sum with the generator's independent model
    model_cls = _load_model()
    model = model_cls()
    for i, _, created_at, _ in locks:
        amount, end, permanent = gov.escrow.locked(i)
        model.set(i, created_at, amount, end, permanent)
    t0 = time.perf_counter()
    naive_supply = model.supply(period - 1)
    t_ref_supply = time.perf_counter() - t0
    assert naive_supply == gov.escrow.supply_at(period - 1), "engine and model disagree"

    # reference (b): per-gauge emission shares from every lock's votes
    emission = gov.minter.state.emitted_total
    t0 = time.perf_counter()
    weights: dict[str, int] = {}
    for i, _, _, _ in locks:
        for p, share in gov.voter.votes_of(i).items():
            weights[p] = weights.get(p, 0) + share
    total = sum(weights.values())
    naive_amounts = {p: emission * w // total for p, w in weights.items()}
    t_ref_weights = time.perf_counter() - t0
    worst = max(abs(naive_amounts[p] - amounts[p]) for p in pools)
    t_ref = t_ref_supply + t_ref_weights

    print(f"ve(3,3) epoch flip: {n_locks:,} locks, {n_gauges} gauges")
    print(f"  create locks           {t_locks:8.3f} s  ({n_locks / t_locks:,.0f} locks/s)")
    print(f"  cast votes             {t_votes:8.3f} s  ({n_locks / t_votes:,.0f} votes/s)")
    print(f"  flip (update_period + distribute to {n_gauges} gauges) {t_flip * 1e3:8.2f} ms")
    print(f"  reference: naive ve supply over all locks   {t_ref_supply * 1e3:8.2f} ms")
    print(f"  reference: naive gauge shares from all votes {t_ref_weights * 1e3:8.2f} ms")
    print(f"  ratio flip / naive reference: {t_flip / t_ref:.3f}  (speed-up {t_ref / t_flip:.1f}x)")
    print(
        f"  ve supply identical: {naive_supply}; max per-gauge difference vs naive share: {worst} wei"
    )


if __name__ == "__main__":
    main()
