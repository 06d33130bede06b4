"""Price processes and the external-liquidity model of the risk lab, in float64 numpy (docs/risk-spec.md §3, §5).

Design
------
Every process draws from a caller-supplied ``numpy.random.Generator`` (build it from a
``numpy.random.SeedSequence`` so a path is reproducible alone) and returns prices shaped
``(n_paths, n_steps + 1, n_assets)`` (the ``*_paths`` functions) or ``(n_steps + 1, n_assets)``
for one path (the ``*_path`` wrappers, which are the vectorised function with ``n_paths = 1``).
Row 0 is the initial price. Times are seconds, rates and volatilities are per year
(``YEAR = 365 days``), ``dt = step_s / YEAR``.

All volatile processes share one log-space engine, :func:`log_paths`:

* correlated shocks ``Z_k = L_{r_k} eps_k`` with ``L L^T`` the equicorrelation matrix of the regime
  ``r_k`` (0 normal, 1 stressed; §3.1), the regime path from :func:`markov_regimes`;
* Merton jumps: per step ``N ~ Poisson(lambda dt)`` jumps ``J ~ N(mu_J, sigma_J^2)``; their sum is
  drawn exactly as ``N mu_J + sqrt(N) sigma_J xi`` (§3.2);
* free steps (GBM, §3.1): ``x_{k+1} = x_k + (mu - sigma_k^2/2) dt + sigma_k sqrt(dt) Z_k + J_k``;
* pinned segments (Brownian bridge, Gauntlet's method, §3.4): on a segment ``[s, e]`` with target
  ``x_T`` and ``n = e - s`` steps,
  ``x_{k+1} = x_k + (x_T - x_k)/(e - k) + sigma sqrt(dt) sqrt((e - k - 1)/(e - k)) Z_k + J_k``,
  jumps switched off on the final step, so ``x_e = x_T`` exactly (up to rounding). The recursion
  is linear: with ``d_k = x_k - x_T`` and ``u_k = d_k / (e - k)`` it reads
  ``u_{k+1} = u_k + s_k / (e - k - 1)``, which is evaluated with one cumulative sum (pathwise the
  same numbers as the loop, vectorised).

Built on it: :func:`gbm_paths` (no pins), :func:`bridge_paths` (one pin to a drawdown relative to
the level reached at the segment start), ``sim.crash.crash_paths`` (a crash whose size and timing
are drawn per path, with a sector component shared by the block), :func:`anchor_paths` (consecutive pins through published
anchor points, §3.5, with severity scaling and time compression, free GBM after the last anchor).
:func:`ou_paths` is the mean-reverting stable price with depeg jumps (§3.3; :func:`ou_paths_each`
draws one path from each of many generators and runs their recursion at once) and
:func:`apply_price_shocks` overlays scheduled jumps (a permanent multiplicative move from a step on).

The external-liquidity model (exit bid, depth, gas) is in ``sim.liquidity``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DAY_S",
    "YEAR_S",
    "Diffusion",
    "Pin",
    "anchor_path",
    "anchor_paths",
    "apply_price_shocks",
    "bridge_path",
    "bridge_paths",
    "cholesky_equicorrelation",
    "correlated_normals",
    "gbm_path",
    "gbm_paths",
    "log_paths",
    "markov_regimes",
    "merton_jumps",
    "ou_paths",
    "ou_paths_each",
    "rng_from",
    "to_prices",
]

YEAR_S: int = 31_536_000
DAY_S: int = 86_400

FloatArray = NDArray[np.float64]


def rng_from(seed: np.random.SeedSequence | int) -> np.random.Generator:
    """A PCG64 generator from a SeedSequence (or an int root seed)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return np.random.Generator(np.random.PCG64(ss))


@dataclass(frozen=True, slots=True)
class Diffusion:
    """Noise of a block of correlated log-prices (all per year; arrays broadcast to n_assets).

    ``sigma`` volatility, ``mu`` drift, ``corr_normal``/``corr_stressed`` pairwise
    (equi)correlations of the two regimes, ``stress_rate``/``calm_rate`` Markov switching
    intensities (normal -> stressed, stressed -> normal), ``initial_regime`` 0 or 1,
    ``jump_rate`` Poisson intensity of each asset's jumps, ``jump_mean``/``jump_std`` of the log
    jump size; ``jump_common`` the share of that intensity that is a **sector** jump, one draw
    shared by every asset of the block (the rest are idiosyncratic, independent per asset), so the
    per-asset jump law is unchanged and jump counts correlate by ``jump_common``; ``compensate``
    subtracts ``jump_rate (E[e^J] - 1)`` from the drift so that ``E[S_t] = S_0 e^{mu t}`` (jumps
    add risk, not an expected loss).
    """

    sigma: ArrayLike = 1.2
    mu: ArrayLike = 0.0
    corr_normal: float = 0.6
    corr_stressed: float = 0.85
    stress_rate: float = 0.0
    calm_rate: float = 0.0
    initial_regime: int = 0
    jump_rate: float = 0.0
    jump_mean: float = 0.0
    jump_std: float = 0.0
    jump_common: float = 0.0
    compensate: bool = False

    def jump_compensator(self) -> float:
        """``lambda (E[e^J] - 1)`` per year: the drift jumps add to ``E[S]`` (0 when off)."""
        if not self.compensate or self.jump_rate <= 0:
            return 0.0
        return self.jump_rate * float(np.expm1(self.jump_mean + 0.5 * self.jump_std**2))


@dataclass(frozen=True, slots=True)
class Pin:
    """A bridge segment from step ``start`` to step ``end`` (``0 <= start < end``).

    ``target`` is a log level per asset: absolute (``x_end = target``) when ``relative`` is
    False, else an offset from the level at ``start`` (``x_end = x_start + target``).
    ``sigma`` overrides the diffusion's volatility inside the segment when given.
    """

    start: int
    end: int
    target: ArrayLike
    relative: bool = False
    sigma: ArrayLike | None = None


# --- building blocks -------------------------------------------------------------------------


def cholesky_equicorrelation(n_assets: int, rho: float) -> FloatArray:
    """Lower Cholesky factor ``L`` of the n x n matrix with ones on the diagonal and ``rho`` off it.

    Valid for ``-1/(n-1) < rho < 1`` (and ``rho = 1`` handled as a rank-one factor).
    """
    if n_assets < 1:
        raise ValueError("n_assets must be >= 1")
    if not -1.0 / max(n_assets - 1, 1) <= rho <= 1.0:
        raise ValueError(f"correlation {rho} is not valid for {n_assets} assets")
    if rho >= 1.0:
        out = np.zeros((n_assets, n_assets))
        out[:, 0] = 1.0
        return out
    corr = np.full((n_assets, n_assets), float(rho))
    np.fill_diagonal(corr, 1.0)
    return np.linalg.cholesky(corr)


def markov_regimes(
    n_paths: int,
    n_steps: int,
    dt_years: float,
    stress_rate: float,
    calm_rate: float,
    rng: np.random.Generator,
    initial: int = 0,
) -> NDArray[np.int8]:
    """Two-state regime path per run: ``P(0->1) = 1 - exp(-stress_rate dt)``, ``P(1->0)`` likewise.

    Returns int8 ``(n_paths, n_steps)``; entry ``k`` is the regime of the step ``k -> k+1``.
    Draws nothing when both rates are zero (the regime stays ``initial``).
    """
    out = np.full((n_paths, n_steps), initial, dtype=np.int8)
    if stress_rate <= 0 and calm_rate <= 0:
        return out
    p_up = 1.0 - np.exp(-stress_rate * dt_years)
    p_down = 1.0 - np.exp(-calm_rate * dt_years)
    u = rng.random((n_paths, n_steps))
    state = np.full(n_paths, initial, dtype=np.int8)
    for k in range(n_steps):
        out[:, k] = state
        flip = np.where(state == 0, u[:, k] < p_up, u[:, k] < p_down)
        state = np.where(flip, 1 - state, state).astype(np.int8)
    return out


def correlated_normals(
    eps: FloatArray, regimes: NDArray[np.int8], chol_normal: FloatArray, chol_stressed: FloatArray
) -> FloatArray:
    """``Z = L_r eps`` per step: eps ``(P, N, K)`` iid N(0,1), regimes ``(P, N)`` -> ``(P, N, K)``."""
    z_normal = eps @ chol_normal.T
    if not regimes.any():
        return z_normal
    z_stressed = eps @ chol_stressed.T
    return np.where(regimes[..., None] == 1, z_stressed, z_normal)


def merton_jumps(
    n_paths: int,
    n_steps: int,
    n_assets: int,
    dt_years: float,
    rate: float,
    mean: float,
    std: float,
    rng: np.random.Generator,
) -> FloatArray:
    """Sum of the log jumps in each step: ``N mu_J + sqrt(N) sigma_J xi``, ``N ~ Poisson(rate dt)``.

    Exact in distribution for normal jump sizes. Returns zeros (drawing nothing) when rate is 0.
    """
    shape = (n_paths, n_steps, n_assets)
    if rate <= 0:
        return np.zeros(shape)
    counts = rng.poisson(rate * dt_years, size=shape).astype(np.float64)
    xi = rng.standard_normal(shape)
    return counts * mean + np.sqrt(counts) * std * xi


def to_prices(x: FloatArray, s0: ArrayLike) -> FloatArray:
    """``exp`` of log paths with row 0 set to the exact initial prices."""
    out = np.exp(x)
    out[:, 0, :] = np.atleast_1d(np.asarray(s0, dtype=np.float64))
    return out


def _broadcast(value: ArrayLike, n_assets: int) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    return np.broadcast_to(arr, (n_assets,)).astype(np.float64)


def log_paths(
    s0: ArrayLike,
    diffusion: Diffusion,
    dt_s: float,
    n_steps: int,
    rng: np.random.Generator,
    n_paths: int = 1,
    pins: Sequence[Pin] = (),
    vol_scale: ArrayLike | None = None,
) -> FloatArray:
    """Log prices ``(n_paths, n_steps + 1, n_assets)`` of a correlated block (module docstring).

    ``vol_scale`` (shape ``(n_steps,)`` or ``(n_steps, n_assets)``) multiplies the volatility of
    free steps (volatility shocks, §3.2); pinned segments use their own segment volatility. Pins must not overlap; they are applied in time order.
    Draw order (fixed, part of reproducibility): regimes, eps ``(P, N, K)``, idiosyncratic jump
    counts and sizes, then (only when ``jump_common > 0``) sector jump counts and sizes ``(P, N, 1)``.
    """
    s0_arr = np.atleast_1d(np.asarray(s0, dtype=np.float64))
    if np.any(s0_arr <= 0):
        raise ValueError("initial prices must be positive")
    n_assets = s0_arr.shape[0]
    dt = float(dt_s) / YEAR_S
    sigma = _broadcast(diffusion.sigma, n_assets)
    mu = _broadcast(diffusion.mu, n_assets) - diffusion.jump_compensator()
    if not 0.0 <= diffusion.jump_common <= 1.0:
        raise ValueError("jump_common must be a share in [0, 1]")
    sig_steps = np.broadcast_to(sigma, (n_steps, n_assets)).copy()
    if vol_scale is not None:
        scale = np.asarray(vol_scale, dtype=np.float64)
        sig_steps *= scale[:, None] if scale.ndim == 1 else scale
    regimes = markov_regimes(
        n_paths,
        n_steps,
        dt,
        diffusion.stress_rate,
        diffusion.calm_rate,
        rng,
        diffusion.initial_regime,
    )
    eps = rng.standard_normal((n_paths, n_steps, n_assets))
    z = correlated_normals(
        eps,
        regimes,
        cholesky_equicorrelation(n_assets, diffusion.corr_normal),
        cholesky_equicorrelation(n_assets, diffusion.corr_stressed),
    )
    jumps = merton_jumps(
        n_paths,
        n_steps,
        n_assets,
        dt,
        diffusion.jump_rate * (1.0 - diffusion.jump_common),
        diffusion.jump_mean,
        diffusion.jump_std,
        rng,
    )
    if diffusion.jump_common > 0:  # the sector jump: one draw per path and step, every asset
        jumps = jumps + merton_jumps(
            n_paths,
            n_steps,
            1,
            dt,
            diffusion.jump_rate * diffusion.jump_common,
            diffusion.jump_mean,
            diffusion.jump_std,
            rng,
        )
    sqdt = np.sqrt(dt)
    free_inc = (mu - 0.5 * sig_steps**2) * dt + sig_steps * sqdt * z + jumps  # (P, N, K)
    x = np.empty((n_paths, n_steps + 1, n_assets))
    x[:, 0, :] = np.log(s0_arr)
    pos = 0
    for pin in sorted(pins, key=lambda p: p.start):
        if not 0 <= pin.start < pin.end <= n_steps or pin.start < pos:
            raise ValueError(f"pin {pin.start}->{pin.end} is outside the path or overlaps another")
        if pin.start > pos:  # free steps up to the segment start
            x[:, pos + 1 : pin.start + 1, :] = x[:, pos : pos + 1, :] + np.cumsum(
                free_inc[:, pos : pin.start, :], axis=1
            )
        s, e = pin.start, pin.end
        target = _broadcast(pin.target, n_assets)
        x_t = x[:, s, :] + target if pin.relative else np.broadcast_to(target, x[:, s, :].shape)
        seg_sigma = sigma if pin.sigma is None else _broadcast(pin.sigma, n_assets)
        ks = np.arange(s, e)
        remaining = (e - ks).astype(np.float64)  # e - k, from n down to 1
        noise_factor = np.sqrt((remaining - 1.0) / remaining)  # zero on the final step
        s_k = seg_sigma * sqdt * noise_factor[None, :, None] * z[:, s:e, :]
        jmp = jumps[:, s:e, :].copy()
        jmp[:, -1, :] = 0.0  # no jump on the final step: the pin holds exactly
        s_k = s_k + jmp
        # u_{k+1} = u_k + s_k/(e-k-1) for k < e-1 ; d_k = (e-k) u_k ; d_e = 0
        u0 = (x[:, s, :] - x_t) / float(e - s)
        if e - s > 1:
            denom = (remaining[:-1] - 1.0)[None, :, None]
            u = u0[:, None, :] + np.cumsum(s_k[:, :-1, :] / denom, axis=1)  # u_{s+1} .. u_{e-1}
            d = u * (remaining[:-1] - 1.0)[None, :, None]
            x[:, s + 1 : e, :] = x_t[:, None, :] + d
        x[:, e, :] = x_t
        pos = e
    if pos < n_steps:
        x[:, pos + 1 :, :] = x[:, pos : pos + 1, :] + np.cumsum(free_inc[:, pos:, :], axis=1)
    return x


# --- public processes ------------------------------------------------------------------------


def gbm_paths(
    s0: ArrayLike,
    diffusion: Diffusion,
    dt_s: float,
    n_steps: int,
    rng: np.random.Generator,
    n_paths: int = 1,
    vol_scale: ArrayLike | None = None,
) -> FloatArray:
    """Correlated GBM with Merton jumps and regime-switching correlation (§3.1-3.2).

    ``S_{k+1} = S_k exp((mu - sigma^2/2) dt + sigma sqrt(dt) (L_r eps)_k + J_k)``.
    """
    return to_prices(log_paths(s0, diffusion, dt_s, n_steps, rng, n_paths, (), vol_scale), s0)


def gbm_path(
    s0: ArrayLike,
    diffusion: Diffusion,
    dt_s: float,
    n_steps: int,
    rng: np.random.Generator,
    vol_scale: ArrayLike | None = None,
) -> FloatArray:
    """One path of :func:`gbm_paths`: ``(n_steps + 1, n_assets)``."""
    out: FloatArray = gbm_paths(s0, diffusion, dt_s, n_steps, rng, 1, vol_scale)[0]
    return out


def bridge_paths(
    s0: ArrayLike,
    drawdown: ArrayLike,
    start_step: int,
    end_step: int,
    diffusion: Diffusion,
    dt_s: float,
    n_steps: int,
    rng: np.random.Generator,
    n_paths: int = 1,
    segment_sigma: ArrayLike | None = None,
    vol_scale: ArrayLike | None = None,
) -> FloatArray:
    """Brownian bridge to a target drawdown (Gauntlet's method, §3.4).

    Free GBM until ``start_step``; from there a bridge that reaches exactly
    ``S_end = S_start (1 - drawdown)`` at ``end_step``; free GBM afterwards. Jumps and the
    regime's correlation apply inside the bridge too (the pin absorbs them).
    """
    dd = np.asarray(drawdown, dtype=np.float64)
    if np.any(dd >= 1.0) or np.any(dd <= -10.0):
        raise ValueError("drawdown must be < 1 (a fraction of the price lost)")
    pin = Pin(start_step, end_step, np.log1p(-dd), relative=True, sigma=segment_sigma)
    return to_prices(log_paths(s0, diffusion, dt_s, n_steps, rng, n_paths, (pin,), vol_scale), s0)


def bridge_path(
    s0: ArrayLike,
    drawdown: ArrayLike,
    start_step: int,
    end_step: int,
    diffusion: Diffusion,
    dt_s: float,
    n_steps: int,
    rng: np.random.Generator,
    segment_sigma: ArrayLike | None = None,
    vol_scale: ArrayLike | None = None,
) -> FloatArray:
    """One path of :func:`bridge_paths`."""
    out: FloatArray = bridge_paths(
        s0,
        drawdown,
        start_step,
        end_step,
        diffusion,
        dt_s,
        n_steps,
        rng,
        1,
        segment_sigma,
        vol_scale,
    )[0]
    return out


def anchor_paths(
    s0: ArrayLike,
    anchor_times_s: Sequence[float],
    anchor_ratios: Sequence[float],
    diffusion: Diffusion,
    dt_s: float,
    n_steps: int,
    rng: np.random.Generator,
    n_paths: int = 1,
    segment_sigma: ArrayLike | None = None,
    severity: float = 1.0,
    compression: float = 1.0,
    vol_scale: ArrayLike | None = None,
) -> FloatArray:
    """Piecewise path through published anchors ``(t_i, S_0 r_i)`` (§3.5).

    Between consecutive anchors a log-space Brownian bridge with volatility ``segment_sigma``
    (default 1.5x the diffusion's sigma); free GBM after the last anchor. Severity scaling
    ``ln r -> s ln r``; time compression ``t -> t / c``. Anchor times are rounded to the nearest
    step; an anchor at ``t = 0`` must have ratio 1 (it is the start) and is otherwise refused.
    """
    if len(anchor_times_s) != len(anchor_ratios) or not anchor_times_s:
        raise ValueError("anchors need as many times as ratios, at least one")
    if severity <= 0 or compression <= 0:
        raise ValueError("severity and compression must be positive")
    n_assets = np.atleast_1d(np.asarray(s0)).shape[0]
    seg_sigma = (
        1.5 * _broadcast(diffusion.sigma, n_assets) if segment_sigma is None else segment_sigma
    )
    pins: list[Pin] = []
    prev = 0
    for t, r in zip(anchor_times_s, anchor_ratios, strict=True):
        if r <= 0:
            raise ValueError("anchor ratios must be positive")
        step = round(float(t) / compression / float(dt_s))
        if step == 0:
            if abs(float(r) - 1.0) > 1e-12:
                raise ValueError("an anchor at t = 0 must have ratio 1")
            continue
        if step <= prev or step > n_steps:
            raise ValueError("anchors must be increasing and within the horizon")
        target = np.log(np.atleast_1d(np.asarray(s0, dtype=np.float64))) + severity * np.log(r)
        pins.append(Pin(prev, step, target, relative=False, sigma=seg_sigma))
        prev = step
    return to_prices(log_paths(s0, diffusion, dt_s, n_steps, rng, n_paths, pins, vol_scale), s0)


def anchor_path(
    s0: ArrayLike,
    anchor_times_s: Sequence[float],
    anchor_ratios: Sequence[float],
    diffusion: Diffusion,
    dt_s: float,
    n_steps: int,
    rng: np.random.Generator,
    segment_sigma: ArrayLike | None = None,
    severity: float = 1.0,
    compression: float = 1.0,
    vol_scale: ArrayLike | None = None,
) -> FloatArray:
    """One path of :func:`anchor_paths`."""
    out: FloatArray = anchor_paths(
        s0,
        anchor_times_s,
        anchor_ratios,
        diffusion,
        dt_s,
        n_steps,
        rng,
        1,
        segment_sigma,
        severity,
        compression,
        vol_scale,
    )[0]
    return out


def ou_paths(
    p0: ArrayLike,
    half_life_s: float,
    sigma: ArrayLike,
    dt_s: float,
    n_steps: int,
    rng: np.random.Generator,
    n_paths: int = 1,
    depeg_rate: float = 0.0,
    depeg_level: float = 0.88,
    depeg_half_life_s: float = 3 * DAY_S,
    band: float = 0.005,
) -> FloatArray:
    """Mean-reverting stable price around 1 with depeg jumps (§3.3).

    ``p_{k+1} = 1 + (p_k - 1) e^{-theta dt} + sigma sqrt((1 - e^{-2 theta dt}) / (2 theta)) eps``,
    ``theta = ln 2 / half_life``. A depeg (per step with probability ``1 - exp(-depeg_rate dt)``,
    rate per year) sets ``p`` to ``depeg_level`` and switches to ``theta_d = ln 2 / depeg_half_life``
    until ``|p - 1| <= band``. Prices are floored at 0. Draw order: eps ``(P, N, K)``, then depeg
    uniforms when ``depeg_rate > 0``.
    """
    ou = _Ou(p0, half_life_s, sigma, dt_s, depeg_rate, depeg_level, depeg_half_life_s, band)
    return ou.evolve(*ou.draw(rng, (n_paths, n_steps, ou.n_assets)))


def ou_paths_each(
    p0: ArrayLike,
    half_life_s: float,
    sigma: ArrayLike,
    dt_s: float,
    n_steps: int,
    rngs: Sequence[np.random.Generator],
    depeg_rate: float = 0.0,
    depeg_level: float = 0.88,
    depeg_half_life_s: float = 3 * DAY_S,
    band: float = 0.005,
) -> FloatArray:
    """One path of :func:`ou_paths` per generator of ``rngs``, ``(len(rngs), N + 1, K)``: row
    ``p`` equals ``ou_paths(..., rngs[p], 1, ...)[0]`` bit for bit (each generator draws its own
    eps, then its uniforms; the recursion is elementwise, so evolving the rows together changes
    no operation), at the cost of one recursion for all of them."""
    ou = _Ou(p0, half_life_s, sigma, dt_s, depeg_rate, depeg_level, depeg_half_life_s, band)
    shape = (n_steps, ou.n_assets)
    drawn = [ou.draw(g, shape) for g in rngs]
    eps = np.stack([e for e, _ in drawn]) if drawn else np.empty((0, *shape))
    u = np.stack([v for _, v in drawn if v is not None]) if ou.jumps and drawn else None
    return ou.evolve(eps, u)


class _Ou:
    """The constants of :func:`ou_paths` (validated), its draws and its recursion."""

    def __init__(
        self,
        p0: ArrayLike,
        half_life_s: float,
        sigma: ArrayLike,
        dt_s: float,
        depeg_rate: float,
        depeg_level: float,
        depeg_half_life_s: float,
        band: float,
    ) -> None:
        self.p0 = np.atleast_1d(np.asarray(p0, dtype=np.float64))
        self.n_assets = self.p0.shape[0]
        if half_life_s <= 0 or depeg_half_life_s <= 0:
            raise ValueError("half-lives must be positive")
        self.sig = _broadcast(sigma, self.n_assets)
        dt = float(dt_s) / YEAR_S

        def coeffs(half_life: float) -> tuple[float, float]:
            theta = np.log(2.0) / (half_life / YEAR_S)
            decay = float(np.exp(-theta * dt))
            sd = float(np.sqrt((1.0 - np.exp(-2.0 * theta * dt)) / (2.0 * theta)))
            return decay, sd

        self.a_n, self.sd_n = coeffs(half_life_s)
        self.a_d, self.sd_d = coeffs(depeg_half_life_s)
        self.jumps = depeg_rate > 0
        self.p_jump = 1.0 - np.exp(-depeg_rate * dt) if self.jumps else 0.0
        self.level, self.band = depeg_level, band

    def draw(
        self, rng: np.random.Generator, shape: tuple[int, ...]
    ) -> tuple[FloatArray, FloatArray | None]:
        eps = rng.standard_normal(shape)
        return eps, (rng.random(shape) if self.jumps else None)

    def evolve(self, eps: FloatArray, u: FloatArray | None) -> FloatArray:
        n_paths, n_steps, n_assets = eps.shape
        out = np.empty((n_paths, n_steps + 1, n_assets))
        p = np.broadcast_to(self.p0, (n_paths, n_assets)).copy()
        depegged = np.zeros((n_paths, n_assets), dtype=bool)
        out[:, 0, :] = p
        for k in range(n_steps):
            a = np.where(depegged, self.a_d, self.a_n)
            sd = np.where(depegged, self.sd_d, self.sd_n)
            p = 1.0 + (p - 1.0) * a + self.sig * sd * eps[:, k, :]
            if u is not None:
                hit = u[:, k, :] < self.p_jump
                p = np.where(hit, self.level, p)
                depegged |= hit
            depegged &= np.abs(p - 1.0) > self.band
            p = np.maximum(p, 0.0)
            out[:, k + 1, :] = p
        return out


def apply_price_shocks(
    prices: FloatArray, shocks: Sequence[tuple[int, int, float]], inplace: bool = False
) -> FloatArray:
    """Scheduled shocks: each ``(step, asset, size)`` multiplies ``prices[..., step:, asset]`` by ``1 + size``.

    Works on one path ``(N+1, K)`` or many ``(P, N+1, K)``. ``size > -1`` (e.g. ``-0.5`` halves the
    price from that step on). An overlay: it also moves bridged segments after the shock.
    """
    out = prices if inplace else prices.copy()
    for step, asset, size in shocks:
        if size <= -1.0:
            raise ValueError("a price shock must keep the price positive (size > -1)")
        out[..., step:, asset] *= 1.0 + size
    return out
