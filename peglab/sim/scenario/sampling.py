"""Sampling one run of a scenario: market prices and per-step shock factors (docs/risk-spec.md §3, §5).

:func:`simulate_prices` draws the market prices of one path (:func:`simulate_prices_each`: of
many paths, each from its own generator, at once); :func:`shock_factor` and
:func:`oracle_modes` turn the scheduled shocks into per-step arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import processes as pr
from ..crash import crash_paths
from .market import (
    AnchorPrices,
    BridgePrices,
    CrashPrices,
    GbmPrices,
    OracleShock,
    OuPrices,
    PriceShock,
    SlashShock,
    VolShock,
)
from .model import Scenario

__all__ = ["oracle_modes", "shock_factor", "simulate_prices", "simulate_prices_each"]


def _window(sc: Scenario, at: int, duration: int | None) -> slice:
    start = sc.step_of(at)
    stop = sc.n_steps + 1 if duration is None else max(start + 1, sc.step_of(at + duration))
    return slice(start, stop)


def shock_factor(
    sc: Scenario, kind: str, attr: str = "factor", target: str | None = None
) -> np.ndarray:
    """Per-step multiplicative factor ``(n_steps + 1,)`` from all shocks of ``kind``.

    ``attr`` is the shock field to multiply in (``factor``, ``capital_factor``,
    ``latency_factor``); for depth shocks ``target`` selects ``external`` or ``pools`` (``both``
    counts for either). Windows run ``[at, at + duration)``, to the horizon when no duration.
    """
    out = np.ones(sc.n_steps + 1)
    for sh in sc.shocks:
        if sh.kind != kind:
            continue
        if target is not None and getattr(sh, "target", target) not in (target, "both"):
            continue
        out[_window(sc, sh.at, sh.duration)] *= float(getattr(sh, attr))
    return out


def oracle_modes(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Per step and asset: mode code ``(n_steps + 1, n_assets)`` int8 (0 ok, 1 frozen, 2 stale,
    3 manipulated) and the manipulation size (float). Later shocks override earlier ones."""
    codes = {"frozen": 1, "stale": 2, "manipulated": 3}
    idx = sc.asset_index
    mode = np.zeros((sc.n_steps + 1, len(sc.assets)), dtype=np.int8)
    size = np.zeros((sc.n_steps + 1, len(sc.assets)))
    for sh in sc.shocks:
        if isinstance(sh, OracleShock):
            w = _window(sc, sh.at, sh.duration)
            for s in sh.assets:
                mode[w, idx[s]] = codes[sh.mode]
                size[w, idx[s]] = float(sh.size)
    return mode, size


def _vol_scale(sc: Scenario, assets: list[str]) -> np.ndarray | None:
    scale = np.ones((sc.n_steps, len(assets)))
    hit = False
    for sh in sc.shocks:
        if isinstance(sh, VolShock):
            w = _window(sc, sh.at, sh.duration)
            steps = slice(w.start, min(w.stop, sc.n_steps))
            for j, a in enumerate(assets):
                if a in sh.assets:
                    scale[steps, j] *= float(sh.factor)
                    hit = True
    return scale if hit else None


def simulate_prices(sc: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Market prices of one run, ``(n_steps + 1, n_assets)`` in the order of ``sc.assets``.

    Blocks are drawn in file order from ``rng``; assets without a block stay at their initial
    price; scheduled price shocks are overlaid; derivatives are ``underlying * exchange_rate``
    with slash shocks applied to the rate. Volatility shocks scale the free (unpinned) steps of
    GBM, bridge and anchor blocks.
    """
    out: np.ndarray = simulate_prices_each(sc, [rng])[0]
    return out


def simulate_prices_each(sc: Scenario, rngs: Sequence[np.random.Generator]) -> np.ndarray:
    """:func:`simulate_prices` of each generator, ``(len(rngs), n_steps + 1, n_assets)``: row
    ``p`` is ``simulate_prices(sc, rngs[p])`` bit for bit. Each generator draws its blocks in
    file order (a block is drawn for every generator before the next block: the generators are
    independent, so only each one's own order matters); an OU block's recursion runs once for
    all rows (``processes.ou_paths_each``), the other blocks path by path."""
    n, k = sc.n_steps, len(sc.assets)
    idx = sc.asset_index
    out = np.empty((len(rngs), n + 1, k))
    for a in sc.assets:
        out[:, :, idx[a.symbol]] = float(a.price)
    for blk in sc.prices:
        cols = [idx[s] for s in blk.assets]
        s0 = np.array([float(sc.asset(s).price) for s in blk.assets])
        if isinstance(blk, OuPrices):
            out[:, :, cols] = pr.ou_paths_each(
                s0,
                blk.half_life,
                float(blk.vol),
                sc.step,
                n,
                rngs,
                float(blk.depeg_rate),
                float(blk.depeg_level),
                blk.depeg_half_life,
                float(blk.band),
            )
        else:
            for row, rng in zip(out, rngs, strict=True):
                row[:, cols] = _block_path(sc, blk, s0, rng)
    shocks = [
        (sc.step_of(sh.at), idx[s], float(sh.size))
        for sh in sc.shocks
        if isinstance(sh, PriceShock)
        for s in sh.assets
        if sc.asset(s).kind != "derivative"
    ]
    pr.apply_price_shocks(out, shocks, inplace=True)
    for a in sc.assets:
        if a.kind == "derivative" and a.underlying is not None:
            rate = np.full(n + 1, float(a.exchange_rate))
            for sh in sc.shocks:
                if isinstance(sh, SlashShock) and sh.asset == a.symbol:
                    rate[sc.step_of(sh.at) :] *= 1.0 - float(sh.size)
            out[:, :, idx[a.symbol]] = out[:, :, idx[a.underlying]] * rate
    return out


def _block_path(
    sc: Scenario,
    blk: GbmPrices | BridgePrices | CrashPrices | AnchorPrices,
    s0: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """One path ``(n_steps + 1, len(blk.assets))`` of a block other than an OU block."""
    n = sc.n_steps
    if isinstance(blk, BridgePrices):
        return pr.bridge_path(
            s0,
            np.array([float(blk.drawdowns.get(a, blk.drawdown)) for a in blk.assets]),
            sc.step_of(blk.start),
            max(sc.step_of(blk.start) + 1, sc.step_of(blk.start + blk.duration)),
            blk.diffusion(),
            sc.step,
            n,
            rng,
            None if blk.segment_vol is None else float(blk.segment_vol),
            _vol_scale(sc, list(blk.assets)),
        )
    if isinstance(blk, CrashPrices):
        seg = None if blk.segment_vol is None else float(blk.segment_vol)
        path: np.ndarray = crash_paths(
            s0,
            blk.crash(),
            blk.diffusion(),
            sc.step,
            n,
            rng,
            1,
            seg,
            _vol_scale(sc, blk.assets),
        )[0]
        return path
    if isinstance(blk, AnchorPrices):
        return pr.anchor_path(
            s0,
            [a.at for a in blk.anchors],
            [float(a.ratio) for a in blk.anchors],
            blk.diffusion(),
            sc.step,
            n,
            rng,
            None if blk.segment_vol is None else float(blk.segment_vol),
            float(blk.severity),
            float(blk.compression),
            _vol_scale(sc, list(blk.assets)),
        )
    return pr.gbm_path(s0, blk.diffusion(), sc.step, n, rng, _vol_scale(sc, list(blk.assets)))
