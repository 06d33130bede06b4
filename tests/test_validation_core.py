"""The validation harness: bands, widening, verdicts, reported and not-modelled targets."""

from __future__ import annotations

import math

import numpy as np

from peglab.risk.validation.core import Target, evaluate, load_targets


def spec(*targets: Target, draws: int = 3) -> dict:  # type: ignore[type-arg]
    return {"title": "t", "draws": draws, "reduced_draws": 2, "targets": list(targets)}


def test_target_band__reduced__widened_around_center() -> None:
    t = Target("x", "x", "10", "s", "range", lo=8.0, hi=11.0, center=10.0, reduced_widen=2.0)
    assert t.band(False) == (8.0, 11.0)
    assert t.band(True) == (6.0, 12.0)
    open_ = Target("y", "y", "-", "s", "range", lo=0.98, reduced_widen=2.0)
    assert open_.band(True)[1] == math.inf


def test_evaluate__median_and_interval__judged_against_band() -> None:
    t = Target("x", "x", "10", "s", "range", lo=8.0, hi=12.0)
    values = iter([9.0, 30.0, 10.0])
    r = evaluate("c", spec(t), lambda i, s: {"x": next(values)}, reduced=False)
    res = r.targets[0]
    assert res.model == 10.0 and res.interval == (9.0, 30.0) and res.passed is True


def test_evaluate__outside_band__fails_canary() -> None:
    t = Target("x", "x", "10", "s", "range", lo=8.0, hi=12.0)
    r = evaluate("c", spec(t), lambda i, s: {"x": 13.0}, reduced=False)
    assert r.targets[0].passed is False and r.passed is False


def test_evaluate__bool_reported_not_modelled_and_fitted() -> None:
    ts = (
        Target("b", "b", "yes", "s", "bool"),
        Target("r", "r", "-", "s", "reported"),
        Target("n", "n", "-", "s", "not-modelled"),
        Target("f", "f", "1", "s", "range", lo=0.0, hi=0.5, fitted=True),
    )
    flips = iter([True, False, True])
    r = evaluate("c", spec(*ts), lambda i, s: {"b": next(flips), "r": 5.0, "f": 1.0}, reduced=False)
    by = {t.name: t for t in r.targets}
    assert by["b"].model == 2 / 3 and by["b"].passed is True
    assert by["r"].passed is None and by["n"].passed is None
    assert by["f"].passed is False and r.passed is True  # a fitted target is no evidence


def test_evaluate__seeds__one_child_per_draw_reproducible() -> None:
    t = Target("x", "x", "-", "s", "reported")

    def run(i: int, s: np.random.SeedSequence) -> dict[str, float]:
        return {"x": float(np.random.default_rng(s).random())}

    a = evaluate("c", spec(t), run, reduced=False, seed=4).targets[0]
    b = evaluate("c", spec(t), run, reduced=False, seed=4).targets[0]
    c = evaluate("c", spec(t), run, reduced=False, seed=5).targets[0]
    assert a.interval == b.interval and a.interval != c.interval


def test_load_targets__every_case__has_targets_and_draws() -> None:
    specs = load_targets()
    for name, s in specs.items():
        assert "title" in s and "fitted" in s, name
        if s["draws"]:
            assert s["targets"], name
