"""The Terra-style reference model: virtual-pool spread, mint/burn value flows, recovery, savings."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, StalePrice
from peglab.kernel import Chain
from peglab.protocols.seigniorage import MarketParams, SavingsPool, SeigniorageMarket
from peglab.testing import assert_refused
from peglab.units import DAY, WAD

B = 50_000_000 * WAD


def make(**kw: object) -> tuple[Chain, SeigniorageMarket]:
    chain = Chain()
    m = SeigniorageMarket(chain, price_wad=80 * WAD, params=MarketParams(**kw))  # type: ignore[arg-type]
    chain.grant(SeigniorageMarket.ORACLE_ROLE, "oracle", sender=chain.root)
    return chain, m


def test_swap_stable_for_native__small__min_spread_and_value_flow() -> None:
    chain, m = make()
    chain.ledger.mint("UST", "a", 1000 * WAD)
    out = m.swap_stable_for_native(1000 * WAD, sender="a")
    # 1000 UST in a 50M pool: slippage ~2e-5 < 0.5% minimum spread -> 995 USD of LUNA at $80
    assert out == 995 * WAD * WAD // (80 * WAD)
    assert chain.ledger.total_supply("UST") == 0 and chain.ledger.balance_of("LUNA", "a") == out
    assert m.state.delta_usd_wad == 1000 * WAD


def test_swap_stable_for_native__large__constant_product_spread() -> None:
    chain, m = make()
    x = 50_000_000 * WAD  # equal to the base pool: cp pays B - B^2/(2B) = B/2
    chain.ledger.mint("UST", "a", x)
    out = m.swap_stable_for_native(x, sender="a")
    assert out == (x // 2) * WAD // (80 * WAD)  # spread exactly 50%
    ev = chain.log[-1].event
    assert ev.spread_wad == WAD // 2


def test_delta__decays_with_time_constant_of_recovery() -> None:
    chain, m = make()
    chain.ledger.mint("UST", "a", 10_000_000 * WAD)
    m.swap_stable_for_native(10_000_000 * WAD, sender="a")
    chain.advance(DAY)
    # (1 - 1/14400)^14400 ~ e^-1
    assert m.current_delta() == pytest.approx(10_000_000 * WAD * 0.36786, rel=1e-4)


def test_swap_native_for_stable__mirror_and_delta_falls() -> None:
    chain, m = make()
    chain.ledger.mint("LUNA", "a", 10 * WAD)
    out = m.swap_native_for_stable(10 * WAD, sender="a")
    assert out == 800 * WAD * 995 // 1000 and m.state.delta_usd_wad == -out
    assert chain.ledger.total_supply("LUNA") == 0


def test_market__bad_inputs__refused_unchanged() -> None:
    chain, m = make(daily_burn_cap_wad=100 * WAD)
    chain.ledger.mint("UST", "a", 1000 * WAD)
    assert_refused(
        chain, InvalidInput, "seigniorage/bad-amount", m.swap_stable_for_native, 0, sender="a"
    )
    assert_refused(
        chain,
        LimitExceeded,
        "seigniorage/daily-cap",
        m.swap_stable_for_native,
        101 * WAD,
        sender="a",
    )
    assert_refused(chain, NotAuthorized, "seigniorage/not-oracle", m.set_price, WAD, sender="a")
    assert_refused(chain, StalePrice, "seigniorage/bad-price", m.set_price, 0, sender="oracle")
    assert_refused(
        chain,
        InvalidInput,
        "ledger/insufficient-balance",
        m.swap_native_for_stable,
        WAD,
        sender="a",
    )
    m.swap_stable_for_native(100 * WAD, sender="a")
    chain.advance(DAY)
    m.swap_stable_for_native(100 * WAD, sender="a")  # a new day, a new cap


def test_savings__yield_from_reserve_and_stops_when_reserve_empty() -> None:
    chain, m = make()
    s = SavingsPool(chain, stable="UST", share="aUST", apr="0.20")
    chain.ledger.mint("UST", "a", 1000 * WAD)
    chain.ledger.mint("UST", s.reserve, 250 * WAD)
    shares = s.deposit(1000 * WAD, sender="a")
    chain.advance(365 * DAY)
    got = s.withdraw(shares // 2, sender="a")
    assert got == pytest.approx(600 * WAD, rel=1e-6)  # half of 1000 * 1.2
    chain.advance(365 * DAY)  # would owe 100 more (500 * 0.2): the reserve has ~50 left
    rate = s.state.rate_ray
    assert s.withdraw(shares - shares // 2, sender="a") <= 600 * WAD
    assert s.state.rate_ray == rate
    chain.check_conservation()
    assert_refused(chain, InvalidInput, "seigniorage/bad-amount", s.deposit, 0, sender="a")


# -- a rule-based state machine: the mint/burn market never pays more than $1 per $1 --------


def check_market(chain: Chain, m: SeigniorageMarket, ledger_value: dict[str, int]) -> None:
    chain.check_conservation()
    # every swap paid at most its offer's USD value at the oracle price of that moment
    assert ledger_value["paid_usd"] <= ledger_value["offered_usd"]
    for entry in chain.log:
        ev = entry.event
        if ev.kind == "seigniorage/swap":
            assert m.params.min_spread_wad <= ev.spread_wad <= WAD


def check_savings(chain: Chain, s: SavingsPool) -> None:
    owed = chain.ledger.total_supply("aUST") * s.state.rate_ray // 10**27
    assert chain.ledger.balance_of("UST", s.account) >= owed


class MarketMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.chain, self.m = make()
        self.s = SavingsPool(self.chain, stable="UST", share="aUST", apr="0.20")
        self.chain.ledger.mint("UST", self.s.reserve, 1_000_000 * WAD)
        self.value = {"paid_usd": 0, "offered_usd": 0}

    @rule(amount=st.integers(1, 10**26))
    def burn_stable(self, amount: int) -> None:
        self.chain.ledger.mint("UST", "t", amount)
        try:
            native = self.m.swap_stable_for_native(amount, sender="t")
        except InvalidInput:
            return
        self.value["offered_usd"] += amount
        self.value["paid_usd"] += native * self.m.state.price_wad // WAD

    @rule(amount=st.integers(1, 10**24))
    def burn_native(self, amount: int) -> None:
        self.chain.ledger.mint("LUNA", "t", amount)
        price = self.m.state.price_wad
        try:
            out = self.m.swap_native_for_stable(amount, sender="t")
        except InvalidInput:
            return
        self.value["offered_usd"] += amount * price // WAD
        self.value["paid_usd"] += out

    @rule(pct=st.integers(5, 200))
    def move_price(self, pct: int) -> None:
        self.m.set_price(max(1, self.m.state.price_wad * pct // 100), sender="oracle")

    @rule(seconds=st.integers(0, 3 * DAY))
    def wait(self, seconds: int) -> None:
        self.chain.advance(seconds)

    @rule(amount=st.integers(1, 10**24))
    def save(self, amount: int) -> None:
        self.chain.ledger.mint("UST", "saver", amount)
        try:
            self.s.deposit(amount, sender="saver")
        except InvalidInput:
            pass

    @rule(frac=st.integers(1, 100))
    def unsave(self, frac: int) -> None:
        shares = self.chain.ledger.balance_of("aUST", "saver") * frac // 100
        if shares:
            self.s.withdraw(shares, sender="saver")

    @invariant()
    def holds(self) -> None:
        check_market(self.chain, self.m, self.value)
        check_savings(self.chain, self.s)


TestMarketMachine = MarketMachine.TestCase
TestMarketMachine.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)


def test_market_invariant__canary__overpayment_detected() -> None:
    chain, m = make()
    with pytest.raises(AssertionError):
        check_market(chain, m, {"paid_usd": 2, "offered_usd": 1})
    s = SavingsPool(chain, stable="UST", share="aUST")
    chain.ledger.mint("aUST", "eve", WAD)  # shares without stables behind them
    with pytest.raises(AssertionError):
        check_savings(chain, s)


def test_swap_native_for_stable__dust_worth_zero_usd__refused_not_crashing() -> None:
    # found by the state machine: 1 wei of LUNA at a tiny price is worth 0 wei of USD
    chain, m = make()
    m.set_price(10**15, sender="oracle")
    chain.ledger.mint("LUNA", "a", 1)
    assert m.quote_native_for_stable(1) == 0
    assert_refused(
        chain, InvalidInput, "seigniorage/too-small", m.swap_native_for_stable, 1, sender="a"
    )
