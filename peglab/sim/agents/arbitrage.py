"""A greedy arbitrageur across every venue of a path: pools, the external market and the PSMs.

As crvUSDrisk's arbitrageur does (docs/risk-lab.md "Arbitrage"): the venues are edges of a graph
of tokens; every simple cycle that starts and ends in the reference stablecoin (length 2 to
``arbitrageurs.max_legs``) is a candidate trade. Each round the arbitrageur

1. prices every edge at the margin (a small exact quote on a StableSwap pool, the reserves of a
   constant-product pool, the venue's current price, the PSM's fee), and keeps the cycles whose
   marginal rate exceeds one;
2. sizes each of the best ``_CANDIDATES`` of them by the engine's exact quotes along the cycle
   (the gain ``out(x) - x`` is concave in the input ``x``: doubling, then
   ``arbitrageurs.search_steps`` golden-section steps);
3. executes the most profitable one leg by leg on the engine (pools: ``swap_exact_in``; PSM:
   ``sell_gem``/``buy_gem``; external market: :class:`~peglab.sim.venue.Venue` ``sell``/``buy``,
   which move its price),

until the best gain after gas (``arbitrageurs.gas_usd`` per on-chain leg, times the gas
multiplier) is below ``arbitrageurs.min_profit_usd``, its capital (``capital_usd`` of reference
stablecoin, profits kept) runs out, or it made ``max_trades`` trades this step.

Amounts are exact ints in each token's base units; a venue leg converts to float and back
(truncating). The external market delivers tokens it does not hold by minting them to itself
first (its stock is outside the chain).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ...errors import PeglabError
from ...protocols.amm.constant_product import ConstantProductPool
from ...protocols.amm.stableswap import StableSwapPool
from ...protocols.cdp.psm import PEG_FLOOR_WAD
from ...units import WAD
from ..families.ai_dollar.state import DollarPath
from ..world import MARKET
from . import dealer

__all__ = ["ARB", "Arbitrageur", "Leg", "cycles", "graph"]

ARB = "arb"
_CANDIDATES = 2  # cycles sized per round (best estimated gains first)
_U256 = 2**256
_GOLDEN = 0.3819660112501051  # 2 - phi
_SCREEN = (
    2.0  # a cycle is sized when twice its estimated gain (``estimate``) covers gas + threshold
)


@dataclass(frozen=True, slots=True)
class Leg:
    """One directed edge: ``src`` in, ``dst`` out, on a pool (``key`` its id), the external
    market (``key`` the asset symbol) or a PSM (``key`` the AI dollar)."""

    kind: Literal["pool", "venue", "psm"]
    key: str
    src: str
    dst: str

    @property
    def onchain(self) -> bool:
        return self.kind != "venue"


class Arbitrageur:
    """The arbitrageur of one path (module docstring)."""

    def __init__(self, s: DollarPath) -> None:
        self.s = s
        w = s.w
        self.stable = w.stable
        ledger = w.chain.ledger
        self.unit: dict[str, int] = {t: 10 ** int(ledger.token(t).decimals) for t in ledger.tokens}
        self.params = s.sc.agents.arbitrageurs
        self.steps = int(self.params.search_steps)  # golden-section steps (bracket x 0.618^n)
        self.trades = 0
        self.volume_usd = 0.0
        legs = graph(
            {pid: pool.coins for pid, pool in w.pools.items()},
            s.sc.assets,
            self.stable,
            [
                sym
                for sym, d in s.dollars.items()
                if d.psm is not None and d.psm.token == self.stable
            ],
        )
        self.legs = legs
        # per StableSwap leg (pool id, src, dst; a Leg's own hash is slower): (the pool's
        # balances, A, fee) when last priced, and its margin
        self._margins: dict[tuple[str, str, str], tuple[tuple[Any, ...], tuple[float, float]]] = {}
        # pool id -> (src, dst) -> the pool's ``quoter`` quote (``quote_exact_in`` without the
        # query boundary; it reads the pool as it is at each call). Closures cannot be pickled (a
        # sandbox's world is), so they are made on first use and dropped by ``__getstate__``.
        self._quotes: dict[str, dict[tuple[str, str], Callable[[int], int]]] | None = None
        self.cycles = cycles(legs, self.stable, int(self.params.max_legs)) if self.stable else []
        # each cycle as positions in ``legs`` with its on-chain leg count (run's screen)
        at = {leg: n for n, leg in enumerate(legs)}
        self._plan = [
            (cyc, tuple(at[leg] for leg in cyc), sum(leg.onchain for leg in cyc))
            for cyc in self.cycles
        ]

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_quotes": None}

    def _pool_quotes(self) -> dict[str, dict[tuple[str, str], Callable[[int], int]]]:
        pools = self.s.w.pools
        quotes: dict[str, dict[tuple[str, str], Callable[[int], int]]] = {}
        for leg in self.legs:
            pool = pools[leg.key] if leg.kind == "pool" else None
            if isinstance(pool, StableSwapPool):
                fn = pool.quoter(leg.src, leg.dst)[0]
            elif isinstance(pool, ConstantProductPool):
                fn = pool.quoter(leg.src, leg.dst)
            else:
                continue
            quotes.setdefault(leg.key, {})[leg.src, leg.dst] = fn
        return quotes

    # -- one leg ---------------------------------------------------------------------------------
    def quote(self, leg: Leg, x: int) -> int:
        """What ``x`` base units of ``leg.src`` fetch of ``leg.dst`` now (0: not possible)."""
        if x <= 0:
            return 0
        s = self.s
        if leg.kind == "pool":
            if self._quotes is None:
                self._quotes = self._pool_quotes()
            by_pair = self._quotes.get(leg.key)
            fast = None if by_pair is None else by_pair.get((leg.src, leg.dst))
            try:
                if fast is None:
                    out: int = s.w.pools[leg.key].quote_exact_in(leg.src, x, leg.dst)
                elif x < _U256:  # what the query boundary admits: a positive int below 2^256
                    out = fast(x)
                else:
                    return 0
            except PeglabError:
                return 0
            return out
        if leg.kind == "venue":
            a = s.asset_index[leg.key]
            if leg.src == self.stable:
                units = s.venue.quote_buy(a, x / self.unit[leg.src])
                return int(units * self.unit[leg.dst])
            usd = s.venue.quote_sell(a, x / self.unit[leg.src])
            return int(usd * self.unit[leg.dst])
        return self._psm(leg, x)[1]

    def _psm(self, leg: Leg, x: int) -> tuple[int, int]:
        """``(gem amount of the PSM call, output)`` of a PSM leg, within its room and inventory."""
        s = self.s
        if not s.live(leg.key):
            return 0, 0
        d = s.dollars[leg.key]
        psm = d.psm
        if psm is None:
            return 0, 0
        st = psm.state
        to18 = self.unit[leg.key] // self.unit[leg.src if leg.src == self.stable else leg.dst]
        if leg.src == self.stable:  # mint: gem in, AI dollars out less tin (floor, as the PSM)
            if st.tin_wad > WAD or x * to18 > dealer.psm_room(s, leg.key) or not _gem_ok(d):
                return 0, 0
            g18 = x * to18
            return x, g18 - g18 * st.tin_wad // WAD
        gem, _paid = dealer.psm_redeem(s, leg.key, x)  # redeem: AI dollars in, gem out
        return gem, gem

    def margin(self, leg: Leg) -> tuple[float, float]:
        """``(rate, scale)`` of ``leg``: the marginal rate in whole tokens out per whole token in
        (0: closed) and the input [whole tokens] over which it decays like ``1 / (1 + x / scale)``
        (``inf``: linear). Constant product: half the input reserve; StableSwap: from its
        invariant (``_stableswap_margin``, kept while the pool's balances, ``A`` and fee are
        those it was computed at, across steps); venue: ``1 / k`` of notional."""
        s = self.s
        uin, uout = self.unit[leg.src], self.unit[leg.dst]
        if leg.kind == "pool":
            pool = s.w.pools[leg.key]
            if hasattr(pool, "get_reserves"):
                r0, r1, _ = pool.get_reserves()
                r_in, r_out = (r0, r1) if leg.src == pool.coins[0] else (r1, r0)
                if r_in <= 0:
                    return 0.0, math.inf
                fee = float(pool.fee_bps) / 1e4
                return float(r_out / uout) / float(r_in / uin) * (1.0 - fee), r_in / uin / 2
            state = (pool.balances, pool.A(), pool.fee)
            at = (leg.key, leg.src, leg.dst)
            known = self._margins.get(at)
            if known is None or known[0] != state:
                known = self._margins[at] = (state, _stableswap_margin(pool, leg.src, leg.dst))
            return known[1]
        if leg.kind == "venue":
            a = s.asset_index[leg.key]
            p: float = s.venue.price(a)
            kv = s.venue.k_of(a)
            if p <= 0 or math.isinf(kv):
                return 0.0, math.inf
            f = float(s.venue.fundamental[s.venue.k, a])
            if leg.src == self.stable:  # USD in: d units / d usd = (1/p) / (1 + usd k f / p)
                return 1.0 / p, (p / (kv * f) if kv > 0 else math.inf)
            return p, (1.0 / (kv * f) if kv > 0 else math.inf)  # units in: p exp(-k f units)
        return self.quote(leg, 1000 * uin) / uout / 1000.0, math.inf

    def execute(self, leg: Leg, x: int) -> int:
        """Trade ``x`` of ``leg.src`` on the engine and the venue; returns what was received."""
        s = self.s
        ledger = s.w.chain.ledger
        if leg.kind == "pool":
            pool = s.w.pools[leg.key]
            got = s.attempt(
                leg.dst, pool.swap_exact_in, leg.src, x, 0, sender=ARB, token_out=leg.dst
            )
            return int(got or 0)
        if leg.kind == "psm":
            gem, out = self._psm(leg, x)
            if gem <= 0:
                return 0
            d = s.dollars[leg.key]
            if leg.src == self.stable:
                return int(s.attempt(leg.key, d.sell_gem, gem, sender=ARB) or 0)
            return gem if s.attempt(leg.key, d.buy_gem, gem, sender=ARB) is not None else 0
        a = s.asset_index[leg.key]
        out = self.quote(leg, x)
        if out <= 0:
            return 0
        if leg.src == self.stable:  # buy on the external market: pay, then receive the tokens
            s.venue.buy(a, out / self.unit[leg.dst])
            ledger.transfer(leg.src, ARB, MARKET, x)
            short = out - ledger.balance_of(leg.dst, MARKET)
            if short > 0:
                ledger.mint(leg.dst, MARKET, short)
            ledger.transfer(leg.dst, MARKET, ARB, out)
        else:
            s.venue.sell(a, x / self.unit[leg.src])
            ledger.transfer(leg.src, ARB, MARKET, x)
            ledger.transfer(leg.dst, MARKET, ARB, out)
        return out

    # -- cycles ----------------------------------------------------------------------------------
    def gain(self, cycle: tuple[Leg, ...], x: int) -> int | None:
        """Stablecoin out minus ``x`` in along ``cycle`` by exact quotes (None: not possible)."""
        amount = x
        for leg in cycle:
            amount = self.quote(leg, amount)
            if amount <= 0:
                return None
        return amount - x

    def estimate(
        self, cycle: tuple[Leg, ...], margins: dict[Leg, tuple[float, float]]
    ) -> tuple[float, float, float]:
        """``(marginal rate, gain, input)`` of the cycle to first order: its marginal rate ``m``
        decays like ``m / (1 + x / R)`` with ``1 / R = sum(c_i / scale_i)`` (``c_i`` the leg's
        input per stablecoin at the margin), so the best input is near ``R (m - 1)`` and gains
        about ``R (m - 1)^2 / 2`` [whole stablecoins]. A screen and a starting size only: the
        trade itself is sized by exact quotes."""
        return _first_order([margins[leg] for leg in cycle])

    def size(self, cycle: tuple[Leg, ...], cash: int, guess: int) -> tuple[int, int]:
        """``(input, gain)``: the input up to ``cash`` that maximises the cycle's exact gain,
        searched from ``guess`` (doubling to bracket it, then ``search_steps`` golden-section
        steps)."""

        def g(x: int) -> float:
            v = self.gain(cycle, x)
            return -math.inf if v is None else float(v)

        assert self.stable is not None
        x = max(min(cash, guess), 1)
        gx = g(x)
        while gx <= 0 and x > self.unit[self.stable]:  # the guess overshot: halve
            x //= 2
            gx = g(x)
        if gx <= 0:
            return 0, 0
        lo = 0
        while 2 * x <= cash:
            g2 = g(2 * x)
            if g2 <= gx:
                break
            lo, x, gx = x, 2 * x, g2
        hi = min(2 * x, cash)
        # golden section on [lo, hi] around x (the gain is concave in the input)
        a, b = lo, hi
        c = b - int((b - a) * (1 - _GOLDEN))
        dd = a + int((b - a) * (1 - _GOLDEN))
        gc, gd = g(c), g(dd)
        for _ in range(self.steps):
            if gc >= gd:
                b, dd, gd = dd, c, gc
                c = b - int((b - a) * (1 - _GOLDEN))
                gc = g(c)
            else:
                a, c, gc = c, dd, gd
                dd = a + int((b - a) * (1 - _GOLDEN))
                gd = g(dd)
        best = max(((gx, x), (gc, c), (gd, dd)))
        return (best[1], int(best[0])) if best[0] > 0 else (0, 0)

    def run(self, k: int) -> None:
        """Trade this step until the best cycle's gain after gas is below the threshold."""
        s, p = self.s, self.params
        if not p.enabled or self.stable is None or not self.cycles:
            return
        ledger = s.w.chain.ledger
        unit = self.unit[self.stable]
        gas = float(p.gas_usd) * float(s.cond.gas[k])
        floor = float(p.min_profit_usd)
        for _ in range(int(p.max_trades)):
            cash = ledger.balance_of(self.stable, ARB)
            if cash <= 0:
                return
            margins = [self.margin(leg) for leg in self.legs]
            screened = []
            for cyc, at_legs, onchain in self._plan:  # ``estimate`` by positions
                m, est, at = _first_order(map(margins.__getitem__, at_legs))
                n_gas = gas * onchain
                if m > 1.0 and _SCREEN * est >= floor + n_gas:
                    screened.append((est - n_gas, at, n_gas, cyc))
            screened.sort(key=lambda t: -t[0])
            best: tuple[float, int, tuple[Leg, ...]] | None = None
            for _est, at, n_gas, cyc in screened[:_CANDIDATES]:
                guess = cash if math.isinf(at) else int(at * unit)
                x, gain = self.size(cyc, cash, guess)
                net = gain / unit - n_gas
                if x > 0 and net >= floor and (best is None or net > best[0]):
                    best = (net, x, cyc)
            if best is None:
                return
            _net, x, cyc = best
            amount = x
            for leg in cyc:
                amount = self.execute(leg, amount)
                if amount <= 0:
                    break  # a refused leg: the arbitrageur keeps what it holds
            self.trades += 1
            self.volume_usd += x / unit


def _first_order(margins: Iterable[tuple[float, float]]) -> tuple[float, float, float]:
    """``Arbitrageur.estimate`` of a cycle from its legs' ``(rate, scale)`` in order."""
    m, inv = 1.0, 0.0
    for r, scale in margins:
        inv += m / scale
        m *= r
    if m <= 1.0:
        return m, 0.0, 0.0
    if inv <= 0.0:
        return m, math.inf, math.inf
    big_r = 1.0 / inv
    return m, big_r * (m - 1.0) ** 2 / 2.0, big_r * (m - 1.0)


def _stableswap_margin(pool: Any, src: str, dst: str) -> tuple[float, float]:
    """``(rate, scale)`` of a StableSwap swap ``src -> dst`` from the legacy invariant
    ``Ann S + D = Ann D + D_P``, ``D_P = D^(n+1) / (n^n prod x)``, ``Ann = A n``: at fixed ``D``
    the marginal rate is ``(Ann + D_P / x_i) / (Ann + D_P / x_j)`` (balances in D units, i.e.
    whole tokens), less the fee; ``scale`` from the rate after 1% of ``x_i`` more, moving along
    the curve to first order, at most the smaller balance. Floats: a screen and a starting size
    only (tested against exact quotes)."""
    xp = [float(x) for x in pool.xp()]
    i, j = pool.coin_index(src), pool.coin_index(dst)
    n = len(xp)
    if min(xp) <= 0:
        return 0.0, math.inf
    ann = float(pool.A()) * n
    d = float(pool.get_D())
    fee = 1.0 - float(pool.fee) / 1e10

    def rate(x: list[float]) -> float:
        prod = 1.0
        for v in x:
            prod *= v
        d_p = d ** (n + 1) / (n**n * prod)
        out: float = (ann + d_p / x[i]) / (ann + d_p / x[j])
        return out

    r0 = rate(xp)
    h = xp[i] / 100
    moved = list(xp)
    moved[i] += h
    moved[j] -= r0 * h
    if moved[j] <= 0:
        return r0 * fee, math.inf
    r1 = rate(moved)
    scale = h / 1e18 / (r0 / r1 - 1.0) if r1 < r0 else math.inf
    # the flat middle of the curve ends where a coin runs out: no scale beyond the balances
    return r0 * fee, min(scale, min(xp[i], xp[j]) / 1e18)


def _gem_ok(d: Any) -> bool:
    """The PSM mints only while its gem's price source reads at least its floor (0.98)."""
    price = d.psm.price
    if price is None:
        return True
    val, ok, _ = price.read()
    return bool(ok) and val >= PEG_FLOOR_WAD


def graph(
    pools: Mapping[str, Sequence[str]],
    assets: Sequence[Any],
    stable: str | None,
    psm_dollars: Sequence[str],
) -> list[Leg]:
    """The arbitrage graph's edges: each ordered pair of coins of every pool (``pools``: id ->
    coins); with a reference stablecoin, the venue's buy and sell of every pooled asset with a
    ``D10`` (AI tokens, majors, the governance token) and the mint and redemption of every AI
    dollar in ``psm_dollars`` (those with a PSM of the stablecoin)."""
    legs: list[Leg] = []
    for pid, coins in pools.items():
        for c_in in coins:
            for c_out in coins:
                if c_in != c_out:
                    legs.append(Leg("pool", pid, c_in, c_out))
    if stable is None:
        return legs
    pooled = {c for coins in pools.values() for c in coins}
    for a in assets:
        if (
            a.symbol in pooled
            and a.d10_usd is not None
            and a.kind in ("ai-token", "major", "governance")
        ):
            legs.append(Leg("venue", a.symbol, stable, a.symbol))
            legs.append(Leg("venue", a.symbol, a.symbol, stable))
    for sym in psm_dollars:
        legs.append(Leg("psm", sym, stable, sym))
        legs.append(Leg("psm", sym, sym, stable))
    return legs


def cycles(legs: list[Leg], stable: str, max_legs: int) -> list[tuple[Leg, ...]]:
    """Simple cycles ``stable -> ... -> stable`` of 2..``max_legs`` legs (tokens not repeated),
    skipping a leg that undoes the previous one on the same venue."""
    out_of: dict[str, list[Leg]] = {}
    for leg in legs:
        out_of.setdefault(leg.src, []).append(leg)
    found: list[tuple[Leg, ...]] = []

    def walk(path: list[Leg], seen: set[str]) -> None:
        at = path[-1].dst
        for leg in out_of.get(at, []):
            if leg.key == path[-1].key and leg.kind == path[-1].kind:
                continue
            if leg.dst == stable:
                if len(path) + 1 >= 2:
                    found.append((*path, leg))
            elif leg.dst not in seen and len(path) + 1 < max_legs:
                walk([*path, leg], seen | {leg.dst})

    for first in out_of.get(stable, []):
        walk([first], {stable, first.dst})
    return found
