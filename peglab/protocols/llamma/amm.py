"""LLAMMA: the lending-liquidating AMM that holds loans' collateral in bands and trades it with anyone.

Restated from Curve's crvUSD ``AMM.vy`` (docs/llamma.md). The AMM holds both coins in one engine
account (``<name>:amm``). Each band ``n`` holds ``bands_x[n]`` stablecoin and ``bands_y[n]``
collateral, both at 18 decimals, owned pro rata to shares (``total_shares[n]`` plus 1,000 dead
shares). Only the active band may hold both coins; bands below it in number (higher oracle
prices) hold stablecoin, bands above it collateral. A loan owns shares in ``N`` consecutive
bands (``user_ticks``). Its Controller (``controller.py``) is the only caller of
``deposit_range``/``withdraw``/``set_rate``; ``exchange`` is open to anyone: it is how
arbitrageurs soft-liquidate (sell collateral for stablecoin as the oracle falls) and
de-liquidate (buy it back as the oracle rises).

The oracle price the AMM uses is the external price limited per call (``limit_p_o``): within
two minutes of its last write the AMM trusts at most a 2^(1/3) relative move, and charges a
dynamic fee ``1 - (p_min/p_max)^3`` that decays linearly over those two minutes, so a trader
cannot profit from the AMM's price jumping three times as far as the oracle.

Interest: the grid's base price grows with ``rate_mul = rate_mul · (1 + rate · dt)`` (floor), so
every band's edges rise with the debt they back.
"""

from __future__ import annotations

from ...errors import InvalidInput, LimitExceeded, Slippage, StalePrice
from ...kernel import Chain, Record, Table, action, query
from ...units import check_amount, check_positive
from .events import OraclePriceSet, TokenExchange
from .math import (
    DEAD_SHARES,
    MAX_SKIP_TICKS,
    WAD,
    check_band_order,
    get_p,
    log_a_ratio_wad,
    max_oracle_dn_pow,
    p_current_band,
    reverts,
    sqrt_band_ratio_wad,
)
from .math import p_oracle_up as _p_oracle_up
from .trade import Trade, amount_for_price, calc_swap, xy_down_up

__all__ = ["AmmState", "Llamma", "PriceOracle"]

PREV_P_O_DELAY = 120  # s: the window in which oracle moves are limited and charged
MAX_P_O_CHG = 12500 * 10**14  # 1.25 <= 2^(1/3): largest relative oracle move per window


class PriceOracle:
    """The external collateral price (stablecoin per collateral, wad), set by its oracle role."""

    ROLE = "llamma/oracle"

    def __init__(self, chain: Chain, price_wad: int, *, name: str) -> None:
        check_positive(price_wad, "price_wad", "llamma/bad-price")
        self.chain = chain
        self.state = _OracleState(chain.journal, price_wad=price_wad)
        chain.register(f"{name}/oracle", self.state)

    @action
    def set_price(self, price_wad: int, *, sender: str) -> None:
        """Report the collateral's price (wad). Refused for non-oracles and non-positive prices."""
        self.chain.require_role(self.ROLE, sender, "llamma/not-oracle")
        if price_wad <= 0:
            raise StalePrice("llamma/bad-price", f"price must be positive, got {price_wad}")
        self.state.price_wad = price_wad
        self.chain.emit(OraclePriceSet(price_wad))

    @query
    def price(self) -> int:
        return self.state.price_wad


class _OracleState(Record):
    __slots__ = ("price_wad",)
    price_wad: int


class AmmState(Record):
    """The AMM's scalars (``old_p_o``/``old_dfee``/``prev_p_o_time``: the oracle limiter's memory)."""

    __slots__ = (
        "active_band",
        "admin_fee_wad",
        "admin_fees_x",
        "admin_fees_y",
        "fee_wad",
        "max_band",
        "min_band",
        "old_dfee_wad",
        "old_p_o_wad",
        "prev_p_o_time",
        "rate_mul_wad",
        "rate_time",
        "rate_wad",
    )
    active_band: int
    min_band: int
    max_band: int
    fee_wad: int
    admin_fee_wad: int
    rate_wad: int
    rate_mul_wad: int
    rate_time: int
    old_p_o_wad: int
    old_dfee_wad: int
    prev_p_o_time: int
    admin_fees_x: int
    admin_fees_y: int


class Llamma:
    """One LLAMMA market's AMM: stablecoin ``borrowed`` (coin 0), collateral (coin 1)."""

    def __init__(
        self,
        chain: Chain,
        *,
        borrowed: str,
        collateral: str,
        a: int,
        base_price_wad: int,
        fee_wad: int,
        admin_fee_wad: int,
        oracle: PriceOracle,
        name: str,
    ) -> None:
        if not 2 <= a <= 10_000 or base_price_wad <= 0 or not 0 <= fee_wad < WAD:
            raise InvalidInput("llamma/bad-params", "need 2 <= A <= 10000, base > 0, fee < 1")
        if not 0 <= admin_fee_wad <= WAD:
            raise InvalidInput("llamma/bad-params", "admin fee must lie in [0, 1e18]")
        led = chain.ledger
        self.chain, self.borrowed, self.collateral, self.oracle = (
            chain,
            borrowed,
            collateral,
            oracle,
        )
        self.borrowed_precision: int = 10 ** (18 - led.token(borrowed).decimals)
        self.collateral_precision: int = 10 ** (18 - led.token(collateral).decimals)
        self.a, self.base_price_wad = a, base_price_wad
        self.log_a_ratio = log_a_ratio_wad(a)
        self.sqrt_band_ratio = sqrt_band_ratio_wad(a)
        self.max_oracle_dn_pow = max_oracle_dn_pow(a)
        chain.protect_namespace(name, f"llamma {name}")
        self.account = f"{name}:amm"
        j = chain.journal
        self.state = AmmState(
            j,
            active_band=0,
            min_band=0,
            max_band=0,
            fee_wad=fee_wad,
            admin_fee_wad=admin_fee_wad,
            rate_wad=0,
            rate_mul_wad=WAD,
            rate_time=chain.now,
            old_p_o_wad=oracle.price(),
            old_dfee_wad=0,
            prev_p_o_time=chain.now,
            admin_fees_x=0,
            admin_fees_y=0,
        )
        self.bands_x: Table[int, int] = Table(j)
        self.bands_y: Table[int, int] = Table(j)
        self.total_shares: Table[int, int] = Table(j)
        self.user_ticks: Table[str, tuple[int, int, tuple[int, ...]]] = Table(j)
        chain.register(f"{name}/amm", self.state)
        chain.register(f"{name}/bands-x", self.bands_x)
        chain.register(f"{name}/bands-y", self.bands_y)
        chain.register(f"{name}/total-shares", self.total_shares)
        chain.register(f"{name}/user-ticks", self.user_ticks)

    # -- the BandView the trade math reads ----------------------------------------------------
    @property
    def active_band(self) -> int:
        return self.state.active_band

    @property
    def min_band(self) -> int:
        return self.state.min_band

    @property
    def max_band(self) -> int:
        return self.state.max_band

    def bx(self, n: int) -> int:
        return self.bands_x.get(n, 0)

    def by(self, n: int) -> int:
        return self.bands_y.get(n, 0)

    def _put(self, table: Table[int, int], n: int, value: int) -> None:
        if value < 0:
            raise AssertionError(f"band {n} would hold {value}")
        if value:
            table[n] = value
        else:
            table.discard(n)

    # -- prices -------------------------------------------------------------------------------
    def rate_mul(self) -> int:
        """``rate_mul · (1 + rate · dt)`` (floor): the interest index to now."""
        st = self.state
        return st.rate_mul_wad * (WAD + st.rate_wad * (self.chain.now - st.rate_time)) // WAD

    @query
    def get_base_price(self) -> int:
        """Oracle price of band 0's upper edge: the base price grown with interest."""
        return self.base_price_wad * self.rate_mul() // WAD

    def p_oracle_up(self, n: int) -> int:
        return _p_oracle_up(n, self.get_base_price(), self.log_a_ratio)

    @query
    def p_oracle_down(self, n: int) -> int:
        return _p_oracle_up(n + 1, self.get_base_price(), self.log_a_ratio)

    @reverts
    def limit_p_o(self, p: int) -> tuple[int, int]:
        """(limited oracle price, dynamic fee) for an external price ``p`` (module docstring)."""
        st = self.state
        dt = PREV_P_O_DELAY - min(PREV_P_O_DELAY, self.chain.now - st.prev_p_o_time)
        if dt == 0:
            return p, 0
        old, ratio_floor = st.old_p_o_wad, WAD * WAD // MAX_P_O_CHG
        p_new = p
        if p > old:
            ratio = old * WAD // p
            if ratio < ratio_floor:
                p_new, ratio = old * MAX_P_O_CHG // WAD, ratio_floor
        else:
            ratio = p * WAD // old
            if ratio < ratio_floor:
                p_new, ratio = old * WAD // MAX_P_O_CHG, ratio_floor
        dfee = (WAD + st.old_dfee_wad - ratio**3 // WAD**2) * dt // PREV_P_O_DELAY
        return p_new, min(dfee, WAD - 1)

    @query
    def price_oracle(self) -> int:
        """The oracle price the AMM trades against now (limited)."""
        return self.limit_p_o(self.oracle.price())[0]

    @query
    def dynamic_fee(self) -> int:
        return max(self.state.fee_wad, self.limit_p_o(self.oracle.price())[1])

    def _price_oracle_w(self) -> tuple[int, int]:
        p = self.limit_p_o(self.oracle.price())
        st = self.state
        st.prev_p_o_time, st.old_p_o_wad, st.old_dfee_wad = self.chain.now, p[0], p[1]
        return p

    @query
    def get_p(self) -> int:
        """The AMM's current price in its active band (wad, stablecoin per collateral)."""
        n = self.state.active_band
        return get_p(self.bx(n), self.by(n), self.price_oracle(), self.p_oracle_up(n), self.a)

    @query
    def p_current_down(self, n: int) -> int:
        return p_current_band(self.price_oracle(), self.p_oracle_up(n))

    # -- user positions -----------------------------------------------------------------------
    @query
    def read_user_tick_numbers(self, user: str) -> tuple[int, int]:
        t = self.user_ticks.get(user)
        return (0, 0) if t is None else (t[0], t[1])

    @query
    def has_liquidity(self, user: str) -> bool:
        return user in self.user_ticks

    @query
    def get_sum_xy(self, user: str) -> tuple[int, int]:
        """The loan's (stablecoin, collateral) in its bands now, token units (floor)."""
        t = self.user_ticks.get(user)
        if t is None:
            return 0, 0
        sx = sy = 0
        for i, n in enumerate(range(t[0], t[1] + 1)):
            ts = self.total_shares.get(n, 0) + DEAD_SHARES
            sx += (self.bx(n) + 1) * t[2][i] // ts
            sy += (self.by(n) + 1) * t[2][i] // ts
        return sx // self.borrowed_precision, sy // self.collateral_precision

    def _xy_adiabatic(self, user: str, use_y: bool) -> int:
        t = self.user_ticks.get(user)
        if t is None:
            return 0
        p_o = self.price_oracle()
        ts = self.total_shares
        v = xy_down_up(self, (t[0], t[1]), t[2], ts, p_o, self.sqrt_band_ratio, use_y)
        return v // (self.collateral_precision if use_y else self.borrowed_precision)

    @query
    def get_x_down(self, user: str) -> int:
        """Stablecoin the loan would hold after a slow fall through all its bands (floor)."""
        return self._xy_adiabatic(user, False)

    @query
    def get_y_up(self, user: str) -> int:
        """Collateral the loan would hold after a slow rise through all its bands (floor)."""
        return self._xy_adiabatic(user, True)

    @query
    def can_skip_bands(self, n_end: int) -> bool:
        """No liquidity between the active band and ``n_end`` (exclusive)."""
        n = self.state.active_band
        for _ in range(MAX_SKIP_TICKS):
            if n_end > n:
                if self.by(n) != 0:
                    return False
                n += 1
            else:
                if self.bx(n) != 0:
                    return False
                n -= 1
            if n == n_end:
                break
        return True

    @query
    def active_band_with_skip(self) -> int:
        n0 = n = self.state.active_band
        for _ in range(MAX_SKIP_TICKS):
            if n < self.state.min_band:
                return n0 - MAX_SKIP_TICKS
            if self.bx(n) != 0:
                break
            n -= 1
        return n

    # -- the Controller's entry points (run inside its actions) -------------------------------
    def deposit_range(self, user: str, amount: int, n1: int, n2: int) -> None:
        """Spread ``amount`` collateral (token units) over bands ``n1..n2`` for ``user``.

        The first band takes the remainder of the even split. Shares: ``(s + dead)·y/(Y + 1)``
        (floor). Skips empty bands at and above the active band when the deposit lies above it;
        refuses a deposit into a band holding stablecoin (``llamma/band-not-empty``).
        """
        check_band_order(n1, n2)
        n_bands = n2 - n1 + 1
        y_per_band = amount * self.collateral_precision // n_bands
        if y_per_band <= 100:
            raise InvalidInput("llamma/amount-too-low", "too little collateral per band")
        if user in self.user_ticks:
            raise InvalidInput("llamma/has-liquidity", f"{user} already has a deposit")
        st = self.state
        n0 = st.active_band
        for i in range(MAX_SKIP_TICKS + 1):
            if n1 > n0:
                if i != 0:
                    st.active_band = n0
                break
            if self.bx(n0) != 0 or i >= MAX_SKIP_TICKS:
                raise InvalidInput("llamma/deposit-below-active", "deposit below current band")
            n0 -= 1
        shares: list[int] = []
        for i, band in enumerate(range(n1, n2 + 1)):
            if self.bx(band) != 0:
                raise InvalidInput("llamma/band-not-empty", f"band {band} holds stablecoin")
            y = y_per_band
            if i == 0:
                y = amount * self.collateral_precision - y * (n_bands - 1)
            total_y = self.by(band)
            s = self.total_shares.get(band, 0)
            ds = (s + DEAD_SHARES) * y // (total_y + 1)
            if ds <= 0:
                raise InvalidInput("llamma/amount-too-low", f"no shares in band {band}")
            s += ds
            if s >= 2**128:
                raise LimitExceeded("llamma/too-many-shares", f"band {band} shares overflow")
            shares.append(ds)
            self.total_shares[band] = s
            self._put(self.bands_y, band, total_y + y)
        st.min_band = min(st.min_band, n1)
        st.max_band = max(st.max_band, n2)
        self.user_ticks[user] = (n1, n2, tuple(shares))
        st.rate_mul_wad, st.rate_time = self.rate_mul(), self.chain.now

    def withdraw(self, user: str, frac_wad: int) -> tuple[int, int]:
        """Take ``frac_wad`` of ``user``'s shares out of every band: (stablecoin, collateral) in
        token units (floor). The last shares of a band leave its dust to the admin fees."""
        t = self.user_ticks.get(user)
        if t is None:
            raise InvalidInput("llamma/no-deposit", f"{user} has no deposit")
        st = self.state
        ns0, ns1, old = t
        min_band, old_min, old_max = st.min_band, st.min_band, st.max_band
        max_band = ns0 - 1
        left: list[int] = []
        total_x = total_y = 0
        for i, n in enumerate(range(ns0, ns1 + 1)):
            x, y = self.bx(n), self.by(n)
            ds = frac_wad * old[i] // WAD
            left.append(old[i] - ds)
            s = self.total_shares.get(n, 0)
            new_shares = s - ds
            self._put(self.total_shares, n, new_shares)
            s += DEAD_SHARES
            dx, dy = (x + 1) * ds // s, (y + 1) * ds // s
            x, y = x - dx, y - dy
            if new_shares == 0:  # the band's last owner: its dust becomes admin fees
                st.admin_fees_x += x
                st.admin_fees_y += y // self.collateral_precision
                x = y = 0
            if n == min_band and x == 0 and y == 0:
                min_band += 1
            if x > 0 or y > 0:
                max_band = n
            self._put(self.bands_x, n, x)
            self._put(self.bands_y, n, y)
            total_x += dx
            total_y += dy
        if frac_wad == WAD:
            del self.user_ticks[user]
        else:
            self.user_ticks[user] = (ns0, ns1, tuple(left))
        if old_min != min_band:
            st.min_band = min_band
        if old_max <= ns1:
            st.max_band = max_band
        st.rate_mul_wad, st.rate_time = self.rate_mul(), self.chain.now
        return total_x // self.borrowed_precision, total_y // self.collateral_precision

    def set_rate(self, rate_wad: int) -> int:
        """Accrue the index to now and charge ``rate_wad`` per second from now on."""
        st = self.state
        st.rate_mul_wad, st.rate_time, st.rate_wad = self.rate_mul(), self.chain.now, rate_wad
        return st.rate_mul_wad

    # -- trading ------------------------------------------------------------------------------
    def _precisions(self, pump: bool) -> tuple[int, int]:
        """(in, out) token precisions of a trade."""
        bp, cp = self.borrowed_precision, self.collateral_precision
        return (bp, cp) if pump else (cp, bp)

    def _trade(self, pump: bool, amount: int, p_o: tuple[int, int], exact_in: bool) -> Trade:
        prec = self._precisions(pump)
        st = self.state
        scaled = amount * (prec[0] if exact_in else prec[1])
        return calc_swap(
            self, pump, scaled, p_o[0], st.fee_wad, p_o[1], st.admin_fee_wad, prec, exact_in
        )

    def _quote(self, i: int, j: int, amount: int, exact_in: bool) -> tuple[int, int]:
        _check_pair(i, j)
        if amount <= 0:
            return 0, 0
        t = self._trade(i == 0, amount, self.limit_p_o(self.oracle.price()), exact_in)
        in_p, out_p = self._precisions(i == 0)
        return t.in_amount // in_p, t.out_amount // out_p

    @query
    def get_dxdy(self, i: int, j: int, in_amount: int) -> tuple[int, int]:
        """(in used, out) of ``exchange(i, j, in_amount)`` now, token units."""
        return self._quote(i, j, in_amount, True)

    @query
    def get_dydx(self, i: int, j: int, out_amount: int) -> tuple[int, int]:
        """(out, in needed) of ``exchange_dy(i, j, out_amount)`` now, token units."""
        in_, out = self._quote(i, j, out_amount, False)
        return out, in_

    @query
    def get_amount_for_price(self, p_wad: int) -> tuple[int, bool]:
        """(amount in, pump): what to trade in to move the AMM's price to ``p_wad``."""
        check_positive(p_wad, "p_wad", "llamma/bad-price")
        p_o, dfee = self.limit_p_o(self.oracle.price())
        precisions = (self.borrowed_precision, self.collateral_precision)
        return amount_for_price(self, p_wad, p_o, self.state.fee_wad, dfee, precisions)

    @action
    def exchange(
        self, i: int, j: int, in_amount: int, min_amount: int, *, sender: str
    ) -> tuple[int, int]:
        """Sell ``in_amount`` of coin ``i`` for at least ``min_amount`` of coin ``j``.

        Coin 0 is the stablecoin, 1 the collateral. Writes the limited oracle price first (even
        for a zero trade, as the contract does). Returns (in used, out) in token units; a trade
        too small to move a unit returns (0, 0) and moves nothing. Refused: ``llamma/wrong-index``,
        ``llamma/slippage``, an unfunded sender (``ledger/insufficient-balance``).
        """
        return self._exchange(i, j, in_amount, min_amount, sender, True)

    @action
    def exchange_dy(
        self, i: int, j: int, out_amount: int, max_amount: int, *, sender: str
    ) -> tuple[int, int]:
        """Buy ``out_amount`` of coin ``j`` (or what the bands hold) for at most ``max_amount``
        of coin ``i``; as ``exchange`` otherwise. Returns (in used, out)."""
        return self._exchange(i, j, out_amount, max_amount, sender, False)

    def _exchange(
        self, i: int, j: int, amount: int, bound: int, sender: str, exact_in: bool
    ) -> tuple[int, int]:
        _check_pair(i, j)
        check_amount(amount, "amount", "llamma/bad-amount")
        check_amount(bound, "bound", "llamma/bad-amount")
        p_o = self._price_oracle_w()
        done = (0, 0)
        if amount > 0:
            done = self._apply_trade(i, amount, bound, p_o, sender, exact_in)
        self.chain.emit(TokenExchange(sender, i, done[0], j, done[1], self.state.active_band))
        return done

    def _apply_trade(
        self, i: int, amount: int, bound: int, p_o: tuple[int, int], sender: str, exact_in: bool
    ) -> tuple[int, int]:
        pump = i == 0
        out = self._trade(pump, amount, p_o, exact_in)
        in_p, out_p = self._precisions(pump)
        in_done, out_done = out.in_amount // in_p, out.out_amount // out_p
        if exact_in and out_done < bound:
            raise Slippage("llamma/slippage", f"would get {out_done}, asked at least {bound}")
        if not exact_in and in_done > bound:
            raise Slippage("llamma/slippage", f"would cost {in_done}, allowed at most {bound}")
        if out_done == 0 or in_done == 0:
            return 0, 0
        st = self.state
        if pump:
            st.admin_fees_x += out.admin_fee // in_p
        else:
            st.admin_fees_y += out.admin_fee // in_p
        n, n_diff = min(out.n1, out.n2), abs(out.n2 - out.n1)
        for k in range(n_diff + 1):
            band = n + k
            if pump:
                x, y = out.ticks_in[k], (out.last_tick_j if band == out.n2 else 0)
            else:
                x, y = (out.last_tick_j if band == out.n2 else 0), out.ticks_in[n_diff - k]
            self._put(self.bands_x, band, x)
            self._put(self.bands_y, band, y)
        st.active_band = out.n2
        in_coin, out_coin = (
            (self.borrowed, self.collateral) if pump else (self.collateral, self.borrowed)
        )
        led = self.chain.ledger
        led.transfer(in_coin, sender, self.account, in_done)
        led.transfer(out_coin, self.account, sender, out_done)
        return in_done, out_done

    # -- invariants (tests and the case call these) -------------------------------------------
    def invariant_errors(self) -> list[str]:
        """Broken bookkeeping, as text: coins held cover the bands and fees; one mixed band."""
        errs: list[str] = []
        led, st = self.chain.ledger, self.state
        held_x = led.balance_of(self.borrowed, self.account) * self.borrowed_precision
        held_y = led.balance_of(self.collateral, self.account) * self.collateral_precision
        need_x = sum(self.bands_x.values()) + st.admin_fees_x * self.borrowed_precision
        need_y = sum(self.bands_y.values()) + st.admin_fees_y * self.collateral_precision
        if held_x < need_x:
            errs.append(f"stablecoin held {held_x} < bands and fees {need_x}")
        if held_y < need_y:
            errs.append(f"collateral held {held_y} < bands and fees {need_y}")
        for n in self.bands_x:
            if n > st.active_band:
                errs.append(f"band {n} above the active band holds stablecoin")
        for n in self.bands_y:
            if n < st.active_band:
                errs.append(f"band {n} below the active band holds collateral")
        for n in set(self.bands_x) | set(self.bands_y):
            if not st.min_band <= n <= st.max_band:
                errs.append(f"band {n} outside [{st.min_band}, {st.max_band}]")
        for user, (n1, n2, shares) in self.user_ticks.items():
            if len(shares) != n2 - n1 + 1:
                errs.append(f"{user}: {len(shares)} share entries for bands {n1}..{n2}")
        for n, s in self.total_shares.items():
            owned = sum(t[2][n - t[0]] for t in self.user_ticks.values() if t[0] <= n <= t[1])
            if owned != s:
                errs.append(f"band {n}: total shares {s} != users' {owned}")
        return errs


def _check_pair(i: int, j: int) -> None:
    if not ((i == 0 and j == 1) or (i == 1 and j == 0)):
        raise InvalidInput(
            "llamma/wrong-index", f"coins (i, j) must be (0, 1) or (1, 0), got {(i, j)}"
        )
