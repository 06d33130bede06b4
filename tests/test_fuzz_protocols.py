"""The fuzz campaign: hostile calls to every action of a world with every family, checked after
each call (``peglab.testing.fuzz``), and one canary per check proving it can fail.

``make test`` runs a bounded campaign (``FUZZ_CALLS`` calls over several seeded worlds, well
under a minute); ``make fuzz`` runs the long one (``PEGLAB_FUZZ_CALLS``, default 300,000) and
prints calls and calls per second.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

import pytest
from support.fuzz_credit import credit_world

from peglab.errors import InvalidInput
from peglab.examples.systems import ORACLE, two_ai_dollars
from peglab.kernel import Chain, Record, Table, action
from peglab.protocols.amm import AmmFactory, Router
from peglab.protocols.cdp import (
    AIDollarSpec,
    CollateralSpec,
    PriceFeed,
    native_ai_token,
    replace,
)
from peglab.protocols.cdp.psm import PsmSpec
from peglab.protocols.governance import MAXTIME, Governance
from peglab.protocols.vaults import SharesApproved
from peglab.testing import FuzzReport, FuzzWorld, discover_actions, fuzz
from peglab.units import WAD, wad

FUZZ_CALLS = int(os.environ.get("PEGLAB_FUZZ_CALLS", "30000"))
WORLDS = int(os.environ.get("PEGLAB_FUZZ_WORLDS", "10"))
USERS = ("alice", "bob", "carol", "keeper")


def full_world(seed: int) -> FuzzWorld:
    """AUSD (ATH, stATH), vUSD, a third AI dollar with a PSM and English auctions, StableSwap
    and constant-product pools with a router, ve(3,3) governance gauging the pools."""
    s = two_ai_dollars()
    chain, ledger, pad = s.chain, s.chain.ledger, s.launchpad
    ledger.create_token("USDC", 6)
    usdc_feed = PriceFeed(chain, "USDC", wad("1"))
    chain.grant(usdc_feed.role, ORACLE, sender="gov")
    english = replace(native_ai_token(1_000_000), auction="english")
    ai = pad.create_ai_usd(
        AIDollarSpec(
            "XUSD",
            "xai",
            5_000_000,
            (CollateralSpec("ATH-E", "ATH", english, s.feeds["ATH"]),),
            admin="xai-dao",
            psm=PsmSpec("USDC", 1_000_000, price=usdc_feed),
        ),
        sender="gov",
    )
    rng = random.Random(seed)
    for u in USERS:
        ledger.mint("ATH", u, wad(50_000_000))
        ledger.mint("VIRTUAL", u, wad(1_000_000))
        ledger.mint("USDC", u, 10**13)
    for d, ilk in ((s.dollars["AUSD"], "ATH-A"), (s.dollars["vUSD"], "VIRTUAL-A"), (ai, "ATH-E")):
        token = d.collateral(ilk).token
        for u in USERS:
            vid = d.open_vault(ilk, sender=u)
            d.deposit(vid, ledger.balance_of(token, u) // 4, sender=u)
            d.mint(vid, wad(rng.randint(6_000, 20_000)), sender=u)
    for u in USERS:
        ai.sell_gem(10**10, sender=u)
        s.staking["stATH"].stake(wad(100_000), sender=u)
    factory = AmmFactory(chain)
    ss = factory.deploy_stableswap(["AUSD", "vUSD"], 100, sender="gov", pool_id="ss:ausd-vusd")
    cp = factory.deploy_constant_product("ATH", "AUSD", sender="gov", pool_id="cp:ath-ausd")
    ss.add_liquidity([wad(5_000), wad(5_000)], 0, sender="alice")
    cp.mint(wad(100_000), wad(5_000), sender="bob")
    cp2 = factory.deploy_constant_product("vUSD", "AUSD", sender="gov", pool_id="cp:vusd-ausd")
    cp2.mint(wad(2_000), wad(2_000), sender="carol")  # not gauged: create_gauge can succeed
    Router(chain)
    gov = Governance.deploy(chain, token="AERO")
    gov.minter.initialize(liquid=[(u, 1_000 * WAD) for u in USERS], sender="gov")
    gov.voter.create_gauge(ss, sender="gov")
    gov.voter.create_gauge(cp, sender="gov")
    for k, u in enumerate(USERS):  # locks and votes, so escrow and voter actions go deep
        lock = gov.escrow.create_lock(100 * WAD, MAXTIME, sender=u)
        gov.voter.vote(lock, [(ss.id, cp.id)[k % 2]], [1], sender=u)
    views = [
        view
        for p in (ss.id, cp.id)
        for view in (gov.voter.gauge(p), gov.voter.fees_reward(p), gov.voter.bribe_reward(p))
    ]
    for k, u in enumerate(USERS):  # LP staked in the gauges
        gauge = views[3 * (k % 2)]
        lp = (ss, cp)[k % 2].lp_token
        held = ledger.balance_of(lp, u)
        if held:
            gauge.deposit(held // 2, sender=u)
    dollars = [*s.dollars.values(), ai]
    # running auctions: risky vaults of "dave" in every AI dollar, then a crash and barks
    for d, ilk in ((s.dollars["AUSD"], "ATH-A"), (ai, "ATH-E")):
        ledger.mint("ATH", "dave", wad(1_000_000))
        vid = d.open_vault(ilk, sender="dave")
        d.deposit(vid, wad(1_000_000), sender="dave")
        d.mint(vid, wad(26_000), sender="dave")  # 1.92x at $0.05
    # a surplus auction of vUSD (no bad debt there): its fees, released in small lots
    vusd = s.dollars["vUSD"]
    for what, value in (("sink", "buy_and_burn"), ("hump", 0), ("bump", 10**45)):
        vusd.vow.file(what, value, sender="gov")
    s.set_price("ATH", "0.04")
    for _ in range(3):
        chain.advance(3600)
        s.poke_all()
        ai.poke_prices(sender="keeper")
    for d in (s.dollars["AUSD"], ai):
        d.bark(d.vaults_of("dave")[0], sender="keeper")
    vusd.drip("VIRTUAL-A", sender="keeper")
    vusd.vow.flap(sender="keeper")
    # specs a launch or a new collateral type can succeed with (once each: names are unique)
    specs = (
        CollateralSpec("ATH-F", "ATH", native_ai_token(1_000_000), s.feeds["ATH"]),
        AIDollarSpec(
            "YUSD",
            "yai",
            1_000_000,
            (
                CollateralSpec(
                    "VIRTUAL-Y", "VIRTUAL", native_ai_token(1_000_000), s.feeds["VIRTUAL"]
                ),
            ),
        ),
    )

    def invariants() -> list[str]:
        errs: list[str] = []
        for d in dollars:
            errs += d.invariant_errors() + d.liquidation_invariant_errors()
        return errs + gov.gov_accounting_errors()

    def consents(owner: str, spender: str, token: str) -> bool:
        """vat ``hope`` (vault operators: any token), or an ERC-4626 allowance on ``token``, the
        staking pool's shares (ever granted: a fully spent allowance is gone from the table
        after the call that used it)."""
        if any(d.vat.can.get((owner, spender), False) for d in dollars):
            return True
        return any(
            isinstance(e.event, SharesApproved)
            and (e.event.vault, e.event.owner, e.event.spender) == (token, owner, spender)
            and e.event.shares > 0
            for e in chain.log
        )

    def price_move(r: random.Random) -> None:
        token = r.choice(("ATH", "VIRTUAL"))
        s.set_price(token, r.choice((1, 10**15, 3 * 10**16, 5 * 10**16, 10**17, 2 * 10**18)))

    def poke(r: random.Random) -> None:
        for d in dollars:
            d.poke_prices(sender=r.choice(USERS))

    return FuzzWorld(
        chain,
        users=USERS,
        admins=("gov", "aethir-dao", ORACLE),
        invariants=(invariants,),
        consents=consents,
        moves=(price_move, poke, poke),
        # gauges and reward contracts are views the voter hands out: kept here, their actions
        # are discovered too
        values=(ss, cp, cp2, *specs, *views),
        terminal=("Shutdown.cage",),
    )


def campaign(
    calls: int, worlds: int, seed: int = 0, build: Callable[[int], FuzzWorld] = full_world
) -> FuzzReport:
    total = FuzzReport()
    per_world = max(calls // worlds, 1)
    for k in range(worlds):
        report = fuzz(build(seed + k), per_world, seed=seed + k)
        report.failures = [f"world {seed + k}: {line}" for line in report.failures]
        total.merge(report)
    return total


#: The least number of action kinds a bounded run must see succeed at least once (stated before
#: the smarter argument drawing was measured; 64 of 118 succeeded before it).
MIN_KINDS_SUCCEEDING = 90


@pytest.fixture(scope="module")
def bounded() -> FuzzReport:
    return campaign(FUZZ_CALLS, WORLDS)


def kind_table(report: FuzzReport) -> str:
    """One line per action kind: calls, successes and its most frequent refusal."""
    lines = [f"{'action':<42} {'calls':>7} {'ok':>6}  most frequent refusal"]
    for label in sorted(report.labels):
        codes = [(n, c) for (lab, c), n in report.refused_by.items() if lab == label]
        top = max(codes)[1] if codes else "-"
        ok = report.ok_by_action[label]
        lines.append(f"{label:<42} {report.by_action[label]:>7} {ok:>6}  {top}")
    ok_kinds = sum(1 for label in report.labels if report.ok_by_action[label])
    lines.append(f"{ok_kinds} of {len(report.labels)} action kinds succeeded at least once")
    return "\n".join(lines)


def test_fuzz__every_family__no_check_fails(bounded: FuzzReport) -> None:
    report = bounded
    print(
        f"\nfuzz: {report.calls} calls in {report.seconds:.1f} s ({report.calls_per_s:.0f}/s), "
        f"{report.succeeded} succeeded, {report.calls - report.succeeded} refused, "
        f"{report.actions} actions, {len(report.by_action)} called; {report.reads} reads of "
        f"{len(report.reads_by_query)} of {len(report.read_labels)} queries\n{kind_table(report)}"
    )
    assert report.failures == [], "\n".join(report.failures[:20])
    assert report.succeeded > report.calls // 20  # the campaign does reach deep states
    assert set(report.by_action) == report.labels  # every kind of action is called
    assert set(report.reads_by_query) == report.read_labels  # and every read


def test_fuzz__every_family_credit_world__no_check_fails() -> None:
    """The credit and vault families (tests/support/fuzz_credit.py): a third of the calls."""
    report = campaign(FUZZ_CALLS // 3, max(WORLDS // 3, 1), build=credit_world)
    print(
        f"\ncredit fuzz: {report.calls} calls in {report.seconds:.1f} s "
        f"({report.calls_per_s:.0f}/s), {report.succeeded} succeeded; {report.reads} reads of "
        f"{len(report.reads_by_query)} of {len(report.read_labels)} queries\n{kind_table(report)}"
    )
    assert report.failures == [], "\n".join(report.failures[:20])
    assert set(report.by_action) == report.labels
    assert set(report.reads_by_query) == report.read_labels


def test_fuzz__bounded_run__most_action_kinds_succeed(bounded: FuzzReport) -> None:
    ok_kinds = {label for label in bounded.labels if bounded.ok_by_action[label]}
    assert len(ok_kinds) >= MIN_KINDS_SUCCEEDING, sorted(bounded.labels - ok_kinds)


def test_discover__finds_every_family_action() -> None:
    w = full_world(0)
    labels = {label for label, _, _ in discover_actions(w.chain)}
    for expected in (
        "AIDollar.mint",
        "Clipper.take",
        "Flipper.tend",
        "PegStabilityModule.sell_gem",
        "StableSwapPool.exchange",
        "ConstantProductPool.swap",
        "Voter.vote",
        "VotingEscrow.create_lock",
        "StakingPool.stake",
        "Chain.transfer",
    ):
        assert expected in labels


# -- canaries: each check can fail -----------------------------------------------------------
class _Flag(Record):
    __slots__ = ("broken", "label")


class Buggy:
    """A protocol whose ``act`` commits one of the faults the campaign must catch."""

    def __init__(self, chain: Chain, fault: str) -> None:
        self.chain = chain
        self.fault = fault
        self.flag = _Flag(chain.journal, broken=False, label="")
        self.sales: Table[int, int] = Table(chain.journal)
        chain.register("buggy/flag", self.flag)
        chain.register("buggy/sales", self.sales)
        chain.ledger.create_token("BUG")
        for u in ("alice", "bob"):
            chain.ledger.mint("BUG", u, 1000)
        self.sales[1] = 10

    @action
    def act(self, amount: int, *, sender: str) -> None:
        ledger, f = self.chain.ledger, self.fault
        if f == "untyped":
            raise KeyError("boom")
        if f == "refusal-changes-state":
            self.chain.now += 1  # the clock is not journaled
            raise InvalidInput("bug/refused", "after a change")
        if f == "conservation":
            ledger.balances["BUG"]["alice"] = ledger.balance_of("BUG", "alice") + 1
        if f == "negative":
            ledger.balances["BUG"]["alice"] = ledger.balance_of("BUG", "alice") + 1
            ledger.balances["BUG"]["zed"] = -1
        if f == "authorization":
            victim = "bob" if sender != "bob" else "alice"
            ledger.transfer("BUG", victim, sender, 1)
        if f == "invariant":
            self.flag.broken = True
        if f == "unhashable":
            object.__setattr__(self.flag, "label", 1.5)
            self.flag._touch("label")
        if f == "stale-hash":
            dict.__setitem__(self.sales, 2, amount)  # bypasses tracking: only the full hash sees it

    @action
    def take(self, sale_id: int, callback: Any, *, sender: str) -> None:
        """The pre-fix clipper's bug: no lock, the sale is read before the callback."""
        if self.fault != "reentrancy":
            return
        self.sales[sale_id]
        callback()
        del self.sales[sale_id]  # a re-entrant take already deleted it: KeyError


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("untyped", "untyped KeyError"),
        ("refusal-changes-state", "refusal changed the state hash"),
        ("conservation", "conservation"),
        ("negative", "negative balance"),
        ("authorization", "without consent"),
        ("invariant", "invariant broken"),
        ("unhashable", "state does not hash"),
        ("stale-hash", "incremental hash differs"),
        ("reentrancy", "untyped KeyError"),
    ],
)
def test_fuzz_check__fault__detected(fault: str, expected: str) -> None:
    chain = Chain()
    bug = Buggy(chain, fault)
    world = FuzzWorld(
        chain,
        users=("alice", "bob"),
        invariants=(lambda: ["flag set"] if bug.flag.broken else [],),
    )
    report = fuzz(world, 400, seed=1, full_hash_every=1)
    assert any(expected in line for line in report.failures), report.failures[:5]
