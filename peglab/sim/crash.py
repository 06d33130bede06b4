"""Crashes as a distribution of sizes and times (docs/risk-spec.md §3.4, §8.1; docs/risk-lab.md "Price processes").

Gauntlet's bridge (``processes.bridge_paths``) pins every path to the same drawdown at the same
time, so a Monte Carlo over it varies only the crash's shape. Here each path draws its crash: a
sector log size shared by every asset of the block plus an idiosyncratic part per asset, a start
time and a duration; the path is the bridge to that draw, with the block's correlated diffusion and
its (sector and idiosyncratic) Merton jumps around it. The default spreads are calibrated in
docs/calibration.md §6 from the published AI-token drawdowns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .processes import Diffusion, Pin, log_paths, to_prices

__all__ = ["Crash", "crash_paths"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Crash:
    """A distribution of sector crashes (sizes and times), one draw per path.

    Log size of asset ``i``: ``L_i = ln(1 - drawdown_i) + size_std Z + idio_std eta_i`` with one
    sector draw ``Z`` shared by the block and ``eta_i`` independent, all ``N(0, 1)``; clipped to
    ``[ln(1 - max_drawdown), 0]`` (a crash never becomes a rally and never wipes a token out).
    ``drawdown`` is therefore the **median** crash. The crash starts at
    ``start_s + U spread_s`` (``U`` uniform) and lasts ``duration_s exp(duration_log_std Z_T)``
    (at least one step); it may end after the horizon, in which case the path shows the crash
    still under way. With ``size_std = idio_std = spread_s = duration_log_std = 0`` it is
    Gauntlet's bridge to a fixed target (:func:`bridge_paths`).
    """

    drawdown: ArrayLike
    duration_s: float
    start_s: float = 0.0
    spread_s: float = 0.0
    size_std: float = 0.0
    idio_std: float = 0.0
    duration_log_std: float = 0.0
    max_drawdown: float = 0.99

    def draw(
        self, n_assets: int, dt_s: float, rng: np.random.Generator
    ) -> tuple[int, int, FloatArray]:
        """``(start_step, end_step, log_size per asset)`` of one crash.

        Draw order: the sector normal, ``n_assets`` idiosyncratic normals, the start uniform, the
        duration normal (always drawn, so the stream does not depend on which spreads are zero).
        """
        z = rng.standard_normal(1 + n_assets)
        u = float(rng.random())
        z_t = float(rng.standard_normal())
        dd = np.broadcast_to(np.asarray(self.drawdown, dtype=np.float64), (n_assets,))
        if np.any(dd <= 0) or np.any(dd >= 1):
            raise ValueError("a crash drawdown is a fraction strictly between 0 and 1")
        log_size = np.log1p(-dd) + self.size_std * z[0] + self.idio_std * z[1:]
        log_size = np.clip(log_size, np.log1p(-self.max_drawdown), 0.0)
        start = round((self.start_s + u * self.spread_s) / dt_s)
        length = max(1, round(self.duration_s * float(np.exp(self.duration_log_std * z_t)) / dt_s))
        return start, start + length, log_size


def crash_paths(
    s0: ArrayLike,
    crash: Crash,
    diffusion: Diffusion,
    dt_s: float,
    n_steps: int,
    rng: np.random.Generator,
    n_paths: int = 1,
    segment_sigma: ArrayLike | None = None,
    vol_scale: ArrayLike | None = None,
) -> FloatArray:
    """A crash drawn from ``crash`` per path, as a bridge (§3.4) to the drawn size at the drawn time.

    Free GBM (with the block's jumps, sector and idiosyncratic) before and after; the bridge
    absorbs jumps inside the crash window. A crash that ends after ``n_steps`` is simulated to
    its end and cut at the horizon. Paths are drawn one after the other (crash, then noise), so
    path ``i`` of ``n`` equals the single path drawn from the same generator state.
    """
    s0_arr = np.atleast_1d(np.asarray(s0, dtype=np.float64))
    n_assets = s0_arr.shape[0]
    out = np.empty((n_paths, n_steps + 1, n_assets))
    for p in range(n_paths):
        start, end, log_size = crash.draw(n_assets, dt_s, rng)
        if start >= n_steps:  # the crash starts after the horizon: the window is all free GBM
            out[p] = log_paths(s0_arr, diffusion, dt_s, n_steps, rng, 1, (), vol_scale)[0, :, :]
            continue
        n_ext = max(n_steps, end)
        scale = None
        if vol_scale is not None:
            vs = np.asarray(vol_scale, dtype=np.float64)
            pad = np.ones((n_ext - n_steps, *vs.shape[1:]))
            scale = np.concatenate([vs, pad], axis=0)
        pin = Pin(start, end, log_size, relative=True, sigma=segment_sigma)
        x = log_paths(s0_arr, diffusion, dt_s, n_ext, rng, 1, (pin,), scale)
        out[p] = x[0, : n_steps + 1, :]
    return to_prices(out, s0_arr)
