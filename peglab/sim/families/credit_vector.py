"""What the vectorised models of the two GPU-credit families share (docs/scale.md "Vectorised
models: GPU credit and yield vaults").

* :func:`batch_drivers`: each path's GPU economy, drawn from that path's generator by the exact
  engine's own ``gpu_drivers`` (so path ``i`` of both engines faces the same rents, utilisation,
  default variables and collateral values), stacked into ``[paths, ...]`` arrays. As on the
  exact engine, the first credit family of a scenario draws them and a second family with the
  same GPU parameters reuses them (a one-slot cache keyed by the batch's generators).
* :class:`VecPool`: a two-coin StableSwap pool (peg token against the stablecoin) per path, in
  float64, on the shared invariant ``sim.vector_stableswap``: ``get_D`` by Newton's iteration as
  the contract does it, ``y`` from the invariant's quadratic in closed form, the fee taken from the output and its admin half leaving the
  balances (docs/amm.md). Quotes are floored to the stablecoin's base unit as the exact
  ``quote_exact_in`` of one token returns them. The family's model owns the scenario's pool of
  its token (``sim.runner``): :meth:`VecPool.sample` records its reserves on the report grid.
* :func:`common_measures`: the measures both designs report (NAV drawdown, realised yield,
  principal loss, queue waits, peg) from the model's per-path arrays.

Everything is float64 with paths as the first array dimension; a path's arithmetic never mixes
with another path's, so its result does not depend on the batch it runs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..gpu import BorrowerParams
from ..gpu_credit import CreditStress, gpu_drivers, realised_yield
from ..results import PoolReserves
from ..vector_stableswap import get_d, get_y

__all__ = ["BatchDrivers", "VecPool", "batch_drivers", "common_measures", "percentile_rows"]

F = NDArray[np.float64]
B = NDArray[np.bool_]


@dataclass(frozen=True)
class BatchDrivers:
    """The GPU economy of a batch: ``price``/``util``/``value`` ``[P, months + 1]``, ``latent``
    ``[P, months, deals]``."""

    bp: BorrowerParams
    price: F
    util: F
    latent: F
    value: F


# reserve - supply is 0 after a harvest on the exact engine; float sums of ~1e7 dollars leave
# ~1e-8 of rounding, so a gap within a cent counts as fully backed
BACKED_TOL_USD = 0.01

_CACHE: list[Any] = []  # [rngs tuple, {key: BatchDrivers}] of the last batch


def batch_drivers(sc: CreditStress, rngs: tuple[np.random.Generator, ...]) -> BatchDrivers:
    """The batch's GPU economy for ``sc`` (module docstring); drawn once per set of GPU
    parameters and batch, as ``sim.families.credit.shared_drivers`` does once per path."""
    key = (sc.months, sc.n_deals, sc.index, sc.collapse_low, sc.util_to, sc.rho, sc.h0)
    if not _CACHE or _CACHE[0] is not rngs:
        _CACHE[:] = [rngs, {}]
    known: dict[Any, BatchDrivers] = _CACHE[1]
    if key not in known:
        drv = [gpu_drivers(sc, r) for r in rngs]
        known[key] = BatchDrivers(
            drv[0].bp,
            np.stack([d.idx.price[0] for d in drv]),
            np.stack([np.asarray(d.util, dtype=np.float64) for d in drv]),
            np.stack([d.latent for d in drv]),
            np.stack([d.value for d in drv]),
        )
    return known[key]


class VecPool:
    """A two-coin StableSwap pool per path: coin 0 the peg token, coin 1 the stablecoin (tokens)."""

    def __init__(
        self, paths: int, token0: float, stable0: float, amp: int, fee_bps: float, decimals: int
    ) -> None:
        self.x = np.full(paths, token0)  # peg token
        self.y = np.full(paths, stable0)  # stablecoin
        self.ann = 2.0 * amp
        self.fee = fee_bps / 1e4
        self.admin = 0.5
        self.unit = 10.0**decimals
        self.d = self._get_d(self.x, self.y, self.x + self.y, 64)

    def _get_d(self, x: F, y: F, d: F, iters: int) -> F:
        """Newton's iteration of the contract's ``get_D`` (a fixed count: no path waits on another)."""
        return get_d((x, y), self.ann, d, iters)

    def _y(self, x_new: F, d: F) -> F:
        """The other balance when one is ``x_new`` at invariant ``d`` (the quadratic's root)."""
        return get_y((x_new,), d, self.ann)

    def sample(self, rec: PoolReserves, day: int, spec: Any, token: str) -> None:
        """Record the reserves after ``day`` under the scenario pool ``spec``'s id and coins
        (``token``, the peg token, is ``x``; the other coin, the stablecoin, ``y``)."""
        rec.sample(day, spec.id, spec.coins, [self.x if c == token else self.y for c in spec.coins])

    def price(self) -> F:
        """Stablecoin paid for one peg token now, after the fee, floored to the base unit."""
        dy = self.y - self._y(self.x + 1.0, self.d)
        return np.asarray(np.floor(dy * (1.0 - self.fee) * self.unit) / self.unit)

    def sell(self, amount: F, mask: B) -> F:
        """Sell ``amount`` peg tokens where ``mask``; returns the stablecoin paid out."""
        return self._swap(amount, mask, True)

    def buy(self, usd: F, mask: B) -> F:
        """Spend ``usd`` stablecoin on peg tokens where ``mask``; returns the tokens bought."""
        return self._swap(usd, mask, False)

    def _swap(self, amount: F, mask: B, sell_token: bool) -> F:
        amt = np.where(mask, amount, 0.0)
        if not mask.any():
            return amt
        xi, xj = (self.x, self.y) if sell_token else (self.y, self.x)
        new_i = xi + amt
        dy = xj - self._y(new_i, self.d)
        out = np.where(mask, dy * (1.0 - self.fee), 0.0)
        new_j = xj - out - np.where(mask, dy * self.fee * self.admin, 0.0)
        if sell_token:
            self.x, self.y = new_i, new_j
        else:
            self.y, self.x = new_i, new_j
        self.d = np.where(mask, self._get_d(self.x, self.y, self.d, 8), self.d)
        return out


def percentile_rows(values: F, q: float) -> F:
    """``np.percentile`` (linear) of each row's finite entries; 0 for a row with none."""
    out = np.zeros(values.shape[0])
    for p in range(values.shape[0]):
        row = values[p][np.isfinite(values[p])]
        if row.size:
            out[p] = float(np.percentile(row, q))
    return out


def common_measures(
    nav_w: F, prices: F, backed_min: F, waits: F, gpu_price: F, daily: tuple[F, F]
) -> dict[str, F]:
    """Per-path measures both designs report: ``nav_w`` ``[P, months + 1]`` (the monthly exit
    price), ``prices`` ``[P, days]`` (the pool price after each day), ``waits`` ``[P, requests]``
    (NaN where a path made fewer requests), ``backed_min`` the lowest reserve - supply, ``daily``
    the exit price and the shares outstanding ``[P, days + 1]`` (the start, then after each day:
    the capital-weighted realised yield, ``gpu_credit.realised_yield``)."""
    peak = np.maximum.accumulate(nav_w, axis=1)
    return {
        "nav_end": nav_w[:, -1],
        "nav_drawdown": np.max(1.0 - nav_w / peak, axis=1),
        "realised_yield": realised_yield(*daily),
        "principal_loss": np.maximum(0.0, 1.0 - nav_w.min(axis=1)),
        "queue_wait_p50_days": percentile_rows(waits, 50),
        "queue_wait_p95_days": percentile_rows(waits, 95),
        "peg_min": prices.min(axis=1),
        "peg_time_below_099": (prices < 0.99).mean(axis=1),
        "aid_fully_backed": (backed_min >= -BACKED_TOL_USD).astype(np.float64),
        "gpu_low": gpu_price.min(axis=1),
    }
