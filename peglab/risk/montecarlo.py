"""Monte Carlo driver: N seeded paths on a process pool, streamed to disk, aggregated (risk.md §2, §6).

Design
------
* Seeds: path ``i`` uses ``SeedSequence(root, spawn_key=(i,))``, which is exactly
  ``SeedSequence(root).spawn(N)[i]``; so a run is reproducible alone and the seed list is never
  materialised. The bootstrap uses ``SeedSequence(root, spawn_key=(0xB007, 0))`` (a key of another
  length, so it never collides with a path).
* Work: ``run_path(scenario, path_index, seed_seq) -> PathResult`` is a parameter (the exact
  engine runner plugs in here; :func:`float_cdp_path` at the end of this file is the float
  reference model used by default and in tests). ``workers = 1`` runs in-process (full tracebacks, R6);
  otherwise a ``ProcessPoolExecutor`` with at most ``2 * workers`` chunks in flight (bounded
  memory). A rich progress bar shows paths done.
* Streaming: each result is written as it completes: one CSV row (``path`` + scalar metrics, header
  from the first result) and its small series into disk-backed ``.npy`` matrices
  (``series/<name>.npy``, float32, ``(N, n_points)``, via ``open_memmap``). Full series of the
  first ``keep_paths`` paths go to ``paths/path-<i>.csv``. RAM holds scalars only.
* Output (``out_dir``): ``paths.csv`` (rewritten sorted by path at the end, so the bytes do not
  depend on completion order), ``series/``, ``summary.json`` (deterministic: seed, scenario
  name + hash, peglab version, parameters, metrics with bootstrap CIs), ``timings.json`` (wall
  clock, throughput, workers: everything that varies between identical runs) and ``report.html``.
  Same seed -> identical ``summary.json`` bytes for any ``workers``.

Metric naming convention (the report and the summary rely on it): ``<metric>.<AI dollar>`` per
instance plus ``<metric>`` totals; loss-like metrics get tail measures (VaR/ES/EVaR): names
starting with ``bad_debt``, ``liquidated_usd`` (LaR), ``borrower_loss``, ``recap``, ``backstop``.
Series are sampled on :func:`report_grid`; ``peg.<D>`` (price), ``liquidated_usd.<D>`` (per
interval), ``cr.<D>`` (system collateral ratio).
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import InvalidInput
from ..sim.processes import exit_bid_one as _bid
from ..sim.results import PathResult, RunPath, assemble_result, report_grid
from ..sim.scenario import Collateral, Scenario, scenario_hash
from .measures import risk_summary

__all__ = [
    "TAIL_PREFIXES",
    "PathResult",
    "RunPath",
    "path_seed",
    "report_grid",
    "run_monte_carlo",
    "run_stress",
]

TAIL_PREFIXES: tuple[str, ...] = (
    "bad_debt",
    "liquidated_usd",
    "borrower_loss",
    "recap",
    "backstop",
)
BOOTSTRAP_KEY: tuple[int, int] = (0xB007, 0)


def path_seed(root: int, index: int) -> np.random.SeedSequence:
    """``SeedSequence(root).spawn(N)[index]`` without spawning the others."""
    return np.random.SeedSequence(root, spawn_key=(index,))


# --- worker side -----------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(run_path: RunPath, scenario: Scenario, root: int) -> None:
    _WORKER.update(run_path=run_path, scenario=scenario, root=root)


def _run_chunk(indices: Sequence[int]) -> list[tuple[int, PathResult]]:
    rp: RunPath = _WORKER["run_path"]
    sc: Scenario = _WORKER["scenario"]
    root: int = _WORKER["root"]
    out = []
    for i in indices:
        try:
            out.append((i, rp(sc, i, path_seed(root, i))))
        except Exception as e:
            e.add_note(f"while running path {i} (seed {root}); rerun it alone with workers=1")
            raise
    return out


# --- streaming writer ------------------------------------------------------------------------


class _Sink:
    """Writes results as they arrive: CSV rows, memmapped series, full series of kept paths."""

    def __init__(self, out: Path, n_paths: int, n_points: int, keep_paths: int) -> None:
        self.out, self.n_paths, self.n_points, self.keep = out, n_paths, n_points, keep_paths
        self.columns: list[str] | None = None
        self.series_names: list[str] | None = None
        self.maps: dict[str, np.memmap[Any, Any]] = {}
        (out / "series").mkdir(parents=True, exist_ok=True)
        (out / "paths").mkdir(exist_ok=True)
        self._fh = (out / "paths.csv").open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._fh)
        self.count = 0

    def add(self, index: int, res: PathResult) -> None:
        metrics = {k: float(v) for k, v in res.metrics.items()}
        if self.columns is None:
            self.columns = sorted(metrics)
            self._csv.writerow(["path", *self.columns])
            self.series_names = sorted(res.series)
            for name in self.series_names:
                self.maps[name] = np.lib.format.open_memmap(
                    self.out / "series" / f"{name}.npy",
                    mode="w+",
                    dtype=np.float32,
                    shape=(self.n_paths, self.n_points),
                )
        if sorted(metrics) != self.columns:
            raise InvalidInput(
                "stress/inconsistent-metrics",
                f"path {index} returned metrics {sorted(metrics)}, expected {self.columns}",
            )
        self._csv.writerow([index, *(repr(metrics[c]) for c in self.columns)])
        assert self.series_names is not None
        for name in self.series_names:
            arr = np.asarray(res.series[name], dtype=np.float64)
            if arr.shape != (self.n_points,):
                raise InvalidInput(
                    "stress/bad-series",
                    f"path {index}: series {name!r} has shape {arr.shape}, expected ({self.n_points},)",
                )
            self.maps[name][index] = arr
        if index < self.keep and self.series_names:
            with (self.out / "paths" / f"path-{index:05d}.csv").open("w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["point", *self.series_names])
                for j in range(self.n_points):
                    w.writerow([j, *(repr(float(res.series[n][j])) for n in self.series_names)])
        self.count += 1
        if self.count % 64 == 0:
            self._fh.flush()

    def close(self) -> None:
        self._fh.close()
        for m in self.maps.values():
            m.flush()
        self.maps.clear()


def _chunks(n: int, size: int) -> Iterator[list[int]]:
    for start in range(0, n, size):
        yield list(range(start, min(n, start + size)))


def _progress(enabled: bool, total: int, label: str) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )


def run_monte_carlo(
    scenario: Scenario,
    run_path: RunPath,
    *,
    paths: int,
    seed: int,
    out_dir: str | Path,
    workers: int = 1,
    keep_paths: int = 3,
    progress: bool = True,
    n_resamples: int = 1000,
) -> dict[str, Any]:
    """Run ``paths`` paths, stream them to ``out_dir``, aggregate, return the summary dict."""
    _check_int(paths, "paths", 1, 10_000_000)
    _check_int(seed, "seed", 0, 2**63 - 1)
    _check_int(workers, "workers", 1, 1024)
    _check_int(keep_paths, "keep_paths", 0, 10_000)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InvalidInput(
            "stress/bad-out-dir", f"cannot create {out}: {e.strerror or e}"
        ) from None
    grid = report_grid(scenario.n_steps)
    sink = _Sink(out, paths, len(grid), keep_paths)
    t0 = time.perf_counter()
    try:
        with _progress(progress, paths, scenario.name) as bar:
            task = bar.add_task(f"{scenario.name} x{paths}", total=paths)
            if workers == 1:
                _init_worker(run_path, scenario, seed)
                for i in range(paths):
                    ((idx, res),) = _run_chunk([i])
                    sink.add(idx, res)
                    bar.advance(task)
            else:
                chunk = max(1, min(64, paths // (workers * 8)))
                with ProcessPoolExecutor(
                    max_workers=workers,
                    initializer=_init_worker,
                    initargs=(run_path, scenario, seed),
                ) as pool:
                    pending: set[Future[list[tuple[int, PathResult]]]] = set()
                    source = _chunks(paths, chunk)
                    for c in source:
                        pending.add(pool.submit(_run_chunk, c))
                        if len(pending) >= 2 * workers:
                            break
                    while pending:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for fut in done:
                            for idx, res in fut.result():
                                sink.add(idx, res)
                                bar.advance(task)
                            nxt = next(source, None)
                            if nxt is not None:
                                pending.add(pool.submit(_run_chunk, nxt))
    finally:
        sink.close()
    wall = time.perf_counter() - t0
    _sort_csv(out / "paths.csv")
    summary = aggregate(out, scenario, run_path, paths=paths, seed=seed, n_resamples=n_resamples)
    timings = {
        "workers": workers,
        "wall_s": round(wall, 3),
        "paths_per_s": round(paths / wall, 3) if wall > 0 else None,
        "path_steps_per_s": round(paths * scenario.n_steps / wall, 1) if wall > 0 else None,
        "cpu_count": os.cpu_count(),
    }
    (out / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    return summary


def _check_int(value: object, name: str, lo: int, hi: int) -> None:
    if type(value) is not int or not lo <= value <= hi:
        raise InvalidInput(
            f"stress/bad-{name.replace('_', '-')}",
            f"{name} must be an integer in [{lo}, {hi}], got {value!r}",
        )


def _sort_csv(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return
    header, body = rows[0], rows[1:]
    body.sort(key=lambda r: int(r[0]))
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(body)
    tmp.replace(path)


def read_paths_csv(path: Path) -> tuple[list[str], np.ndarray]:
    """Columns (without ``path``) and the float matrix ``(N, columns)`` of a paths.csv."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        data = np.array([[float(x) for x in row[1:]] for row in reader], dtype=np.float64)
    return header[1:], data.reshape(-1, len(header) - 1)


def aggregate(
    out: Path,
    scenario: Scenario,
    run_path: RunPath,
    *,
    paths: int,
    seed: int,
    n_resamples: int = 1000,
) -> dict[str, Any]:
    """Read ``paths.csv`` and write ``summary.json`` (metrics with bootstrap CIs)."""
    columns, data = read_paths_csv(out / "paths.csv")
    boot = np.random.SeedSequence(seed, spawn_key=BOOTSTRAP_KEY)
    metrics: dict[str, Any] = {}
    for j, name in enumerate(columns):
        col = data[:, j]
        finite = col[np.isfinite(col)]
        if finite.size == 0:
            metrics[name] = {"n": 0}
            continue
        child = np.random.SeedSequence(boot.entropy, spawn_key=(*BOOTSTRAP_KEY, j + 1))
        metrics[name] = risk_summary(
            finite, seed=child, tail=name.startswith(TAIL_PREFIXES), n_resamples=n_resamples
        )
    grid = report_grid(scenario.n_steps)
    summary: dict[str, Any] = {
        "peglab_version": __version__,
        "scenario": {
            "name": scenario.name,
            "hash": scenario_hash(scenario),
            "description": scenario.description,
            "sources": list(scenario.sources),
        },
        "seed": seed,
        "paths": paths,
        "parameters": {
            "horizon_s": scenario.horizon,
            "step_s": scenario.step,
            "n_steps": scenario.n_steps,
            "run_path": f"{getattr(run_path, '__module__', '?')}:{getattr(run_path, '__qualname__', repr(run_path))}",
            "bootstrap_resamples": n_resamples,
            "ci_level": 0.95,
            "var_method": "nearest rank",
            "series_times_s": [int(k) * scenario.step for k in grid],
        },
        "metrics": metrics,
    }
    text = json.dumps(summary, indent=2, sort_keys=True, allow_nan=False) + "\n"
    (out / "summary.json").write_text(text, encoding="utf-8")
    return summary


def run_stress(
    name_or_file: str | Path,
    paths: int,
    seed: int,
    out_dir: str | Path,
    workers: int = 1,
    run_path: RunPath | None = None,
    *,
    report: bool = True,
    progress: bool = True,
    keep_paths: int = 3,
    n_resamples: int = 1000,
) -> dict[str, Any]:
    """Load a scenario (library name or file), run the Monte Carlo, write outputs and the report.

    ``run_path`` defaults to the exact engine (``peglab.sim.runner.run_path``); pass
    :func:`float_cdp_path` for the float reference model. Returns the summary.
    """
    from .library import load_scenario

    scenario = load_scenario(name_or_file)
    if run_path is None:  # the exact integer engine is the default model
        from ..sim.runner import run_path as exact_run_path

        rp: RunPath = exact_run_path
    else:
        rp = run_path
    summary = run_monte_carlo(
        scenario,
        rp,
        paths=paths,
        seed=seed,
        out_dir=out_dir,
        workers=workers,
        keep_paths=keep_paths,
        progress=progress,
        n_resamples=n_resamples,
    )
    if report:
        from .report import render_report

        render_report(out_dir)
    return summary


# --- float reference model -------------------------------------------------------------------
#
# A float64 model of the AI-dollar system under one price path, built from the scenario's
# processes: the default ``run_path`` until the exact engine runner lands, and the model the
# tests use. Per step, per ilk: stability fees accrue; borrowers outside ``target +- band`` act
# with ``p_attend`` per day (top up / repay from a budget; panic-close after a 24 h drop);
# the OSM (hop delay, deviation guard, max_age staleness, oracle shocks) values collateral;
# keepers bark unsafe vaults after their latency within the ilk's ``hole``; Dutch auctions
# (stair-step / linear / exponential ``calc``, ``tail``/``cusp`` resets) are taken when the price
# is below the external exit bid less margin and gas, up to the keepers' free capital (recycled
# after ``recycle``); English (Flipper-like) auctions settle after ``tau`` at the best bid seen,
# or at a zero bid if no keeper was bidding. Per AI dollar, a normalised 2-coin StableSwap curve
# with the USDC pool's A carries the peg: borrower repayments and keepers' purchases buy the coin,
# panic sellers sell it, PSM arbitrage caps it at ``1 + tin`` / floors it at ``1 - tout`` while
# the PSM has room / inventory, and LPs withdraw under stress. At the horizon, open auctions are
# marked to the exit bid; the deficit ``due + incentives - recovered - fees`` goes through the
# waterfall: surplus buffer -> bad_debt, project backstop, governance-token recap (up to the recap
# limit) -> bad_debt_final.

_KEEPER_POOL_BUY_SHARE = 0.5  # [O] share of keepers' auction payments bought on the AI USD pool
_YEAR_S = 31_536_000.0
_BUY_LIMIT = 1.10  # [O] deleveraging buyers stop above $1.10 (DAI traded 1.06-1.12, risk.md V1)


def _stableswap_curve(amp: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2-coin StableSwap with ``D = 1``: grid ``x``, balance ``y(x)``, price of x in y ``-dy/dx``.

    ``Ann (x + y) + D = Ann D + D^3 / (4 x y)`` with ``Ann = 2 A`` (A the contract value, amm.md):
    ``y = (-b + sqrt(b^2 + Ann / x)) / (2 Ann)``, ``b = Ann x + 1 - Ann``; the price follows from
    implicit differentiation, ``(Ann + 1/(4 x^2 y)) / (Ann + 1/(4 x y^2))``.
    """
    ann = 2.0 * amp
    x = np.geomspace(1e-3, 50.0, 6000)
    b = ann * x + 1.0 - ann
    y = (-b + np.sqrt(b * b + ann / x)) / (2.0 * ann)
    price = (ann + 1.0 / (4.0 * x * x * y)) / (ann + 1.0 / (4.0 * x * y * y))
    return x, y, price


class _Peg:
    """One AI dollar's USDC pool on the normalised curve: state ``r = x / D`` and depth ``D``."""

    def __init__(self, amp: int, depth_usd: float, fee: float) -> None:
        self.x, self.y, self.p = _stableswap_curve(amp)
        self.r = 0.5
        self.depth0 = self.depth = depth_usd  # D ~ TVL at balance
        self.fee = fee

    def price(self) -> float:
        return float(np.interp(self.r, self.x, self.p))

    def _r_at_price(self, target: float) -> float:
        return float(np.interp(target, self.p[::-1], self.x[::-1]))

    def _r_at_y(self, y: float) -> float:
        return float(np.interp(y, self.y[::-1], self.x[::-1]))

    def sell(self, amount: float, depth: float) -> None:
        """Sell ``amount`` AI USD into the pool."""
        if amount > 0 and depth > 0:
            self.r = min(self.x[-1], self.r + amount * (1 - self.fee) / depth)

    def buy(self, usdc: float, depth: float, limit: float = _BUY_LIMIT) -> None:
        """Spend up to ``usdc`` on AI USD without pushing its price above ``limit``."""
        if usdc > 0 and depth > 0:
            y_now = float(np.interp(self.r, self.x, self.y))
            r_new = self._r_at_y(y_now + usdc * (1 - self.fee) / depth)
            self.r = max(r_new, self._r_at_price(limit), float(self.x[0]))

    def move_to_price(self, target: float, depth: float, cap: float) -> float:
        """Trade AI USD towards ``target`` price, at most ``cap`` coins; returns signed coins sold."""
        if depth <= 0 or cap <= 0:
            return 0.0
        dr = self._r_at_price(target) - self.r
        coins = max(-cap, min(cap, dr * depth))
        self.r += coins / depth
        return coins


def _osm(
    source: np.ndarray, ok: np.ndarray, step_s: int, hop: int, max_age: int, max_jump: float = 0.4
) -> tuple[np.ndarray, np.ndarray]:
    """OSM value (cur) and validity per step (cdp.md §7.2-7.4), from a source feed and its ok flags."""
    n1 = source.shape[0]
    val = np.empty(n1)
    valid = np.empty(n1, dtype=bool)
    cur = nxt = float(source[0])
    zzz = 0
    pending: float | None = None
    for k in range(n1):
        t = k * step_s
        if t >= zzz + hop and ok[k]:
            v = float(source[k])
            cur = nxt
            if (
                cur > 0
                and abs(v / cur - 1.0) > max_jump
                and not (pending is not None and abs(v / pending - 1.0) <= 0.02)
            ):
                pending = v  # held by the deviation guard: nxt unchanged
            else:
                nxt, pending = v, None
            zzz = t - t % hop
        val[k] = cur
        valid[k] = t - zzz <= max_age
    return val, valid


def _clip_price(c: Collateral, top: float, age: float) -> float:
    """Dutch auction price at ``age`` seconds (cdp.md §8.3 ``calc``)."""
    if c.calc == "linear":
        return top * max(0.0, (c.tau - age) / c.tau)
    if c.calc == "exponential":
        return top * math.pow(float(c.cut), age)
    return top * float(c.cut) ** math.floor(age / c.step)


def _crossing_age(c: Collateral, top: float, thr: float) -> float:
    """First age at which the auction price is at or below ``thr`` (inf if never)."""
    if thr <= 0:
        return math.inf
    if thr >= top:
        return 0.0
    ratio = math.log(thr / top)
    if c.calc == "linear":
        return c.tau * (1.0 - thr / top)
    if c.calc == "exponential":
        return ratio / math.log(float(c.cut))
    return math.ceil(ratio / math.log(float(c.cut)) - 1e-12) * c.step


def _floor_age(c: Collateral, top: float) -> float:
    """Age after which the auction needs a reset: past ``tail`` or below ``cusp * top``."""
    cusp = float(c.cusp)
    if c.calc == "linear":
        below = c.tau * (1.0 - cusp)
    elif c.calc == "exponential":
        below = math.log(cusp) / math.log(float(c.cut))
    else:
        below = (math.floor(math.log(cusp) / math.log(float(c.cut))) + 1) * c.step
    return min(float(c.tail), below - 1e-9)


def float_cdp_path(sc: Scenario, path_index: int, seed_seq: np.random.SeedSequence) -> PathResult:
    """Float reference model of the scenario's AI dollars under one seeded price path."""
    from ..sim.processes import gas_multiplier, rng_from, running_drawdown
    from ..sim.scenario import draw_vaults, oracle_modes, shock_factor, simulate_prices

    rng = rng_from(seed_seq)
    prices = simulate_prices(sc, rng)
    n, dt = sc.n_steps, sc.step
    idx = sc.asset_index
    ag, liq = sc.agents, sc.liquidity
    impact, delta = float(liq.impact), float(liq.delta)
    dd = running_drawdown(prices)
    volatile = [idx[a.symbol] for a in sc.assets if a.kind in ("ai-token", "major")]
    dd_sys = dd[:, volatile].max(axis=1) if volatile else np.zeros(n + 1)
    gas = np.maximum(
        gas_multiplier(dd_sys, float(liq.gas_spike), float(liq.gas_full_at)),
        shock_factor(sc, "gas"),
    )
    ext_factor = shock_factor(sc, "depth", target="external")
    pool_factor = shock_factor(sc, "depth", target="pools")
    cap_factor = shock_factor(sc, "keepers", "capital_factor")
    lat_factor = shock_factor(sc, "keepers", "latency_factor")
    modes, msize = oracle_modes(sc)
    usdc = next((idx[a.symbol] for a in sc.assets if a.kind == "stable"), None)
    gov = next((idx[a.symbol] for a in sc.assets if a.kind == "governance"), None)
    kp, bw = ag.keepers, ag.borrowers
    day_frac = dt / 86_400.0
    p_act = 1.0 - (1.0 - float(bw.p_attend)) ** day_frac
    p_panic = 1.0 - (1.0 - float(bw.p_panic)) ** day_frac
    panic_steps = max(1, round(bw.panic_window / dt))
    recycle_steps = max(1, round(kp.recycle / dt))
    dt_h = dt / 3600.0

    # --- set up ilks and dollars (draw order: vaults, keepers, then per-step draws) ---
    ilks: list[dict[str, Any]] = []
    for d_i, dol in enumerate(sc.system.ai_dollars):
        for c in dol.collaterals:
            a = idx[c.asset]
            asset = sc.assets[a]
            debt, ink, target = draw_vaults(c, float(prices[0, a]), rng)
            lo, hi = kp.latency_steps
            lat = rng.integers(lo, hi + 1, size=kp.count) if kp.count else np.zeros(0, int)
            caps = rng.uniform(float(kp.capital[0]), float(kp.capital[1]), size=kp.count)
            # oracle source: manipulated prints, frozen feeds, stale (no update) windows
            src = prices[:, a] * np.where(modes[:, a] == 3, 1.0 + msize[:, a], 1.0)
            frozen = modes[:, a] == 1
            for k in range(1, n + 1):
                if frozen[k]:
                    src[k] = src[k - 1]
            osm, valid = _osm(src, modes[:, a] != 2, dt, c.hop, c.max_age)
            d10 = float(asset.d10_usd) if asset.d10_usd is not None else 1e30
            hole = float(c.hole_usd) if c.hole_usd is not None else 0.5 * d10
            ilks.append(
                {
                    "d": d_i,
                    "c": c,
                    "a": a,
                    "debt": debt,
                    "ink": ink,
                    "target": target,
                    "budget": float(bw.budget) * debt * target,
                    "active": np.ones(len(debt), bool),
                    "any_active": True,
                    "unsafe_since": np.full(len(debt), -1),
                    "osm": osm * (1 - float(c.haircut)),
                    "valid": valid,
                    "lat": lat,
                    "free": float(caps.sum()) * float(c.vaults.debt_usd),
                    "release": np.zeros(n + 2),
                    "hole": hole,
                    "depth": d10 * np.exp(-float(liq.kappa) * dd[:, a]) * ext_factor,
                    "growth": (1.0 + float(c.apr)) ** (dt / _YEAR_S),
                    "auc": [],  # open auctions: dicts
                }
            )
    nd = len(sc.system.ai_dollars)
    st = {
        k: np.zeros(nd)
        for k in (
            "due",
            "recovered",
            "incentives",
            "fees",
            "liquidated",
            "barks",
            "zero",
            "given",
            "cleared_due",
            "proceeds_mkt",
            "take_value",
            "keeper",
            "clear_time",
            "closed",
        )
    }
    liq_step = np.zeros((nd, n + 1))
    cr_series = np.ones((nd, n + 1))
    pegs: list[_Peg | None] = []
    psm_room = np.zeros(nd)
    psm_inv = np.zeros(nd)
    for d_i, dol in enumerate(sc.system.ai_dollars):
        pool = next(
            (
                p
                for p in sc.system.pools
                if dol.symbol in p.coins
                and p.kind == "stableswap"
                and any(x in idx and sc.assets[idx[x]].kind == "stable" for x in p.coins)
            ),
            None,
        )
        pegs.append(
            None if pool is None else _Peg(pool.A, float(pool.depth_usd), float(pool.fee_bps) / 1e4)
        )
        if dol.psm is not None:
            psm_room[d_i] = float(dol.psm.line_usd) - float(dol.psm.inventory_usd)
            psm_inv[d_i] = float(dol.psm.inventory_usd)
    lp_rate = np.ones((nd, n + 1))
    for sh in sc.shocks:
        if sh.kind == "lp-withdraw":
            dur = sh.duration or (sc.horizon - sh.at) or dt
            per_step = (1.0 - float(sh.fraction)) ** (dt / dur)
            start = sc.step_of(sh.at)
            stop = sc.step_of(sh.at + dur)
            for d_i, dol in enumerate(sc.system.ai_dollars):
                hit = [p for p in sc.system.pools if dol.symbol in p.coins]
                if not sh.pools or any(p.id in sh.pools for p in hit):
                    lp_rate[d_i, start + 1 : stop + 1] *= per_step
    peg = np.ones((nd, n + 1))
    below_since = np.full(nd, -1)
    calm_since = np.zeros(nd, dtype=int)
    margin = float(kp.margin)

    for d_i in range(nd):
        coll0 = sum(float((il["ink"] * prices[0, il["a"]]).sum()) for il in ilks if il["d"] == d_i)
        debt0_ = sum(float(il["debt"].sum()) for il in ilks if il["d"] == d_i)
        cr_series[d_i, 0] = coll0 / debt0_ if debt0_ > 0 else np.nan

    for k in range(1, n + 1):
        buy_usd = np.zeros(nd)
        owe_paid = np.zeros(nd)
        for il in ilks:
            c, a, d_i = il["c"], il["a"], il["d"]
            p = float(prices[k, a])
            act = il["active"]
            debt, ink = il["debt"], il["ink"]
            il["free"] += il["release"][k]
            if not il["auc"] and not il["any_active"]:
                continue  # every vault closed or liquidated and no auction open
            # fees
            before = debt[act].sum()
            debt[act] *= il["growth"]
            st["fees"][d_i] += debt[act].sum() - before
            # borrowers
            u = rng.random(len(debt))
            u2 = rng.random(len(debt))
            cr = np.where(debt > 0, ink * p / np.maximum(debt, 1e-300), np.inf)
            low = act & (cr < il["target"] - float(bw.band)) & (u < p_act)
            top_up = low & (u2 < float(bw.p_topup))
            repay = low & ~top_up & (u2 < float(bw.p_topup) + float(bw.p_repay))
            if top_up.any():
                need = np.clip(debt[top_up] * il["target"][top_up] - ink[top_up] * p, 0, None)
                amt = np.minimum(need, il["budget"][top_up])
                ink[top_up] += amt / p
                il["budget"][top_up] -= amt
            if repay.any():
                need = np.clip(debt[repay] - ink[repay] * p / il["target"][repay], 0, None)
                amt = np.minimum(need, il["budget"][repay])
                debt[repay] -= amt
                il["budget"][repay] -= amt
                buy_usd[d_i] += amt.sum()
            window_max = prices[max(0, k - panic_steps) : k + 1, a].max()
            if p < (1.0 - float(bw.panic_drop)) * window_max:
                pan = act & (rng.random(len(debt)) < p_panic) & (il["budget"] >= debt)
                if pan.any():
                    buy_usd[d_i] += debt[pan].sum()
                    il["budget"][pan] -= debt[pan]
                    debt[pan] = 0.0
                    act &= ~pan
            # keepers: participation
            il["any_active"] = bool(act.any())
            n_k = len(il["lat"])
            if n_k:
                dropped = (gas[k] > float(kp.dropout_gas)) & (
                    rng.random(n_k) < float(kp.dropout_prob)
                )
                share = float((~dropped).sum()) / n_k
                min_lat = float(il["lat"].min()) * lat_factor[k]
            else:
                share, min_lat = 0.0, math.inf
            avail = il["free"] * share * cap_factor[k]
            # barks
            osm, valid = il["osm"][k], il["valid"][k]
            if valid and osm > 0:
                unsafe = act & (debt > 0) & (ink * osm < float(c.mat) * debt)
                il["unsafe_since"][unsafe & (il["unsafe_since"] < 0)] = k
                il["unsafe_since"][~unsafe] = -1
                ready = np.flatnonzero(unsafe & (k - il["unsafe_since"] >= min_lat))
                room = il["hole"] - sum(x["tab"] for x in il["auc"])
                for v in ready:
                    if room <= 0:
                        break
                    full_tab = debt[v] * float(c.chop)
                    f = min(1.0, room / full_tab)
                    if f < 1.0 and debt[v] * (1 - f) < float(c.dust):
                        f = 1.0
                    due, lot = debt[v] * f, ink[v] * f
                    tab = due * float(c.chop)
                    debt[v] -= due
                    ink[v] -= lot
                    if f >= 1.0:
                        act[v] = False
                        debt[v] = ink[v] = 0.0
                    room -= tab
                    coin = float(c.tip) + float(c.chip) * tab
                    st["incentives"][d_i] += coin
                    st["due"][d_i] += due
                    st["liquidated"][d_i] += lot * p
                    st["barks"][d_i] += 1
                    liq_step[d_i, k] += lot * p
                    il["auc"].append(
                        {
                            "tab": tab,
                            "lot": lot,
                            "top": float(c.buf) * osm,
                            "tic": k,
                            "kick": k,
                            "due": due,
                            "owner": v,
                            "given": 0.0,
                            "best": 0.0,
                            "best_unit": 0.0,
                            "end": k + max(1, math.ceil(c.tau / dt)),
                        }
                    )
            # auctions
            sold = 0.0
            depth = float(il["depth"][k])
            gas_cost = float(kp.gas_usd) * float(gas[k])
            still = []
            for au in il["auc"]:
                closed = False
                owe = sl = 0.0
                take = False
                if c.auction == "english":
                    if avail > 0:
                        unit = _bid(sold + au["lot"], p, depth, impact, delta) * (1 - margin)
                        bid = min(au["tab"], au["lot"] * unit - gas_cost, avail)
                        if bid > au["best"]:
                            au["best"], au["best_unit"] = bid, unit
                    if k >= au["end"]:
                        closed = take = True
                        if au["best"] > 0:
                            owe = au["best"]
                            sl = (
                                min(au["lot"], owe / au["best_unit"])
                                if owe >= au["tab"]
                                else au["lot"]
                            )
                        else:
                            sl = au["lot"]  # won by a zero bid
                            st["zero"][d_i] += 1
                else:
                    age = float((k - au["tic"]) * dt)
                    cross = math.inf
                    if avail > 0:
                        unit = _bid(sold + au["lot"], p, depth, impact, delta) * (1 - margin)
                        thr = unit - gas_cost / max(au["lot"], 1e-300)
                        cross = _crossing_age(c, au["top"], thr)
                    floor_age = _floor_age(c, au["top"])
                    if cross <= age and cross <= floor_age:
                        price = _clip_price(c, au["top"], cross)
                        sl = min(au["lot"], avail / price)
                        owe = sl * price
                        if owe >= au["tab"]:
                            owe, sl = au["tab"], au["tab"] / price
                        avail -= owe
                        take = True
                        closed = au["tab"] - owe <= 1e-9 * au["due"] or au["lot"] - sl <= 1e-12
                    elif age > floor_age and valid and osm > 0:  # redo at the current feed
                        au["tic"], au["top"] = k, float(c.buf) * osm
                        st["incentives"][d_i] += float(c.tip) + float(c.chip) * au["tab"]
                if take:
                    proceeds = sl * _bid(sold + sl, p, depth, impact, delta)
                    sold += sl
                    il["free"] -= owe
                    if owe > 0:
                        il["release"][min(n + 1, k + recycle_steps)] += proceeds
                    st["keeper"][d_i] += proceeds - owe - gas_cost
                    st["recovered"][d_i] += owe
                    owe_paid[d_i] += owe
                    st["take_value"][d_i] += sl * p
                    st["proceeds_mkt"][d_i] += owe
                    au["given"] += sl * p
                    au["tab"] = max(0.0, au["tab"] - owe)
                    au["lot"] = max(0.0, au["lot"] - sl)
                if closed:
                    if au["lot"] > 0 and au["tab"] <= 1e-9 * au["due"]:
                        v = au["owner"]
                        if act[v]:
                            ink[v] += au["lot"]
                        au["lot"] = 0.0
                    st["given"][d_i] += au["given"]
                    st["cleared_due"][d_i] += au["due"]
                    st["clear_time"][d_i] += (k - au["kick"]) * dt
                    st["closed"][d_i] += 1
                else:
                    still.append(au)
            il["auc"] = still
        # peg per dollar
        for d_i, dol in enumerate(sc.system.ai_dollars):
            pg = pegs[d_i]
            usd = float(prices[k, usdc]) if usdc is not None else 1.0
            if pg is None:
                peg[d_i, k] = usd
                continue
            pg.depth *= lp_rate[d_i, k]
            depth = pg.depth * pool_factor[k]
            pg.buy(buy_usd[d_i] + _KEEPER_POOL_BUY_SHARE * owe_paid[d_i], depth)
            supply = sum(il["debt"][il["active"]].sum() for il in ilks if il["d"] == d_i)
            price = pg.price()
            uncovered = max(
                0.0,
                st["due"][d_i]
                + st["incentives"][d_i]
                - st["recovered"][d_i]
                - sum(x["tab"] for il in ilks if il["d"] == d_i for x in il["auc"]),
            )
            ps = ag.panic_sellers
            if ps.enabled and supply > 0:
                stress = (
                    1.0 if price < float(ps.trigger_price) else min(1.0, uncovered / supply / 0.02)
                )
                pg.sell(float(ps.sell_rate) * dt_h * supply * stress, depth)
            arb = ag.arbitrageurs
            if arb.enabled and dol.psm is not None:
                tin, tout = float(dol.psm.tin), float(dol.psm.tout)
                cap = float(arb.capital_usd)
                price = pg.price()
                if price > (1 + tin) * (1 + pg.fee):
                    sold_coins = pg.move_to_price(
                        (1 + tin) * (1 + pg.fee), depth, min(cap, psm_room[d_i])
                    )
                    psm_room[d_i] -= max(0.0, sold_coins)
                    psm_inv[d_i] += max(0.0, sold_coins)
                elif price < (1 - tout) * (1 - pg.fee):
                    sold_coins = pg.move_to_price(
                        (1 - tout) * (1 - pg.fee), depth, min(cap, psm_inv[d_i])
                    )
                    psm_inv[d_i] -= max(0.0, -sold_coins)
                    psm_room[d_i] += max(0.0, -sold_coins)
            price = pg.price()
            lps = ag.lps
            share_x = pg.r / (pg.r + float(np.interp(pg.r, pg.x, pg.y)))
            if price < float(lps.trigger_price):
                below_since[d_i] = k if below_since[d_i] < 0 else below_since[d_i]
            else:
                below_since[d_i] = -1
            stressed = (
                below_since[d_i] >= 0 and (k - below_since[d_i]) * dt >= lps.trigger_duration
            ) or not (1 - float(lps.imbalance) <= share_x <= float(lps.imbalance))
            if stressed:
                pg.depth = max(0.05 * pg.depth0, pg.depth * (1 - float(lps.withdraw_rate) * dt_h))
                calm_since[d_i] = k
            elif (k - calm_since[d_i]) * dt >= lps.calm_return:
                pg.depth = min(pg.depth0, pg.depth * (1 + float(lps.withdraw_rate) * dt_h))
            peg[d_i, k] = price * usd
        for d_i in range(nd):
            coll = sum(
                float((il["ink"][il["active"]] * prices[k, il["a"]]).sum())
                for il in ilks
                if il["d"] == d_i
            )
            dbt = sum(float(il["debt"][il["active"]].sum()) for il in ilks if il["d"] == d_i)
            cr_series[d_i, k] = coll / dbt if dbt > 0 else np.nan
    # --- horizon: mark open auctions, waterfall, metrics ---
    gov_price = float(prices[-1, gov]) if gov is not None else math.nan
    for il in ilks:
        d_i, p = il["d"], float(prices[-1, il["a"]])
        for au in il["auc"]:
            unit = _bid(au["lot"], p, float(il["depth"][-1]), impact, delta) * (1 - margin)
            rec = min(au["tab"], au["lot"] * unit)
            st["recovered"][d_i] += rec
    deficits = [
        max(0.0, st["due"][d_i] + st["incentives"][d_i] - st["recovered"][d_i] - st["fees"][d_i])
        for d_i in range(nd)
    ]
    outcomes = [
        {
            "liquidated": st["liquidated"][d_i],
            "barks": st["barks"][d_i],
            "zero": st["zero"][d_i],
            "proceeds": st["proceeds_mkt"][d_i],
            "take_value": st["take_value"][d_i],
            "clear_time": st["clear_time"][d_i],
            "closed": st["closed"][d_i],
            "given": st["given"][d_i],
            "cleared_due": st["cleared_due"][d_i],
            "keeper": st["keeper"][d_i],
        }
        for d_i in range(nd)
    ]
    return assemble_result(sc, deficits, outcomes, peg, cr_series, liq_step, gov_price)
