"""The action boundary: argument validation, the re-entrancy lock, engine accounts, canonical state."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pytest

from peglab.errors import InvalidInput, NotAuthorized, Overflow, PeglabError, Reentered
from peglab.kernel import Chain, Record, Table, action, nonreentrant, query
from peglab.testing import assert_refused
from peglab.units import MAX_UINT256


class _Pot(Record):
    __slots__ = ("label", "total")


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    size: int
    kind: Literal["a", "b"] = "a"
    tags: tuple[str, ...] = ()


class Vault:
    """A tiny protocol: deposits into a pot; ``call_out`` runs a caller's callback (locked)."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.pot = _Pot(chain.journal, label="", total=0)
        self.items: Table[str, int] = Table(chain.journal)
        chain.register("vault/pot", self.pot)
        chain.register("vault/items", self.items)
        chain.ledger.create_token("V")
        chain.protect_namespace("vault", "the test vault")

    @action
    def put(self, amount: int, label: str = "", flag: bool = False, *, sender: str) -> int:
        self.pot.total += amount
        self.items[sender] = self.items.get(sender, 0) + amount
        if label:
            self.pot.label = label
        return self.pot.total

    @action
    def configure(self, spec: Spec, names: tuple[str, ...] | None = None, *, sender: str) -> None:
        self.pot.label = spec.name

    @action
    @nonreentrant
    def call_out(self, fn: Callable[[], None], *, sender: str) -> None:
        self.pot.total += 1
        fn()

    @action
    def store_raw(self, value: object, *, sender: str) -> None:
        self.pot.label = value  # deliberately unchecked: the state layer must refuse non-canonical

    @action
    def store_computed(self, make: Callable[[], object], *, sender: str) -> None:
        self.pot.label = make()  # a value computed inside the action (the boundary never saw it)

    @query
    def total_of(self, who: str) -> int:
        return self.items.get(who, 0)


@pytest.fixture
def chain() -> Chain:
    return Chain()


@pytest.mark.parametrize(
    ("args", "kw", "code"),
    [
        ((1.5,), {}, "input/bad-type"),
        ((True,), {}, "input/bad-type"),  # bool is not an amount
        (("1",), {}, "input/bad-type"),
        ((b"1",), {}, "input/bad-type"),
        (([1],), {}, "input/bad-type"),  # unhashable
        ((2**256,), {}, "input/out-of-range"),
        pytest.param((10**5000,), {}, "input/out-of-range", id="10**5000"),  # too long to print
        (((1, 2),), {}, "input/bad-type"),
        ((1, "x", 1), {}, "input/bad-type"),  # flag must be a bool
        ((1,), {"nope": 1}, "input/bad-arguments"),
        ((), {}, "input/bad-arguments"),
        ((1, "x", False, 4), {}, "input/bad-arguments"),
        ((1,), {"amount": 1}, "input/bad-arguments"),
    ],
)
def test_action__malformed_arguments__typed_refusal_state_unchanged(
    chain: Chain, args: tuple[object, ...], kw: dict[str, object], code: str
) -> None:
    v = Vault(chain)
    v.put(5, sender="alice")
    e = assert_refused(chain, InvalidInput, code, v.put, *args, sender="alice", **kw)
    assert len(str(e)) < 400


def test_action__dataclass_argument__fields_checked_recursively(chain: Chain) -> None:
    v = Vault(chain)
    v.configure(Spec("x", 1, "b", ("t",)), ("a",), sender="alice")
    for bad in (Spec(None, 1), Spec("x", 1.0), Spec("x", 1, "c"), Spec("x", 1, tags=("t", 2))):  # type: ignore[arg-type]
        assert_refused(chain, InvalidInput, "input/bad-type", v.configure, bad, sender="alice")
    assert_refused(chain, InvalidInput, "input/bad-type", v.configure, object(), sender="alice")
    assert_refused(
        chain, InvalidInput, "input/bad-type", v.configure, Spec("x", 1), ["a"], sender="alice"
    )


def test_query__malformed_arguments__typed_refusal(chain: Chain) -> None:
    v = Vault(chain)
    assert v.total_of("alice") == 0
    with pytest.raises(InvalidInput, match="input/bad-type"):
        v.total_of(["alice"])  # type: ignore[arg-type]


@pytest.mark.parametrize("sender", ["", None, 5, ["a"], "vault:pot", "vault:"])
def test_action__bad_or_engine_sender__refused(chain: Chain, sender: object) -> None:
    v = Vault(chain)
    engine = isinstance(sender, str) and sender.startswith("vault:")
    error = NotAuthorized if engine else InvalidInput
    code = "auth/engine-account" if engine else "chain/bad-account"
    with pytest.raises(PeglabError) as e:
        v.put(1, sender=sender)  # type: ignore[arg-type]
    assert isinstance(e.value, error) and e.value.code == code
    assert v.pot.total == 0


def test_engine_namespace__user_named_like_it_elsewhere__allowed(chain: Chain) -> None:
    v = Vault(chain)
    v.put(1, sender="vault")  # no colon: an ordinary name
    v.put(1, sender="vaulted:x")  # another namespace
    assert not chain.is_engine_account("vault") and chain.is_engine_account("vault:x")
    with pytest.raises(InvalidInput, match="namespace-taken"):
        chain.protect_namespace("vault", "someone else")


def test_transfer__internal_token__refused(chain: Chain) -> None:
    chain.ledger.create_token("X.int", 45, internal=True)
    chain.ledger.mint("X.int", "alice", 10)
    assert_refused(
        chain,
        NotAuthorized,
        "chain/internal-token",
        chain.transfer,
        "X.int",
        "bob",
        1,
        sender="alice",
    )


def test_nonreentrant__callback_reenters__refused_outer_proceeds(chain: Chain) -> None:
    v = Vault(chain)
    seen: list[str] = []

    def reenter() -> None:
        for attempt in (
            lambda: v.put(1, sender="mallory"),
            lambda: v.call_out(reenter, sender="m"),
        ):
            try:
                attempt()
            except Reentered as e:
                seen.append(e.code)

    v.call_out(reenter, sender="mallory")
    assert seen == ["kernel/reentered", "kernel/reentered"]
    assert v.pot.total == 1 and v.items == {}
    v.put(2, sender="alice")  # the lock is released after the action
    assert v.pot.total == 3


def test_nonreentrant__callback_reentry_uncaught__whole_action_refused(chain: Chain) -> None:
    v = Vault(chain)
    assert_refused(
        chain,
        Reentered,
        "kernel/reentered",
        v.call_out,
        lambda: v.put(1, sender="mallory"),
        sender="mallory",
    )
    v.call_out(lambda: None, sender="alice")  # released after the failure too
    assert v.pot.total == 1


def test_action__object_parameter_beyond_256_bits__refused_at_the_boundary(chain: Chain) -> None:
    v = Vault(chain)
    for value in (MAX_UINT256 + 1, -(2**300), 10**5000):
        assert_refused(
            chain, InvalidInput, "input/out-of-range", v.store_raw, value, sender="alice"
        )
    v.store_raw(MAX_UINT256, sender="alice")  # the widest contract value still goes through


def test_nonreentrant__below_action_only() -> None:
    with pytest.raises(TypeError):

        class Bad:
            chain: Chain

            @nonreentrant  # type: ignore[misc]
            @action
            def f(self, *, sender: str) -> None: ...


@pytest.mark.parametrize(
    ("value", "error", "code"),
    [
        (1.5, InvalidInput, "state/not-canonical"),
        (b"x", InvalidInput, "state/not-canonical"),
        ([1], InvalidInput, "state/not-canonical"),
        ((1, 2.0), InvalidInput, "state/not-canonical"),
        (MAX_UINT256 + 1, Overflow, "state/overflow"),
        pytest.param(10**5000, Overflow, "state/overflow", id="10**5000"),
    ],
)
def test_state__non_canonical_write__refused_before_it_lands(
    chain: Chain, value: object, error: type[PeglabError], code: str
) -> None:
    """Computed inside the action, so the state layer (not the argument boundary) refuses it."""
    v = Vault(chain)
    assert_refused(chain, error, code, v.store_computed, lambda: value, sender="alice")
    v.store_raw((1, "a", None, True), sender="alice")
    assert isinstance(chain.state_hash(), str)


def test_state__untracked_table__accepts_wiring_objects(chain: Chain) -> None:
    t: Table[str, object] = Table(chain.journal)
    t["obj"] = object()  # not registered: wiring, never hashed
    with pytest.raises(InvalidInput):
        chain.register("wiring", t)


@pytest.mark.parametrize("cls", [InvalidInput, Overflow, Reentered, NotAuthorized])
def test_error__pickled_across_processes__keeps_type_code_message_and_notes(
    cls: type[PeglabError],
) -> None:
    err = cls("x/some-code", "what was wrong")
    err.add_note("while running path 3")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert (back.code, back.message, str(back)) == (err.code, err.message, str(err))
    assert back.__notes__ == ["while running path 3"]
