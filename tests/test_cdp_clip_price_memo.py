"""The clipper's kept auction prices (``clip.auction_price``) against the curve itself, across
parameter changes, with a canary."""

from __future__ import annotations

import random

import pytest

from peglab.errors import InvalidInput
from peglab.kernel import Journal
from peglab.protocols.cdp import clip
from peglab.units import RAY


def _params(calc: str, step: int, cut: int, tau: int) -> clip.ClipParams:
    return clip.ClipParams(
        Journal(), buf_ray=RAY, calc=calc, step_s=step, cut_ray=cut, tau_s=tau, cusp_ray=0,
        tail_s=10**6, chip_wad=0, tip_rad=0, stopped=0, kicks=0,
    )  # fmt: skip


def test_auction_price__kept_results__equal_the_curve_across_parameters() -> None:
    rng = random.Random(5)
    params = [
        _params(calc, step, cut, tau)
        for calc in ("linear", "exponential", "stairstep")
        for step, cut, tau in ((90, 99 * RAY // 100, 3600), (60, RAY // 2, 7200))
    ]
    calls = 0
    for _ in range(3000):  # more calls than MEMO_SIZE: the memo empties and refills
        p = rng.choice(params)
        top, age = rng.choice((RAY, 3 * RAY // 2, 10**30)), rng.randrange(0, 600, 30)
        assert clip.auction_price(p, top, age) == clip._curve(p, top, age)
        calls += 1
    p = params[-1]
    before = clip.auction_price(p, RAY, 900)
    p.cut_ray = RAY // 3  # a changed curve is a new key
    assert clip.auction_price(p, RAY, 900) == clip._curve(p, RAY, 900) != before
    assert calls == 3000


def test_auction_price__refused_arguments__raise_every_time() -> None:
    p = _params("stairstep", 90, RAY // 2, 3600)
    assert clip.auction_price(p, RAY, 90) == RAY // 2
    for _ in range(2):
        with pytest.raises(InvalidInput):
            clip.auction_price(p, RAY, -90)
        with pytest.raises(InvalidInput):
            clip.auction_price(p, RAY, 90.0)  # type: ignore[arg-type]


def test_auction_price__canary__a_key_without_the_cut_would_be_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The comparison can fail: a memo keyed without ``cut`` returns the old curve's price."""
    kept: dict[tuple[object, ...], int] = {}

    def stale(p: clip.ClipParams, top: int, age: int) -> int:
        key = (p.calc, p.step_s, top, age)
        if key not in kept:
            kept[key] = clip._curve(p, top, age)
        return kept[key]

    monkeypatch.setattr(clip, "auction_price", stale)
    p = _params("stairstep", 90, RAY // 2, 3600)
    clip.auction_price(p, RAY, 900)
    p.cut_ray = RAY // 3
    assert clip.auction_price(p, RAY, 900) != clip._curve(p, RAY, 900)
