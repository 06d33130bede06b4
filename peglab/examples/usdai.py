"""Walk-through: a USD.AI system with T-bill backing, stakers, two GPU loans, a default and an exit.

Run: ``python -m peglab.examples.usdai``. Deterministic (explicit clock, no randomness); the final
state hash is printed so two runs can be compared bit for bit. What happens:

1. Alice and Bob buy the T-bill dollar (wM), mint USDai 1:1 and stake most of it in sUSDai.
2. The strategy escrows USDai for two signed GPU loans (36 monthly payments, amortised); each
   has a senior outside tranche at 10% and an sUSDai tranche at 15%. Both borrowers draw.
3. Every month the T-bill yield is harvested into sUSDai; borrower 1 pays on schedule,
   borrower 2 stops after three payments; its unpaid interest lifts only the deposit price until,
   60 days past its deadline, the loan is written down by 30% in both prices and its interest
   leaves the deposit price (docs/usdai.md §4.6).
4. Carol requested a redemption; it matures at the next 30-day window and is serviced at the
   redemption price, then claimed.
5. Loan 2 is liquidated after its deadline plus grace; nobody redeems it in the 14-day window;
   the GPU receipt sells at auction for 40% of the loan; the waterfall pays the senior tranche
   first and sUSDai takes the loss.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..kernel import Chain
from ..math.loan_rates import apr_to_rate
from ..protocols.usdai import (
    ARBITRUM_GENESIS,
    LoanTerms,
    StakedConfig,
    Tranche,
    USDaiSystem,
    build_usdai,
)
from ..units import DAY, WAD, to_wad_decimal

__all__ = ["main", "run"]

MONTH = 30 * DAY
USD = 10**18
STRATEGY = "strategist"


def _terms(
    s: USDaiSystem, borrower: str, gpu: str, senior: int, junior: int, salt: int
) -> LoanTerms:
    return LoanTerms(
        borrower=borrower, currency=s.usdai.symbol, collateral=gpu, expiration=s.chain.now + 7 * DAY,
        duration_s=36 * MONTH, interval_s=MONTH, model="amortised",
        tranches=(Tranche("senior-fund", senior, apr_to_rate(WAD // 10)),
                  Tranche(s.staked.account, junior, apr_to_rate(15 * WAD // 100))),
        grace_rate=apr_to_rate(WAD // 20), grace_duration_s=10 * DAY,
        origination_fee=senior // 100, exit_fee=0, salt=salt,
    )  # fmt: skip


def run() -> tuple[USDaiSystem, list[tuple[str, int, int, int]]]:
    """Play the story; returns the system and a monthly log (label, deposit price, redemption
    price, idle USDai)."""
    chain = Chain(start_time=ARBITRUM_GENESIS + DAY)
    s = build_usdai(chain, staked=StakedConfig(fee_recipient="usdai:fees"))
    chain.grant(s.staked.cfg.strategy_role, STRATEGY, sender=chain.root)
    led = chain.ledger

    def buy_usdai(who: str, dollars: int) -> None:  # T-bill dollars bought off-chain, minted 1:1
        led.mint("wM", who, dollars * 10**6)
        s.usdai.deposit("wM", dollars * 10**6, dollars * USD, sender=who)

    for who, dollars, stake in (("alice", 6_000_000, 5_000_000), ("bob", 4_000_000, 4_000_000),
                                ("carol", 1_000_000, 1_000_000), ("senior-fund", 2_000_000, 0)):  # fmt: skip
        buy_usdai(who, dollars)
        if stake:
            s.staked.deposit(stake * USD, sender=who)
    log: list[tuple[str, int, int, int]] = []

    def snap(label: str) -> None:
        log.append(
            (label, s.staked.deposit_price(), s.staked.redemption_price(), s.staked.idle_balance())
        )

    snap("start")
    loans = []
    for k, (borrower, senior, junior) in enumerate(
        (("gpu-co-1", 600_000, 2_400_000), ("gpu-co-2", 500_000, 2_000_000))
    ):
        gpu = f"GPU#{k + 1}"
        led.create_token(gpu, 0, f"CALIBER receipt {k + 1}")
        led.mint(gpu, borrower, 1)
        t = _terms(s, borrower, gpu, senior * USD, junior * USD, k)
        loan = t.loan_id()
        s.staked.positions.deposit_loan_timelock(loan, junior * USD, t.expiration, sender=STRATEGY)
        s.router.approve_terms(t, sender="senior-fund")
        s.router.borrow(t, sender=borrower)
        buy_usdai(borrower, 200_000)  # the borrowers' operating cash
        loans.append(loan)
    snap("loans funded")
    s.staked.request_redeem(500_000 * USD, "carol", "carol", sender="carol")
    for month in range(1, 7):
        chain.advance(MONTH)
        s.base.claim_yield(s.usdai.reserve, sender="keeper")
        s.base.claim_yield(s.staked.account, sender="keeper")
        held = led.balance_of("wM", s.staked.account)
        if held:
            s.staked.deposit_base_yield(held * s.usdai.scale, sender=STRATEGY)
        for i, loan in enumerate(loans):
            if i == 1 and month > 3:
                continue  # borrower 2 stops paying
            p, it, fee = s.router.quote(loan)
            s.router.repay(loan, p + it + fee, sender=s.router.terms[loan].borrower)
        repaid = s.staked.positions.book.repayment
        if repaid:
            s.staked.positions.deposit_loan_repayment(repaid, sender=STRATEGY)
        pending = s.staked.totals.pending_redeem_shares
        if pending and chain.now > s.staked.maturity_of(s.staked.st.head):
            s.staked.service_redemptions(pending, sender=STRATEGY)
            s.staked.redeem(s.staked.max_redeem("carol"), sender="carol")
        snap(f"month {month}")
    # default of loan 2: liquidation, window, auction at 40% of the original loan
    bad = loans[1]
    st = s.router.loan(bad)
    chain.warp(max(chain.now, st.deadline + s.router.terms[bad].grace_duration_s + 1))
    s.router.liquidate(bad, sender="keeper")
    snap("loan 2 liquidated")
    chain.advance(s.auction.params.window_s)
    buy_usdai("gpu-buyer", 1_000_000)
    s.auction.bid(bad, 1_000_000 * USD, sender="gpu-buyer")
    chain.advance(s.auction.params.duration_s)
    s.auction.settle(bad, sender="keeper")
    s.staked.positions.deposit_loan_repayment(s.staked.positions.book.repayment, sender=STRATEGY)
    snap("auction settled")
    return s, log


def main() -> None:
    s, log = run()
    console = Console()
    table = Table(title="USD.AI walk-through: sUSDai prices (USDai per sUSDai)")
    for col in ("step", "deposit price", "redemption price", "idle USDai"):
        table.add_column(col, justify="right" if col != "step" else "left")
    for label, dp, rp, idle in log:
        table.add_row(label, to_wad_decimal(dp)[:10], to_wad_decimal(rp)[:10], f"{idle // WAD:,}")
    console.print(table)
    fees = s.chain.ledger.balance_of("USDai", "usdai:fees")
    console.print(
        f"fees to the protocol: {fees / WAD:,.2f} USDai; USDai backing gap: {s.usdai.backing_gap()}"
    )
    console.print(f"state hash {s.chain.state_hash()}")


if __name__ == "__main__":
    main()
