"""The store: the log records every acknowledged operation exactly, and replay from genesis or
from any snapshot reproduces the state hash at every step (SQLite here; PostgreSQL in the API
tests). Canaries: a tampered log row or snapshot is detected."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from test_store_ops import random_ops

from peglab.errors import InvalidInput, PeglabError
from peglab.store import Op, SandboxWorld, Store
from peglab.store.models import LogRow, Snapshot

GENESIS = {"kind": "system", "name": "two-ai-dollars"}


def _fill(store: Store, name: str, ops: list[Op]) -> tuple[SandboxWorld, list[str]]:
    """Apply ``ops`` like the service does; return the world and the hash after each logged op."""
    world = store.create_sandbox(name, "alice", GENESIS)
    hashes = []
    seq = 0
    for op in ops:
        before = world.chain.state_hash()
        try:
            out = world.apply(op)
        except PeglabError:
            assert world.chain.state_hash() == before  # refused: nothing changed
            continue
        seq += 1
        store.append(name, seq, op, out)
        hashes.append(out.state_hash)
        if seq % store.snapshot_every == 0:
            store.snapshot(name, seq, world)
    return world, hashes


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'store.db'}", snapshot_every=7)
    s.create_account("alice")
    return s


def test_replay__from_every_snapshot__reproduces_every_state_hash(store: Store) -> None:
    world, hashes = _fill(store, "s", random_ops(random.Random(1), 120))
    assert len(hashes) > 40
    snaps = store.snapshot_seqs("s")
    assert snaps[0] == 0 and len(snaps) == 1 + len(hashes) // 7
    for start in snaps:
        w = store.world_at_snapshot("s", start)
        seen = [out.state_hash for _, out in store.replay("s", w, after=start)]
        assert seen == hashes[start:]
    assert store.load("s").chain.state_hash() == world.chain.state_hash()
    assert store.head("s") == (len(hashes), world.chain.state_hash())


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(5, 60))
def test_replay__random_histories__same_hash_as_live(tmp_path: Path, seed: int, n: int) -> None:
    store = Store(f"sqlite:///{tmp_path / f'h{seed}-{n}.db'}", snapshot_every=5)
    store.create_account("alice")
    world, hashes = _fill(store, "s", random_ops(random.Random(seed), n))
    rebuilt = SandboxWorld.create(dict(store.sandbox("s").genesis))
    assert [o.state_hash for _, o in store.replay("s", rebuilt, after=0)] == hashes
    assert rebuilt.chain.state_hash() == world.chain.state_hash()
    store.close()


def test_log__amounts__stored_as_exact_decimal_text(store: Store) -> None:
    world = store.create_sandbox("s", "alice", GENESIS)
    big = 2**200 + 7  # far beyond 64 bits
    op = Op(
        "sandbox.Faucet.mint", "faucet", {"token": "ATH", "to": "alice", "amount": big}, "alice"
    )
    store.append("s", 1, op, world.apply(op))
    with store.session() as s:
        row = s.query(LogRow).one()
    assert f'"i:{big}"' in row.args and f'"i:{big}"' in row.events
    (entry,) = store.entries("s")
    assert entry.args["amount"] == big and type(entry.args["amount"]) is int


def test_replay__tampered_log_row__diverges_at_that_row(store: Store) -> None:
    """Canary: the per-step hash check sees a changed argument."""
    _, hashes = _fill(store, "s", random_ops(random.Random(2), 40))
    with store.session.begin() as s:
        row = s.query(LogRow).filter(LogRow.seq == 3).one()
        assert row.name == "sandbox.Faucet.mint"
        s.execute(
            update(LogRow).where(LogRow.seq == 3).values(args=row.args.replace('"i:1', '"i:2', 1))
        )
    genesis = store.world_at_snapshot("s", 0)
    with pytest.raises(InvalidInput) as e:
        for _ in store.replay("s", genesis, after=0):
            pass
    assert e.value.code == "store/replay-diverged" and "seq 3" in e.value.message


def test_load__bad_snapshot__falls_back_to_an_older_one(store: Store) -> None:
    """Canary: a snapshot whose hash does not match is refused; load still reaches the head."""
    world, hashes = _fill(store, "s", random_ops(random.Random(3), 60))
    last = store.snapshot_seqs("s")[-1]
    with store.session.begin() as s:
        s.execute(update(Snapshot).where(Snapshot.seq == last).values(state_hash="0" * 64))
    with pytest.raises(InvalidInput) as e:
        store.world_at_snapshot("s", last)
    assert e.value.code == "store/bad-snapshot"
    assert store.load("s").chain.state_hash() == world.chain.state_hash()


def test_fork__at_a_past_seq__has_that_history_and_the_new_owner_is_root(store: Store) -> None:
    _, hashes = _fill(store, "s", random_ops(random.Random(4), 50))
    store.create_account("bob")
    child = store.fork("s", 10, "t", "bob")
    assert child.chain.has_role("root", "bob")
    entries = list(store.entries("t"))
    assert [e.state_hash for e in entries[:10]] == hashes[:10]
    assert entries[10].name == "sandbox.admit" and len(entries) == 11
    assert store.load("t").chain.state_hash() == child.chain.state_hash()
    store.delete_sandbox("s")  # the fork no longer needs its parent
    assert store.load("t").chain.state_hash() == child.chain.state_hash()


def test_create_sandbox__genesis_accounts__are_reserved(store: Store) -> None:
    world = store.create_sandbox("s", "alice", GENESIS)
    assert {"gov", "oracle", "aethir-dao"} <= set(world.genesis["reserved"])
    assert "alice" not in world.genesis["reserved"]


@pytest.mark.parametrize(
    ("name", "code"),
    [("Bad Name", "sandbox/bad-name"), ("s", "sandbox/taken")],
)
def test_create_sandbox__bad_or_taken_name__refused(store: Store, name: str, code: str) -> None:
    store.create_sandbox("s", "alice", GENESIS)
    with pytest.raises(InvalidInput) as e:
        store.create_sandbox(name, "alice", GENESIS)
    assert e.value.code == code


@pytest.mark.parametrize("name", ["ab", "Alice", "a:b", "gov", "x" * 40, "1abc"])
def test_create_account__bad_name__refused(store: Store, name: str) -> None:
    with pytest.raises(InvalidInput) as e:
        store.create_account(name)
    assert e.value.code == "account/bad-name"


def test_replay__scenario_sandbox__reproduces_every_state_hash(store: Store) -> None:
    """A sandbox built from a stress scenario's t0 world (vaults, pools) replays exactly too."""
    world = store.create_sandbox("sc", "alice", {"kind": "scenario", "name": "calm", "seed": 3})
    pools = [p for p in world.targets() if p.startswith("pools[")]
    ausd = next(p for p in world.targets() if p.endswith("dollars[AUSD]"))
    ops = [
        Op("clock.advance", "", {"seconds": 3600}, "alice"),
        Op("cdp.AIDollar.poke_prices", ausd, {}, "bob"),
        Op(
            "sandbox.Faucet.mint",
            "faucet",
            {"token": "ATH", "to": "alice", "amount": 10**24},
            "alice",
        ),
        Op("cdp.AIDollar.open_vault", ausd, {"ilk": "ATH-A"}, "alice"),
    ]
    hashes = []
    for seq, op in enumerate(ops, 1):
        out = world.apply(op)
        store.append("sc", seq, op, out)
        hashes.append(out.state_hash)
    assert pools, "the scenario world has pools"
    rebuilt = SandboxWorld.create(dict(store.sandbox("sc").genesis))
    assert [o.state_hash for _, o in store.replay("sc", rebuilt, after=0)] == hashes
