"""Agent parameters of a scenario (docs/risk-spec.md §4): borrowers, keepers, arbitrageurs, panic
sellers, holders who run, AI-token sellers, LPs.

``p_attend`` and ``p_panic`` are per day; LP ``withdraw_rate`` and panic ``sell_rate`` per hour.
A family whose agents need other parameters declares them in its own ``system`` block.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from .fields import Duration, Int, Model, NonNegDec, OpenFrac, PosDec, Prob

__all__ = [
    "Agents",
    "Arbitrageurs",
    "Borrowers",
    "DebtBidders",
    "Governance",
    "Holders",
    "Keepers",
    "LiquidityProviders",
    "PanicSellers",
    "Sellers",
]


class Borrowers(Model):
    """docs/risk-spec.md §4: act when the ratio leaves ``target +- band`` with ``p_attend`` per
    day: top up (``p_topup``), repay (``p_repay``), and, once the budget is spent, deleverage by
    selling collateral (``p_delever``)."""

    p_attend: Prob = Decimal("0.5")
    p_topup: Prob = Decimal("0.5")
    p_repay: Prob = Decimal("0.3")
    # a borrower whose budget is spent sells collateral to repay instead, with this probability
    # [O]: half of them (the other half wait for the price or the liquidation)
    p_delever: Prob = Decimal("0.5")
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
    # share of capital held as AI dollars bought from holders at par at t0 [O]: a working
    # inventory; the rest stays in USDC and buys AI dollars when a take needs them (the holders
    # keep the float they can run with)
    inventory: Prob = Decimal("0.25")

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
    step (one per mispriced cycle is typical; the cap bounds the run time); ``search_steps`` 16
    golden-section steps when sizing a cycle (the bracket shrinks by 0.618 a step, to 0.05% of the
    doubling bracket at 16; 10 until the study of docs/risk-lab.md "Search precision" showed single
    paths' ``peg_max`` still moving at 10 and settled from 14; 1 to
    60: at 60 the bracket is 3e-13 of itself, finer than any figure the lab reports).
    """

    enabled: bool = True
    capital_usd: NonNegDec = Decimal(5_000_000)
    min_profit_usd: NonNegDec = Decimal(50)
    gas_usd: NonNegDec = Decimal(20)
    max_legs: int = Field(default=4, ge=2, le=6)
    max_trades: int = Field(default=20, ge=0, le=1000)
    search_steps: Int = Field(default=16, ge=1, le=60)


class PanicSellers(Model):
    """Holders who dump the AI dollar while it trades below ``trigger_price`` (fraction per hour)."""

    enabled: bool = True
    trigger_price: PosDec = Decimal("0.98")
    sell_rate: Prob = Decimal("0.02")


class Holders(Model):
    """AI-dollar holders who run (docs/risk-lab.md "Holders who run"): ``cohorts`` equal cohorts
    with thresholds spread evenly over each signal's ``[lo, hi]`` range, most nervous first. A
    cohort runs while the peg is below its ``peg`` threshold, the unbacked share of debt above its
    ``unbacked`` threshold, the share the buffers cannot cover above its ``uncovered`` threshold,
    or (``on_shutdown``) the buffer advises shutdown; it exits ``rate`` of its t0 holding per
    hour, redeeming at the PSM first, then selling on the peg pool.

    Defaults [O]: ``peg`` 0.97-0.995 (USDC lost ~12% of its supply in redemptions within days of
    falling to 0.97-0.88 in March 2023; a holder of an AI dollar with a PSM has a free exit at
    par until the PSM is empty, so the first cohorts react within 0.5%); ``unbacked`` 5%-50% and
    ``uncovered`` 1%-20% of debt (a loss disclosed in the buffer is public on chain; the range
    spans holders who read it and those who wait for the peg); ``rate`` 10% per hour (a cohort is
    out within ten hours, the speed of the 2022-23 stablecoin runs); ``cohorts`` 20.
    """

    enabled: bool = True
    cohorts: int = Field(default=20, ge=1, le=1000)
    peg: tuple[PosDec, PosDec] = (Decimal("0.97"), Decimal("0.995"))
    unbacked: tuple[NonNegDec, NonNegDec] = (Decimal("0.05"), Decimal("0.50"))
    uncovered: tuple[NonNegDec, NonNegDec] = (Decimal("0.01"), Decimal("0.20"))
    on_shutdown: bool = True
    rate: Prob = Decimal("0.10")

    @model_validator(mode="after")
    def _ranges(self) -> Holders:
        for name in ("peg", "unbacked", "uncovered"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"{name} must be [low, high] with low <= high")
        return self


class Sellers(Model):
    """Treasury and ecosystem holders of each AI token who sell into a falling market
    (docs/risk-lab.md "AI-token sellers"): they hold ``inventory_d10`` times the token's ``D10``
    and sell ``rate`` of what is left per hour while the market price is more than ``trigger``
    below its high so far.

    Defaults [O]: ``inventory_d10`` 1 (AI-agent tokens keep 30-50% of supply with teams,
    foundations and ecosystem funds, far more than the depth; one D10 is the part that is liquid
    and held by sellers who react to price); ``trigger`` 20% (a drawdown that turns a treasury
    from holding to de-risking); ``rate`` 1% per hour (a treasury works its sales over days, not
    at once).
    """

    enabled: bool = True
    inventory_d10: NonNegDec = Decimal(1)
    trigger: Prob = Decimal("0.20")
    rate: Prob = Decimal("0.01")


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
    holders: Holders = Holders()
    sellers: Sellers = Sellers()
    lps: LiquidityProviders = LiquidityProviders()
    debt_bidders: DebtBidders = DebtBidders()
    governance: Governance = Governance()
