"""AID: whitelisted 1:1 mint and redeem, the reserve book (cash, T-bills T+1), backing, freeze."""

from __future__ import annotations

import pytest

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown
from peglab.kernel import Chain
from peglab.protocols.gaib import Aid
from peglab.testing import assert_refused
from peglab.units import DAY, WAD, YEAR

USDC = 10**6


def build(**kw: int) -> tuple[Chain, Aid]:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    chain.ledger.create_token("USDT", 6)
    aid = Aid(chain, ("USDC", "USDT"), **kw)
    aid.set_whitelist("alice", True, sender="gov")
    chain.ledger.mint("USDC", "alice", 10_000 * USDC)
    return chain, aid


def test_mint__whitelisted__one_to_one_into_reserve() -> None:
    chain, aid = build()
    assert aid.mint("USDC", 1_000 * USDC, sender="alice") == 1_000 * WAD
    assert chain.ledger.balance_of("AID", "alice") == 1_000 * WAD
    assert aid.cash_wad() == aid.reserve_value_wad() == aid.supply_wad == 1_000 * WAD
    assert chain.log[-1].event.kind == "gaib/aid-mint"


def test_redeem__with_fee__fee_up_payout_down_to_treasury() -> None:
    chain, aid = build(redeem_fee_bps=3)
    aid.mint("USDC", 1_000 * USDC, sender="alice")
    out = aid.redeem("USDC", 333 * WAD + 7, sender="alice")
    fee = -((-(333 * WAD + 7) * 3) // 10_000)
    assert out == (333 * WAD + 7 - fee) // 10**12
    assert chain.ledger.balance_of("AID", "gaib:treasury") == fee
    assert aid.supply_wad <= aid.reserve_value_wad()
    chain.check_conservation()


def test_mint_redeem__not_whitelisted__refused_unchanged() -> None:
    chain, aid = build()
    chain.ledger.mint("USDC", "bob", 100 * USDC)
    assert_refused(
        chain, NotAuthorized, "gaib/not-whitelisted", aid.mint, "USDC", USDC, sender="bob"
    )
    aid.mint("USDC", 100 * USDC, sender="alice")
    chain.transfer("AID", "bob", WAD, sender="alice")
    assert_refused(
        chain, NotAuthorized, "gaib/not-whitelisted", aid.redeem, "USDC", WAD, sender="bob"
    )


def test_freeze__regulatory_action__mint_and_redeem_halted_transfers_work() -> None:
    chain, aid = build()
    aid.mint("USDC", 100 * USDC, sender="alice")
    aid.file("frozen", 1, sender="gov")
    assert_refused(chain, ShutDown, "gaib/frozen", aid.mint, "USDC", USDC, sender="alice")
    assert_refused(chain, ShutDown, "gaib/frozen", aid.redeem, "USDC", WAD, sender="alice")
    chain.transfer("AID", "bob", WAD, sender="alice")
    aid.file("frozen", 0, sender="gov")
    aid.redeem("USDC", WAD, sender="alice")


def test_tbills__accrue_mature_and_harvest__yield_goes_to_fund() -> None:
    chain, aid = build(tbill_rate_bps=415)
    aid.mint("USDC", 10_000 * USDC, sender="alice")
    lot = aid.buy_tbills("USDC", 8_000 * USDC, 365 * DAY, sender="gov")
    face = 8_000 * USDC + 8_000 * USDC * 415 * 365 * DAY // (10_000 * YEAR)
    assert aid.lots[lot].face == face == 8_332 * USDC
    chain.advance(182 * DAY)
    mark = 8_000 * USDC + 332 * USDC * 182 // 365
    assert aid.tbills_wad() == mark * 10**12
    assert aid.redemption_capacity_wad(0) == 2_000 * WAD
    assert aid.redemption_capacity_wad(1) == aid.reserve_value_wad()
    assert_refused(chain, LimitExceeded, "gaib/not-settled", aid.settle, lot, sender="anyone")
    chain.advance(183 * DAY)
    assert aid.settle(lot, sender="anyone") == face
    assert aid.harvest("fund", sender="gov") == 332 * WAD
    assert aid.supply_wad == aid.reserve_value_wad() == 10_332 * WAD
    assert_refused(chain, InvalidInput, "gaib/no-surplus", aid.harvest, "fund", sender="gov")
    chain.check_conservation()


def test_tbills__sold__settle_t_plus_one_at_mark() -> None:
    chain, aid = build()
    aid.mint("USDC", 10_000 * USDC, sender="alice")
    lot = aid.buy_tbills("USDC", 9_000 * USDC, 91 * DAY, sender="gov")
    assert_refused(
        chain,
        LimitExceeded,
        "gaib/insufficient-cash",
        aid.redeem,
        "USDC",
        1_001 * WAD,
        sender="alice",
    )
    chain.advance(30 * DAY)
    price = aid.sell_tbills(lot, sender="gov")
    assert_refused(chain, InvalidInput, "gaib/already-sold", aid.sell_tbills, lot, sender="gov")
    chain.advance(DAY - 1)
    assert_refused(chain, LimitExceeded, "gaib/not-settled", aid.settle, lot, sender="x")
    assert aid.tbills_wad() == price * 10**12  # a sold lot counts at its sale price
    chain.advance(1)
    assert aid.settle(lot, sender="x") == price
    aid.redeem("USDC", 10_000 * WAD, sender="alice")
    assert aid.supply_wad == 0 and aid.reserve_value_wad() >= 0


def test_redeem__daily_cap__resets_next_day() -> None:
    chain, aid = build()
    aid.mint("USDC", 1_000 * USDC, sender="alice")
    aid.file("daily_cap_wad", 100 * WAD, sender="gov")
    aid.redeem("USDC", 100 * WAD, sender="alice")
    assert_refused(chain, LimitExceeded, "gaib/daily-cap", aid.redeem, "USDC", WAD, sender="alice")
    chain.advance(DAY)
    aid.redeem("USDC", 100 * WAD, sender="alice")


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "input/bad-amount"),
        (-1, "input/bad-amount"),
        (1.5, "input/bad-type"),  # types and 256-bit widths: the action boundary
        (2**256, "input/out-of-range"),
        ("10", "input/bad-type"),
        (True, "input/bad-type"),
    ],
)
def test_actions__bad_amount__refused_unchanged(amount: object, code: str) -> None:
    chain, aid = build()
    aid.mint("USDC", 100 * USDC, sender="alice")
    assert_refused(chain, InvalidInput, code, aid.mint, "USDC", amount, sender="alice")
    assert_refused(chain, InvalidInput, code, aid.redeem, "USDC", amount, sender="alice")
    assert_refused(chain, InvalidInput, code, aid.buy_tbills, "USDC", amount, DAY, sender="gov")


def test_actions__bad_input__typed_errors_unchanged() -> None:
    chain, aid = build()
    aid.mint("USDC", 100 * USDC, sender="alice")
    cases = [
        (InvalidInput, "gaib/token-not-accepted", aid.mint, ("DAI", 1), "alice"),
        (InvalidInput, "input/bad-type", aid.redeem, (None, WAD), "alice"),  # the boundary
        (InvalidInput, "input/bad-type", aid.mint, ("USDC", 1, 7), "alice"),
        (InvalidInput, "gaib/dust", aid.redeem, ("USDC", 10**12 - 1), "alice"),
        (InvalidInput, "gaib/bad-tenor", aid.buy_tbills, ("USDC", USDC, DAY - 1), "gov"),
        (InvalidInput, "gaib/bad-tenor", aid.buy_tbills, ("USDC", USDC, 400 * DAY), "gov"),
        (NotAuthorized, "gaib/not-manager", aid.buy_tbills, ("USDC", USDC, DAY), "alice"),
        (InvalidInput, "gaib/unknown-lot", aid.sell_tbills, (99,), "gov"),
        (InvalidInput, "input/bad-type", aid.settle, ("1",), "gov"),
        (NotAuthorized, "gaib/not-manager", aid.harvest, ("fund",), "alice"),
        (InvalidInput, "gaib/unknown-param", aid.file, ("mint_fee_bps", 1), "gov"),
        (InvalidInput, "gaib/bad-value", aid.file, ("redeem_fee_bps", 10_001), "gov"),
        (InvalidInput, "gaib/bad-value", aid.file, ("frozen", 2), "gov"),
        (InvalidInput, "gaib/bad-value", aid.file, ("daily_cap_wad", -1), "gov"),
        (NotAuthorized, "gaib/not-admin", aid.file, ("frozen", 1), "alice"),
        (NotAuthorized, "gaib/not-admin", aid.set_whitelist, ("bob", True), "alice"),
        (InvalidInput, "gaib/bad-account", aid.set_whitelist, ("", True), "gov"),
        (InvalidInput, "input/bad-type", aid.set_whitelist, ("bob", 1), "gov"),
        (InvalidInput, "ledger/insufficient-balance", aid.mint, ("USDC", 10**12), "alice"),
    ]
    for err, code, fn, args, sender in cases:
        assert_refused(chain, err, code, fn, *args, sender=sender)


def test_backing_guard__canary__a_mint_without_deposit_is_refused() -> None:
    """Canary: the named guard catches a supply above the reserve (a buggy mint path)."""
    from peglab.errors import Unsafe
    from peglab.kernel import action

    class Buggy(Aid):
        @action
        def free_mint(self, amount: int, *, sender: str) -> None:
            self.chain.ledger.mint(self.symbol, sender, amount)
            self._require_backed()

    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    aid = Buggy(chain, ("USDC",))
    assert_refused(chain, Unsafe, "gaib/undercollateralised", aid.free_mint, 1, sender="x")
