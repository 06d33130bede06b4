"""Agent parameters of a scenario (docs/risk-spec.md §4): borrowers, keepers, arbitrageurs, panic sellers, LPs.

``p_attend`` and ``p_panic`` are per day; LP ``withdraw_rate`` and panic ``sell_rate`` per hour.
A family whose agents need other parameters declares them in its own ``system`` block.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from .fields import Duration, Model, NonNegDec, OpenFrac, PosDec, Prob

__all__ = [
    "Agents",
    "Arbitrageurs",
    "Borrowers",
    "DebtBidders",
    "Governance",
    "Keepers",
    "LiquidityProviders",
    "PanicSellers",
]


class Borrowers(Model):
    """docs/risk-spec.md §4: act when the ratio leaves ``target +- band`` with ``p_attend`` per day."""

    p_attend: Prob = Decimal("0.5")
    p_topup: Prob = Decimal("0.5")
    p_repay: Prob = Decimal("0.3")
    band: NonNegDec = Decimal("0.15")
    budget: NonNegDec = Decimal("0.2")
    panic_drop: OpenFrac = Decimal("0.25")
    panic_window: Duration = 86_400
    p_panic: Prob = Decimal("0.5")

    @model_validator(mode="after")
    def _shares(self) -> Borrowers:
        if self.p_topup + self.p_repay > 1:
            raise ValueError("p_topup + p_repay must not exceed 1 (the rest stays passive)")
        return self


class Keepers(Model):
    """Keepers: latency in steps, capital as a fraction of ilk debt, margin, capital recycling,
    gas per take and drop-out when gas exceeds ``dropout_gas`` times baseline."""

    count: int = Field(default=5, ge=0, le=1000)
    latency_steps: tuple[int, int] = (1, 3)
    capital: tuple[NonNegDec, NonNegDec] = (Decimal("0.02"), Decimal("0.20"))
    margin: Prob = Decimal("0.02")
    recycle: Duration = 3600
    gas_usd: NonNegDec = Decimal(20)
    dropout_gas: PosDec = Decimal(4)
    dropout_prob: Prob = Decimal("0.5")
    max_buy_price: PosDec = Decimal("1.05")  # nobody pays more on average for AI dollars on a pool

    @model_validator(mode="after")
    def _ranges(self) -> Keepers:
        if not 0 <= self.latency_steps[0] <= self.latency_steps[1]:
            raise ValueError("latency_steps must be [low, high] with 0 <= low <= high")
        if self.capital[0] > self.capital[1]:
            raise ValueError("capital must be [low, high] with low <= high")
        return self


class Arbitrageurs(Model):
    """The greedy arbitrageur across pools, the external market and the PSMs (docs/risk-lab.md
    "Arbitrage"). It trades while the best cycle gains at least ``min_profit_usd`` after gas.

    Defaults [O]: ``capital_usd`` 5M of reference stablecoin (docs/risk-spec.md §4: arbitrage capital);
    ``min_profit_usd`` 50 (below that a professional desk does not bother); ``gas_usd`` 20 per
    on-chain leg (one swap, the keepers' per-take figure), times the scenario's gas multiplier;
    cycles of up to ``max_legs`` 4 legs (stablecoin -> AI token -> AI dollar -> other AI dollar ->
    stablecoin is the longest route the default system has); at most ``max_trades`` 20 trades per
    step (one per mispriced cycle is typical; the cap bounds the run time).
    """

    enabled: bool = True
    capital_usd: NonNegDec = Decimal(5_000_000)
    min_profit_usd: NonNegDec = Decimal(50)
    gas_usd: NonNegDec = Decimal(20)
    max_legs: int = Field(default=4, ge=2, le=6)
    max_trades: int = Field(default=20, ge=0, le=1000)


class PanicSellers(Model):
    """Holders who dump the AI dollar while it trades below ``trigger_price`` (fraction per hour)."""

    enabled: bool = True
    trigger_price: PosDec = Decimal("0.98")
    sell_rate: Prob = Decimal("0.02")


class LiquidityProviders(Model):
    """docs/risk-spec.md §4 LP rule: withdraw ``withdraw_rate`` per hour when triggered, return after calm."""

    withdraw_rate: Prob = Decimal("0.30")
    trigger_price: PosDec = Decimal("0.98")
    trigger_duration: Duration = 3600
    imbalance: OpenFrac = Decimal("0.80")
    calm_return: Duration = 86_400


class DebtBidders(Model):
    """Bidders in the governance-token debt auctions (docs/cdp-spec.md §9 step 3; docs/liquidations.md).

    They hold ``capital_usd`` of reference stablecoin, buy the AI dollars a bid needs (PSM, then
    pool) and accept a lot worth at least the bid at the governance token's market price less
    ``margin``.
    """

    enabled: bool = True
    capital_usd: NonNegDec = Decimal(2_000_000)
    margin: Prob = Decimal("0.05")


class Governance(Model):
    """``shutdown``: governance triggers emergency shutdown (End) when the buffer advises it."""

    shutdown: bool = True


class Agents(Model):
    borrowers: Borrowers = Borrowers()
    keepers: Keepers = Keepers()
    arbitrageurs: Arbitrageurs = Arbitrageurs()
    panic_sellers: PanicSellers = PanicSellers()
    lps: LiquidityProviders = LiquidityProviders()
    debt_bidders: DebtBidders = DebtBidders()
    governance: Governance = Governance()
