"""AI-dollar vault actions: open, deposit, withdraw, mint, repay, close, give, allow; fees; bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown, StalePrice, Unsafe
from peglab.examples.systems import DemoSystem, two_ai_dollars
from peglab.math import apr_to_duty, ceil_div, rmul, rpow
from peglab.protocols.cdp import AIDollar
from peglab.testing import assert_refused
from peglab.units import RAD, RAY, WAD, YEAR, wad

VECTORS = json.loads((Path(__file__).parent / "vectors" / "dss_rpow_drip.json").read_text())


@pytest.fixture
def sys2() -> DemoSystem:
    s = two_ai_dollars()
    for who in ("alice", "bob"):
        s.chain.ledger.mint("ATH", who, wad(2_000_000))
        s.chain.ledger.mint("VIRTUAL", who, wad(100_000))
    return s


@pytest.fixture
def ausd(sys2: DemoSystem) -> AIDollar:
    return sys2.dollars["AUSD"]


def funded_vault(
    ausd: AIDollar, owner: str = "alice", ath: int = 1_000_000, mint: int = 20_000
) -> int:
    vid = ausd.open_vault("ATH-A", sender=owner)
    ausd.deposit(vid, wad(ath), sender=owner)
    if mint:
        ausd.mint(vid, wad(mint), sender=owner)
    return vid


def buy_ausd(sys2: DemoSystem, who: str, amount_wad: int) -> None:
    """``who`` obtains AI dollars the honest way: a market maker mints them and sends them."""
    ausd, c = sys2.dollars["AUSD"], sys2.chain
    sys2.poke_all()
    minted = max(amount_wad, wad(500))  # at least the dust
    c.ledger.mint("ATH", "mm", minted * 100)
    vid = ausd.open_vault("ATH-A", sender="mm")
    ausd.deposit(vid, minted * 100, sender="mm")
    ausd.mint(vid, minted, sender="mm")
    c.transfer("AUSD", who, amount_wad, sender="mm")


def test_open_deposit_mint__happy_path__balances_and_debt(sys2: DemoSystem, ausd: AIDollar) -> None:
    vid = funded_vault(ausd)
    v = ausd.vault(vid)
    assert v.ink_wad == wad(1_000_000) and v.debt_wad == wad(20_000)
    assert sys2.chain.ledger.balance_of("AUSD", "alice") == wad(20_000)
    assert sys2.chain.ledger.balance_of("ATH", "alice") == wad(1_000_000)
    assert v.ratio_wad == wad("2.5") and v.liquidation_price_wad == wad("0.035") and v.safe
    assert ausd.invariant_errors() == []
    sys2.chain.check_conservation()


def test_mint__rate_not_one__debt_rounds_up_for_protocol(sys2: DemoSystem, ausd: AIDollar) -> None:
    vid = funded_vault(ausd, mint=0)
    sys2.chain.advance(3_333)
    ausd.mint(vid, wad(1000), sender="alice")
    rate = ausd.vat.ilks["ATH-A"].rate_ray
    art = ausd.vat.vaults[vid].art_wad
    assert art * rate >= wad(1000) * RAY > (art - 1) * rate
    # the sub-wei remainder stays as alice's internal balance, and the system stays conserved
    assert sys2.chain.ledger.balance_of("AUSD.dai", "alice") == art * rate - wad(1000) * RAY
    assert ausd.invariant_errors() == []


def test_fees__one_year__exact_compound_to_vow(sys2: DemoSystem, ausd: AIDollar) -> None:
    vid = funded_vault(ausd)
    duty = apr_to_duty("0.08")
    sys2.chain.advance(YEAR)
    ausd.drip("ATH-A", sender="keeper")
    expected_rate = rmul(rpow(duty, YEAR, RAY), RAY)
    assert ausd.vat.ilks["ATH-A"].rate_ray == expected_rate
    assert ausd.surplus_rad == wad(20_000) * (expected_rate - RAY)
    assert ausd.vault(vid).debt_wad == ceil_div(wad(20_000) * expected_rate, RAY)
    assert abs(ausd.vault(vid).debt_wad - wad(21_600)) < wad("0.000001")
    assert ausd.invariant_errors() == []


@pytest.mark.parametrize("case", VECTORS["drip"][:60], ids=lambda c: f"dt{c['dt']}")
def test_drip__evm_vectors__bit_exact(case: dict[str, str]) -> None:
    s = two_ai_dollars()
    a = s.dollars["AUSD"]
    ilk, fee = a.vat.ilks["ATH-A"], a.jug.ilks["ATH-A"]
    ilk.rate_ray, ilk.art_total_wad = int(case["rate"]), int(case["art"])
    fee.duty_ray = int(case["duty"])
    a.jug.base.base_ray = int(case["base"])
    s.chain.ledger.mint(
        "AUSD.sin", "seed", int(case["art"]) * int(case["rate"])
    )  # keep debt identity
    s.chain.ledger.mint("AUSD.dai", "seed", int(case["art"]) * int(case["rate"]))
    s.chain.advance(int(case["dt"]))
    a.drip("ATH-A", sender="k")
    assert ilk.rate_ray == int(case["new_rate"])
    assert a.surplus_rad == int(case["fee_rad"])


def test_duty_change__after_drip__applies_from_now(sys2: DemoSystem, ausd: AIDollar) -> None:
    funded_vault(ausd)
    sys2.chain.advance(YEAR // 2)
    old_duty = ausd.jug.ilks["ATH-A"].duty_ray
    ausd.file("duty", apr_to_duty("0.20"), ilk="ATH-A", sender="aethir-dao")
    rate_mid = ausd.vat.ilks["ATH-A"].rate_ray
    assert rate_mid == rmul(rpow(old_duty, YEAR // 2, RAY), RAY)  # first half at the old fee
    sys2.chain.advance(YEAR // 2)
    ausd.drip("ATH-A", sender="k")
    assert ausd.vat.ilks["ATH-A"].rate_ray == rmul(
        rpow(apr_to_duty("0.20"), YEAR // 2, RAY), rate_mid
    )


def test_set_duty__without_drip__refused(sys2: DemoSystem, ausd: AIDollar) -> None:
    sys2.chain.advance(10)
    with pytest.raises(InvalidInput, match="drip"):
        ausd.jug.set_duty("ATH-A", RAY)


def test_repay__partial_and_full__debt_and_collateral(sys2: DemoSystem, ausd: AIDollar) -> None:
    vid = funded_vault(ausd)
    sys2.chain.advance(86_400)
    used = ausd.repay(vid, wad(5_000), sender="alice")
    assert used == wad(5_000) and wad(15_004) < ausd.vault(vid).debt_wad < wad(
        15_005
    )  # a day at 8%
    # repaying more than owed takes exactly the (rounded-up) debt and leaves the rest
    buy_ausd(sys2, "alice", wad(10))
    debt = ausd.vault(vid).debt_wad
    bal = sys2.chain.ledger.balance_of("AUSD", "alice")
    used = ausd.repay(vid, bal, sender="alice")
    # the sub-wei remainder of the partial repay counts, so at most one wei less is taken
    assert used in (debt - 1, debt) and ausd.vat.vaults[vid].art_wad == 0
    assert sys2.chain.ledger.balance_of("AUSD", "alice") == bal - used
    assert ausd.invariant_errors() == []


def test_close__with_fees__repays_and_returns_all(sys2: DemoSystem, ausd: AIDollar) -> None:
    vid = funded_vault(ausd)
    sys2.chain.advance(30 * 86_400)
    debt = ausd.vault(vid).debt_wad
    buy_ausd(sys2, "alice", debt - wad(20_000))  # the interest, bought on the market
    repaid, returned = ausd.close(vid, sender="alice")
    assert repaid == debt and returned == wad(1_000_000)
    assert sys2.chain.ledger.balance_of("ATH", "alice") == wad(2_000_000)
    assert_refused(
        sys2.chain, InvalidInput, "cdp/vault-closed", ausd.deposit, vid, 1, sender="alice"
    )
    assert ausd.invariant_errors() == []
    sys2.chain.check_conservation()


def test_operator__allowed__may_mint_and_withdraw_but_not_give(
    sys2: DemoSystem, ausd: AIDollar
) -> None:
    vid = funded_vault(ausd)
    assert_refused(
        sys2.chain, NotAuthorized, "cdp/not-allowed-u", ausd.mint, vid, wad(1), sender="bob"
    )
    ausd.allow(vid, "bob", sender="alice")
    ausd.mint(vid, wad(1_000), sender="bob")
    ausd.withdraw(vid, wad(10), sender="bob")
    assert sys2.chain.ledger.balance_of("AUSD", "bob") == wad(1_000)
    assert_refused(sys2.chain, NotAuthorized, "cdp/not-owner", ausd.give, vid, "bob", sender="bob")
    ausd.allow(vid, "bob", False, sender="alice")
    assert_refused(
        sys2.chain, NotAuthorized, "cdp/not-allowed-u", ausd.withdraw, vid, 1, sender="bob"
    )


def test_give__new_owner__controls_and_operators_cleared(sys2: DemoSystem, ausd: AIDollar) -> None:
    vid = funded_vault(ausd)
    ausd.allow(vid, "carol", sender="alice")
    ausd.give(vid, "bob", sender="alice")
    assert ausd.vault(vid).owner == "bob"
    assert_refused(
        sys2.chain, NotAuthorized, "cdp/not-allowed-u", ausd.withdraw, vid, 1, sender="alice"
    )
    assert_refused(
        sys2.chain, NotAuthorized, "cdp/not-allowed-u", ausd.withdraw, vid, 1, sender="carol"
    )
    ausd.withdraw(vid, wad(1), sender="bob")


def test_anyone__deposit_and_repay__allowed_less_risky(sys2: DemoSystem, ausd: AIDollar) -> None:
    vid = funded_vault(ausd)
    ausd.deposit(vid, wad(5), sender="bob")
    ausd.open_vault("ATH-A", sender="bob")
    buy_ausd(sys2, "bob", wad(600))
    ausd.repay(vid, wad(600), sender="bob")
    assert ausd.vault(vid).debt_wad == wad(19_400)


def test_ceilings__ilk_and_instance__limit_exceeded(sys2: DemoSystem, ausd: AIDollar) -> None:
    sys2.chain.ledger.mint("ATH", "whale", wad(10**10))
    vid = funded_vault(ausd, "whale", ath=10**10, mint=0)
    assert_refused(
        sys2.chain,
        LimitExceeded,
        "cdp/ceiling-exceeded",
        ausd.mint,
        vid,
        wad(20_000_001),
        sender="whale",
    )
    ausd.mint(vid, wad(20_000_000), sender="whale")
    ausd.file("Line", 20_000_000 * RAD, sender="gov")
    ausd.file("line", 30_000_000 * RAD, ilk="ATH-A", sender="gov")
    assert_refused(
        sys2.chain, LimitExceeded, "cdp/ceiling-exceeded", ausd.mint, vid, wad(1), sender="whale"
    )


def test_dust__below_minimum__unsafe(sys2: DemoSystem, ausd: AIDollar) -> None:
    vid = funded_vault(ausd, mint=0)
    assert_refused(sys2.chain, Unsafe, "cdp/dust", ausd.mint, vid, wad(499), sender="alice")
    ausd.mint(vid, wad(600), sender="alice")
    assert_refused(sys2.chain, Unsafe, "cdp/dust", ausd.repay, vid, wad(200), sender="alice")


def test_bad_input__every_kind__typed_error_and_state_unchanged(
    sys2: DemoSystem, ausd: AIDollar
) -> None:
    c = sys2.chain
    vid = funded_vault(ausd)
    cases = [
        (InvalidInput, "cdp/unknown-ilk", ausd.open_vault, ("NOPE-A",), {}),
        (InvalidInput, "cdp/unknown-vault", ausd.deposit, (999, 1), {}),
        (InvalidInput, "input/bad-type", ausd.deposit, ("1", 1), {}),
        (InvalidInput, "input/bad-amount", ausd.deposit, (vid, 0), {}),
        (InvalidInput, "input/bad-amount", ausd.deposit, (vid, -5), {}),
        (InvalidInput, "input/out-of-range", ausd.deposit, (vid, 2**256), {}),
        (InvalidInput, "input/bad-type", ausd.mint, (vid, 1.5), {}),
        (InvalidInput, "ledger/insufficient-balance", ausd.deposit, (vid, wad(10**9)), {}),
        (InvalidInput, "cdp/underflow", ausd.withdraw, (vid, wad(1_000_001)), {}),
        (Unsafe, "cdp/not-safe", ausd.withdraw, (vid, wad(500_000)), {}),
        (Unsafe, "cdp/not-safe", ausd.mint, (vid, wad(10_000)), {}),
        (NotAuthorized, "cdp/not-allowed-u", ausd.withdraw, (vid, 1), {"sender": "bob"}),
        (NotAuthorized, "cdp/not-allowed-u", ausd.close, (vid,), {"sender": "bob"}),
        (
            InvalidInput,
            "ledger/insufficient-balance",
            ausd.repay,
            (vid, wad(25_000)),
            {"sender": "bob"},
        ),
        (InvalidInput, "cdp/bad-recipient", ausd.give, (vid, ""), {}),
        (InvalidInput, "cdp/unknown-param", ausd.file, ("chop", 1), {"sender": "gov"}),
        (InvalidInput, "cdp/bad-value", ausd.file, ("line", -1), {"sender": "gov", "ilk": "ATH-A"}),
        (InvalidInput, "cdp/unknown-ilk", ausd.file, ("line", 1), {"sender": "gov", "ilk": "X"}),
        (
            NotAuthorized,
            "cdp/not-admin",
            ausd.file,
            ("line", 1),
            {"sender": "alice", "ilk": "ATH-A"},
        ),
        (
            InvalidInput,
            "cdp/guardrail",
            ausd.file,
            ("mat", RAY * 14 // 10),
            {"sender": "aethir-dao", "ilk": "ATH-A"},
        ),
        (InvalidInput, "chain/bad-account", ausd.deposit, (vid, 1), {"sender": ""}),
    ]
    for err, code, fn, args, kw in cases:
        kw.setdefault("sender", "alice")
        assert_refused(c, err, code, fn, *args, **kw)
    # a vault with no debt cannot be repaid; minting zero is refused
    empty = ausd.open_vault("ATH-A", sender="alice")
    assert_refused(c, InvalidInput, "cdp/no-debt", ausd.repay, empty, wad(1), sender="alice")
    assert_refused(c, InvalidInput, "input/bad-amount", ausd.mint, empty, 0, sender="alice")


def test_governance__overrides_guardrail__admin_cannot(sys2: DemoSystem, ausd: AIDollar) -> None:
    ausd.file("mat", RAY * 14 // 10, ilk="ATH-A", sender="gov")
    assert ausd.spotter.ilks["ATH-A"].mat_ray == RAY * 14 // 10
    assert ausd.vat.ilks["ATH-A"].spot_ray == wad("0.05") * 10**9 * RAY // (RAY * 14 // 10)


def test_paused_ilk__new_debt__shut_down(sys2: DemoSystem, ausd: AIDollar) -> None:
    vid = funded_vault(ausd)
    ausd.file("paused", True, ilk="ATH-A", sender="aethir-dao")
    assert_refused(sys2.chain, ShutDown, "cdp/ilk-paused", ausd.mint, vid, wad(1), sender="alice")
    ausd.repay(vid, wad(1_000), sender="alice")  # deleveraging still works


def test_stale_price__risk_increasing__refused_but_repay_and_deposit_work(
    sys2: DemoSystem, ausd: AIDollar
) -> None:
    vid = funded_vault(ausd)
    sys2.chain.advance(3 * 3600 + 1)  # past max_age with no poke
    assert_refused(
        sys2.chain, StalePrice, "cdp/invalid-price", ausd.mint, vid, wad(1), sender="alice"
    )
    assert_refused(
        sys2.chain, StalePrice, "cdp/invalid-price", ausd.withdraw, vid, 1, sender="alice"
    )
    ausd.deposit(vid, wad(1), sender="alice")
    ausd.repay(vid, wad(1_000), sender="alice")
    sys2.poke_all()  # a fresh poke restores borrowing
    ausd.mint(vid, wad(1_000), sender="alice")


def test_launchpad__bad_specs__refused_state_unchanged(sys2: DemoSystem) -> None:
    from peglab.protocols.cdp import AIDollarSpec, CollateralSpec, native_ai_token, replace

    c, pad, feed = sys2.chain, sys2.launchpad, sys2.feeds["ATH"]
    ok = CollateralSpec("ATH-B", "ATH", native_ai_token(), feed)
    assert_refused(
        c,
        NotAuthorized,
        "cdp/not-governance",
        pad.create_ai_usd,
        AIDollarSpec("xUSD", "x", 1000, (ok,)),
        sender="alice",
    )
    assert_refused(
        c,
        InvalidInput,
        "cdp/bad-symbol",
        pad.create_ai_usd,
        AIDollarSpec("AUSD", "other", 1000),
        sender="gov",
    )
    assert_refused(
        c,
        InvalidInput,
        "cdp/ecosystem-taken",
        pad.create_ai_usd,
        AIDollarSpec("xUSD", "aethir", 1000),
        sender="gov",
    )
    bad_hop = replace(ok, ilk="ATH-C", params=replace(native_ai_token(), hop_s=60))
    assert_refused(
        c,
        InvalidInput,
        "cdp/guardrail",
        pad.create_ai_usd,
        AIDollarSpec("xUSD", "x", 1000, (ok, bad_hop)),
        sender="gov",
    )
    low_mat = replace(ok, params=replace(native_ai_token(), mat_ray=RAY * 14 // 10))
    assert_refused(
        c, InvalidInput, "cdp/guardrail", pad.add_collateral, "AUSD", low_mat, sender="aethir-dao"
    )
    assert_refused(
        c,
        InvalidInput,
        "ledger/unknown-token",
        pad.add_collateral,
        "AUSD",
        replace(ok, token="NOPE"),
        sender="aethir-dao",
    )
    assert_refused(
        c,
        InvalidInput,
        "cdp/ilk-exists",
        pad.add_collateral,
        "AUSD",
        replace(ok, ilk="ATH-A"),
        sender="gov",
    )
    assert_refused(
        c, InvalidInput, "cdp/unknown-instance", pad.add_collateral, "ZZZ", ok, sender="gov"
    )
    # the failed launch left nothing behind: the same symbol launches cleanly now
    pad.create_ai_usd(AIDollarSpec("xUSD", "x", 1000, (ok,)), sender="gov")
    assert "xUSD" in pad.instances and c.ledger.token("xUSD")


def test_instances__isolated__debt_and_tokens_separate(sys2: DemoSystem) -> None:
    ausd, vusd = sys2.dollars["AUSD"], sys2.dollars["vUSD"]
    a = funded_vault(ausd)
    v = vusd.open_vault("VIRTUAL-A", sender="bob")
    vusd.deposit(v, wad(10_000), sender="bob")
    vusd.mint(v, wad(5_000), sender="bob")
    assert ausd.total_debt_wad == wad(20_000) and vusd.total_debt_wad == wad(5_000)
    assert sys2.chain.ledger.balance_of("vUSD", "bob") == wad(5_000)
    assert a == v == 1 and ausd.vault(a).ilk == "ATH-A" and vusd.vault(v).ilk == "VIRTUAL-A"
    assert ausd.invariant_errors() == [] and vusd.invariant_errors() == []


def test_vault_view__after_time__debt_accrues_without_writing(
    sys2: DemoSystem, ausd: AIDollar
) -> None:
    vid = funded_vault(ausd)
    sys2.chain.advance(YEAR)
    h = sys2.chain.state_hash()
    v = ausd.vault(vid)
    assert v.debt_wad > wad(21_599) and sys2.chain.state_hash() == h
    assert v.ratio_wad is not None and v.ratio_wad < wad("2.5")
    assert WAD > 0
