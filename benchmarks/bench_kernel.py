"""Benchmark: the incremental state hash against a full encoding of the state, in the same run.

A world of AI dollars with N vaults (one per user, each with collateral and debt). After each
small action (a 1-wei AI-dollar transfer between two users) the state is hashed three ways:

- ``incremental``: ``chain.state_hash()``, which re-hashes only what the action wrote;
- ``full digest``: ``chain.state_hash_full()``, the same value from scratch;
- ``full encoding``: SHA-256 over the canonical encoding of every registered container, the
  state hash before it became incremental (the reference).

Each hash is timed on its own after its action (the action's own cost is printed beside it).
The ratios are full encoding / incremental and full digest / incremental at each size; the
incremental cost should stay flat as N grows, the others grow with the state.

Run: ``.venv/bin/python benchmarks/bench_kernel.py [--sizes 100 1000 5000]``.
"""

from __future__ import annotations

import argparse
import hashlib
import time

from peglab.examples.systems import two_ai_dollars
from peglab.kernel import Chain, encode
from peglab.units import wad


def full_encoding_hash(chain: Chain) -> str:
    """The reference: every registered container encoded and hashed in one pass."""
    h = hashlib.sha256(encode(chain.now))
    for name, container in chain.registered():
        h.update(encode(name))
        h.update(encode(container))
    return h.hexdigest()


def world(n: int) -> Chain:
    s = two_ai_dollars(keep_log=False)
    d, ledger = s.dollars["AUSD"], s.chain.ledger
    for i in range(n):
        u = f"u{i}"
        ledger.mint("ATH", u, wad(100_000))
        vid = d.open_vault("ATH-A", sender=u)
        d.deposit(vid, wad(100_000), sender=u)
        d.mint(vid, wad(1_000), sender=u)
    return s.chain


def per_call(chain: Chain, fn: object, rounds: int) -> tuple[float, float]:
    """Mean seconds of (the action, the hash after it): each timed on its own, so a noisy
    machine cannot turn a small hash cost into a difference of two large ones."""
    act = spent = 0.0
    for k in range(rounds):
        t0 = time.perf_counter()
        chain.transfer("AUSD", f"u{(k + 1) % 2}", 1, sender=f"u{k % 2}")
        t1 = time.perf_counter()
        fn()  # type: ignore[operator]
        spent += time.perf_counter() - t1
        act += t1 - t0
    return act / rounds, spent / rounds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[100, 1000, 5000])
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args()
    print(f"{'vaults':>7} {'action':>10} {'incremental':>12} {'full digest':>12} "
          f"{'full encoding':>14} {'enc/incr':>9} {'digest/incr':>12}")  # fmt: skip
    for n in args.sizes:
        chain = world(n)
        assert chain.state_hash() == chain.state_hash_full()
        action, inc = per_call(chain, chain.state_hash, args.rounds)
        slow = max(args.rounds // 10, 5)
        full = per_call(chain, chain.state_hash_full, slow)[1]
        enc = per_call(chain, lambda c=chain: full_encoding_hash(c), slow)[1]
        print(
            f"{n:>7} {action * 1e6:>8.0f}us {inc * 1e6:>10.0f}us {full * 1e6:>10.0f}us "
            f"{enc * 1e6:>12.0f}us {enc / inc:>8.0f}x {full / inc:>11.0f}x"
        )


if __name__ == "__main__":
    main()
