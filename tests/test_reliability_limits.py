"""Findings of the long fuzz campaign about the liquidation limits (``Hole``/``hole``).

dss lets governance lower ``Hole`` (or an ilk's ``hole``) below the debt already in auction;
``bark`` then refuses new liquidations until takes bring ``Dirt`` back under the limit. The
limit invariant (docs/cdp-spec.md §13, item 5) must accept that state and still catch a bark
that ignores the room.
"""

from __future__ import annotations

from typing import Any

import pytest

from peglab.errors import LimitExceeded
from peglab.examples.systems import DemoSystem, two_ai_dollars
from peglab.protocols.cdp import AIDollar
from peglab.protocols.cdp import dog as dog_module
from peglab.testing import assert_refused
from peglab.units import MAX_UINT256, RAD, wad

ILK = "ATH-A"


def two_risky_vaults() -> tuple[DemoSystem, AIDollar, int, int]:
    """AUSD with one running auction (``Dirt > 0``) and a second unsafe vault ``later``."""
    s = two_ai_dollars()
    d, ledger = s.dollars["AUSD"], s.chain.ledger
    vids = []
    for owner in ("alice", "bob"):
        ledger.mint("ATH", owner, wad(1_000_000))
        vid = d.open_vault(ILK, sender=owner)
        d.deposit(vid, wad(1_000_000), sender=owner)
        d.mint(vid, wad(20_000), sender=owner)  # 2.5x at $0.05
        vids.append(vid)
    ledger.mint("ATH", "keeper", wad(10_000_000))
    kv = d.open_vault(ILK, sender="keeper")
    d.deposit(kv, wad(10_000_000), sender="keeper")
    d.mint(kv, wad(100_000), sender="keeper")
    s.set_price("ATH", "0.03")  # 1.5x < 1.75: both unsafe
    for _ in range(3):
        s.chain.advance(3600)
        s.poke_all()
    aid = d.bark(vids[0], sender="keeper")
    return s, d, aid, vids[1]


def errors(s: DemoSystem, d: AIDollar) -> list[str]:
    s.chain.check_conservation()
    return d.invariant_errors() + d.liquidation_invariant_errors()


@pytest.mark.parametrize("what", ["Hole", "hole"])
def test_file_limit__below_debt_in_auction__invariants_hold_and_bark_waits(what: str) -> None:
    s, d, aid, later = two_risky_vaults()
    dirt = d.dog.state.dirt_total_rad
    assert dirt > 0
    ilk = {"ilk": ILK} if what == "hole" else {}
    d.dog.file(what, dirt // 2, sender="gov", **ilk)  # allowed by dss
    assert errors(s, d) == []
    assert_refused(
        s.chain, LimitExceeded, "cdp/liquidation-limit-hit", d.bark, later, sender="keeper"
    )
    st = d.auction(ILK, aid)
    d.take(ILK, aid, MAX_UINT256, st.price_ray, sender="keeper")  # Dirt falls back under
    assert errors(s, d) == []
    d.bark(later, sender="keeper")  # room again: a bark within the lowered limit
    assert errors(s, d) == []


@pytest.mark.parametrize("what", ["Hole", "hole"])
def test_canary__bark_ignores_lowered_limit__limit_invariant_fails(
    what: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s, d, _, later = two_risky_vaults()
    ilk = {"ilk": ILK} if what == "hole" else {}
    d.dog.file(what, 1_000 * RAD, sender="gov", **ilk)  # below Dirt already
    real = dog_module.bark_amounts

    def greedy(ink: int, art: int, rate: int, spot: int, chop: int, dust: int, lim: Any) -> Any:
        return real(ink, art, rate, spot, chop, dust, (10**60, 0, 10**60, 0))

    monkeypatch.setattr(dog_module, "bark_amounts", greedy)
    d.bark(later, sender="keeper")
    assert any("above" in e and what in e for e in d.liquidation_invariant_errors())
