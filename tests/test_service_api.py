"""The HTTP API against a real server process, on SQLite and on a real PostgreSQL (started by the
test; skipped with the reason where PostgreSQL is not installed)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_service_helpers import Client, Server, postgres_url, running_server, signup

W = 10**18
BIG = 2**100 + 1  # beyond 64 bits and beyond JavaScript's exact integers


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        with running_server(f"sqlite:///{tmp / 'db.sqlite'}", tmp) as srv:
            yield srv
    else:
        with postgres_url() as url, running_server(url, tmp) as srv:
            yield srv


@pytest.fixture(scope="module")
def world(server: Server) -> dict[str, Any]:
    """alice owns sandbox ``demo`` (a vault with debt); bob is another user."""
    alice, bob = signup(server.base, "alice"), signup(server.base, "bob")
    r = alice.post("/api/sandboxes", {"name": "demo", "system": "two-ai-dollars"})
    assert r.status_code == 201, r.text
    for who in ("alice", "bob"):
        ok(alice.act("demo", "sandbox.Faucet.mint", token="ATH", to=who, amount=str(10**6 * W)))
    assert (
        ok(alice.act("demo", "cdp.AIDollar.open_vault", "dollars[AUSD]", ilk="ATH-A"))["result"]
        == "1"
    )
    ok(
        alice.act(
            "demo", "cdp.AIDollar.deposit", "dollars[AUSD]", vault_id=1, amount=str(10**6 * W)
        )
    )
    ok(
        alice.act(
            "demo", "cdp.AIDollar.mint", "dollars[AUSD]", vault_id=1, amount_wad=str(1000 * W)
        )
    )
    return {"alice": alice, "bob": bob}


def ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def head(c: Client, sandbox: str = "demo") -> tuple[int, str]:
    body = c.get(f"/api/sandboxes/{sandbox}").json()
    return body["seq"], body["state_hash"]


def refused(c: Client, r: httpx.Response, status: int, code: str, before: tuple[int, str]) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert head(c) == before, "a refused request changed the sandbox"


def test_action__acknowledged__returns_events_result_and_exact_ints(world: dict[str, Any]) -> None:
    alice = world["alice"]
    body = ok(
        alice.act("demo", "sandbox.Faucet.mint", token="VIRTUAL", to="alice", amount=str(BIG))
    )
    assert body["sender"] == "alice" and body["target"] == "faucet"
    (ev,) = body["events"]
    assert ev == {
        "kind": "sandbox/faucet-mint",
        "sender": "alice",
        "fields": {"token": "VIRTUAL", "to": "alice", "amount": str(BIG)},
    }
    assert alice.get("/api/sandboxes/demo/balances/alice").json()["VIRTUAL"] == str(BIG)
    (row,) = alice.get(
        "/api/sandboxes/demo/log",
        action="sandbox.Faucet",
        kind="sandbox/faucet-mint",
        after=body["seq"] - 1,
    ).json()
    assert row["args"]["amount"] == str(BIG) and row["state_hash"] == body["state_hash"]


@pytest.mark.parametrize(
    ("action", "target", "args", "status", "code"),
    [
        (
            "cdp.AIDollar.mint",
            "dollars[AUSD]",
            {"vault_id": 1, "amount_wad": str(40_000 * W)},
            409,
            "cdp/not-safe",
        ),
        (
            "cdp.AIDollar.deposit",
            "dollars[AUSD]",
            {"vault_id": 99, "amount": 1},
            400,
            "cdp/unknown-vault",
        ),
        ("cdp.AIDollar.open_vault", "dollars[AUSD]", {"ilk": "NOPE-A"}, 400, "cdp/unknown-ilk"),
        ("cdp.AIDollar.open_vault", "feeds[ATH]", {"ilk": "ATH-A"}, 400, "sandbox/bad-target"),
        (
            "cdp.AIDollar.open_vault",
            "dollars[XYZ]",
            {"ilk": "ATH-A"},
            404,
            "sandbox/unknown-target",
        ),
        ("cdp.AIDollar.open_vault", "", {"ilk": "ATH-A"}, 400, "sandbox/need-target"),
        (
            "sandbox.Faucet.mint",
            "",
            {"token": "AUSD", "to": "alice", "amount": 1},
            400,
            "sandbox/not-faucet-token",
        ),
        ("cdp.PriceFeed.set_price", "feeds[ATH]", {"val_wad": 0}, 400, None),
    ],
)
def test_action__engine_refuses__4xx_with_code_and_nothing_changed(
    world: dict[str, Any],
    action: str,
    target: str,
    args: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    alice = world["alice"]
    before = head(alice)
    r = alice.act("demo", action, target, **args)
    if code is None:  # whatever the engine's code, it is a typed 4xx and nothing moved
        assert 400 <= r.status_code < 500 and "/" in r.json()["error"]["code"], r.text
        assert head(alice) == before
    else:
        refused(alice, r, status, code, before)


@pytest.mark.parametrize(
    "body",
    [
        {"target": "dollars[AUSD]", "args": {"vault_id": 1, "amount": 1.5}},
        {"target": "dollars[AUSD]", "args": {"vault_id": 1, "amount": True}},
        {"target": "dollars[AUSD]", "args": {"vault_id": 1, "amount": "1e18"}},
        {"target": "dollars[AUSD]", "args": {"vault_id": 1}},
        {"target": "dollars[AUSD]", "args": {"vault_id": 1, "amount": 1, "sender": "alice"}},
        {"target": "dollars[AUSD]", "sender": "alice", "args": {"vault_id": 1, "amount": 1}},
    ],
)
def test_action__malformed_or_sender_field__422_and_nothing_changed(
    world: dict[str, Any], body: dict[str, Any]
) -> None:
    bob = world["bob"]
    before = head(bob)
    r = bob.post("/api/sandboxes/demo/actions/cdp/AIDollar/deposit", body)
    refused(bob, r, 422, "request/invalid", before)


def test_auth__missing_or_unknown_key__401(world: dict[str, Any], server: Server) -> None:
    before = head(world["alice"])
    anon = Client(server.base)
    refused(
        world["alice"],
        anon.act("demo", "cdp.AIDollar.poke_prices", "dollars[AUSD]"),
        401,
        "auth/missing-key",
        before,
    )
    forged = Client(server.base, "pgl_not-a-key")
    refused(
        world["alice"],
        forged.act("demo", "cdp.AIDollar.poke_prices", "dollars[AUSD]"),
        401,
        "auth/bad-key",
        before,
    )


def test_auth__genesis_world_account__cannot_act(world: dict[str, Any], server: Server) -> None:
    """Signing up as the sandbox's oracle does not give its role: the name is reserved there."""
    oracle = signup(server.base, "oracle")
    before = head(oracle)
    r = oracle.act("demo", "cdp.PriceFeed.set_price", "feeds[ATH]", val_wad=str(W))
    refused(oracle, r, 403, "auth/world-account", before)


def test_clock__owner_advances__others_refused(world: dict[str, Any]) -> None:
    alice, bob = world["alice"], world["bob"]
    before = head(bob)
    refused(
        bob,
        bob.post("/api/sandboxes/demo/clock/advance", {"seconds": 60}),
        403,
        "sandbox/not-clock",
        before,
    )
    t0 = alice.get("/api/sandboxes/demo").json()["chain_time"]
    body = ok(alice.post("/api/sandboxes/demo/clock/advance", {"seconds": 86_400}))
    assert body["chain_time"] == t0 + 86_400
    refused(
        alice,
        alice.post("/api/sandboxes/demo/clock/warp", {"time": t0}),
        400,
        "chain/time-backwards",
        head(alice),
    )


def test_reads__targets_state_vaults_overview(world: dict[str, Any]) -> None:
    alice = world["alice"]
    targets = alice.get("/api/sandboxes/demo/targets").json()
    assert "cdp.AIDollar.deposit" in targets["dollars[AUSD]"]["actions"]
    vaults = alice.get("/api/sandboxes/demo/state/dollars[AUSD].vat.vaults").json()
    assert vaults["items"]["1"]["owner"] == "alice" and vaults["items"]["1"]["ink_wad"] == str(
        10**6 * W
    )
    assert alice.get("/api/sandboxes/demo/state/dollars[AUSD]._join").status_code == 404
    (v,) = alice.get("/api/sandboxes/demo/vaults", owner="alice").json()
    assert v["id"] == 1 and v["ratio"] > 1.5
    ov = alice.get("/api/sandboxes/demo/overview").json()
    ausd = next(d for d in ov["dollars"] if d["symbol"] == "AUSD")
    assert ausd["supply"] >= 1000 and ausd["collateral_ratio"] > 1.5


def test_sandbox__fork_and_delete__owner_rules(world: dict[str, Any]) -> None:
    alice, bob = world["alice"], world["bob"]
    seq, _ = head(alice)
    r = bob.post("/api/sandboxes/demo/fork", {"name": "bobs-fork", "seq": 5})
    assert r.status_code == 201, r.text
    fork = r.json()
    assert fork["owner"] == "bob" and fork["parent"] == "demo" and fork["seq"] == 6  # + admit
    ok(bob.post("/api/sandboxes/bobs-fork/clock/advance", {"seconds": 10}))  # bob is root there
    assert head(alice)[0] == seq  # the parent did not move
    r = alice.http.delete("/api/sandboxes/bobs-fork", headers=alice.headers())
    assert r.status_code == 403 and r.json()["error"]["code"] == "sandbox/not-owner"
    assert bob.http.delete("/api/sandboxes/bobs-fork", headers=bob.headers()).status_code == 200
    assert bob.get("/api/sandboxes/bobs-fork").status_code == 404


def test_restart__state_and_log__survive(world: dict[str, Any], server: Server) -> None:
    alice = world["alice"]
    before = head(alice)
    server.stop()
    server.start()
    assert head(alice) == before
    ok(alice.act("demo", "cdp.AIDollar.drip", "dollars[AUSD]", ilk="ATH-A"))


def test_server_start__port_taken__fails_at_once_with_its_output(tmp_path: Path) -> None:
    """The start-up wait ends on the server's exit, not at its deadline, and says why."""
    srv = Server(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", srv.port))
        taken.listen()
        with pytest.raises(RuntimeError, match=r"exited with [1-9]\d* before it was ready") as e:
            srv.start()
    assert "address already in use" in str(e.value).lower()
    assert srv.proc is not None and srv.proc.returncode not in (None, 0)
