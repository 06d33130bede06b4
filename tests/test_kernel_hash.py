"""The incremental state hash equals a full recomputation, and re-hashes only what was written."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from peglab.errors import InvalidInput
from peglab.kernel import Chain, Record, Table, action, state

KEYS = st.sampled_from(["a", "b", "c", "d", 1, 2, ("x", 1)])
VALUES = st.one_of(
    st.integers(-(2**255), 2**256 - 1), st.text(max_size=4), st.booleans(), st.none()
)


class Slot(Record):
    __slots__ = ("book", "n", "tag")


class Model:
    """State shapes the protocols use: a table of tables, a table of records holding tables."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        j = chain.journal
        self.flat: Table[Any, Any] = Table(j)
        self.nested: Table[Any, Table[Any, Any]] = Table(j)
        self.records: Table[Any, Slot] = Table(j)
        self.top = Slot(j, book=Table(j), n=0, tag="")
        for name, obj in (
            ("m/flat", self.flat),
            ("m/nested", self.nested),
            ("m/records", self.records),
            ("m/top", self.top),
        ):
            chain.register(name, obj)

    @action
    def apply(self, ops: tuple[tuple[Any, ...], ...], fail: bool, *, sender: str) -> None:
        j = self.chain.journal
        for op in ops:
            kind, k, v = op
            if kind == "flat":
                self.flat[k] = v
            elif kind == "del" and k in self.flat:
                del self.flat[k]
            elif kind == "nested":
                if k not in self.nested:
                    self.nested[k] = Table(j)
                self.nested[k][v if isinstance(v, str) else "v"] = v
            elif kind == "record":
                if k not in self.records:
                    self.records[k] = Slot(j, book=Table(j), n=0, tag="")
                r = self.records[k]
                r.n = r.n + 1
                r.book[str(v)] = v
            elif kind == "drop" and k in self.records:
                del self.records[k]
            elif kind == "top":
                self.top.n = self.top.n + 1
                self.top.book[k] = v
        if fail:
            raise InvalidInput("test/fail", "roll back")


OPS = st.tuples(st.sampled_from(["flat", "del", "nested", "record", "drop", "top"]), KEYS, VALUES)


class HashMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.chain = Chain()
        self.chain.ledger.create_token("T")
        self.model = Model(self.chain)

    @rule(ops=st.lists(OPS, max_size=6).map(tuple), fail=st.booleans(), hash_first=st.booleans())
    def act(self, ops: tuple[tuple[Any, ...], ...], fail: bool, hash_first: bool) -> None:
        if hash_first:
            self.chain.state_hash()  # caches filled, then invalidated by the writes below
        try:
            self.model.apply(ops, fail, sender="u")
        except InvalidInput:
            pass

    @rule(who=st.sampled_from(["a", "b"]), amount=st.integers(1, 10**30))
    def mint(self, who: str, amount: int) -> None:
        self.chain.ledger.mint("T", who, amount)

    @rule()
    def hash_inside_failed_tx(self) -> None:
        """A hash taken mid-transaction caches values the rollback then restores."""
        try:
            with self.chain.transaction("u"):
                self.model.flat["a"] = "mid"
                self.model.top.book["a"] = 7
                self.chain.state_hash()
                raise RuntimeError
        except RuntimeError:
            pass

    @invariant()
    def incremental_equals_full(self) -> None:
        assert self.chain.state_hash() == self.chain.state_hash_full()


TestHashMachine = HashMachine.TestCase
TestHashMachine.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)


def test_hash_check__write_bypassing_tracking__detected() -> None:
    """Canary: a write that skips the containers' tracking makes the incremental hash stale,
    and the comparison with the full recomputation sees it."""
    chain = Chain()
    m = Model(chain)
    m.apply((("flat", "a", 1),), False, sender="u")
    chain.state_hash()
    dict.__setitem__(m.flat, "a", 2)
    assert chain.state_hash() != chain.state_hash_full()


def _entries_rehashed(chain: Chain, fn: Any) -> int:
    calls = 0
    real = state._entry

    def counting(k: Any, v: Any, full: bool) -> int:
        nonlocal calls
        calls += 1
        return real(k, v, full)

    state._entry = counting  # type: ignore[assignment]
    try:
        fn()
        chain.state_hash()
    finally:
        state._entry = real  # type: ignore[assignment]
    return calls


@pytest.mark.parametrize("size", [10, 2000])
def test_hash__small_action__work_independent_of_state_size(size: int) -> None:
    chain = Chain()
    chain.ledger.create_token("T")
    m = Model(chain)
    for i in range(size):
        chain.ledger.mint("T", f"u{i}", i + 1)
        m.flat[i + 100] = i
    chain.state_hash()
    work = _entries_rehashed(chain, lambda: chain.transfer("T", "u1", 1, sender="u0"))
    # u1's balance (u0's is deleted: no hash), the token's book in balances, the registry entry
    assert work == 3


def test_hash__value_defined_by_content__not_history() -> None:
    c1, c2 = Chain(), Chain()
    m1, m2 = Model(c1), Model(c2)
    m1.apply((("flat", "a", 1), ("flat", "b", 2), ("del", "a", 0)), False, sender="u")
    m2.apply((("flat", "b", 2),), False, sender="u")
    c1.state_hash()
    assert c1.state_hash() == c2.state_hash() == c2.state_hash_full()
