"""The yield family's liquidation keeper and peg arbitrageur (docs/yield-vaults.md §7.3).

``ShareKeeper``: barks every unsafe CDP vault of the vault-share collateral type, and takes each
auction at the first second its price curve falls to the keeper's bid

    bid = NAV per share × (1 − margin − wait_days × wait_cost_apr / 365)

where ``wait_days`` is how long the vault's oldest pending redemption has waited (the keeper can
only turn shares into the asset through the vault's queue, so a blocked queue lowers its bid).
It pays with AI dollars it holds (topped up from its asset through the PSM, or the pool when the
PSM is out), requests the redemption of every share it bought, and claims what settles. The
crossing is found exactly on the clipper's integer curve by bisection over the auction's age; the
keeper warps the clock to it when it falls before the next step (as the AI-dollar family's
keepers do), otherwise it waits.

``PegArbitrageur``: trades the AI dollar's StableSwap pool toward the PSM's band in chunks of
1/200 of the pool's AI-dollar balance, with a daily budget: above ``(1 + tin)/(1 − fee)`` it mints
through the PSM and sells in the pool; below ``(1 − tout)(1 − fee)`` it buys in the pool and
redeems through the PSM while it holds gem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ....errors import PeglabError
from ....protocols.amm.stableswap import StableSwapPool
from ....protocols.cdp import AIDollar
from ....protocols.cdp.clip import auction_price
from ....protocols.yieldvault import EpochVault
from ....units import RAY, WAD

__all__ = ["PegArbitrageur", "ShareKeeper", "pool_price"]


def pool_price(pool: StableSwapPool, dollar: str, asset: str, asset_decimals: int) -> float:
    """Marginal price of the AI dollar in the asset (a small exact quote, fee added back)."""
    bal = pool.balances[pool.coin_index(dollar)]
    probe = max(bal // 100_000, WAD)
    try:
        out = pool.quote_exact_in(dollar, probe, asset)
    except PeglabError:
        return 0.0
    return float(out / 10**asset_decimals / (probe / WAD) / (1.0 - pool.fee / 1e10))


@dataclass
class ShareKeeper:
    """Liquidation keeper for the vault-share collateral (module docstring)."""

    account: str
    dollar: AIDollar
    ilk: str
    vault: EpochVault
    pool: StableSwapPool
    margin: float = 0.02
    wait_cost_apr: float = 0.5
    inventory_wad: int = 0
    # auction id -> [debt moved to the buffer at bark (rad), AI dollars recovered (rad)]
    books: dict[int, list[int]] = field(default_factory=dict)
    liquidated_vaults: set[int] = field(default_factory=set)
    barks: int = 0
    takes: int = 0

    def bid_ray(self, wait_days: float) -> int:
        """The keeper's price per wad of collateral [ray] (module docstring)."""
        v = self.vault
        pps = v.price_per_share()  # asset units per whole share
        nav = pps / 10**v.asset_decimals  # asset per whole share, the asset at $1
        haircut = self.margin + wait_days * self.wait_cost_apr / 365.0
        # a whole share is one wad of the clipper's collateral, so the price per wad is per share
        return int(nav * max(0.0, 1.0 - haircut) * RAY)

    def bark_all(self, vault_ids: list[int]) -> None:
        d = self.dollar
        for vid in vault_ids:
            if vid in self.liquidated_vaults and d.vat.vaults[vid].art_wad == 0:
                continue
            view = d.vault(vid)
            if view.safe or view.debt_wad == 0:
                continue
            v = d.vat.vaults[vid]
            due = v.art_wad * d.vat.ilks[self.ilk].rate_ray
            try:
                aid = d.bark(vid, self.account, sender=self.account)
            except PeglabError:
                continue
            moved = due - d.vat.vaults[vid].art_wad * d.vat.ilks[self.ilk].rate_ray
            self.books.setdefault(aid, [0, 0])[0] += moved
            self.liquidated_vaults.add(vid)
            self.barks += 1

    def take_all(self, wait_days: float, next_step_at: int) -> None:
        """Take every running auction at its crossing with the bid, if it comes before the next
        step (warping the clock forward to it); restart auctions that need it."""
        d, clip = self.dollar, self.dollar.clipper(self.ilk)
        chain = d.chain
        for aid in sorted(clip.active()):
            st = clip.status(aid)
            if st.needs_redo:
                try:
                    clip.redo(aid, self.account, sender=self.account)
                except PeglabError:
                    continue
                st = clip.status(aid)
            bid = self.bid_ray(wait_days)
            if bid <= 0:
                continue
            sale = clip.sale(aid)
            when = self._crossing(sale.top_ray, sale.tic, bid, next_step_at)
            if when is None:
                continue
            if when > chain.now:
                chain.warp(when)
            self._take(aid, bid)

    def _crossing(self, top: int, tic: int, bid: int, before: int) -> int | None:
        """First time in [now, before) at which the auction's price is at most ``bid``."""
        p = self.dollar.clipper(self.ilk).params
        now = self.dollar.chain.now
        lo, hi = now - tic, min(before - 1 - tic, p.tail_s)
        if hi < lo:
            return None
        if auction_price(p, top, hi) > bid:
            return None
        if auction_price(p, top, lo) <= bid:
            return now
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if auction_price(p, top, mid) <= bid:
                hi = mid
            else:
                lo = mid
        return tic + hi

    def _take(self, aid: int, max_price: int) -> None:
        d = self.dollar
        ledger = d.chain.ledger
        have = ledger.balance_of(d.symbol, self.account)
        st = d.clipper(self.ilk).status(aid)
        if st.price_ray == 0 or have == 0:
            return
        amount = min(st.lot_wad, have * RAY // st.price_ray)
        if amount <= 0:
            return
        try:
            _, owe = d.take(self.ilk, aid, amount, max_price, sender=self.account)
        except PeglabError:
            return
        self.books.setdefault(aid, [0, 0])[1] += owe
        self.takes += 1

    def redeem_and_refill(self, psm_ok: bool) -> None:
        """Queue every share held for redemption, claim what settled, refill AI dollars."""
        v, a = self.vault, self.account
        ledger = v.chain.ledger
        try:
            claim = v.claimable_redeem_shares(a)
            if claim:
                v.redeem(claim, a, a, sender=a)
            shares = v.balance_of(a)
            if shares and not v.closed:
                v.request_redeem(shares, a, a, sender=a)
        except PeglabError:
            pass
        d = self.dollar
        short = self.inventory_wad - ledger.balance_of(d.symbol, a)
        cash = ledger.balance_of(v.asset, a)
        if short <= WAD or not cash:
            return
        units = min(cash, short * 10**v.asset_decimals // WAD)
        if units <= 0:
            return
        try:
            if psm_ok:
                d.sell_gem(units, sender=a)
                return
        except PeglabError:
            pass
        try:
            self.pool.swap_exact_in(v.asset, units, 0, sender=a)
        except PeglabError:
            pass

    def shortfall_rad(self, nav_ray_per_wad: int) -> int:
        """Debt the liquidations have not recovered: per auction ``due − recovered``, less (for a
        running auction) its lot valued at NAV, never below zero."""
        clip = self.dollar.clipper(self.ilk)
        active = set(clip.active())
        total = 0
        for aid, (due, got) in self.books.items():
            left = due - got
            if aid in active:
                left -= clip.sale(aid).lot_wad * nav_ray_per_wad
            total += max(0, left)
        return total


@dataclass
class PegArbitrageur:
    """PSM-pool arbitrage with a daily budget (module docstring)."""

    account: str
    dollar: AIDollar
    pool: StableSwapPool
    asset: str
    asset_decimals: int
    budget_usd: float
    funder: str
    max_chunks: int = 40

    def act(self) -> None:
        d, pool = self.dollar, self.pool
        psm = d.psm
        if psm is None:
            return
        ledger = d.chain.ledger
        tin = psm.state.tin_wad / WAD
        tout = psm.state.tout_wad / WAD
        fee = pool.fee / 1e10
        scale = 10**self.asset_decimals
        chunk = max(pool.balances[pool.coin_index(d.symbol)] / WAD / 200.0, 1.0)
        spent = 0.0
        for _ in range(self.max_chunks):
            if spent + chunk > self.budget_usd:
                break
            price = pool_price(pool, d.symbol, self.asset, self.asset_decimals)
            units = int(chunk * scale)
            try:
                if price > (1 + tin) / (1 - fee):
                    ledger.transfer(self.asset, self.funder, self.account, units)
                    d.sell_gem(units, sender=self.account)
                    pool.swap_exact_in(
                        d.symbol, ledger.balance_of(d.symbol, self.account), 0, sender=self.account
                    )
                elif price < (1 - tout) * (1 - fee) and psm.gem_held > 0:
                    ledger.transfer(self.asset, self.funder, self.account, units)
                    pool.swap_exact_in(self.asset, units, 0, sender=self.account)
                    got = ledger.balance_of(d.symbol, self.account)
                    gem = min(got * scale // (WAD + psm.state.tout_wad), psm.gem_held)
                    if gem <= 0:
                        break
                    d.buy_gem(gem, sender=self.account)
                else:
                    break
            except PeglabError:
                break
            finally:
                back = ledger.balance_of(self.asset, self.account)
                if back:
                    ledger.transfer(self.asset, self.account, self.funder, back)
            spent += chunk
