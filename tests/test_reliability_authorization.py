"""The authorization model of docs/architecture.md, enumerated on a world with every family.

Who may move what: every account that holds value is an ordinary account or lies in a namespace
its protocol reserved; no engine account can be a sender; no internal accounting token moves
through the public transfer; ordinary accounts move only on their own call or with consent
(the fuzz campaign checks that after every call).
"""

from __future__ import annotations

import pytest
from test_fuzz_protocols import USERS, full_world

from peglab.errors import NotAuthorized
from peglab.testing import assert_refused

# The namespaces the families reserve (docs/architecture.md, "Who may move what").
NAMESPACES = {
    "AUSD": "the AUSD AI dollar",
    "vUSD": "the vUSD AI dollar",
    "XUSD": "the XUSD AI dollar",
    "amm": "AMM pools",
    "staking": "staking pools",
    "voter": "governance",
    "fees": "governance",
    "bribes": "governance",
    "gauge": "governance",
    "gauge-emissions": "governance",
    "ve": "governance",
    "minter": "governance",
    "rebase": "governance",
    "vault": "tokenized vaults",  # the staked-derivative pool is an ERC-4626 vault
}
# Ordinary accounts of the world: users and the vault owner whose vaults were liquidated.
ORDINARY = {*USERS, "dave"}


@pytest.fixture(scope="module")
def world_holders() -> tuple[object, dict[str, set[str]]]:
    w = full_world(0)
    holders: dict[str, set[str]] = {}
    for sym, book in w.chain.ledger.balances.items():
        for account in book:
            holders.setdefault(account, set()).add(sym)
    return w, holders


def test_namespaces__every_family__reserved_as_documented(world_holders: tuple) -> None:
    w, _ = world_holders
    assert dict(w.chain.engine_namespaces) == NAMESPACES


def test_holders__every_account_with_value__ordinary_or_engine(world_holders: tuple) -> None:
    w, holders = world_holders
    unprotected = {a for a in holders if not w.chain.is_engine_account(a)}
    assert unprotected == ORDINARY  # nothing else holds value unprotected


def test_engine_accounts__as_sender__refused_for_every_holder(world_holders: tuple) -> None:
    w, holders = world_holders
    chain = w.chain
    engine = sorted(a for a in holders if chain.is_engine_account(a))
    assert len(engine) >= 15
    for account in engine:
        for token in sorted(holders[account]):
            if chain.ledger.token(token).internal:
                continue
            assert_refused(
                chain, NotAuthorized, "auth/engine-account", chain.transfer, token, "eve", 1,
                sender=account,
            )  # fmt: skip


def test_internal_tokens__public_transfer__refused_for_every_holder(world_holders: tuple) -> None:
    w, holders = world_holders
    chain = w.chain
    internal = {s for s, t in chain.ledger.tokens.items() if t.internal}
    assert internal  # dai, sin and joined collateral of each AI dollar
    for account, tokens in sorted(holders.items()):
        if chain.is_engine_account(account):
            continue
        for token in sorted(tokens & internal):
            assert_refused(
                chain, NotAuthorized, "chain/internal-token", chain.transfer, token, "eve", 1,
                sender=account,
            )  # fmt: skip


def test_ordinary_account__transfer__only_its_own(world_holders: tuple) -> None:
    w, _ = world_holders
    chain = w.chain
    before = chain.ledger.balance_of("ATH", "alice")
    chain.transfer("ATH", "bob", 1, sender="alice")
    assert chain.ledger.balance_of("ATH", "alice") == before - 1
    chain.transfer("ATH", "alice", 1, sender="bob")


def test_credit_world__usdai_and_vault_accounts__refused_as_senders() -> None:
    """USD.AI's accounts (queued depositor, reserve, loan router...) and every vault's account
    lie in reserved namespaces: no user transaction can name them as its sender."""
    from support.fuzz_credit import credit_world

    w = credit_world(0)
    chain = w.chain
    assert chain.engine_namespaces["usdai"] == "USD.AI"
    assert chain.engine_namespaces["vault"] == "tokenized vaults"
    holders: dict[str, set[str]] = {}
    for sym, book in chain.ledger.balances.items():
        for account, units in book.items():
            if units:
                holders.setdefault(account, set()).add(sym)
    engine = sorted(a for a in holders if a.startswith(("usdai:", "vault:")))
    assert any(a.startswith("usdai:") for a in engine) and any(
        a.startswith("vault:") for a in engine
    )
    for account in engine:
        for token in sorted(holders[account]):
            assert_refused(
                chain, NotAuthorized, "auth/engine-account", chain.transfer, token, "eve", 1,
                sender=account,
            )  # fmt: skip


def test_engine_call__only_for_engine_accounts_and_only_inside_the_block() -> None:
    from peglab.errors import InvalidInput
    from peglab.kernel import Chain

    chain = Chain()
    chain.protect_namespace("proto", "a protocol")
    chain.ledger.create_token("T", 18)
    chain.ledger.mint("T", "proto:safe", 10)
    with pytest.raises(InvalidInput), chain.engine_call("alice"):
        pass
    with chain.engine_call("proto:safe"):
        chain.transfer("T", "bob", 1, sender="proto:safe")  # the protocol's own call
        assert_refused(
            chain, NotAuthorized, "auth/engine-account", chain.transfer, "T", "bob", 1,
            sender="proto:other",
        )  # fmt: skip
    assert_refused(
        chain, NotAuthorized, "auth/engine-account", chain.transfer, "T", "bob", 1,
        sender="proto:safe",
    )  # fmt: skip
    assert chain.ledger.balance_of("T", "bob") == 1
