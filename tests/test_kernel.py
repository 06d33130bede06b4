"""The kernel: ledger primitives, conservation, atomic transactions, events, clock, roles, hash."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.errors import InvalidInput, NotAuthorized
from peglab.kernel import Chain, Event, Record, Table, action, encode
from peglab.testing import assert_refused


class Counter(Record):
    __slots__ = ("_cache", "hits", "total")


@dataclass(frozen=True, slots=True)
class Bumped(Event):
    kind: ClassVar[str] = "test/bump"
    by: int


class Bumper:
    """A tiny protocol: mints a token and bumps a counter, optionally failing afterwards."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.counter = Counter(chain.journal, hits=0, total=0)
        self.items: Table[str, int] = Table(chain.journal)
        chain.register("bumper", self.counter)
        chain.register("bumper/items", self.items)
        chain.ledger.create_token("TOK")

    @action
    def bump(self, by: int, *, sender: str, fail: bool = False) -> int:
        self.counter.hits += 1
        self.counter.total += by
        self.items[sender] = self.items.get(sender, 0) + by
        self.chain.ledger.mint("TOK", sender, by)
        self.chain.emit(Bumped(by))
        if fail:
            raise InvalidInput("test/fail", "asked to fail")
        return self.counter.total

    @action
    def bump_twice(self, by: int, *, sender: str, fail_inner: bool = False) -> None:
        self.bump(by, sender=sender)
        try:
            self.bump(by, sender=sender, fail=fail_inner)
        except InvalidInput:
            pass  # an inner failure rolls back to the inner savepoint only


@pytest.fixture
def chain() -> Chain:
    return Chain()


def test_ledger__mint_transfer_burn__balances_and_supply(chain: Chain) -> None:
    L = chain.ledger
    L.create_token("USDC", 6)
    L.mint("USDC", "a", 100)
    L.transfer("USDC", "a", "b", 30)
    L.burn("USDC", "b", 10)
    assert (L.balance_of("USDC", "a"), L.balance_of("USDC", "b"), L.total_supply("USDC")) == (
        70,
        20,
        90,
    )
    L.transfer("USDC", "a", "a", 70)  # self-transfer is a no-op with the balance present
    chain.check_conservation()


def test_ledger__zero_balance__stored_as_absent(chain: Chain) -> None:
    L = chain.ledger
    L.create_token("X")
    L.mint("X", "a", 5)
    L.burn("X", "a", 5)
    assert "a" not in L.balances["X"]


def test_ledger__bad_input__typed_errors(chain: Chain) -> None:
    L = chain.ledger
    L.create_token("X")
    for fn, args, code in [
        (L.mint, ("X", "a", -1), "ledger/bad-amount"),
        (L.mint, ("X", "a", 1.0), "ledger/bad-amount"),
        (L.mint, ("NOPE", "a", 1), "ledger/unknown-token"),
        (L.burn, ("X", "a", 1), "ledger/insufficient-balance"),
        (L.transfer, ("X", "a", "b", 1), "ledger/insufficient-balance"),
        (L.create_token, ("X",), "ledger/token-exists"),
        (L.create_token, ("Y", 99), "ledger/bad-decimals"),
        (L.create_token, ("",), "ledger/bad-symbol"),
    ]:
        with pytest.raises(InvalidInput) as e:
            fn(*args)
        assert e.value.code == code


def test_conservation__broken_balance__detected(chain: Chain) -> None:
    """Canary: a write that bypasses the primitives breaks conservation and is caught."""
    chain.ledger.create_token("X")
    chain.ledger.mint("X", "a", 5)
    chain.ledger.balances["X"]["a"] = 6
    with pytest.raises(AssertionError, match="conservation"):
        chain.check_conservation()


def test_action__success__writes_stay_and_event_published(chain: Chain) -> None:
    b = Bumper(chain)
    assert b.bump(3, sender="alice") == 3
    assert chain.log[-1].event == Bumped(3) and chain.log[-1].sender == "alice"
    assert chain.ledger.balance_of("TOK", "alice") == 3


def test_action__failure__everything_rolled_back(chain: Chain) -> None:
    b = Bumper(chain)
    b.bump(3, sender="alice")
    assert_refused(chain, InvalidInput, "test/fail", b.bump, 5, sender="bob", fail=True)
    assert b.counter.total == 3 and "bob" not in b.items


def test_action__non_peglab_exception__rolled_back_and_propagated(chain: Chain) -> None:
    b = Bumper(chain)
    h = chain.state_hash()
    with pytest.raises(ZeroDivisionError), chain.transaction("x"):
        b.counter.total = 99
        _ = 1 // 0
    assert chain.state_hash() == h


def test_nested_action__inner_failure_caught__only_inner_rolled_back(chain: Chain) -> None:
    b = Bumper(chain)
    b.bump_twice(2, sender="c", fail_inner=True)
    assert b.counter.hits == 1 and chain.ledger.balance_of("TOK", "c") == 2
    assert [e.event for e in chain.log] == [Bumped(2)]


def test_record__new_attribute_in_failed_tx__removed(chain: Chain) -> None:
    b = Bumper(chain)
    with pytest.raises(RuntimeError), chain.transaction("x"):
        b.counter._cache = 1
        raise RuntimeError
    assert not hasattr(b.counter, "_cache")


def test_table__unsafe_mutators__refused(chain: Chain) -> None:
    t: Table[str, int] = Table(chain.journal)
    for name in ("update", "setdefault", "pop", "popitem", "clear"):
        with pytest.raises(TypeError):
            getattr(t, name)()


def test_state_hash__insertion_order__irrelevant() -> None:
    c1, c2 = Chain(), Chain()
    for c, order in ((c1, "abc"), (c2, "cba")):
        c.ledger.create_token("X")
        for who in order:
            c.ledger.mint("X", who, ord(who))
    assert c1.state_hash() == c2.state_hash()
    c2.ledger.mint("X", "a", 1)
    assert c1.state_hash() != c2.state_hash()


def test_encode__floats__refused() -> None:
    with pytest.raises(TypeError):
        encode(1.5)


def test_clock__backwards_or_in_tx__refused(chain: Chain) -> None:
    t = chain.now
    chain.advance(10)
    assert chain.now == t + 10
    with pytest.raises(InvalidInput):
        chain.warp(t)
    with pytest.raises(InvalidInput), chain.transaction("x"):
        chain.advance(1)


def test_roles__grant_revoke__root_and_holders_only(chain: Chain) -> None:
    assert_refused(
        chain, NotAuthorized, "auth/not-authorized", chain.grant, "minter", "eve", sender="eve"
    )
    chain.grant("minter", "m1", sender="gov")
    chain.grant("minter", "m2", sender="m1")  # a ward may rely another (dss)
    assert chain.has_role("minter", "m2")
    chain.revoke("minter", "m2", sender="m1")
    assert not chain.has_role("minter", "m2") and chain.has_role("anything", "gov")


def test_transfer_action__bad_input__refused_state_unchanged(chain: Chain) -> None:
    chain.ledger.create_token("X")
    chain.ledger.mint("X", "a", 10)
    assert_refused(chain, InvalidInput, "input/bad-amount", chain.transfer, "X", "b", 0, sender="a")
    assert_refused(
        chain, InvalidInput, "input/out-of-range", chain.transfer, "X", "b", 2**256, sender="a"
    )
    assert_refused(
        chain, InvalidInput, "ledger/insufficient-balance", chain.transfer, "X", "b", 11, sender="a"
    )
    assert_refused(
        chain, InvalidInput, "ledger/unknown-token", chain.transfer, "Y", "b", 1, sender="a"
    )
    assert_refused(chain, InvalidInput, "chain/bad-account", chain.transfer, "X", "", 1, sender="a")
    chain.transfer("X", "b", 10, sender="a")


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from("abc"), st.integers(0, 50)), max_size=30
    )
)
def test_transfers__random__conserved_and_failed_ones_leave_no_trace(
    moves: list[tuple[str, str, int]],
) -> None:
    chain = Chain()
    chain.ledger.create_token("X")
    for who in "abc":
        chain.ledger.mint("X", who, 40)
    for frm, to, amt in moves:
        h = chain.state_hash()
        try:
            chain.transfer("X", to, amt, sender=frm)
        except InvalidInput:
            assert chain.state_hash() == h
        chain.check_conservation()
    assert chain.ledger.total_supply("X") == 120
