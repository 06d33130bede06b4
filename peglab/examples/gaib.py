"""A Gaib system in a few lines: AID over a T-bill reserve, sAID over a GPU debt deal, one cycle.

Run: ``.venv/bin/python -m peglab.examples.gaib``.
"""

from __future__ import annotations

from peglab.kernel import Chain
from peglab.protocols.gaib import CYCLE_S, MONTH_S, Aid, DealBook, DealTerms, SaidVault
from peglab.units import DAY, WAD, wad


def main() -> None:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    aid = Aid(chain, ("USDC",))  # T-bills yield 4.15% by default
    vault = SaidVault(chain)  # pro-rata exits, 10% buffer floor
    book = DealBook(chain, "AID", vault.account)
    vault.attach(book)
    for who in ("alice", "gpuco"):
        aid.set_whitelist(who, True, sender="gov")
    chain.ledger.mint("USDC", "alice", 1_000_000 * 10**6)
    aid.mint("USDC", 1_000_000 * 10**6, sender="alice")
    aid.buy_tbills("USDC", 200_000 * 10**6, 91 * DAY, sender="gov")
    vault.deposit(wad(1_000_000), sender="alice")
    deal = book.originate(
        DealTerms("debt", "gpuco", wad(700_000), 36, coupon_bps=1500, gpus=31), sender="gov"
    )
    chain.transfer("AID", "gpu-vendor", chain.ledger.balance_of("AID", "gpuco"), sender="gpuco")
    vault.request_redeem(wad(100_000), "alice", "alice", sender="alice")
    chain.advance(MONTH_S)
    chain.ledger.mint("USDC", "gpuco", 40_000 * 10**6)  # a month of GPU revenue net of opex
    aid.mint("USDC", 40_000 * 10**6, sender="gpuco")
    ev = book.settle_month(deal, wad(50_000), wad(10_000), sender="gov")
    print(f"deal {deal}: {ev.status}, paid principal {ev.principal_paid_wad / WAD:,.2f}")
    chain.advance(CYCLE_S - MONTH_S)
    cycle = vault.process_cycle(sender="keeper")
    print(f"cycle 0: NAV {cycle.nav_wad / WAD:.6f}, filled {cycle.filled_shares / WAD:,.0f} sAID")
    print(f"alice claims {vault.redeem(vault.max_redeem('alice'), sender='alice') / WAD:,.2f} AID")
    print(f"AID supply {aid.supply_wad / WAD:,.0f} <= reserve {aid.reserve_value_wad() / WAD:,.0f}")


if __name__ == "__main__":
    main()
