"""The curator: an epoch vault's safe allocated across lending markets by the optimiser, with the
§4 guards, valuation by the agent and settlement by the safe."""

from __future__ import annotations

from support.lending import USDC

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized
from peglab.kernel import Chain
from peglab.protocols.lending import AAVE_USDC, COMPOUND_USDC, AaveMarket, CompoundMarket
from peglab.protocols.yieldvault import ArmaOptimizer, check_proposal
from peglab.protocols.yieldvault.curator import Curator
from peglab.protocols.yieldvault.epoch_vault import EpochVault
from peglab.testing import assert_refused
from peglab.units import DAY, WAD


def world() -> tuple[Chain, EpochVault, Curator, list[AaveMarket | CompoundMarket]]:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    chain.ledger.create_token("WETH", 18)
    chain.ledger.mint("USDC", "lp", 10**9 * USDC)
    chain.ledger.mint("WETH", "borrower", 10**6 * WAD)
    chain.ledger.mint("USDC", "alice", 10_000_000 * USDC)
    markets: list[AaveMarket | CompoundMarket] = [
        AaveMarket(chain, "aUSDC", "USDC", "WETH", AAVE_USDC, collateral_price_wad=2000 * WAD),
        CompoundMarket(
            chain, "cUSDC", "USDC", "WETH", COMPOUND_USDC, collateral_price_wad=2000 * WAD
        ),
    ]
    for m, debt in zip(markets, (70, 60)):
        m.supply(100_000_000 * USDC, sender="lp")
        m.deposit_collateral(100_000 * WAD, sender="borrower")
        m.borrow(debt * 1_000_000 * USDC, sender="borrower")
    v = EpochVault(chain, "USDC", "alUSD", safe="safe", valuation_manager="agent")
    cur = Curator(chain, "USDC", "safe", markets, agent="agent")
    return chain, v, cur, markets


def test_epoch_cycle__optimiser_allocates__nav_grows_and_settles() -> None:
    chain, v, cur, markets = world()
    v.request_deposit(5_000_000 * USDC, "alice", "alice", sender="alice")
    v.propose_valuation(cur.nav(), sender="agent")
    v.settle_deposits(0, sender="safe")
    p = ArmaOptimizer(idle_buffer_bps=500).propose(cur.state())
    check_proposal(cur.state(), p)
    assert p.rebalance
    cur.allocate(p.targets, sender="agent")
    assert cur.idle() >= 5_000_000 * USDC * 5 // 100
    chain.advance(30 * DAY)
    nav = cur.nav()
    assert nav > 5_000_000 * USDC
    v.propose_valuation(nav, sender="agent")
    v.settle_deposits(nav, sender="safe")
    assert v.total_assets() == nav and v.balance_of(v.fee_receiver) > 0


def test_allocate__guards__refused_with_state_unchanged() -> None:
    chain, v, cur, markets = world()
    chain.ledger.mint("USDC", "safe", 20_000_000 * USDC)
    r = assert_refused
    r(chain, NotAuthorized, "yield/not-agent", cur.allocate, {"aUSDC": 1}, sender="mallory")
    r(chain, NotAuthorized, "yield/market-not-approved", cur.allocate, {"evil": 1}, sender="agent")
    r(chain, InvalidInput, "yield/bad-targets", cur.allocate, {"aUSDC": -1}, sender="agent")
    r(chain, InvalidInput, "yield/bad-targets", cur.allocate, [("aUSDC", 1)], sender="agent")
    r(chain, LimitExceeded, "yield/market-share", cur.allocate, {"aUSDC": 12_000_000 * USDC},
      sender="agent")  # fmt: skip
    r(chain, LimitExceeded, "yield/idle-buffer", cur.allocate,
      {"aUSDC": 10_000_000 * USDC, "cUSDC": 9_500_000 * USDC}, sender="agent")  # fmt: skip
    markets[0].borrow(26_000_000 * USDC, sender="borrower")  # utilisation 96%
    r(chain, LimitExceeded, "yield/over-utilised", cur.allocate, {"aUSDC": USDC}, sender="agent")
    cur.allocate({"cUSDC": 5_000_000 * USDC}, sender="agent")
    markets[1].borrow(markets[1].cash(), sender="borrower")  # no cash left: exits blocked
    r(chain, LimitExceeded, "lending/insufficient-cash", cur.allocate, {"cUSDC": 0}, sender="agent")


def test_term_sleeve__locked_until_maturity__then_redeems_every_tranche() -> None:
    from peglab.protocols.lending.term import TermDeposit
    from peglab.protocols.yieldvault import TermSleeve
    from peglab.units import RAY

    chain, v, _, markets = world()
    chain.ledger.mint("USDC", "sponsor", 1_000_000 * USDC)
    term = TermDeposit(chain, "term", "USDC", 9 * RAY // 100, 30 * DAY, "sponsor")
    cur = Curator(chain, "USDC", "safe", [*markets, TermSleeve(term, 10**9 * USDC)], agent="agent")
    chain.ledger.mint("USDC", "safe", 10_000_000 * USDC)
    cur.allocate({"term": 3_000_000 * USDC}, sender="agent")
    view = cur.state().market("term")
    assert view.lock_s == 30 * DAY and view.withdrawable == 0 and view.apr_ray() == 9 * RAY // 100
    chain.advance(10 * DAY)
    assert_refused(chain, InvalidInput, "term/nothing-matured", cur.allocate, {"term": 0},
                   sender="agent")  # fmt: skip
    chain.advance(20 * DAY)
    before = cur.nav()
    cur.allocate({"term": 2_000_000 * USDC}, sender="agent")  # a tranche is redeemed whole
    assert term.position("safe") == 0 and cur.nav() == before
    assert cur.idle() == 10_000_000 * USDC + 3_000_000 * USDC * 9 * 30 // (100 * 365)


def test_pending_total__open_requests__summed_per_controller() -> None:
    chain, v, cur, _ = world()
    v.request_deposit(1_000 * USDC, "alice", "alice", sender="alice")
    v.propose_valuation(0, sender="agent")
    v.request_deposit(500 * USDC, "alice", "alice", sender="alice")  # the next epoch
    assert v.pending_total("deposit", "alice") == 1_500 * USDC
    v.settle_deposits(0, sender="safe")
    assert v.pending_total("deposit", "alice") == 500 * USDC
    assert v.pending_total("redeem", "alice") == 0
