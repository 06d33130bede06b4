"""The ERC-4626 vault replayed against OpenZeppelin's ERC4626.sol executed in py-evm.

Vectors: tests/vectors/erc4626_oz.json from tools/gen_erc4626_vectors.py (dev-only env
tools/ref_env_evm.sh: npm solc + @openzeppelin/contracts, py-evm). Every operation's result, and
after it total assets, supply, every balance, max_withdraw/max_redeem and the previews of four
probe amounts, must match bit for bit.

Where OpenZeppelin accepts an operation with a zero result (a deposit minting 0 shares, a
redemption paying 0 assets) peglab refuses it (docs/vaults.md §1.1); the test checks the refusal
and then applies OpenZeppelin's effect (a donation, a burn) on the ledger so the replay continues
on the same state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from peglab.errors import InvalidInput, PeglabError
from peglab.kernel import Chain
from peglab.protocols.vaults import ERC4626Vault, VaultConfig

DATA = json.loads((Path(__file__).parent / "vectors" / "erc4626_oz.json").read_text())
SCENARIOS: list[dict[str, Any]] = DATA["scenarios"]
USERS = ["alice", "bob", "carol"]


def build(sc: dict[str, Any]) -> tuple[Chain, ERC4626Vault]:
    chain = Chain()
    chain.ledger.create_token("AST", sc["decimals"])
    vault = ERC4626Vault(chain, "AST", "VLT", config=VaultConfig(offset=sc["offset"]))
    for u in USERS:
        chain.ledger.mint("AST", u, sc["start"][u])
    return chain, vault


def refused(chain: Chain, fn: Any, *args: Any, **kw: Any) -> PeglabError | None:
    before = chain.state_hash()
    try:
        fn(*args, **kw)
    except PeglabError as e:
        assert chain.state_hash() == before
        return e
    return None


def replay(chain: Chain, v: ERC4626Vault, op: dict[str, Any]) -> None:
    kind, u, x, want = op["op"], op["user"], op.get("x"), op["result"]
    ledger = chain.ledger
    if kind == "donate":
        if want != "revert":
            ledger.transfer("AST", u, v.account, x)
        return
    calls = {
        "deposit": (v.deposit, (x, u)),
        "mint": (v.mint, (x, u)),
        "withdraw": (v.withdraw, (x, u, u)),
        "redeem": (v.redeem, (x, u, u)),
        "transfer": (v.transfer, (op.get("to"), x)),
        "third_party": (v.redeem, (x, u, op.get("owner"))),
    }
    fn, args = calls[kind]
    if kind == "third_party":
        v.approve(u, op["allowance"], sender=op["owner"])
    if want == "revert":
        assert refused(chain, fn, *args, sender=u) is not None, f"{kind} {x} should be refused"
        return
    if want == 0 and kind in ("deposit", "redeem", "third_party"):
        err = refused(chain, fn, *args, sender=u)
        assert isinstance(err, InvalidInput)
        assert err.code == ("vault/zero-shares" if kind == "deposit" else "vault/zero-assets")
        if kind == "deposit":  # OpenZeppelin kept the assets: a donation
            ledger.transfer("AST", u, v.account, x)
        else:  # OpenZeppelin burned the shares for nothing (and spent the allowance)
            owner = op.get("owner", u)
            if kind == "third_party":
                v.approve(u, op["allowance_after"], sender=owner)
            ledger.burn("VLT", owner, x)
        return
    got = fn(*args, sender=u)
    if kind in ("transfer",):
        return
    assert got == want, f"{kind}({x}): peglab {got}, OpenZeppelin {want}"
    if kind == "third_party":
        assert v.allowance(op["owner"], u) == op["allowance_after"]


def check_state(chain: Chain, v: ERC4626Vault, st: dict[str, Any]) -> None:
    assert v.total_assets() == st["total_assets"]
    assert v.total_supply() == st["total_supply"]
    for u in USERS:
        assert v.balance_of(u) == st["shares"][u]
        assert chain.ledger.balance_of("AST", u) == st["assets"][u]
        assert v.max_withdraw(u) == st["max_withdraw"][u]
        assert v.max_redeem(u) == st["max_redeem"][u]
    for p in st["previews"]:
        x = p["x"]
        assert v.preview_deposit(x) == p["deposit"]
        assert v.preview_mint(x) == p["mint"]
        assert v.preview_withdraw(x) == p["withdraw"]
        assert v.preview_redeem(x) == p["redeem"]
        assert v.convert_to_shares(x) == p["convert_to_shares"]
        assert v.convert_to_assets(x) == p["convert_to_assets"]


@pytest.mark.parametrize(
    "sc", SCENARIOS, ids=[f"seed{s['seed']}-d{s['decimals']}-o{s['offset']}" for s in SCENARIOS]
)
def test_replay__openzeppelin_sequence__bit_exact(sc: dict[str, Any]) -> None:
    chain, v = build(sc)
    for i, op in enumerate(sc["ops"]):
        try:
            replay(chain, v, op)
            check_state(chain, v, op["state"])
        except AssertionError as e:
            raise AssertionError(f"step {i} {op['op']}: {e}") from e
    chain.check_conservation()


def test_vectors__cover_every_operation_and_outcome() -> None:
    seen = {(op["op"], op["result"] == "revert") for sc in SCENARIOS for op in sc["ops"]}
    for kind in ("deposit", "mint", "withdraw", "redeem", "transfer", "third_party"):
        assert (kind, True) in seen and (kind, False) in seen
    assert {sc["offset"] for sc in SCENARIOS} >= {0, 6}
