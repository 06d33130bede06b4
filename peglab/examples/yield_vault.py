"""An alUSD-style vault end to end: a Lagoon-style epoch vault whose safe the ARMA-style optimiser
allocates across three lending markets, with weekly valuations, settlements and fees.

    python -m peglab.examples.yield_vault
"""

from __future__ import annotations

from ..kernel import Chain
from ..protocols.lending import AAVE_USDC, COMPOUND_USDC, AaveMarket, CompoundMarket, aave_params
from ..protocols.yieldvault import ArmaOptimizer, Curator
from ..protocols.yieldvault.epoch_vault import EpochVault
from ..units import DAY, WAD, to_wad_decimal

__all__ = ["main", "run"]

USDC = 10**6


def run(weeks: int = 8) -> list[str]:
    """Build the world, run ``weeks`` weekly epochs; returns one summary line per epoch."""
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    chain.ledger.create_token("WETH", 18)
    chain.ledger.mint("USDC", "lp", 10**9 * USDC)
    chain.ledger.mint("WETH", "borrower", 10**6 * WAD)
    for who in ("alice", "bob"):
        chain.ledger.mint("USDC", who, 5_000_000 * USDC)
    markets = [
        AaveMarket(chain, "aave-usdc", "USDC", "WETH", AAVE_USDC, collateral_price_wad=2_000 * WAD),
        AaveMarket(chain, "spark-usdc", "USDC", "WETH", aave_params(92, 0, 550, 3500),
                   collateral_price_wad=2_000 * WAD),
        CompoundMarket(chain, "comp-usdc", "USDC", "WETH", COMPOUND_USDC,
                       collateral_price_wad=2_000 * WAD),
    ]  # fmt: skip
    for m, (size, util) in zip(markets, ((300, 80), (120, 85), (200, 70))):
        m.supply(size * 1_000_000 * USDC, sender="lp")
        m.deposit_collateral(200_000 * WAD, sender="borrower")
        m.borrow(size * util * 10_000 * USDC, sender="borrower")
    vault = EpochVault(chain, "USDC", "alUSD", safe="safe", valuation_manager="agent",
                       fee_receiver="almanak")  # fmt: skip
    curator = Curator(chain, "USDC", "safe", markets, agent="agent", gas_per_tx=5 * USDC)
    optimiser = ArmaOptimizer(idle_buffer_bps=500)
    vault.request_deposit(3_000_000 * USDC, "alice", "alice", sender="alice")
    vault.request_deposit(2_000_000 * USDC, "bob", "bob", sender="bob")
    lines = []
    last = chain.now - 7 * DAY  # no rebalance yet: no cooldown to wait for
    for week in range(weeks):
        nav = curator.nav()
        vault.propose_valuation(nav, sender="agent")
        vault.settle_deposits(nav, sender="safe")
        for who in ("alice", "bob"):
            if vault.max_deposit(who):
                vault.deposit(vault.max_deposit(who), sender=who)
        if week == 4:
            vault.request_redeem(vault.balance_of("bob") // 2, "bob", "bob", sender="bob")
        p = optimiser.propose(curator.state(last_rebalance=last))
        if p.rebalance:
            curator.allocate(p.targets, sender="agent")
            last = chain.now
        alloc = ", ".join(f"{k} {v / 1e6:,.0f}" for k, v in sorted(p.targets.items()))
        lines.append(
            f"week {week}: NAV {to_wad_decimal(nav, 6)} USDC, price/share "
            f"{to_wad_decimal(vault.price_per_share(), 6)}, fee shares "
            f"{to_wad_decimal(vault.balance_of('almanak'), 6)}, "
            f"{'rebalanced' if p.rebalance else 'held (' + p.reason + ')'}: {alloc}"
        )
        chain.advance(7 * DAY)
    chain.check_conservation()
    return lines


def main() -> None:
    for line in run():
        print(line)


if __name__ == "__main__":
    main()
