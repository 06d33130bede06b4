"""Ready-made systems for examples, tests and benchmarks: AI dollars on a fresh chain.

``gpu_credit()`` holds the two GPU-credit dollars, USD.AI (with loans) and Gaib (with deals);
``yield_vaults()`` an epoch vault allocated across lending markets.
``two_ai_dollars()`` launches AUSD (Aethir: ATH and staked ATH) and vUSD (Virtuals: VIRTUAL)
with the docs/cdp-spec.md §12 presets, price feeds the scenario (or a test) moves through the ``oracle``
account, and a staking pool for stATH.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..kernel import Chain
from ..math.loan_rates import apr_to_rate
from ..protocols.cdp import (
    AIDollar,
    AIDollarSpec,
    CollateralSpec,
    DerivativeValuation,
    Launchpad,
    PriceFeed,
    StakingPool,
    native_ai_token,
    staked_derivative,
)
from ..protocols.gaib import Aid, DealBook, DealTerms, SaidVault
from ..protocols.lending import AAVE_USDC, COMPOUND_USDC, AaveMarket, CompoundMarket, aave_params
from ..protocols.usdai import ARBITRUM_GENESIS, LoanTerms, Tranche, USDaiSystem, build_usdai
from ..protocols.yieldvault import ArmaOptimizer, Curator
from ..protocols.yieldvault.epoch_vault import EpochVault
from ..units import DAY, WAD, wad

__all__ = [
    "ORACLE",
    "CreditSystem",
    "DemoSystem",
    "YieldSystem",
    "gpu_credit",
    "two_ai_dollars",
    "yield_vaults",
]

ORACLE = "oracle"  # the account allowed to report prices in these systems


@dataclass
class DemoSystem:
    """A chain with its launchpad, AI dollars, price feeds and staking pools."""

    chain: Chain
    launchpad: Launchpad
    dollars: dict[str, AIDollar] = field(default_factory=dict)
    feeds: dict[str, PriceFeed] = field(default_factory=dict)
    staking: dict[str, StakingPool] = field(default_factory=dict)

    def set_price(self, token: str, price: str | int) -> None:
        """Report ``price`` (decimal text or wad int) for ``token`` from the oracle account."""
        val = price if isinstance(price, int) else wad(price)
        self.feeds[token].set_price(val, sender=ORACLE)

    def poke_all(self, keeper: str = "keeper") -> None:
        """Poke every OSM whose hop has passed and every spot, in every AI dollar."""
        for d in self.dollars.values():
            d.poke_prices(sender=keeper)


def two_ai_dollars(
    *,
    start_time: int = 1_700_000_000,
    keep_log: bool = True,
    ath_price: str = "0.05",
    virtual_price: str = "1.50",
) -> DemoSystem:
    """AUSD on ATH-A and stATH-A, vUSD on VIRTUAL-A, with the docs/cdp-spec.md §12 presets."""
    chain = Chain(start_time=start_time, keep_log=keep_log)
    ledger = chain.ledger
    for sym in ("ATH", "VIRTUAL"):
        ledger.create_token(sym, 18, f"{sym} AI token")
    feeds = {
        "ATH": PriceFeed(chain, "ATH", wad(ath_price)),
        "VIRTUAL": PriceFeed(chain, "VIRTUAL", wad(virtual_price)),
    }
    for f in feeds.values():
        chain.grant(f.role, ORACLE, sender=chain.root)
    st_ath = StakingPool(chain, "ATH", "stATH")
    pad = Launchpad(chain)
    ausd = pad.create_ai_usd(
        AIDollarSpec(
            "AUSD",
            "aethir",
            50_000_000,
            (
                CollateralSpec(
                    "ATH-A", "ATH", native_ai_token(20_000_000, apr="0.08"), feeds["ATH"]
                ),
                CollateralSpec(
                    "stATH-A",
                    "stATH",
                    staked_derivative(10_000_000, apr="0.06"),
                    feeds["ATH"],
                    kind="derivative",
                    underlying="ATH",
                    valuation=DerivativeValuation(st_ath),
                ),
            ),
            admin="aethir-dao",
        ),
        sender=chain.root,
    )
    vusd = pad.create_ai_usd(
        AIDollarSpec(
            "vUSD",
            "virtuals",
            30_000_000,
            (
                CollateralSpec(
                    "VIRTUAL-A",
                    "VIRTUAL",
                    native_ai_token(20_000_000, apr="0.12"),
                    feeds["VIRTUAL"],
                ),
            ),
            admin="virtuals-dao",
        ),
        sender=chain.root,
    )
    return DemoSystem(chain, pad, {"AUSD": ausd, "vUSD": vusd}, feeds, {"stATH": st_ath})


@dataclass
class CreditSystem:
    """The GPU-credit dollars on one chain: USD.AI (``usdai``: USDai, sUSDai, the loan router)
    and Gaib (``aid``, ``said``, ``deals``), with price feeds for the outside dollars (the
    sandbox faucet mints only tokens with a feed: wM and USDC)."""

    chain: Chain
    usdai: USDaiSystem
    aid: Aid
    said: SaidVault
    deals: DealBook
    feeds: dict[str, PriceFeed] = field(default_factory=dict)


def gpu_credit(*, keep_log: bool = True) -> CreditSystem:
    """USD.AI with three GPU loans (one paying, one with a senior outside tranche, one 65 days
    late and written down) and Gaib with four deals, three months in (docs/usdai.md, docs/gaib.md).
    Deterministic: the clock starts one day after sUSDai's genesis."""
    chain = Chain(start_time=ARBITRUM_GENESIS + DAY, keep_log=keep_log)
    gov, strategy = chain.root, "strategist"
    s = build_usdai(chain)
    chain.grant(s.staked.cfg.strategy_role, strategy, sender=gov)
    chain.ledger.create_token("USDC", 6, "USD Coin")
    feeds = {t: PriceFeed(chain, t, WAD) for t in ("wM", "USDC")}
    for f in feeds.values():
        chain.grant(f.role, ORACLE, sender=gov)
    for who, units in (("alice", 6_000_000), ("bob", 4_000_000), ("senior-fund", 1_000_000)):
        chain.ledger.mint("wM", who, units * 10**6)
        s.usdai.deposit("wM", units * 10**6, 0, sender=who)
    for who in ("alice", "bob"):
        s.staked.deposit(chain.ledger.balance_of("USDai", who), sender=who)
    rate = apr_to_rate(15 * WAD // 100)
    loans = []
    for k, (usd, senior) in enumerate(((1_500_000, 0), (2_000_000, 500_000), (1_000_000, 0))):
        borrower, gpu = f"gpu-operator-{k + 1}", f"CALIBER#{k + 1}"
        chain.ledger.create_token(gpu, 0, f"GPU receipt {k + 1}")
        chain.ledger.mint(gpu, borrower, 1)
        tranches: tuple[Tranche, ...] = ()
        if senior:
            tranches += (Tranche("senior-fund", senior * WAD, apr_to_rate(10 * WAD // 100)),)
        tranches += (Tranche(s.staked.account, usd * WAD, rate),)
        t = LoanTerms(
            borrower=borrower, currency="USDai", collateral=gpu, expiration=chain.now + DAY,
            duration_s=36 * 30 * DAY, interval_s=30 * DAY, model="amortised", tranches=tranches,
            grace_rate=apr_to_rate(WAD // 20), grace_duration_s=10 * DAY,
            origination_fee=(usd + senior) * WAD // 100, salt=k,
        )  # fmt: skip
        s.staked.positions.deposit_loan_timelock(t.loan_id(), usd * WAD, t.expiration,
                                                 sender=strategy)  # fmt: skip
        if senior:
            s.router.approve_terms(t, sender="senior-fund")
        loans.append(s.router.borrow(t, sender=borrower))
    for month in range(1, 4):  # operators 1 and 2 pay every month; operator 3 never pays
        chain.advance(30 * DAY)
        for k in (0, 1):
            loan, borrower = loans[k], f"gpu-operator-{k + 1}"
            due = sum(s.router.quote(loan))
            chain.ledger.mint("wM", borrower, due // s.usdai.scale + 1)
            s.usdai.deposit("wM", due // s.usdai.scale + 1, 0, sender=borrower)
            s.router.repay(loan, due, sender=borrower)
        book = s.staked.positions.book
        if book.repayment:
            s.staked.positions.deposit_loan_repayment(book.repayment, sender=strategy)
        del month
    chain.advance(5 * DAY)  # loan 3: 65 days past its deadline, written down 30%
    aid = Aid(chain, ("USDC",))
    said = SaidVault(chain)
    deals = DealBook(chain, "AID", said.account)
    said.attach(deals)
    for who in ("carol", *(f"gaib-borrower-{k}" for k in range(1, 5))):
        aid.set_whitelist(who, True, sender=gov)
    chain.ledger.mint("USDC", "carol", 5_000_000 * 10**6)
    aid.mint("USDC", 5_000_000 * 10**6, "", sender="carol")
    said.deposit(chain.ledger.balance_of("AID", "carol"), sender="carol")
    for k, kind in enumerate(("debt", "debt", "hybrid", "equity"), start=1):
        terms = DealTerms(kind, f"gaib-borrower-{k}", 800_000 * WAD, 36,
                          coupon_bps={"debt": 1500, "hybrid": 1200, "equity": 0}[kind],
                          share_bps={"debt": 0, "hybrid": 2000, "equity": 7000}[kind],
                          gpus=36)  # fmt: skip
        deals.originate(terms, sender=gov)
    return CreditSystem(chain, s, aid, said, deals, feeds)


@dataclass
class YieldSystem:
    """An alUSD-style epoch vault whose safe a curator allocates across three lending markets
    (docs/yield-vaults.md), with price feeds for USDC and WETH (the faucet's tokens)."""

    chain: Chain
    markets: dict[str, AaveMarket | CompoundMarket]
    vault: EpochVault
    curator: Curator
    feeds: dict[str, PriceFeed] = field(default_factory=dict)


def yield_vaults(*, keep_log: bool = True) -> YieldSystem:
    """The yield-vault walk-through's world after its first epoch: three USDC markets lent at
    70-85% utilisation, 5M USDC deposited and settled, the safe allocated by the curator."""
    chain = Chain(start_time=1_700_000_000, keep_log=keep_log)
    usdc = 10**6
    chain.ledger.create_token("USDC", 6, "USD Coin")
    chain.ledger.create_token("WETH", 18, "Wrapped Ether")
    feeds = {"USDC": PriceFeed(chain, "USDC", WAD), "WETH": PriceFeed(chain, "WETH", 2_000 * WAD)}
    for f in feeds.values():
        chain.grant(f.role, ORACLE, sender=chain.root)
    chain.ledger.mint("USDC", "lp", 10**9 * usdc)
    chain.ledger.mint("WETH", "borrower", 10**6 * WAD)
    for who in ("alice", "bob"):
        chain.ledger.mint("USDC", who, 5_000_000 * usdc)
    markets: dict[str, AaveMarket | CompoundMarket] = {
        "aave-usdc": AaveMarket(chain, "aave-usdc", "USDC", "WETH", AAVE_USDC,
                                collateral_price_wad=2_000 * WAD),
        "spark-usdc": AaveMarket(chain, "spark-usdc", "USDC", "WETH", aave_params(92, 0, 550, 3500),
                                 collateral_price_wad=2_000 * WAD),
        "comp-usdc": CompoundMarket(chain, "comp-usdc", "USDC", "WETH", COMPOUND_USDC,
                                    collateral_price_wad=2_000 * WAD),
    }  # fmt: skip
    for m, (size, util) in zip(markets.values(), ((300, 80), (120, 85), (200, 70)), strict=True):
        m.supply(size * 1_000_000 * usdc, sender="lp")
        m.deposit_collateral(200_000 * WAD, sender="borrower")
        m.borrow(size * util * 10_000 * usdc, sender="borrower")
    vault = EpochVault(chain, "USDC", "alUSD", safe="safe", valuation_manager="agent",
                       fee_receiver="almanak")  # fmt: skip
    curator = Curator(chain, "USDC", "safe", list(markets.values()), agent="agent",
                      gas_per_tx=5 * usdc)  # fmt: skip
    vault.request_deposit(3_000_000 * usdc, "alice", "alice", sender="alice")
    vault.request_deposit(2_000_000 * usdc, "bob", "bob", sender="bob")
    nav = curator.nav()
    vault.propose_valuation(nav, sender="agent")
    vault.settle_deposits(nav, sender="safe")
    p = ArmaOptimizer(idle_buffer_bps=500).propose(
        curator.state(last_rebalance=chain.now - 7 * DAY)
    )
    if p.rebalance:
        curator.allocate(p.targets, sender="agent")
    return YieldSystem(chain, markets, vault, curator, feeds)
