"""Durability: clients send actions while the server is killed with SIGKILL at random moments and
restarted. Every acknowledged action is in the log with its exact arguments, a request in flight
at the kill is either wholly in the log or absent, and the state hash after restart equals an
independent replay of the log from genesis. SQLite and a real PostgreSQL (skipped with the reason
where PostgreSQL is not installed)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_service_helpers import Server, postgres_url, signup

from peglab.store import Store

W = 10**18
CLIENTS = 3
KILLS = 3


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
    else:
        with postgres_url() as url:
            yield url


def _client_loop(
    base: str,
    key: str,
    ids: Iterator[int],
    acked: dict[int, int],
    sent: set[int],
    stop: threading.Event,
) -> None:
    http = httpx.Client(base_url=base, timeout=5, headers={"Authorization": f"Bearer {key}"})
    while not stop.is_set():
        k = next(ids)
        amount = W + k  # unique: identifies the request in the log
        sent.add(amount)
        try:
            r = http.post(
                "/api/sandboxes/crash/actions/sandbox/Faucet/mint",
                json={"args": {"token": "ATH", "to": "alice", "amount": str(amount)}},
            )
        except httpx.HTTPError:
            time.sleep(0.02)  # the server is down: this request's fate is unknown
            continue
        if r.status_code == 200:
            acked[r.json()["seq"]] = amount
        else:
            time.sleep(0.02)


def test_kill_9__at_random_moments__acknowledged_actions_survive_and_replay(
    db_url: str, tmp_path: Path
) -> None:
    rng = random.Random(7)
    srv = Server(db_url, tmp_path, env={"PEGLAB_SNAPSHOT_EVERY": "5"})
    srv.start()
    alice = signup(srv.base, "alice")
    assert (
        alice.post("/api/sandboxes", {"name": "crash", "system": "two-ai-dollars"}).status_code
        == 201
    )
    counter = iter(range(10**9))
    lock = threading.Lock()

    def ids() -> Iterator[int]:
        while True:
            with lock:
                yield next(counter)

    acked: dict[int, int] = {}
    sent: set[int] = set()
    try:
        for _ in range(KILLS):
            stop = threading.Event()
            threads = [
                threading.Thread(
                    target=_client_loop, args=(srv.base, alice.key, ids(), acked, sent, stop)
                )
                for _ in range(CLIENTS)
            ]
            for t in threads:
                t.start()
            # let this cycle acknowledge a few actions, then kill at a random moment after that
            wanted = len(acked) + 5
            deadline = time.monotonic() + 120
            while len(acked) < wanted and time.monotonic() < deadline:
                time.sleep(0.01)
            assert len(acked) >= wanted, "the server acknowledged nothing for two minutes"
            time.sleep(rng.uniform(0.0, 0.4))
            srv.kill()  # SIGKILL while requests are in flight
            stop.set()
            for t in threads:
                t.join()
            srv.start()
        state = httpx.get(srv.base + "/api/sandboxes/crash", timeout=30).json()
    finally:
        srv.stop()

    assert len(acked) >= 5 * KILLS
    store = Store(db_url)
    log = list(store.entries("crash"))
    assert [e.seq for e in log] == list(range(1, len(log) + 1)), "no gaps, no duplicates"
    by_seq = {e.seq: e for e in log}
    for seq, amount in acked.items():  # every acknowledged action is there, exactly
        assert seq in by_seq, f"acknowledged seq {seq} lost"
        assert by_seq[seq].args == {"token": "ATH", "to": "alice", "amount": amount}
    amounts = [e.args["amount"] for e in log]
    assert len(set(amounts)) == len(amounts) and set(amounts) <= sent  # in-flight: all or nothing
    genesis = store.world_at_snapshot("crash", 0)
    for _ in store.replay("crash", genesis, after=0):  # checks every row's hash
        pass
    assert genesis.chain.state_hash() == state["state_hash"] == log[-1].state_hash
    assert state["seq"] == len(log)
    assert genesis.chain.ledger.balance_of("ATH", "alice") == sum(amounts)
    store.close()
