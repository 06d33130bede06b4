"""Crashes as a distribution of sizes and times (sim.crash; docs/risk-lab.md "Price processes")."""

from __future__ import annotations

import math

import numpy as np
import pytest

from peglab.sim.crash import Crash, crash_paths
from peglab.sim.processes import Diffusion, rng_from

AI = Diffusion(sigma=1.2, jump_rate=12.0, jump_mean=-0.12, jump_std=0.08, jump_common=0.6)


def test_crash_draw__sizes__sector_and_idiosyncratic_spread_as_stated() -> None:
    crash = Crash(drawdown=0.8, duration_s=7 * 86_400, size_std=0.35, idio_std=0.2)
    rng = rng_from(3)
    sizes = np.array([crash.draw(3, 900, rng)[2] for _ in range(20_000)])
    total = math.hypot(0.35, 0.2)
    assert np.allclose(np.median(sizes, axis=0), math.log(0.2), atol=0.02)  # the median crash
    assert np.allclose(sizes.std(axis=0), total, rtol=0.03)
    corr = np.corrcoef(sizes.T)
    assert abs(corr[0, 1] - 0.35**2 / total**2) < 0.03  # the sector part is shared
    assert sizes.max() <= 0.0 and sizes.min() >= math.log(0.01)


def test_crash_draw__times__start_uniform_and_duration_lognormal() -> None:
    crash = Crash(0.5, duration_s=86_400, start_s=3600, spread_s=43_200, duration_log_std=0.5)
    rng = rng_from(4)
    draws = [crash.draw(1, 300, rng) for _ in range(10_000)]
    starts = np.array([d[0] for d in draws]) * 300
    lengths = np.array([d[1] - d[0] for d in draws]) * 300
    assert starts.min() >= 3600 and starts.max() <= 3600 + 43_200
    assert abs(starts.mean() - (3600 + 21_600)) < 600
    assert abs(np.median(np.log(lengths)) - math.log(86_400)) < 0.03
    assert abs(np.log(lengths).std() - 0.5) < 0.02


def test_crash_paths__no_spread__pins_the_median_at_the_end() -> None:
    crash = Crash(drawdown=[0.5, 0.8], duration_s=24 * 3600, start_s=6 * 3600)
    p = crash_paths([1.0, 2.0], crash, AI, 3600, 48, rng_from(5), n_paths=20)
    assert np.allclose(p[:, 30] / p[:, 6], [0.5, 0.2])
    assert np.array_equal(p[:, 0], np.broadcast_to([1.0, 2.0], (20, 2)))


def test_crash_paths__drawn_sizes__hit_at_the_drawn_end_and_vary() -> None:
    crash = Crash(drawdown=0.6, duration_s=12 * 3600, size_std=0.3, idio_std=0.1)
    rng = rng_from(6)
    draw = crash.draw(2, 3600, rng_from(6))
    p = crash_paths([1.0, 1.0], crash, AI, 3600, 24, rng)[0]
    start, end, log_size = draw
    assert np.allclose(np.log(p[end] / p[start]), log_size)
    ends = crash_paths([1.0], crash, AI, 3600, 12, rng_from(7), n_paths=200)[:, -1, 0]
    assert np.log(ends).std() > 0.2  # the Monte Carlo varies the size, not only the shape


def test_crash_paths__past_the_horizon__cut_and_single_equals_many() -> None:
    crash = Crash(drawdown=0.8, duration_s=10 * 86_400, duration_log_std=0.5)
    many = crash_paths([1.0, 3.0], crash, AI, 3600, 96, rng_from(8), n_paths=3)
    rng = rng_from(8)
    for i in range(3):
        assert np.array_equal(crash_paths([1.0, 3.0], crash, AI, 3600, 96, rng)[0], many[i])
    assert many.shape == (3, 97, 2)


def test_crash_draw__bad_drawdown__refused() -> None:
    with pytest.raises(ValueError, match="strictly between"):
        Crash(drawdown=1.0, duration_s=3600).draw(1, 60, rng_from(1))
