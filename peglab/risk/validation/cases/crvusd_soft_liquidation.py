"""V5: crvUSD soft liquidation vs the Clipper on the same 3-day dips (docs/validation.md §11).

Nothing fitted. Per draw, ``windows`` simulated 3-day ETH paths whose low lies 9-11% below their
start (GBM at 1-minute steps, σ = 80%/yr: no ETH history is in the repository, so the
whitepaper's back-test is checked against simulated paths, a weaker test). On each path:

* **LLAMMA** (``peglab.protocols.llamma``, exact): a 10 ETH loan at ``max_borrowable`` when the
  window starts (top band just under the price: at its liquidation threshold), over N = 22 bands
  (the whitepaper's 20% range) and, in a second market, N = 5 (its 5% range). The oracle is an
  EMA of the market (T = 600 s); each minute an arbitrageur trades the AMM toward the market when
  the gap exceeds the AMM's fee plus a 5 bp external fee, and keeps only profitable trades. Loss:
  ``1 - x_down(end) / x_down(start)``.
* **Clipper** (``peglab.protocols.cdp``, exact): the same 10 ETH in a dss vault at its liquidation
  ratio (150%, penalty 13%), the OSM one hour late; a keeper barks as soon as the vault is unsafe
  and takes the whole lot when the Dutch price reaches the market less 2%. Loss: what the
  collateral sold was worth at the market, less the debt, over the debt.

Floats appear only in the price paths and the reported ratios; every protocol step is an exact
engine transaction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ....kernel import Chain
from ....protocols.cdp import (
    AIDollar,
    AIDollarSpec,
    CollateralSpec,
    Launchpad,
    PriceFeed,
    native_ai_token,
    replace,
)
from ....protocols.cdp.psm import PsmSpec
from ....protocols.llamma import MarketParams, create_market
from ....protocols.llamma.amm import Llamma
from ....units import RAD, WAD, ray, wad
from ..core import Value

__all__ = [
    "NAME",
    "clipper_window",
    "dip_paths",
    "llamma_window",
    "run",
    "sensitivity",
    "summarise",
]

NAME = "crvusd-soft-liquidation"
P0 = 2000.0  # [O] ETH at the start of every window (only ratios matter)
SIGMA = 0.80  # [O] per year: the lab's ETH base volatility
MINUTES = 3 * 24 * 60  # [P] the whitepaper's 3-day window
DIP_BIN = (0.89, 0.91)  # [P] -10% below the threshold, [O] +-1%
EMA_T_S = 600  # [P] the deployment script's oracle EMA time
EXT_FEE_WAD = 5 * WAD // 10_000  # [P] llamma-simulator's external fee
COLLATERAL = 10 * WAD  # [O] 10 ETH per loan
KEEPER_MARGIN_BPS = 200  # [O] the lab's keeper rule: take at the market less 2%
WINDOWS_PER_DRAW = 2  # [O] (full form: 10 draws, reduced: 1; targets.toml)
_ARB, _BORROWER, _KEEPER = "arb", "borrower", "keeper"


def dip_paths(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """``n`` 1-minute GBM paths of 3 days from ``P0`` whose low is 9-11% below the start."""
    dt = 1.0 / (365 * 1440)
    out: list[np.ndarray] = []
    while len(out) < n:
        steps = rng.normal(-0.5 * SIGMA**2 * dt, SIGMA * math.sqrt(dt), size=(64, MINUTES))
        paths = P0 * np.exp(np.concatenate([np.zeros((64, 1)), np.cumsum(steps, 1)], 1))
        low = paths.min(axis=1) / P0
        for k in np.flatnonzero((low >= DIP_BIN[0]) & (low <= DIP_BIN[1])):
            if len(out) < n:
                out.append(paths[k])
    return out


def _wad(x: float) -> int:
    return round(x * 1e6) * 10**12  # prices to a millionth of a dollar, exact after


def _ema(path: np.ndarray, t_s: int = EMA_T_S, dt_s: int = 60) -> np.ndarray:
    if t_s == 0:  # no averaging: the oracle is the market
        return path.copy()
    w = 2.0 ** (-dt_s / t_s)
    out = np.empty_like(path)
    acc = path[0]
    for k, p in enumerate(path):
        acc = acc * w + p * (1.0 - w) if k else acc
        out[k] = acc
    return out


def _arbitrage(amm: Llamma, p_mkt: int) -> None:
    """Trade the AMM toward the market when the gap beats both fees; keep only profitable trades."""
    fee = amm.dynamic_fee()
    p_amm = amm.get_p()
    lo = p_mkt * (WAD - EXT_FEE_WAD) // WAD * (WAD - fee) // WAD
    hi = p_mkt * (WAD + EXT_FEE_WAD) // WAD * WAD // (WAD - fee)
    if lo <= p_amm <= hi:
        return
    amount, pump = amm.get_amount_for_price(lo if p_amm < lo else hi)
    i = 0 if pump else 1
    for _ in range(8):
        if amount == 0:
            return
        dx, dy = amm.get_dxdy(i, 1 - i, amount)
        if pump:  # stablecoin in, collateral out and sold outside
            profit = dy * p_mkt // WAD * (WAD - EXT_FEE_WAD) // WAD - dx
        else:  # collateral bought outside and sold in
            profit = dy - dx * p_mkt // WAD * (WAD + EXT_FEE_WAD) // WAD
        if profit > 0 and dy > 0:
            amm.exchange(i, 1 - i, amount, dy, sender=_ARB)
            return
        amount //= 2


def llamma_window(
    path: np.ndarray,
    n_bands: int,
    *,
    step_min: int = 1,
    ema_t_s: int = EMA_T_S,
    fee_wad: int | None = None,
) -> dict[str, float]:
    """One loan of 10 ETH over ``n_bands`` bands through ``path``: its loss and end health.

    The keywords vary the case's choices for the sensitivity table (docs/validation.md §12):
    trade every ``step_min`` minutes, the oracle's EMA time (0: the market itself), the AMM fee.
    """
    params = MarketParams() if fee_wad is None else MarketParams(fee_wad=fee_wad)
    chain = Chain()
    chain.ledger.create_token("crvUSD", 18, "stablecoin")
    chain.ledger.create_token("ETH", 18, "collateral")
    # band 0's top half a band above the start, so the loan's top band lies just under the price
    m = create_market(
        chain,
        borrowed="crvUSD",
        collateral="ETH",
        price_wad=_wad(P0 * 1.005),
        params=params,
    )
    chain.grant(m.oracle.ROLE, "oracle", sender=chain.root)
    m.oracle.set_price(_wad(P0), sender="oracle")
    chain.ledger.mint("ETH", _BORROWER, COLLATERAL)
    chain.ledger.mint("crvUSD", _ARB, 10**9 * WAD)
    chain.ledger.mint("ETH", _ARB, 10**6 * WAD)
    ctl, amm = m.controller, m.amm
    ctl.create_loan(COLLATERAL, ctl.max_borrowable(COLLATERAL, n_bands), n_bands, sender=_BORROWER)
    x0 = amm.get_x_down(_BORROWER)
    seen = path[::step_min]
    ema = _ema(seen, ema_t_s, 60 * step_min)
    for k in range(1, len(seen)):
        chain.advance(60 * step_min)
        m.oracle.set_price(_wad(float(ema[k])), sender="oracle")
        _arbitrage(amm, _wad(float(seen[k])))
    x1 = amm.get_x_down(_BORROWER)
    return {
        "loss": 1.0 - x1 / x0,
        "loss_of_collateral_value": (x0 - x1) / (COLLATERAL * P0),
        "hard": float(ctl.health(_BORROWER, True) < 0),
    }


def _clipper_system(chain: Chain) -> tuple[AIDollar, PriceFeed]:
    chain.ledger.create_token("ETH", 18, "collateral")
    chain.ledger.create_token("USDC", 6, "USD Coin")
    feed = PriceFeed(chain, "ETH", _wad(P0))
    usdc = PriceFeed(chain, "USDC", WAD)
    chain.grant(feed.role, "oracle", sender=chain.root)
    chain.grant(usdc.role, "oracle", sender=chain.root)
    params = replace(
        native_ai_token(100_000_000, apr="0"),
        mat_ray=ray("1.50"),  # [P] ETH-A, March 2020
        chop_wad=wad("1.13"),  # [P] the 13% penalty
        dust_rad=0,
        hole_rad=100_000_000 * RAD,
    )
    d = Launchpad(chain).create_ai_usd(
        AIDollarSpec(
            "DAI",
            "ether",
            200_000_000,
            (CollateralSpec("ETH-A", "ETH", params, feed),),
            psm=PsmSpec("USDC", 50_000_000, tin_wad=0, tout_wad=0, price=usdc, flow_cap=None),
        ),
        sender="gov",
    )
    return d, feed


def clipper_window(path: np.ndarray) -> dict[str, float]:
    """The same 10 ETH in a dss vault at its liquidation ratio through ``path``."""
    chain = Chain(keep_log=False)
    d, feed = _clipper_system(chain)
    osm = d.osms["ETH"]
    for _ in range(4):  # settle the delayed price at the start
        chain.advance(3600)
        d.poke_prices(sender=_KEEPER)
        if osm.state.cur_wad == feed.state.val_wad:
            break
    chain.ledger.mint("ETH", _BORROWER, COLLATERAL)
    vid = d.open_vault("ETH-A", sender=_BORROWER)
    d.deposit(vid, COLLATERAL, sender=_BORROWER)
    debt = COLLATERAL * _wad(P0) // WAD * 2 // 3 * 999 // 1000  # at the 150% ratio, x0.999
    d.mint(vid, debt, sender=_BORROWER)
    chain.ledger.mint("USDC", _KEEPER, 10**9 * 10**6)
    d.sell_gem(1_000_000 * 10**6, sender=_KEEPER)
    auction = None
    for k in range(1, len(path)):
        chain.advance(60)
        feed.set_price(_wad(float(path[k])), sender="oracle")
        if osm.passed():
            d.poke_prices(sender=_KEEPER)
        if auction is None:
            if d.vat.is_safe(vid):
                continue
            auction = d.bark(vid, _KEEPER, sender=_KEEPER)
        st = d.auction("ETH-A", auction)
        p_mkt = _wad(float(path[k]))
        if st.price_ray <= p_mkt * 10**9 * (10_000 - KEEPER_MARGIN_BPS) // 10_000:
            sold, _owe = d.take("ETH-A", auction, st.lot_wad, st.price_ray, sender=_KEEPER)
            value = sold * p_mkt // WAD
            return {
                "loss_of_debt": (value - debt) / debt,
                "loss_of_collateral_value": (value - debt) / (COLLATERAL * P0),
                "liquidated": 1.0,
            }
    return {"loss_of_debt": 0.0, "loss_of_collateral_value": 0.0, "liquidated": 0.0}


def summarise(paths: list[np.ndarray]) -> Mapping[str, Value]:
    """Both designs on every path: the case's values (means over the paths)."""
    wide = [llamma_window(p, 22) for p in paths]
    narrow = [llamma_window(p, 5) for p in paths]
    clip = [clipper_window(p) for p in paths]
    llamma_value = float(np.mean([w["loss_of_collateral_value"] for w in wide]))
    clip_value = float(np.mean([c["loss_of_collateral_value"] for c in clip]))
    return {
        "llamma_loss_n22": float(np.mean([w["loss"] for w in wide])),
        "llamma_loss_n5": float(np.mean([w["loss"] for w in narrow])),
        "clipper_loss_of_debt": float(np.mean([c["loss_of_debt"] for c in clip])),
        "clipper_vs_llamma": clip_value / llamma_value if llamma_value > 0 else math.inf,
        "llamma_hard_share": float(np.mean([w["hard"] for w in wide])),
        "clipper_liquidated_share": float(np.mean([c["liquidated"] for c in clip])),
    }


def run(draw: int, seed: np.random.SeedSequence) -> Mapping[str, Value]:
    """One draw: ``WINDOWS_PER_DRAW`` dips, both designs on every one (``draw`` unused)."""
    return summarise(dip_paths(np.random.default_rng(seed), WINDOWS_PER_DRAW))


SENSITIVITY = {  # name -> llamma_window keywords (choices of §11 varied one at a time)
    "the case (1-minute trades, EMA 600 s, fee 0.6%)": {},
    "trades every 5 minutes": {"step_min": 5},
    "oracle = market (no EMA)": {"ema_t_s": 0},
    "EMA 1,200 s": {"ema_t_s": 1200},
    "AMM fee 0.3%": {"fee_wad": 3 * 10**15},
}


def sensitivity(paths: list[np.ndarray]) -> dict[str, tuple[float, float]]:
    """Mean LLAMMA loss (N = 22, N = 5) over ``paths`` for each variant of ``SENSITIVITY``."""
    out: dict[str, tuple[float, float]] = {}
    for name, kw in SENSITIVITY.items():
        wide = float(np.mean([llamma_window(p, 22, **kw)["loss"] for p in paths]))
        narrow = float(np.mean([llamma_window(p, 5, **kw)["loss"] for p in paths]))
        out[name] = (wide, narrow)
    return out
