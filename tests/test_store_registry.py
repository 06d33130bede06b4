"""The action registry: every @action of every protocol family is found, with typed parameters;
a new family module appears without any change to the store or the service; the log's codec is
exact and unambiguous."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import peglab.protocols
from peglab.store import Ref, build_registry, decode, encode, plain, registry
from peglab.store.codec import dumps, loads
from peglab.store.registry import is_action
from peglab.store.world import SandboxWorld


def _declared_actions() -> set[str]:
    """Every @action method declared in peglab.protocols, found independently of the registry."""
    out = set()
    for info in pkgutil.walk_packages(peglab.protocols.__path__, prefix="peglab.protocols."):
        mod = importlib.import_module(info.name)
        for cls in vars(mod).values():
            if inspect.isclass(cls) and cls.__module__ == mod.__name__:
                for name, fn in vars(cls).items():
                    if is_action(fn):
                        out.add(f"{info.name.split('.')[2]}.{cls.__name__}.{name}")
    return out


def test_registry__every_protocol_action__offered_or_explained() -> None:
    reg = registry()
    declared = _declared_actions()
    assert len(declared) > 100
    assert declared <= set(reg.actions) | set(reg.unavailable)
    for name, why in reg.unavailable.items():
        assert why, name
    assert {"kernel.Chain.transfer", "sandbox.Faucet.mint", "cdp.AIDollar.deposit"} <= set(
        reg.actions
    )


def test_registry__parameters__typed_from_annotations() -> None:
    reg = registry()
    deposit = reg.actions["cdp.AIDollar.deposit"]
    assert [(p.name, p.kind, p.required) for p in deposit.params] == [
        ("vault_id", "int", True),
        ("amount", "int", True),
    ]
    vote = reg.actions["governance.Voter.vote"]
    assert [p.kind for p in vote.params] == ["int", "list[str]", "list[int]"]
    take = reg.actions["cdp.Clipper.take"]
    assert "callback" in take.skipped  # a callable cannot cross HTTP; it keeps its default
    assert reg.unavailable["cdp.Launchpad.create_ai_usd"].startswith("parameter 'spec'")


def test_registry__new_family_module__appears_without_changes() -> None:
    """A family added under peglab.protocols with @action methods is offered automatically."""
    path = Path(peglab.protocols.__file__).parent / "zz_registry_canary_tmp.py"
    path.write_text(
        "from peglab.kernel import action\n\n\n"
        "class Widget:\n"
        "    def __init__(self, chain):\n"
        "        self.chain = chain\n\n"
        "    @action\n"
        "    def spin(self, turns: int, label: str = 'x', *, sender: str) -> int:\n"
        "        return turns\n"
    )
    try:
        reg = build_registry()
        spec = reg.actions["zz_registry_canary_tmp.Widget.spin"]
        assert [(p.name, p.kind, p.required) for p in spec.params] == [
            ("turns", "int", True),
            ("label", "str", False),
        ]
    finally:
        path.unlink()
        sys.modules.pop("peglab.protocols.zz_registry_canary_tmp", None)


def test_targets__same_world__same_paths() -> None:
    g = {"kind": "system", "name": "two-ai-dollars", "owner": "alice"}
    a, b = SandboxWorld.create(dict(g)), SandboxWorld.create(dict(g))
    assert list(a.targets()) == list(b.targets())
    assert {"faucet", "chain", "dollars[AUSD]", "dollars[AUSD].dog", "feeds[ATH]"} <= set(
        a.targets()
    )
    assert "dollars[AUSD].clippers[ATH-A]" in a.targets()


scalars = st.one_of(
    st.integers(-(2**300), 2**300),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
    st.builds(Ref, st.text(min_size=1, max_size=8)),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4).map(tuple), max_leaves=12)


@settings(max_examples=200)
@given(v=values)
def test_codec__any_value__round_trips_exactly(v: object) -> None:
    back = decode(loads(dumps(encode(v))))
    assert back == v and type(back) is type(v)


def test_codec__digit_string_and_int__stay_distinct() -> None:
    assert decode(encode("5")) == "5" and decode(encode(5)) == 5
    assert plain(encode({"a": [1, "x"]})) == {"a": ["1", "x"]}


def test_registry__dataclass_parameter__offered_as_a_typed_object() -> None:
    """Loan terms (a dataclass with a tuple of tranche dataclasses) cross HTTP as JSON objects."""
    from peglab.service.schemas import request_model

    spec = registry().actions["usdai.LoanRouter.borrow"]
    (terms,) = spec.params
    assert terms.kind == "object" and terms.ref_class is not None
    tranches = next(f for f in terms.fields if f.name == "tranches")
    assert tranches.kind == "list[object]" and [f.name for f in tranches.fields] == [
        "lender",
        "amount",
        "rate",
    ]
    body = {
        "args": {
            "terms": {
                "borrower": "bob", "currency": "USDai", "collateral": "GPU-1", "expiration": 10,
                "duration_s": 100, "interval_s": 10, "model": "simple",
                "tranches": [{"lender": "ann", "amount": str(2**70), "rate": 1}],
            }
        }
    }  # fmt: skip
    args = request_model(spec).model_validate(body).args.model_dump()
    world = SandboxWorld.create({"kind": "system", "name": "two-ai-dollars", "owner": "alice"})
    built = world._value(terms, args["terms"])
    assert type(built) is terms.ref_class and built.tranches[0].amount == 2**70
    assert decode(loads(dumps(encode(args)))) == {
        "terms": {**args["terms"], "tranches": ({**args["terms"]["tranches"][0]},)}
    }
