"""Benchmark: actions per second through the HTTP API against the same actions in-process, and
replay speed from the log, with same-run references.

1. In-process reference: the workload (deposit, mint, repay on one vault, repeated) applied to a
   sandbox world directly (``SandboxWorld.apply``: the engine, event capture and the state hash
   after every action, which the log must record), then the same plus the durable log append
   (``Store.append``, SQLite with ``synchronous=FULL``).
2. HTTP: the same workload through a real ``peglab serve`` process on SQLite, one client in
   sequence and 16 concurrent clients (each on its own vault; one sandbox, so the server
   serialises them on the sandbox's lock). Latency p50/p99 per request.
3. Replay: rebuilding the sandbox from genesis through the whole log (every state hash checked),
   on SQLite and on a throwaway PostgreSQL cluster if PostgreSQL is installed.

Figures are ratios to the in-process reference of the same run (and absolute rates for context).
Run: ``.venv/bin/python benchmarks/bench_service.py [--actions N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from peglab.store import Op, SandboxWorld, Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_service_helpers import postgres_url, running_server, signup

W = 10**18
GENESIS = {"kind": "system", "name": "two-ai-dollars"}


def workload(n: int, who: str, vault: int) -> list[Op]:
    ops = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            ops.append(
                Op(
                    "cdp.AIDollar.deposit",
                    "dollars[AUSD]",
                    {"vault_id": vault, "amount": 100 * W},
                    who,
                )
            )
        elif kind == 1:
            ops.append(
                Op(
                    "cdp.AIDollar.mint",
                    "dollars[AUSD]",
                    {"vault_id": vault, "amount_wad": 2 * W},
                    who,
                )
            )
        else:
            ops.append(
                Op("cdp.AIDollar.repay", "dollars[AUSD]", {"vault_id": vault, "amount_wad": W}, who)
            )
    return ops


def setup_ops(who: str, owner: str) -> list[Op]:
    return [
        Op(
            "sandbox.Faucet.mint", "faucet", {"token": "ATH", "to": who, "amount": 10**9 * W}, owner
        ),
        Op("cdp.AIDollar.open_vault", "dollars[AUSD]", {"ilk": "ATH-A"}, who),
        Op("cdp.AIDollar.deposit", "dollars[AUSD]", {"vault_id": 0, "amount": 10**7 * W}, who),
        Op("cdp.AIDollar.mint", "dollars[AUSD]", {"vault_id": 0, "amount_wad": 1000 * W}, who),
    ]


def in_process(n: int, tmp: Path) -> tuple[float, float]:
    world = SandboxWorld.create({**GENESIS, "owner": "alice"})
    for op in setup_ops("alice", "alice"):
        if op.args.get("vault_id") == 0:
            op = Op(op.name, op.target, {**op.args, "vault_id": 1}, op.sender)
        world.apply(op)
    ops = workload(n, "alice", 1)
    t0 = time.perf_counter()
    for op in ops:
        world.apply(op)
    bare = n / (time.perf_counter() - t0)
    store = Store(f"sqlite:///{tmp / 'inproc.db'}")
    store.create_account("alice")
    world = store.create_sandbox("b", "alice", GENESIS)
    seq = 0
    for op in setup_ops("alice", "alice"):
        if op.args.get("vault_id") == 0:
            op = Op(op.name, op.target, {**op.args, "vault_id": 1}, op.sender)
        seq += 1
        store.append("b", seq, op, world.apply(op))
    t0 = time.perf_counter()
    for op in ops:
        seq += 1
        store.append("b", seq, op, world.apply(op))
    logged = n / (time.perf_counter() - t0)
    store.close()
    return bare, logged


def _client_run(base: str, key: str, ops: list[Op], lat: list[float]) -> None:
    http = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {key}"})
    for op in ops:
        family, cls, method = op.name.split(".")
        body = {
            "target": op.target,
            "args": {k: str(v) if type(v) is int else v for k, v in op.args.items()},
        }
        t = time.perf_counter()
        r = http.post(f"/api/sandboxes/bench/actions/{family}/{cls}/{method}", json=body)
        lat.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
    http.close()


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000


def over_http(url: str, tmp: Path, n: int, clients: int) -> dict[str, float]:
    with running_server(url, tmp) as srv:
        owner = signup(srv.base, "owner")
        assert (
            owner.post("/api/sandboxes", {"name": "bench", "system": "two-ai-dollars"}).status_code
            == 201
        )
        users = [signup(srv.base, f"user{i:02d}") for i in range(clients)]
        vaults = []
        for u, name in zip(users, [f"user{i:02d}" for i in range(clients)]):
            owner.act("bench", "sandbox.Faucet.mint", token="ATH", to=name, amount=str(10**9 * W))
            vid = int(
                u.act("bench", "cdp.AIDollar.open_vault", "dollars[AUSD]", ilk="ATH-A").json()[
                    "result"
                ]
            )
            u.act(
                "bench",
                "cdp.AIDollar.deposit",
                "dollars[AUSD]",
                vault_id=vid,
                amount=str(10**7 * W),
            )
            u.act(
                "bench",
                "cdp.AIDollar.mint",
                "dollars[AUSD]",
                vault_id=vid,
                amount_wad=str(1000 * W),
            )
            vaults.append(vid)
        per = n // clients
        lats: list[list[float]] = [[] for _ in range(clients)]
        threads = [
            threading.Thread(
                target=_client_run,
                args=(srv.base, u.key, workload(per, f"user{i:02d}", vaults[i]), lats[i]),
            )
            for i, u in enumerate(users)
        ]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    flat = [x for xs in lats for x in xs]
    return {
        "rate": per * clients / wall,
        "p50_ms": _pct(flat, 0.5),
        "p99_ms": _pct(flat, 0.99),
        "mean_ms": statistics.mean(flat) * 1000,
    }


def replay_rate(url: str) -> float:
    store = Store(url)
    world = store.world_at_snapshot("bench", 0)
    t0 = time.perf_counter()
    k = sum(1 for _ in store.replay("bench", world, after=0))
    rate = k / (time.perf_counter() - t0)
    store.close()
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--actions", type=int, default=960)
    args = ap.parse_args()
    n = args.actions
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        bare, logged = in_process(n, tmp)
        print(f"in-process, engine only:            {bare:9.0f} actions/s  (reference)")
        print(
            f"in-process, engine + SQLite log:    {logged:9.0f} actions/s  ({logged / bare:.2f}x)"
        )
        sqlite = f"sqlite:///{tmp / 'http.db'}"
        for clients in (1, 16):
            r = (
                over_http(sqlite, tmp, n, clients)
                if clients == 1
                else over_http(f"sqlite:///{tmp / 'http16.db'}", tmp, n, clients)
            )
            print(
                f"HTTP, SQLite, {clients:2d} client(s):          {r['rate']:9.0f} actions/s  "
                f"({r['rate'] / bare:.3f}x in-process)  p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms"
            )
        rs = replay_rate(sqlite)
        print(
            f"replay from genesis, SQLite:        {rs:9.0f} actions/s  ({rs / bare:.2f}x in-process)"
        )
        try:
            import pytest

            with postgres_url() as pg:
                r = over_http(pg, tmp, n, 16)
                print(
                    f"HTTP, PostgreSQL, 16 clients:       {r['rate']:9.0f} actions/s  "
                    f"({r['rate'] / bare:.3f}x in-process)  p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms"
                )
                rp = replay_rate(pg)
                print(
                    f"replay from genesis, PostgreSQL:    {rp:9.0f} actions/s  ({rp / bare:.2f}x in-process)"
                )
        except pytest.skip.Exception as e:
            print(f"PostgreSQL: not measured ({e.msg})")


if __name__ == "__main__":
    main()
