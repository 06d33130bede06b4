"""AI-dollar holders who run: cohorts that redeem at the PSM or sell on the peg pool when a signal
crosses their threshold (docs/risk-lab.md "Holders who run").

At the start the holders' AI dollars (the ``holders`` account, after pools were seeded and
keepers bought their float) are split into ``agents.holders.cohorts`` equal cohorts. Cohort ``i``
has nervousness ``q_i = (i + 1/2) / n`` and, for every signal, a threshold at that quantile of the
signal's range, most nervous first, so the thresholds are spread evenly over each range (no
random draw: the path's other draws are unchanged). The signals, per AI dollar, each step:

* ``peg``: the peg pool's price of the AI dollar; a cohort runs below ``hi - q (hi - lo)``;
* ``unbacked``: the buffer's uncovered debt (``sin - dai`` less what open auctions will still
  raise) over the AI dollar's total debt; a cohort runs above ``lo + q (hi - lo)``;
* ``uncovered``: that debt less the surplus and the backstop fund, over total debt (what the
  buffers cannot pay); a cohort runs above ``lo + q (hi - lo)``;
* ``shutdown``: when the buffer advises emergency shutdown every cohort runs (if enabled).

A running cohort exits ``rate`` of its t0 holding per hour: first by redeeming at the PSM
(``buy_gem``, while it has reference stablecoin), then by selling on the peg pool at whatever it
pays. Its sales lower the peg, which can trigger the next cohort: runs cascade. The amount run per
step (USD received) is recorded for the ``run_usd`` series.
"""

from __future__ import annotations

from ...units import RAD, WAD
from ..families.ai_dollar.state import DollarPath
from ..world import HOLDERS
from . import dealer, pools, recap

__all__ = ["act", "signals", "start"]


def start(s: DollarPath) -> None:
    """Split each AI dollar's holdings into cohorts (equal shares of what ``holders`` hold)."""
    h = s.sc.agents.holders
    ledger = s.w.chain.ledger
    n = int(h.cohorts)
    for sym in s.sym:
        total = ledger.balance_of(sym, HOLDERS)
        s.cohorts[sym] = [total // n] * n if n else []
        s.cohort_step[sym] = max(1, int(total / n * float(h.rate) * s.dt_h)) if n else 0


def signals(s: DollarPath, sym: str, k: int) -> tuple[float, float, float, bool]:
    """``(peg, unbacked share, uncovered share, shutdown advised)`` of ``sym`` now."""
    d = s.dollars[sym]
    pool = s.peg_pool.get(sym)
    peg = pools.pool_price(s, pool, sym) if pool is not None else 1.0
    debt = d.vat.debt_rad / RAD
    if debt <= 0:
        return peg, 0.0, 0.0, False
    deficit = recap.deficit_usd(s, d, k)
    buffers = d.vow.dai_rad / RAD + s.w.chain.ledger.balance_of(sym, d.vow.backstop) / WAD
    return peg, deficit / debt, max(0.0, deficit - buffers) / debt, d.vow.shutdown_advised


def act(s: DollarPath, d_i: int, sym: str, k: int) -> None:
    """The cohorts of ``sym`` whose threshold a signal crossed exit this step."""
    h = s.sc.agents.holders
    held = s.cohorts.get(sym)
    if not h.enabled or not held or not s.live(sym):
        return
    peg, unbacked, uncovered, advised = signals(s, sym, k)
    n = len(held)
    p_lo, p_hi = float(h.peg[0]), float(h.peg[1])
    u_lo, u_hi = float(h.unbacked[0]), float(h.unbacked[1])
    c_lo, c_hi = float(h.uncovered[0]), float(h.uncovered[1])
    # with every range in order each threshold only gets harder to cross as ``q`` grows (the
    # float steps are monotone), so the first cohort left alone leaves the rest alone too
    ordered = p_lo <= p_hi and u_lo <= u_hi and c_lo <= c_hi
    want = 0
    for i in range(n):
        if held[i] <= 0:
            continue
        q = (i + 0.5) / n
        if (
            peg < p_hi - q * (p_hi - p_lo)
            or unbacked > u_lo + q * (u_hi - u_lo)
            or uncovered > c_lo + q * (c_hi - c_lo)
            or (advised and h.on_shutdown)
        ):
            out = min(held[i], s.cohort_step[sym])
            held[i] -= out
            want += out
        elif ordered:
            break
    if want > 0:
        s.run_usd[d_i, k] += _exit(s, sym, want)


def _exit(s: DollarPath, sym: str, amount: int) -> float:
    """Redeem ``amount`` AI dollars [wad] at the PSM, the rest on the peg pool; USD received."""
    w, ledger, d = s.w, s.w.chain.ledger, s.dollars[sym]
    amount = min(amount, ledger.balance_of(sym, HOLDERS))
    if amount <= 0 or not w.stable:
        return 0.0
    unit = float(10**w.stable_decimals)
    before = ledger.balance_of(w.stable, HOLDERS)
    gem, paid = dealer.psm_redeem(s, sym, amount)
    if gem > 0 and s.attempt(sym, d.buy_gem, gem, sender=HOLDERS) is not None:
        amount -= paid
    pool = s.peg_pool.get(sym)
    if amount >= WAD and pool is not None:  # less than one AI dollar left: it stays held
        s.attempt(sym, pool.swap_exact_in, sym, amount, 0, sender=HOLDERS, token_out=w.stable)
    got: int = ledger.balance_of(w.stable, HOLDERS) - before
    return got / unit
