"""Benchmark: ERC-4626 vault actions per second, and a 1,000-loan book over 3 years, each with a
plain-Python reference of the same arithmetic measured in the same run.

1. Vault actions. Deposit, redeem, mint, withdraw cycles by several users through
   ``ERC4626Vault`` (atomic transactions, journal, validation, events, ledger) and through
   ``BareVault``: the same OpenZeppelin conversions on plain dicts. Results are compared.
2. Loan book. 1,000 amortised 36-month GPU loans funded by sUSDai through escrowed timelocks;
   each month every borrower pays its scheduled amount, except 5% (seeded) that stop after a
   random month and are liquidated, sit out the redemption window and sell at auction for 40% of
   principal; the strategy moves repayments back to idle monthly. The reference walks the same
   schedule with ``peglab.math.loan_rates`` on dicts (repayment, tranche split, waterfall). Total
   interest paid, principal repaid and auction recoveries must agree to the wei.

Run: ``.venv/bin/python benchmarks/bench_credit.py [--loans N] [--actions N]``.
"""

from __future__ import annotations

import argparse
import random
import time

from peglab.kernel import Chain
from peglab.math.erc4626 import to_assets, to_shares
from peglab.math.loan_rates import apr_to_rate, repayment, waterfall
from peglab.protocols.usdai import ARBITRUM_GENESIS, LoanTerms, Tranche, build_usdai
from peglab.protocols.vaults import ERC4626Vault, VaultConfig
from peglab.units import DAY, WAD

USD = 10**18
MONTH = 30 * DAY
USERS = ("u0", "u1", "u2", "u3")


class BareVault:
    """OpenZeppelin ERC-4626 conversions on plain dicts: no journal, events or validation."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.assets: dict[str, int] = {}
        self.shares: dict[str, int] = {}
        self.total_assets = 0
        self.supply = 0

    def deposit(self, who: str, a: int) -> int:
        s = to_shares(a, self.supply, self.total_assets, self.offset, False)
        self.assets[who] -= a
        self.shares[who] = self.shares.get(who, 0) + s
        self.total_assets += a
        self.supply += s
        return s

    def mint(self, who: str, s: int) -> int:
        a = to_assets(s, self.supply, self.total_assets, self.offset, True)
        self.assets[who] -= a
        self.shares[who] = self.shares.get(who, 0) + s
        self.total_assets += a
        self.supply += s
        return a

    def redeem(self, who: str, s: int) -> int:
        a = to_assets(s, self.supply, self.total_assets, self.offset, False)
        self.shares[who] -= s
        self.assets[who] += a
        self.total_assets -= a
        self.supply -= s
        return a

    def withdraw(self, who: str, a: int) -> int:
        s = to_shares(a, self.supply, self.total_assets, self.offset, True)
        self.shares[who] -= s
        self.assets[who] += a
        self.total_assets -= a
        self.supply -= s
        return s


def workload(n: int) -> list[tuple[str, str, int]]:
    rng = random.Random(7)
    return [(rng.choice(("deposit", "mint", "redeem", "withdraw")), rng.choice(USERS), rng.randrange(1, 10**9))
            for _ in range(n)]  # fmt: skip


def bench_actions(n: int) -> tuple[float, float, int]:
    ops = workload(n)
    chain = Chain(keep_log=False)
    chain.ledger.create_token("USDC", 6)
    v = ERC4626Vault(chain, "USDC", "vUSDC", config=VaultConfig(offset=6))
    bare = BareVault(6)
    for u in USERS:
        chain.ledger.mint("USDC", u, 10**15)
        bare.assets[u] = 10**15
        v.deposit(10**12, sender=u)
        bare.deposit(u, 10**12)

    def run_engine() -> list[int]:
        out = []
        for op, u, x in ops:
            if op in ("redeem", "withdraw"):
                x = x * 1_000  # shares have 6 more decimals
                x = (
                    min(x, v.max_redeem(u))
                    if op == "redeem"
                    else min(x // 1_000, v.max_withdraw(u))
                )
            out.append(getattr(v, op)(x, sender=u))
        return out

    def run_bare() -> list[int]:
        out = []
        for op, u, x in ops:
            if op in ("redeem", "withdraw"):
                x = x * 1_000
                if op == "redeem":
                    x = min(x, bare.shares[u])
                else:
                    x = min(
                        x // 1_000,
                        to_assets(bare.shares[u], bare.supply, bare.total_assets, 6, False),
                    )
            out.append(getattr(bare, op)(u, x))
        return out

    t0 = time.perf_counter()
    got = run_engine()
    t1 = time.perf_counter()
    want = run_bare()
    t2 = time.perf_counter()
    assert got == want, "engine and reference disagree"
    return n / (t1 - t0), n / (t2 - t1), len(got)


def book_terms(k: int, strategy_account: str, now: int) -> LoanTerms:
    rng = random.Random(k)
    amount = rng.randrange(100_000, 2_000_000) * USD
    apr = rng.choice((12, 15, 18))
    return LoanTerms(borrower=f"b{k}", currency="USDai", collateral=f"GPU{k}", expiration=now + DAY,
                     duration_s=36 * MONTH, interval_s=MONTH, model="amortised",
                     tranches=(Tranche(strategy_account, amount, apr_to_rate(apr * WAD // 100)),),
                     grace_rate=apr_to_rate(WAD // 20), grace_duration_s=10 * DAY, salt=k)  # fmt: skip


def defaults(n: int) -> dict[int, int]:
    """Seeded: 5% of loans stop paying after a random month (1..35)."""
    rng = random.Random(11)
    return {k: rng.randrange(1, 36) for k in rng.sample(range(n), n // 20)}


def bench_book(n: int) -> tuple[float, float, tuple[int, int, int]]:
    stop = defaults(n)
    # -- engine
    t0 = time.perf_counter()
    chain = Chain(start_time=ARBITRUM_GENESIS, keep_log=False)
    s = build_usdai(chain, tbill_apr_wad=0)
    led = chain.ledger
    led.mint("wM", "lp", 10**15 * 10**6)
    s.usdai.deposit("wM", 10**15 * 10**6, 0, sender="lp")
    s.staked.deposit(3 * 10**9 * USD, sender="lp")
    led.mint("wM", "buyer", 10**12 * 10**6)
    s.usdai.deposit("wM", 10**12 * 10**6, 0, sender="buyer")
    loans: list[str] = []
    for k in range(n):
        t = book_terms(k, s.staked.account, chain.now)
        led.create_token(t.collateral, 0)
        led.mint(t.collateral, t.borrower, 1)
        led.mint("wM", t.borrower, 10**8 * 10**6)
        s.usdai.deposit("wM", 10**8 * 10**6, 0, sender=t.borrower)
        s.staked.positions.deposit_loan_timelock(
            t.loan_id(), t.principal, t.expiration, sender="gov"
        )
        loans.append(s.router.borrow(t, sender=t.borrower))
    interest = principal = recovered = 0
    for month in range(1, 37):
        chain.advance(MONTH)
        for k, loan in enumerate(loans):
            if s.router.loan(loan).status != "active" or stop.get(k, 99) < month:
                continue
            p, i, _ = s.router.quote(loan)  # exact: USDai has 18 decimals (no unscaling)
            s.router.repay(loan, p + i, sender=f"b{k}")
            interest += i
            principal += p
        for k in stop:
            loan = loans[k]
            st = s.router.loan(loan)
            if st.status == "active" and chain.now > st.deadline + 10 * DAY:
                s.router.liquidate(loan, sender="keeper")
                lot = s.auction.lot(loan)
                chain.warp(lot.window_end)
                s.auction.bid(loan, s.router.terms[loan].principal * 2 // 5, sender="buyer")
                chain.warp(s.auction.lot(loan).end)
                before = led.balance_of("USDai", s.staked.account)
                s.auction.settle(loan, sender="keeper")
                recovered += led.balance_of("USDai", s.staked.account) - before
        r = s.staked.positions.book.repayment
        if r:
            s.staked.positions.deposit_loan_repayment(r, sender="gov")
    t1 = time.perf_counter()
    eng = (interest, principal, recovered)
    # -- reference: the same schedule on dicts
    t2 = time.perf_counter()
    now = ARBITRUM_GENESIS
    book = {}
    for k in range(n):
        t = book_terms(k, "susdai", now)
        book[k] = {"t": t, "balance": t.principal, "deadline": now + MONTH, "maturity": now + 36 * MONTH,
                   "status": "active"}  # fmt: skip
    interest = principal = recovered = 0
    clock = now
    for month in range(1, 37):
        clock += MONTH
        for k, ln in book.items():
            if ln["status"] != "active" or stop.get(k, 99) < month:
                continue
            t = ln["t"]
            r = repayment("amortised", [t.principal], [t.tranches[0].rate], MONTH, t.grace_rate, t.grace_duration_s,
                          ln["balance"], ln["deadline"], ln["maturity"], clock)  # fmt: skip
            ln["balance"] -= r.principal
            ln["deadline"] += r.intervals * MONTH
            interest += r.interest
            principal += r.principal
            if ln["balance"] == 0:
                ln["status"] = "repaid"
        for k in stop:
            ln = book[k]
            if ln["status"] == "active" and clock > ln["deadline"] + 10 * DAY:
                t = ln["t"]
                window_end = clock + 14 * DAY
                end = window_end + 7 * DAY
                ts = end if ln["maturity"] == ln["deadline"] else ln["maturity"]
                c = repayment("amortised", [t.principal], [t.tranches[0].rate], MONTH, t.grace_rate,
                              t.grace_duration_s, ln["balance"], ln["deadline"], ln["maturity"], ts)  # fmt: skip
                w = waterfall(t.principal * 2 // 5, c.tranche_principals, c.tranche_interests, 500)
                recovered += w.to_lenders
                ln["status"] = "sold"
                clock = end
    t3 = time.perf_counter()
    ref = (interest, principal, recovered)
    assert eng == ref, f"engine {eng} != reference {ref}"
    return t1 - t0, t3 - t2, eng


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loans", type=int, default=1_000)
    ap.add_argument("--actions", type=int, default=20_000)
    a = ap.parse_args()
    eng, ref, n = bench_actions(a.actions)
    print(f"vault actions: engine {eng:,.0f}/s, plain-dict reference {ref:,.0f}/s "
          f"-> engine at {eng / ref:.2f}x of the reference ({n} identical results)")  # fmt: skip
    te, tr, (i, p, r) = bench_book(a.loans)
    print(f"{a.loans:,}-loan book, 36 months: engine {te:.2f}s, reference {tr:.2f}s -> "
          f"{te / tr:.1f}x the reference's time; interest {i / USD:,.0f}, principal {p / USD:,.0f}, "
          f"recovered {r / USD:,.0f} USDai (identical)")  # fmt: skip


if __name__ == "__main__":
    main()
