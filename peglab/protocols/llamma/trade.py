"""Walking LLAMMA's bands: a trade's outcome, the amount that moves the AMM to a price, a loan's value.

Pure functions over a read-only view of the bands (``BandView``), restated from the crvUSD AMM
(docs/llamma.md §2-§3). Band numbers grow as the bands' *oracle* edges fall, while at a fixed
oracle the AMM's own price in band ``n`` (``p_o³/p_up(n)²`` and up) *rises* with ``n``. A trade
starts in the active band and walks band by band:

* **pump** (stablecoin in, collateral out: the AMM price rises) walks to higher band numbers,
  through bands holding collateral. In each it computes the stablecoin ``x_dest`` that empties
  the band's collateral under the invariant and grosses it up by the fee
  (``dx = x_dest / (1 - fee)``). If the input runs out first the trade stops in that band: the
  collateral left is solved from the invariant and rounded *up* by one unit (the trader gets
  less); otherwise it takes the whole band and moves on.
* **dump** (collateral in, stablecoin out: the AMM price falls) is the mirror image, walking to
  lower band numbers through bands holding stablecoin.

The fee stays in the band (it raises the band's value for its depositors) except the
``admin_fee`` share of it, which the AMM keeps apart. Amounts going in round up to the token's
precision and amounts going out round down, so the AMM never pays out what it did not take.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ...errors import InvalidInput
from .math import (
    DEAD_SHARES,
    MAX_SKIP_TICKS,
    MAX_TICKS,
    WAD,
    get_p,
    get_y0,
    invariant_parts,
    reverts,
)

__all__ = ["BandView", "Trade", "amount_for_price", "calc_swap", "xy_down_up"]

_LOOP = MAX_TICKS + MAX_SKIP_TICKS


class BandView(Protocol):
    """What the trade math reads from the AMM (all at 18 decimals)."""

    a: int
    max_oracle_dn_pow: int

    @property
    def active_band(self) -> int: ...
    @property
    def min_band(self) -> int: ...
    @property
    def max_band(self) -> int: ...
    def bx(self, n: int) -> int: ...
    def by(self, n: int) -> int: ...
    def p_oracle_up(self, n: int) -> int: ...


@dataclass
class Trade:
    """A trade's outcome: amounts, the bands it touched, their new holdings of the in-coin."""

    in_amount: int = 0
    out_amount: int = 0
    n1: int = 0
    n2: int = 0
    ticks_in: list[int] = field(default_factory=list)
    last_tick_j: int = 0
    admin_fee: int = 0


@reverts
def calc_swap(
    v: BandView,
    pump: bool,
    amount: int,
    p_o: int,
    fee_wad: int,
    dfee_wad: int,
    admin_fee_wad: int,
    precisions: tuple[int, int],
    exact_in: bool = True,
) -> Trade:
    """The trade of ``amount`` (18 decimals) band by band (module docstring).

    ``exact_in``: ``amount`` is what goes in (``exchange``); otherwise what must come out
    (``exchange_dy``), and the walk stops in the band where the out-coin left covers it.
    ``precisions`` is ``(in, out)``.
    """
    a = v.a
    out = Trade(n2=v.active_band)
    p_o_up = v.p_oracle_up(out.n2)
    x, y = v.bx(out.n2), v.by(out.n2)
    left = amount
    antifee = WAD * WAD // (WAD - max(fee_wad, dfee_wad))
    j = MAX_TICKS  # "no band with liquidity seen yet"
    low_ratio = WAD * WAD // v.max_oracle_dn_pow
    for i in range(_LOOP):
        f = g = inv = 0
        if x > 0 or y > 0:
            if j == MAX_TICKS:
                out.n1, j = out.n2, 0
            f, g, inv = invariant_parts(x, y, p_o, p_o_up, a)
        if j != MAX_TICKS:
            out.ticks_in.append(x if pump else y)
        p_ratio = p_o_up * WAD // p_o
        # the band seen from the trader: ``have`` of the in-coin, ``give`` of the out-coin, and
        # the invariant's offsets on each side (pump: in x with f, out y with g; dump: mirrored)
        have, give, f_in, g_out = (x, y, f, g) if pump else (y, x, g, f)
        if (
            give != 0
            and g_out != 0
            and _band_step(
                out, j, have, give, f_in, g_out, inv, left, amount, antifee, admin_fee_wad, exact_in
            )
        ):
            break
        if exact_in:
            left = amount - out.in_amount
        else:
            left = amount - out.out_amount
        if i != _LOOP - 1:
            if pump:
                if out.n2 == v.max_band or j == MAX_TICKS - 1 or p_ratio < low_ratio:
                    break
                out.n2 += 1
                p_o_up = p_o_up * (a - 1) // a
                x, y = 0, v.by(out.n2)
            else:
                if out.n2 == v.min_band or j == MAX_TICKS - 1 or p_ratio > v.max_oracle_dn_pow:
                    break
                out.n2 -= 1
                p_o_up = p_o_up * a // (a - 1)
                x, y = v.bx(out.n2), 0
        if j != MAX_TICKS:
            j += 1
    # in rounds up to the in-token's precision, out rounds down to the out-token's
    in_p, out_p = precisions
    out.in_amount = (out.in_amount + in_p - 1) // in_p * in_p
    out.out_amount = out.out_amount // out_p * out_p
    return out


def _band_step(
    out: Trade,
    j: int,
    have: int,
    give: int,
    f_in: int,
    g_out: int,
    inv: int,
    left: int,
    amount: int,
    antifee: int,
    admin_fee_wad: int,
    exact_in: bool,
) -> bool:
    """Trade against one band (with the out-coin ``give`` and in-coin ``have``); True: the last."""
    if exact_in:
        dest = (inv // g_out - f_in) - have  # in-coin that empties the band's out-coin
        d_in = dest * antifee // WAD
        if d_in >= left:  # the input runs out here: solve what stays, rounded up by one
            dest = left * WAD // antifee
            out.last_tick_j = min(inv // (f_in + (have + dest)) - g_out + 1, give)
            adm = (left - dest) * admin_fee_wad // WAD
            out.out_amount += give - out.last_tick_j
            out.ticks_in[j] = have + left - adm
            out.in_amount = amount
            out.admin_fee += adm
            return True
        d_in = max(d_in, 1)  # never leave dust in a band the trade empties
        out.out_amount += give
    elif give >= left:  # exact out: the wanted amount is found in this band
        out.last_tick_j = give - left
        dest = inv // (g_out + out.last_tick_j) - f_in - have
        d_in = dest * antifee // WAD
        adm = (d_in - dest) * admin_fee_wad // WAD
        out.out_amount = amount
        out.in_amount += d_in
        out.ticks_in[j] = have + d_in - adm
        out.admin_fee += adm
        return True
    else:
        dest = (inv // g_out - f_in) - have
        d_in = max(dest * antifee // WAD, 1)
        out.out_amount += give
    adm = (d_in - dest) * admin_fee_wad // WAD
    out.ticks_in[j] = have + d_in - adm
    out.in_amount += d_in
    out.admin_fee += adm
    return False


@reverts
def amount_for_price(
    v: BandView, p: int, p_o: int, fee_wad: int, dfee_wad: int, precisions: tuple[int, int]
) -> tuple[int, bool]:
    """``(amount, pump)``: what must be traded in to bring the AMM price to ``p`` (rounded up).

    Walks from the active band toward ``p``: whole bands it passes are emptied, the band that
    contains ``p`` is traded to ``p`` on its invariant; the sum is grossed up by the fee.
    ``precisions`` is ``(borrowed, collateral)``.
    """
    from math import isqrt

    a = v.a
    n = v.active_band
    p_o_up = v.p_oracle_up(n)
    p_down = (p_o * p_o // p_o_up * p_o) // p_o_up
    p_up = p_down * a * a // ((a - 1) * (a - 1))
    amount = 0
    f = g = inv = 0
    j = MAX_TICKS
    pump = True
    low_ratio = WAD * WAD // v.max_oracle_dn_pow
    for i in range(_LOOP):
        if p_o_up <= 0:
            raise InvalidInput("llamma/price-out-of-range", "a band edge reached zero")
        x, y = v.bx(n), v.by(n)
        if i == 0 and p < get_p(x, y, p_o, p_o_up, a):
            pump = False
        not_empty = x > 0 or y > 0
        if not_empty:
            f, g, inv = invariant_parts(x, y, p_o, p_o_up, a)
            if j == MAX_TICKS:
                j = 0
        if p_down <= p <= p_up:
            if not_empty:
                ynew = max(isqrt(inv * WAD // p), g) - g
                xnew = max(inv // (g + ynew), f) - f
                amount += (max(xnew, x) - x) if pump else (max(ynew, y) - y)
            break
        p_ratio = p_o_up * WAD // p_o
        if pump:
            if not_empty:
                amount += (inv // g - f) - x
            if n == v.max_band or j == MAX_TICKS - 1 or p_ratio < low_ratio:
                break
            n += 1
            p_down = p_up
            p_up = p_up * a * a // ((a - 1) * (a - 1))
            p_o_up = p_o_up * (a - 1) // a
        else:
            if not_empty:
                amount += (inv // f - g) - y
            if n == v.min_band or j == MAX_TICKS - 1 or p_ratio > v.max_oracle_dn_pow:
                break
            n -= 1
            p_up = p_down
            p_down = p_down * (a - 1) * (a - 1) // (a * a)
            p_o_up = p_o_up * a // (a - 1)
        if j != MAX_TICKS:
            j += 1
    amount = amount * WAD // (WAD - max(fee_wad, dfee_wad))
    if amount == 0:
        return 0, pump
    prec = precisions[0] if pump else precisions[1]
    return (amount - 1) // prec + 1, pump


@reverts
def xy_down_up(
    v: BandView,
    ns: tuple[int, int],
    shares: tuple[int, ...],
    total_shares: dict[int, int],
    p_o: int,
    sqrt_band_ratio: int,
    use_y: bool,
) -> int:
    """A loan's value if the AMM traded it adiabatically near the oracle (18 decimals).

    ``use_y=False`` gives ``x_down``: the stablecoin the loan would end with if the price fell
    slowly through all its bands (what health measures); ``use_y=True`` the collateral it would
    end with if the price rose. Band by band: first "trade" the band to the oracle price on its
    invariant, then convert along the rest of the band at the band's mean price. Shares are
    counted with the dead shares, so the value is a slight under-estimate, as in the contract.
    """
    from math import isqrt

    a = v.a
    n_active = v.active_band
    p_o_down = v.p_oracle_up(ns[0])
    total = 0
    for i, n in enumerate(range(ns[0], ns[1] + 1)):
        x = v.bx(n) if n <= n_active else 0
        y = v.by(n) if n >= n_active else 0
        p_o_up = p_o_down
        p_o_down = p_o_down * (a - 1) // a
        if x == 0 and y == 0:
            continue
        ts = total_shares.get(n, 0)
        us = shares[i]
        if ts == 0 or us == 0:
            continue
        ts += DEAD_SHARES
        p_mid = (p_o * p_o // p_o_down * p_o) // p_o_up
        if x == 0 or y == 0:
            if p_o > p_o_up:  # all to collateral at the oracle, then down the band
                y_eq = y if y != 0 else x * WAD // p_mid
                val = y_eq if use_y else y_eq * p_o_up // sqrt_band_ratio
                total += val * us // ts
                continue
            if p_o < p_o_down:  # all to stablecoin at the oracle, then up the band
                x_eq = x if x != 0 else y * p_mid // WAD
                val = x_eq * sqrt_band_ratio // p_o_up if use_y else x_eq
                total += val * us // ts
                continue
        y0 = get_y0(x, y, p_o, p_o_up, a)
        f = (a * y0 * p_o // p_o_up) * p_o // WAD
        g = (a - 1) * y0 * p_o_up // p_o
        inv = (f + x) * (g + y)
        if p_o > p_o_up:
            y_o = max(inv // f, g) - g
            val = y_o if use_y else y_o * p_o_up // sqrt_band_ratio
            total += val * us // ts
        elif p_o < p_o_down:
            x_o = max(inv // g, f) - f
            val = x_o * sqrt_band_ratio // p_o_up if use_y else x_o
            total += val * us // ts
        else:
            y_o = a * y0 * (p_o - p_o_down) // p_o
            x_o = max(inv // (g + y_o), f) - f
            if use_y:
                total += (y_o + x_o * WAD // isqrt(p_o_up * p_o)) * us // ts
            else:
                total += (x_o + y_o * isqrt(p_o_down * p_o) // WAD) * us // ts
    return total
