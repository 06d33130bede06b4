"""A leverage looper on vault shares: borrow an AI dollar against shares, buy more shares, repeat.

The loop (docs/yield-vaults.md §7.2). A looper holds an epoch vault's shares locked in an AI
dollar's CDP vault. Each day (``act``), on the engine's actions only:

1. **claim**: settled deposit requests become shares (``EpochVault.deposit``) and go straight
   into the CDP vault as collateral (``AIDollar.deposit``); settled redemptions are claimed
   (``EpochVault.redeem``) as the vault's asset;
2. **decide**: the looper unwinds while any trigger holds, and levers up otherwise:

   * *rate*: the AI dollar's borrow APR (its stability fee) exceeds the vault's trailing APY
     less ``min_spread`` (the carry no longer pays);
   * *NAV*: the vault's price per share fell more than ``nav_drop`` below its running peak;
   * *health*: the CDP vault's collateral ratio fell below ``mat × (1 + health_buffer)``.

   Once unwinding it keeps unwinding until the triggers clear with ``relever_gap`` to spare
   (hysteresis: a rate that hovers at the threshold does not flip it every day);
3. **lever up** toward ``target_leverage`` L = exposure / equity (exposure: every share and
   pending deposit at NAV; equity: exposure + cash − debt), i.e. toward debt ``D* = E (L − 1)``:
   mint AI dollars (at most what the CDP's spot allows, less
   ``mint_margin``), sell them for the vault's asset in the AI dollar's StableSwap pool (refusing a
   price below ``1 − max_slippage_bps``; a sale that would exceed it is halved until it fits or
   dropped), and request a deposit of the proceeds (plus any asset on hand). Every settlement adds
   one turn of the loop, so the position converges on ``L`` geometrically;
4. **unwind**: buy AI dollars in the pool with the asset on hand (paying at most
   ``1 + max_unwind_premium_bps``) and repay; withdraw the collateral the CDP lets go while the
   ratio stays at ``mat × (1 + health_buffer + relever_gap)``, and request its redemption; the next settlement pays the asset,
   which repays more. Exits of the vault and the pool's depth pace the unwind; a locked or blocked
   vault stops it.

Amounts are integers in each token's base units; floats only decide (APRs, leverage).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ...errors import PeglabError
from ...protocols.amm.stableswap import StableSwapPool
from ...protocols.cdp import AIDollar
from ...protocols.yieldvault import EpochVault
from ...units import BPS, RAY, WAD, YEAR

__all__ = ["LoopParams", "Looper", "borrow_apr"]

Mode = Literal["lever", "unwind"]


@dataclass(frozen=True)
class LoopParams:
    """A looper's thresholds (each a scenario parameter; defaults in docs/yield-vaults.md §7.2)."""

    target_leverage: float = 5.0
    min_spread: float = 0.0
    nav_drop: float = 0.01
    health_buffer: float = 0.03
    relever_gap: float = 0.005
    max_slippage_bps: int = 30
    max_unwind_premium_bps: int = 300
    mint_margin: float = 0.005
    apy_lookback_days: int = 7

    def __post_init__(self) -> None:
        if not 1.0 <= self.target_leverage <= 50.0:
            raise ValueError(f"target_leverage must lie in [1, 50]: {self.target_leverage}")
        if self.nav_drop <= 0 or self.health_buffer < 0 or self.apy_lookback_days < 1:
            raise ValueError(f"bad looper thresholds: {self}")


def borrow_apr(dollar: AIDollar, ilk: str) -> float:
    """The AI dollar's annual borrow rate for ``ilk`` (stability fee, compounded per second)."""
    duty = dollar.ilk(ilk).duty_ray + dollar.jug.base.base_ray
    return math.exp(math.log(duty / RAY) * YEAR) - 1.0


@dataclass
class Looper:
    """One looping account (module docstring). ``act`` once per day after the vault settled."""

    account: str
    vault: EpochVault
    dollar: AIDollar
    ilk: str
    pool: StableSwapPool
    params: LoopParams = field(default_factory=LoopParams)
    mode: Mode = "lever"
    cdp: int = 0
    pps_hist: deque[int] = field(default_factory=deque)
    pps_peak: int = 0
    refused: int = 0
    unwinds: int = 0

    def __post_init__(self) -> None:
        self.asset = self.vault.asset
        self.i_dollar = self.pool.coin_index(self.dollar.symbol)
        self.i_asset = self.pool.coin_index(self.asset)
        self.asset_scale = 10**self.vault.asset_decimals
        self.pps_hist = deque(maxlen=self.params.apy_lookback_days + 1)

    # -- reads -----------------------------------------------------------------------------------
    def position(self) -> tuple[int, int]:
        """``(collateral shares in the CDP, debt in AI-dollar wad, rounded up)``."""
        if not self.cdp:
            return 0, 0
        v = self.dollar.vault(self.cdp)
        return v.collateral, v.debt_wad

    def vault_apy(self) -> float | None:
        """Trailing APY of the vault's price per share over the lookback (None: not enough data)."""
        h = self.pps_hist
        if len(h) <= self.params.apy_lookback_days or h[0] <= 0:
            return None
        days = len(h) - 1
        return float((h[-1] / h[0]) ** (365.0 / days) - 1.0)

    def exposure_units(self) -> int:
        """Asset units the looper has in the vault: shares (locked, free, claimable, escrowed for
        redemption) at NAV, pending deposits and claimable redemptions."""
        v, a = self.vault, self.account
        coll, _ = self.position()
        shares = coll + v.balance_of(a) + v.max_mint(a) + v.pending_total("redeem", a)
        return v.convert_to_assets(shares) + v.pending_total("deposit", a) + v.max_withdraw(a)

    def equity_usd(self) -> float:
        """Exposure + the asset and AI dollars on hand − debt (the AI dollar valued at par)."""
        ledger = self.vault.chain.ledger
        _, debt = self.position()
        cash = ledger.balance_of(self.asset, self.account)
        held = ledger.balance_of(self.dollar.symbol, self.account)
        return float((self.exposure_units() + cash) / self.asset_scale + (held - debt) / WAD)

    def leverage(self) -> float:
        """Exposure / equity; 1.0 without debt."""
        _, debt = self.position()
        if debt == 0:
            return 1.0
        eq = self.equity_usd()
        return self.exposure_units() / self.asset_scale / eq if eq > 0 else math.inf

    def triggers(self) -> list[str]:
        """The unwind triggers that hold now (module docstring, step 2)."""
        return self._triggers(0.0)

    def _triggers(self, gap: float) -> list[str]:
        p = self.params
        out = []
        apy = self.vault_apy()
        if apy is not None and borrow_apr(self.dollar, self.ilk) > apy - p.min_spread - gap:
            out.append("rate")
        pps = self.vault.price_per_share()
        if self.pps_peak and pps * (1.0 + gap) < self.pps_peak * (1.0 - p.nav_drop):
            out.append("nav")
        if self.cdp:
            v = self.dollar.vault(self.cdp)
            mat = self.dollar.ilk(self.ilk).mat_ray / RAY
            if v.ratio_wad is not None and v.ratio_wad / WAD < mat * (1.0 + p.health_buffer + gap):
                out.append("health")
        return out

    # -- the daily decision ------------------------------------------------------------------------
    def act(self) -> Mode:
        """One day of the loop (module docstring); returns the mode it acted in."""
        pps = self.vault.price_per_share()
        if self.vault.total_supply() and pps:
            self.pps_hist.append(pps)
            self.pps_peak = max(self.pps_peak, pps)
        self._claim()
        if self.mode == "lever" and self.triggers():
            self.mode = "unwind"
            self.unwinds += 1
        elif self.mode == "unwind" and not self._triggers(self.params.relever_gap):
            self.mode = "lever"
        if self.mode == "unwind":
            self._unwind()
        else:
            self._lever()
        return self.mode

    def _try(self, fn: Callable[..., object], *args: object, **kwargs: object) -> bool:
        """Run one engine action; a refusal is counted and leaves the state as it was."""
        try:
            fn(*args, **kwargs)
        except PeglabError:
            self.refused += 1
            return False
        return True

    def _claim(self) -> None:
        v, a = self.vault, self.account
        shares = v.max_mint(a)
        if shares:
            self._try(v.mint, shares, a, a, sender=a)
        redeem = v.claimable_redeem_shares(a)
        if redeem:
            self._try(v.redeem, redeem, a, a, sender=a)
        free = v.balance_of(a)
        if free and self.mode == "lever":
            if not self.cdp:
                self.cdp = self.dollar.open_vault(self.ilk, sender=a)
            self._try(self.dollar.deposit, self.cdp, free, sender=a)

    def _lever(self) -> None:
        p, a, ledger = self.params, self.account, self.vault.chain.ledger
        held = ledger.balance_of(self.dollar.symbol, a)
        if held:  # AI dollars an earlier day could not sell within the slippage limit
            self._sell_dollars(held)
        coll, debt = self.position()
        if coll and ledger.balance_of(self.dollar.symbol, a) < WAD:
            target = self.equity_usd() * (p.target_leverage - 1.0)  # debt at leverage L
            want = min(int((target - debt / WAD) * WAD), self._mint_room())
            dust = self.dollar.ilk(self.ilk).dust_rad // RAY
            if (
                want > 0
                and (debt > 0 or want >= dust)
                and self._try(self.dollar.mint, self.cdp, want, sender=a)
            ):
                self._sell_dollars(ledger.balance_of(self.dollar.symbol, a))
        cash = ledger.balance_of(self.asset, a)
        if cash and self.vault.epoch.closing_state == "open":
            self._try(self.vault.request_deposit, cash, a, a, sender=a)

    def _mint_room(self) -> int:
        """AI dollars (wad) the looper may still mint: its debt stays below the collateral's value
        at the CDP's price over ``mat × (1 + health_buffer + relever_gap)`` (it never mints into
        its own health trigger), less ``mint_margin``."""
        p = self.params
        view = self.dollar.vault(self.cdp)
        if not view.price_ok:
            return 0
        mat = self.dollar.ilk(self.ilk).mat_ray / RAY
        limit = view.collateral_value_wad / (mat * (1.0 + p.health_buffer + p.relever_gap))
        return max(0, int((limit - view.debt_wad) * (1.0 - p.mint_margin)))

    def _sell_dollars(self, amount: int) -> int:
        """Sell up to ``amount`` AI dollars for the asset at no less than ``1 − max_slippage``."""
        floor = 1.0 - self.params.max_slippage_bps / BPS
        dx = amount
        while dx >= WAD:
            out = self.pool.get_dy(self.i_dollar, self.i_asset, dx)
            min_out = int(dx / WAD * floor * self.asset_scale)
            if out >= min_out:
                ok = self._try(
                    self.pool.exchange,
                    self.i_dollar,
                    self.i_asset,
                    dx,
                    min_out,
                    sender=self.account,
                )
                return out if ok else 0
            dx //= 2
        return 0

    def _unwind(self) -> None:
        p, a, ledger = self.params, self.account, self.vault.chain.ledger
        coll, debt = self.position()
        cash = ledger.balance_of(self.asset, a)
        if debt and cash:
            # buy what the debt needs (a little over, for fees since the quote), within the premium
            need_usd = debt / WAD * 1.001
            spend = min(
                cash, int(need_usd * self.asset_scale * (1.0 + p.max_unwind_premium_bps / BPS))
            )
            while spend > 0:
                out = self.pool.get_dy(self.i_asset, self.i_dollar, spend)
                min_out = int(
                    spend / self.asset_scale / (1.0 + p.max_unwind_premium_bps / BPS) * WAD
                )
                if out >= min_out:
                    self._try(
                        self.pool.exchange, self.i_asset, self.i_dollar, spend, min_out, sender=a
                    )
                    break
                spend //= 2
                if spend < self.asset_scale:
                    break
        have = ledger.balance_of(self.dollar.symbol, a)
        if debt and have:
            pay = min(have, debt)
            dust = self.dollar.ilk(self.ilk).dust_rad // RAY
            if 0 < debt - pay < dust:  # a partial repayment may not leave dust debt
                # one wei less than ``debt - dust``: the engine floors the normalised debt it
                # takes off, which could otherwise leave the vault a hair under the dust (refused)
                pay = debt - dust - 1
            if pay > 0:
                self._try(self.dollar.repay, self.cdp, pay, sender=a)
        coll, debt = self.position()
        free = self._freeable(coll, debt)
        if free:
            self._try(self.dollar.withdraw, self.cdp, free, sender=a)
        shares = self.vault.balance_of(a)
        if shares and self.vault.max_redeem(a) == 0 and not self.vault.closed:
            self._try(self.vault.request_redeem, shares, a, a, sender=a)

    def _freeable(self, coll: int, debt: int) -> int:
        """Collateral that can leave while the ratio stays at ``mat × (1 + health_buffer +
        relever_gap)`` (the most the loop may draw; all of it once debt-free)."""
        if coll == 0:
            return 0
        if debt == 0:
            return coll
        p = self.params
        ilk = self.dollar.ilk(self.ilk)
        mat = ilk.mat_ray / RAY
        keep_ratio = mat * (1.0 + p.health_buffer + p.relever_gap)
        view = self.dollar.vault(self.cdp)
        if not view.price_ok or view.price_wad == 0:
            return 0
        price = view.price_wad / WAD  # per whole share, as the CDP sees it
        keep = float(debt / WAD * keep_ratio / price * self.asset_scale)
        return max(0, coll - math.ceil(keep) - 1)
