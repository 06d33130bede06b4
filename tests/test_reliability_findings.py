"""Issue 17's findings, one test each (every one failed before its fix; see docs/architecture.md).

Built only from the public package (``two_ai_dollars``, the AMM pools, ``Governance``), so it
does not depend on other test modules.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from peglab.errors import InvalidInput, NotAuthorized, Overflow, PeglabError, Reentered
from peglab.examples.systems import DemoSystem, two_ai_dollars
from peglab.kernel import Chain, Record, action
from peglab.math import rpow
from peglab.protocols.amm import ConstantProductPool, StableSwapPool
from peglab.protocols.cdp import AIDollar, AIDollarSpec, CollateralSpec, native_ai_token
from peglab.protocols.cdp.jug import MAX_RATE_RAY
from peglab.protocols.governance import MAXTIME, Governance, epoch_next
from peglab.testing import assert_refused
from peglab.units import MAX_UINT256, RAY, WAD, check_amount, wad

ILK = "ATH-A"


def _settle(s: DemoSystem, price: str) -> None:
    s.set_price("ATH", price)
    for _ in range(3):
        s.chain.advance(3600)
        s.poke_all()


def crashed() -> tuple[DemoSystem, AIDollar, int]:
    """AUSD with one running Dutch auction; ``keeper`` holds AI dollars to buy with."""
    s = two_ai_dollars()
    d, ledger = s.dollars["AUSD"], s.chain.ledger
    ledger.mint("ATH", "alice", wad(1_000_000))
    ledger.mint("ATH", "keeper", wad(10_000_000))
    vid = d.open_vault(ILK, sender="alice")
    d.deposit(vid, wad(1_000_000), sender="alice")
    d.mint(vid, wad(20_000), sender="alice")  # 2.5x at $0.05
    kv = d.open_vault(ILK, sender="keeper")
    d.deposit(kv, wad(10_000_000), sender="keeper")
    d.mint(kv, wad(100_000), sender="keeper")
    _settle(s, "0.03")  # alice at 1.5x < 1.75
    aid = d.bark(vid, sender="keeper")
    return s, d, aid


def errors(s: DemoSystem, d: AIDollar) -> list[str]:
    s.chain.check_conservation()
    return d.invariant_errors() + d.liquidation_invariant_errors()


# -- 1. re-entrant take --------------------------------------------------------------------------
def test_take__callback_retakes_same_auction__reentry_refused_and_paid_once() -> None:
    s, d, aid = crashed()
    clip = d.clippers[ILK]
    lot0, price = clip.sales[aid].lot_wad, d.auction(ILK, aid).price_ray
    seen: list[str] = []

    def retake(sender: str, owe: int, slice_wad: int, data: Any) -> None:
        try:
            d.take(ILK, aid, lot0, price, sender=sender)
        except Reentered as e:
            seen.append(e.code)

    got, _ = d.take(ILK, aid, lot0 // 2, price, "", retake, sender="keeper")
    assert seen == ["kernel/reentered"] and got == lot0 // 2
    assert clip.sales[aid].lot_wad == lot0 - got  # the sale still holds what it claims
    assert s.chain.ledger.balance_of(d.vat.gem(ILK), clip.account) == clip.sales[aid].lot_wad
    assert d.dog.ilks[ILK].dirt_rad >= 0 and errors(s, d) == []


def test_take__uncaught_reentry__whole_take_refused_unchanged() -> None:
    s, d, aid = crashed()
    price = d.auction(ILK, aid).price_ray

    def retake(sender: str, owe: int, slice_wad: int, data: Any) -> None:
        d.take(ILK, aid, WAD, price, sender=sender)

    assert_refused(
        s.chain, Reentered, "kernel/reentered", d.take, ILK, aid, WAD, price, "", retake,
        sender="keeper",
    )  # fmt: skip


# -- 2. bounded integers -------------------------------------------------------------------------
def test_file_duty__far_above_any_sane_rate__refused() -> None:
    s = two_ai_dollars()
    d = s.dollars["AUSD"]
    assert_refused(
        s.chain, InvalidInput, "cdp/rate-too-high", d.file, "duty", 2 * RAY, ilk=ILK, sender="gov"
    )
    d.file("duty", MAX_RATE_RAY, ilk=ILK, sender="gov")  # 100% a year is the bound, accepted


def test_drip__centuries_at_the_bound__reverts_typed_and_state_still_hashes() -> None:
    s = two_ai_dollars()
    d = s.dollars["AUSD"]
    s.chain.ledger.mint("ATH", "alice", wad(10**9))
    vid = d.open_vault(ILK, sender="alice")
    d.deposit(vid, wad(10**9), sender="alice")
    d.mint(vid, wad(1_000_000), sender="alice")
    d.file("duty", MAX_RATE_RAY, ilk=ILK, sender="gov")
    s.chain.advance(30 * 365 * 86_400)
    rate = d.drip(ILK, sender="k")  # 30 years at 100%: 2^30 times, still a uint256
    assert RAY * 2**29 < rate < RAY * 2**31
    s.chain.advance(100 * 365 * 86_400)
    with pytest.raises(Overflow):  # dss's rpow/rmul revert past 2^256; so does the drip
        d.drip(ILK, sender="k")
    assert isinstance(s.chain.state_hash(), str)


def test_rpow__huge_result__overflow_error_not_a_runaway_computation() -> None:
    with pytest.raises(Overflow):
        rpow(2 * RAY, 3 * 10**8, RAY)  # exact, this would be 275 MB and seconds of work


def test_error_message__huge_int__formatted_without_crash() -> None:
    with pytest.raises(InvalidInput) as e:
        check_amount(10**5000)
    assert "bits" in str(e.value)


def test_clip_file__chip_tip_beyond_dss_widths__refused() -> None:
    s = two_ai_dollars()
    clip = s.dollars["AUSD"].clippers[ILK]
    assert_refused(s.chain, Overflow, "cdp/overflow", clip.file, "chip", 2**64, sender="gov")
    assert_refused(s.chain, Overflow, "cdp/overflow", clip.file, "tip", 2**192, sender="gov")
    clip.file("chip", 2**64 - 1, sender="gov")
    clip.file("tip", 2**192 - 1, sender="gov")


# -- 3. untyped errors, names, degenerate states -----------------------------------------------
def test_roles__unhashable_role__typed_error() -> None:
    chain = Chain()
    assert_refused(chain, InvalidInput, "input/bad-type", chain.grant, ["r"], "bob", sender="gov")
    with pytest.raises(InvalidInput):
        chain.has_role(["r"], "bob")  # type: ignore[arg-type]


def test_launchpad__unhashable_symbol__typed_error() -> None:
    s = two_ai_dollars()
    with pytest.raises(InvalidInput):
        s.launchpad[["AUSD"]]  # type: ignore[index]


@pytest.mark.parametrize("ilk", [None, "", " ATH-B", "ATH:B"])
def test_add_collateral__bad_name__refused(ilk: object) -> None:
    s = two_ai_dollars()
    spec = CollateralSpec(ilk, "ATH", native_ai_token(), s.feeds["ATH"])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as e:
        s.launchpad.add_collateral("AUSD", spec, sender="gov")
    assert e.value.code in ("input/bad-type", "cdp/bad-ilk-name")


def test_launch__float_parameter__refused_before_state() -> None:
    s = two_ai_dollars()
    params = replace(native_ai_token(), mat_ray=1.8e27)
    spec = AIDollarSpec(
        "XUSD", "x", 1_000_000, (CollateralSpec("X-A", "ATH", params, s.feeds["ATH"]),)
    )
    assert_refused(s.chain, InvalidInput, "input/bad-type", s.launchpad.create_ai_usd, spec, sender="gov")  # fmt: skip


def test_staking__after_full_slash__stake_refused_typed_unstake_works() -> None:
    s = two_ai_dollars()
    pool = s.staking["stATH"]
    s.chain.ledger.mint("ATH", "alice", 10 * WAD)
    pool.stake(5 * WAD, sender="alice")
    pool.slash(WAD, sender="gov")  # 100%
    assert_refused(s.chain, InvalidInput, "staking/wiped-out", pool.stake, WAD, sender="alice")
    assert pool.unstake(5 * WAD, sender="alice") == 0


# -- 4. engine accounts ---------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["AUSD:backstop", "AUSD:join:ATH-A", "AUSD:vow", "AUSD:vat"])
def test_engine_account__as_sender__refused(engine: str) -> None:
    s = two_ai_dollars()
    s.chain.ledger.mint("AUSD", "AUSD:backstop", 1_000 * WAD)  # a funded backstop
    s.chain.ledger.mint("ATH", "AUSD:join:ATH-A", 1_000 * WAD)
    for token in ("AUSD", "ATH"):
        assert_refused(
            s.chain, NotAuthorized, "auth/engine-account", s.chain.transfer, token, "eve", 1,
            sender=engine,
        )  # fmt: skip
    d = s.dollars["AUSD"]
    assert_refused(s.chain, NotAuthorized, "auth/engine-account", d.open_vault, ILK, sender=engine)


def test_internal_token__public_transfer__refused() -> None:
    s = two_ai_dollars()
    d = s.dollars["AUSD"]
    s.chain.ledger.mint("ATH", "alice", wad(1_000_000))
    vid = d.open_vault(ILK, sender="alice")
    d.deposit(vid, wad(1_000_000), sender="alice")
    d.hope("alice", sender="alice")
    gem = d.vat.gem(ILK)
    for token in (d.vat.dai, d.vat.sin, gem):
        assert_refused(
            s.chain, NotAuthorized, "chain/internal-token", s.chain.transfer, token, "bob", 1,
            sender="alice",
        )  # fmt: skip


# -- 5. isolation: one failing gauge ----------------------------------------------------------------
class _BrokenState(Record):
    __slots__ = ("fee_receiver",)


class BrokenPool:
    """A permissionless pool whose fee claim always fails (or lies about what it paid)."""

    def __init__(self, chain: Chain, pool_id: str, coins: tuple[str, ...], lie: bool) -> None:
        self.chain, self.id, self.coins, self.lie = chain, pool_id, coins, lie
        self.lp_token = f"LP-{pool_id}"
        chain.ledger.create_token(self.lp_token)
        self.state = _BrokenState(chain.journal, fee_receiver="")

    @property
    def fee_receiver(self) -> str:
        return str(self.state.fee_receiver)

    @action
    def file(self, what: str, value: Any, *, sender: str) -> None:
        self.state.fee_receiver = value

    @action
    def claim_fees(self, *, sender: str) -> dict[str, int]:
        if self.lie:
            return {"USDC": 10**24}  # claims fees it never sent
        raise KeyError("boom")


@pytest.mark.parametrize("lie", [False, True])
def test_distribute__one_gauge_fee_claim_fails__others_still_paid(lie: bool) -> None:
    chain = Chain()
    gov = Governance.deploy(chain)
    for sym in ("AUSD", "USDC"):
        chain.ledger.create_token(sym)
        chain.ledger.mint(sym, "lp", 10**30)
    gov.voter.whitelist_token("AUSD", True, sender="gov")
    gov.voter.whitelist_token("USDC", True, sender="gov")
    gov.minter.initialize(liquid=[("alice", 1000 * WAD)], sender="gov")
    good = StableSwapPool(chain, "good", ["AUSD", "USDC"], 200)
    good.add_liquidity([10**24, 10**24], 0, sender="lp")
    bad = BrokenPool(chain, "bad", ("AUSD", "USDC"), lie)
    gov.voter.create_gauge(good, sender="gov")
    gov.voter.create_gauge(bad, sender="eve")  # permissionless: coins are whitelisted
    lock = gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="alice")
    gov.voter.vote(lock, ["good", "bad"], [1, 1], sender="alice")
    chain.warp(epoch_next(chain.now) + 3600)
    paid = gov.voter.distribute(sender="keeper")
    assert paid["good"] > 0 and paid["bad"] > 0  # emissions reach both gauges
    bad_fees = gov.voter.fees_reward("bad").state
    assert bad_fees.pending_fees.get("USDC", 0) == 0  # nothing booked that never arrived
    assert all(amount == 0 for amount in bad_fees.rewards_per_epoch.values())
    assert gov.gov_accounting_errors() == [] and chain.ledger.conservation_errors() == {}


# -- 6. reference compatibility -----------------------------------------------------------------------
def test_take__uint256_max_amount__clamped_to_lot_like_dss() -> None:
    s, d, aid = crashed()
    price = d.auction(ILK, aid).price_ray
    got, owe = d.take(ILK, aid, MAX_UINT256, price, sender="keeper")
    assert got > 0 and owe > 0 and errors(s, d) == []


def test_flog__empty_era_after_wait__releases_nothing_like_dss() -> None:
    s = two_ai_dollars()
    vow = s.dollars["AUSD"].vow
    era = s.chain.now
    s.chain.advance(vow.state.wait_s)
    assert vow.flog(era, sender="keeper") == 0


def test_burn__fee_receiver_burns_its_pending_fee__refused_like_v2() -> None:
    chain = Chain()
    for sym in ("A", "B"):
        chain.ledger.create_token(sym)
        chain.ledger.mint(sym, "lp", 10**30)
    pool = ConstantProductPool(chain, "ab", "A", "B", protocol_fee_on=True, fee_receiver="treasury")
    pool.mint(10**24, 10**24, sender="lp")
    chain.transfer(pool.lp_token, "treasury", 10**18, sender="lp")
    for k in range(20):
        pool.swap_exact_in(("A", "B")[k % 2], 10**23, 0, sender="lp")
    pending = pool.pending_protocol_fee()
    assert pending > 0
    with pytest.raises(PeglabError) as e:  # v2: ds-math-sub-underflow on the LP transfer
        pool.burn(10**18 + pending, sender="treasury")
    assert e.value.code == "ledger/insufficient-balance"
    pool.burn(10**18, sender="treasury")  # what it held before the call burns fine


def test_dss_widths__vat_products__overflow_typed() -> None:
    s = two_ai_dollars()
    d = s.dollars["AUSD"]
    d.file("line", MAX_UINT256, ilk=ILK, sender="gov")
    d.file("Line", MAX_UINT256, sender="gov")
    s.chain.ledger.mint("ATH", "alice", 2**200)
    vid = d.open_vault(ILK, sender="alice")
    assert_refused(s.chain, Overflow, "cdp/overflow", d.deposit, vid, 2**200, sender="alice")
    d.deposit(vid, 2**150, sender="alice")  # ink * spot must be a uint256, as in dss's frob
    assert_refused(s.chain, Overflow, "cdp/overflow", d.mint, vid, 2**200, sender="alice")
