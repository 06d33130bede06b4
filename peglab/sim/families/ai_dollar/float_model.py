"""The AI-dollar float model: the scenario's system in float64 under one price path (docs/risk-spec.md §2).

The "vectorised Monte Carlo" tier of docs/risk-spec.md §2, kept as a fast reference and for the
cross-check against the exact runner (docs/risk-lab.md "The float reference model"). Per step,
per ilk: stability fees accrue; borrowers outside ``target +- band`` act with ``p_attend`` per day
(top up / repay from a budget; panic-close after a 24 h drop); the OSM (hop delay, deviation
guard, max_age staleness, oracle shocks) values collateral; keepers bark unsafe vaults after their
latency within the ilk's ``hole``; Dutch auctions (stair-step / linear / exponential ``calc``,
``tail``/``cusp`` resets) are taken when the price is below the external exit bid less margin and
gas, up to the keepers' free capital (recycled after ``recycle``); English (Flipper-like)
auctions settle after ``tau`` at the best bid seen, or at a zero bid if no keeper was bidding.
Per AI dollar, a normalised 2-coin StableSwap curve with the USDC pool's A carries the peg:
borrower repayments and keepers' purchases buy the coin, panic sellers sell it, PSM arbitrage
caps it at ``1 + tin`` / floors it at ``1 - tout`` while the PSM has room / inventory, and LPs
withdraw under stress. At the horizon, open auctions are marked to the exit bid; the deficit is
``due + incentives - recovered - fees`` (the waterfall is applied by ``metrics.measure``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...conditions import Conditions
from ...liquidity import exit_bid_one as _bid
from ...scenario import Scenario
from .float_parts import PegPool, clip_price, crossing_age, floor_age, osm_path
from .metrics import AiDollarOutcome, DollarOutcome
from .schema import AiDollar, draw_vaults
from .vault_book import collateral_vol

__all__ = ["float_outcome"]

_KEEPER_POOL_BUY_SHARE = 0.5  # [O] share of keepers' auction payments bought on the AI USD pool
_YEAR_S = 31_536_000.0


def float_outcome(
    block: list[AiDollar], sc: Scenario, prices: np.ndarray, rng: np.random.Generator
) -> AiDollarOutcome:
    """The AI dollars of ``block`` in float64 under the market prices ``prices`` of one path."""
    cond = Conditions.of(sc, prices)
    n, dt = sc.n_steps, sc.step
    idx = sc.asset_index
    ag, liq = sc.agents, sc.liquidity
    impact, delta = float(liq.impact), float(liq.delta)
    dd, gas = cond.dd, cond.gas
    ext_factor, pool_factor = cond.ext_factor, cond.pool_factor
    cap_factor, lat_factor = cond.cap_factor, cond.lat_factor
    modes, msize = cond.modes, cond.msize
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
    for d_i, dol in enumerate(block):
        for c in dol.collaterals:
            a = idx[c.asset]
            asset = sc.assets[a]
            debt, ink, target = draw_vaults(
                c, float(prices[0, a]), rng, collateral_vol(sc, c.asset)
            )
            lo, hi = kp.latency_steps
            lat = rng.integers(lo, hi + 1, size=kp.count) if kp.count else np.zeros(0, int)
            caps = rng.uniform(float(kp.capital[0]), float(kp.capital[1]), size=kp.count)
            # oracle source: manipulated prints, frozen feeds, stale (no update) windows
            src = prices[:, a] * np.where(modes[:, a] == 3, 1.0 + msize[:, a], 1.0)
            frozen = modes[:, a] == 1
            for k in range(1, n + 1):
                if frozen[k]:
                    src[k] = src[k - 1]
            osm, valid = osm_path(src, modes[:, a] != 2, dt, c.hop, c.max_age)
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
    nd = len(block)
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
    pegs: list[PegPool | None] = []
    psm_room = np.zeros(nd)
    psm_inv = np.zeros(nd)
    for d_i, dol in enumerate(block):
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
            None
            if pool is None
            else PegPool(pool.A, float(pool.depth_usd), float(pool.fee_bps) / 1e4)
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
            for d_i, dol in enumerate(block):
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
                        cross = crossing_age(c, au["top"], thr)
                    floor_at = floor_age(c, au["top"])
                    if cross <= age and cross <= floor_at:
                        price = clip_price(c, au["top"], cross)
                        sl = min(au["lot"], avail / price)
                        owe = sl * price
                        if owe >= au["tab"]:
                            owe, sl = au["tab"], au["tab"] / price
                        avail -= owe
                        take = True
                        closed = au["tab"] - owe <= 1e-9 * au["due"] or au["lot"] - sl <= 1e-12
                    elif age > floor_at and valid and osm > 0:  # redo at the current feed
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
        for d_i, dol in enumerate(block):
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
    dollars = []
    for d_i, dol in enumerate(block):
        deficit = max(
            0.0, st["due"][d_i] + st["incentives"][d_i] - st["recovered"][d_i] - st["fees"][d_i]
        )
        # the float model's waterfall (docs/cdp-spec.md §9): a surplus buffer of ``surplus_buffer`` x debt,
        # the backstop (``backstop`` x Line), recapitalisation up to ``recap_limit`` x debt
        debt0 = sum(float(c.vaults.debt_usd) for c in dol.collaterals)
        bad = max(0.0, deficit - float(dol.surplus_buffer) * debt0)
        backstop = min(bad, float(dol.backstop) * float(dol.line_usd))
        recap = min(bad - backstop, float(dol.recap_limit) * debt0)
        final = bad - backstop - recap
        dollars.append(
            DollarOutcome(
                symbol=dol.symbol,
                bad_debt_usd=bad,
                backstop_used_usd=backstop,
                recap_usd=recap,
                bad_debt_final_usd=final,
                dilution_tokens=recap / gov_price if gov_price > 0 else math.nan,
                shutdown=1.0 if final > 0 else 0.0,
                shutdown_at_s=math.nan,
                redemption_value=math.nan,
                liquidated_usd=float(st["liquidated"][d_i]),
                liquidations=float(st["barks"][d_i]),
                zero_bids=float(st["zero"][d_i]),
                recovered_usd=float(st["proceeds_mkt"][d_i]),
                take_value_usd=float(st["take_value"][d_i]),
                clear_time_s=float(st["clear_time"][d_i]),
                closed=float(st["closed"][d_i]),
                given_usd=float(st["given"][d_i]),
                cleared_due_usd=float(st["cleared_due"][d_i]),
                keeper_profit_usd=float(st["keeper"][d_i]),
                peg=peg[d_i],
                cr=cr_series[d_i],
                liquidated_step=liq_step[d_i],
            )
        )
    return AiDollarOutcome(dollars=tuple(dollars))
