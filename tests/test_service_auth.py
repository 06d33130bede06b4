"""Authorization over HTTP: a key acts only as its own account. Every action of the registry that
has an object in a scenario sandbox is sent with bob's key, its arguments aimed at alice's
vault, balances and accounts; each is either refused with the sandbox unchanged, or succeeds
without taking anything from alice, and is logged with bob as the sender."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_service_helpers import Client, Server, running_server, signup

from peglab.store import registry

W = 10**18
AUSD = "ai_dollars.s.dollars[AUSD]"  # the AI dollar's path in a scenario sandbox (see /targets)
ACCOUNT_PARAMS = {
    "to", "usr", "who", "keeper", "receiver", "recipient", "account", "operator", "spender", "owner", "sink",
}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("auth")
    with running_server(f"sqlite:///{tmp / 'db.sqlite'}", tmp) as srv:
        yield srv


def _ok(r: Any) -> Any:
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def setup(server: Server) -> dict[str, Any]:
    owner, alice, bob = (signup(server.base, n) for n in ("olivia", "alice", "bob"))
    r = owner.post("/api/sandboxes", {"name": "auth", "scenario": "calm", "seed": 2})
    assert r.status_code == 201, r.text
    for who in ("alice", "bob"):
        for token, amount in (("ATH", 10**7 * W), ("USDC", 10**6 * 10**6), ("VIRTUAL", 10**5 * W)):
            _ok(owner.act("auth", "sandbox.Faucet.mint", token=token, to=who, amount=str(amount)))
    vid = int(_ok(alice.act("auth", "cdp.AIDollar.open_vault", AUSD, ilk="ATH-A"))["result"])
    _ok(alice.act("auth", "cdp.AIDollar.deposit", AUSD, vault_id=vid, amount=str(10**6 * W)))
    _ok(alice.act("auth", "cdp.AIDollar.mint", AUSD, vault_id=vid, amount_wad=str(5000 * W)))
    _ok(alice.act("auth", "cdp.StakingPool.stake", "staking[stATH]", assets=str(1000 * W)))
    pool = alice.get("/api/sandboxes/auth/state/pools[AUSD-USDC]").json()
    amounts = [str(1000 * W) if c == "AUSD" else str(1000 * 10**6) for c in pool["coins"]]
    _ok(
        alice.act(
            "auth",
            "amm.StableSwapPool.add_liquidity",
            "pools[AUSD-USDC]",
            amounts=amounts,
            min_mint=0,
        )
    )
    return {"alice": alice, "bob": bob, "vid": vid}


def _arg(name: str, kind: str, vid: int, target: str) -> Any:
    if kind == "int":
        if name in ("i",):
            return 0
        if name in ("j",):
            return 1
        if "id" in name or name in ("fid", "era"):
            return vid
        if name.endswith("_ray"):
            return str(10**27)
        return str(W)
    if kind == "str":
        if name in ACCOUNT_PARAMS:
            return "bob"
        if name == "ilk":
            return "ATH-A"
        if name in ("token", "token_in", "token_a", "symbol"):
            return "AUSD"
        if name in ("token_out", "token_b", "other", "stake_token"):
            return "USDC"
        if name == "role":
            return "root"
        if name == "what":
            return "line"
        return "alice"
    if kind == "bool":
        return True
    if kind == "any":
        return "1"
    if kind == "list[int]":
        return [str(W), str(W)]
    if kind == "list[str]":
        return ["AUSD"]
    return target  # a reference


def _alice(c: Client, sb: str, vid: int) -> tuple[dict[str, int], dict[str, Any]]:
    bal = {k: int(v) for k, v in c.get(f"/api/sandboxes/{sb}/balances/alice").json().items()}
    vault = c.get(f"/api/sandboxes/{sb}/state/{AUSD}.vat.vaults[{vid}]").json()
    return bal, vault


def _head(c: Client, sb: str) -> tuple[int, str]:
    body = c.get(f"/api/sandboxes/{sb}").json()
    return body["seq"], body["state_hash"]


def check_call(bob: Client, sb: str, name: str, path: str, vid: int) -> bool:
    """Send one action as bob aimed at alice; True if refused (unchanged), False if harmless."""
    spec = registry().actions[name]
    args = {
        p.name: _arg(p.name, p.kind, vid, path)
        for p in spec.params
        if p.required or p.name in ACCOUNT_PARAMS
    }
    bal0, vault0 = _alice(bob, sb, vid)
    head0 = _head(bob, sb)
    r = bob.act(sb, name, path, **args)
    assert r.status_code < 500, f"{name}: {r.status_code} {r.text}"
    if r.status_code >= 400:
        assert _head(bob, sb) == head0, f"{name} was refused but changed the sandbox"
        return True
    body = r.json()
    assert body["sender"] == "bob" and all(e["sender"] == "bob" for e in body["events"])
    bal1, vault1 = _alice(bob, sb, vid)
    for token, amount in bal0.items():
        assert bal1.get(token, 0) >= amount, f"{name} took alice's {token}"
    assert vault1["owner"] == "alice", f"{name} moved alice's vault"
    assert int(vault1["ink_wad"]) >= int(vault0["ink_wad"]), f"{name} took alice's collateral"
    assert int(vault1["art_wad"]) <= int(vault0["art_wad"]), f"{name} added to alice's debt"
    return False


def test_every_action__with_another_accounts_key__refused_or_harmless(
    setup: dict[str, Any],
) -> None:
    bob, vid = setup["bob"], setup["vid"]
    targets = bob.get("/api/sandboxes/auth/targets").json()
    first: dict[str, str] = {}
    for path, t in targets.items():
        for name in t["actions"]:
            first.setdefault(name, path)
    assert len(first) >= 70, "the scenario world exposes most of the registry"
    outcomes = [check_call(bob, "auth", name, path, vid) for name, path in sorted(first.items())]
    assert outcomes.count(True) > 40 and outcomes.count(False) > 5  # both paths exercised
    log = bob.get("/api/sandboxes/auth/log", after=0, limit=1000).json()
    assert sum(e["sender"] == "alice" for e in log) == 5, "only alice's own setup is hers"
    assert {e["sender"] for e in log} <= {"olivia", "alice", "bob"}


def test_check__operator_approved_by_alice__harm_is_detected(setup: dict[str, Any]) -> None:
    """Canary: once alice approves bob as operator, bob's withdrawal succeeds and is flagged."""
    alice, bob, vid = setup["alice"], setup["bob"], setup["vid"]
    assert alice.post("/api/sandboxes/auth/fork", {"name": "auth-canary"}).status_code == 201
    _ok(alice.act("auth-canary", "cdp.AIDollar.allow", AUSD, vault_id=vid, operator="bob"))
    with pytest.raises(AssertionError, match="took alice's collateral"):
        check_call(bob, "auth-canary", "cdp.AIDollar.withdraw", AUSD, vid)
