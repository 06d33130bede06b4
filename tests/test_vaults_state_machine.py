"""Stateful tests of the vaults: ERC-4626 properties (previews equal actions, round trips never
profit the caller, conservation) and ERC-7540 bookkeeping (per-request conservation, escrow and
reserve identities), checked after every step, each check with a canary proving it can fail."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from peglab.errors import PeglabError
from peglab.kernel import Chain
from peglab.protocols.vaults import AsyncConfig, AsyncVault, ERC4626Vault, VaultConfig

USERS = ("alice", "bob", "carol")
user = st.sampled_from(USERS)
ppm = st.integers(1, 10**6)


def check_preview(kind: str, preview: int, actual: int) -> None:
    """Invariant: an action right after its preview returns exactly the preview."""
    assert preview == actual, f"{kind}: preview {preview} != actual {actual}"


def check_no_profit(kind: str, paid: int, got: int) -> None:
    """Invariant: a round trip never returns more than the caller put in."""
    assert got <= paid, f"{kind}: round trip gained {got - paid}"


def check_vault_side(
    kind: str, assets_in: int, shares_out: int, supply: int, total: int, offset: int
) -> None:
    """Invariant: the vault never loses on rounding: shares created (or destroyed, negative) are
    worth at most (at least) the assets received (paid, negative) at the pre-action price."""
    value = Fraction(shares_out * (total + 1), supply + 10**offset)
    assert value <= assets_in, f"{kind}: vault lost {value - assets_in} assets on rounding"


def check_backing(v: ERC4626Vault) -> None:
    """Invariant: total assets are the vault's balance and shares sum to supply."""
    assert v.total_assets() == v.chain.ledger.balance_of(v.asset, v.account)
    v.chain.check_conservation()


def make_sync(decimals: int, offset: int, dead: int) -> tuple[Chain, ERC4626Vault]:
    chain = Chain()
    chain.ledger.create_token("T", decimals)
    v = ERC4626Vault(chain, "T", "vT", config=VaultConfig(offset=offset, dead_shares=dead))
    for u in USERS:
        chain.ledger.mint("T", u, 10**9 * 10**decimals)
    return chain, v


class Vault4626Machine(RuleBasedStateMachine):
    chain: Chain
    v: ERC4626Vault

    @initialize(
        cfg=st.sampled_from([(6, 0, 0), (6, 6, 0), (18, 0, 10**6), (18, 3, 0)]),
        seed=st.integers(1, 10**12),
    )
    def setup(self, cfg: tuple[int, int, int], seed: int) -> None:
        self.chain, self.v = make_sync(*cfg)
        self.v.deposit(seed * 10 ** (cfg[0] - 6) + 10**7, sender="alice")

    def _assets(self, u: str, f: int) -> int:
        return max(1, self.chain.ledger.balance_of("T", u) // 10**6 * f // 10**3)

    @rule(u=user, f=ppm)
    def deposit(self, u: str, f: int) -> None:
        a = self._assets(u, f)
        pre = self._pre()
        try:
            want = self.v.preview_deposit(a)
            minted = self.v.deposit(a, sender=u)
        except PeglabError:
            return
        check_preview("deposit", want, minted)
        check_vault_side("deposit", a, minted, *pre)

    @rule(u=user, f=ppm)
    def mint(self, u: str, f: int) -> None:
        s = max(1, self.v.preview_deposit(self._assets(u, f)))
        pre = self._pre()
        try:
            want = self.v.preview_mint(s)
            paid = self.v.mint(s, sender=u)
        except PeglabError:
            return
        check_preview("mint", want, paid)
        if pre[0]:  # (the first mint also pays for dead shares)
            check_vault_side("mint", paid, s, *pre)

    def _pre(self) -> tuple[int, int, int]:
        return self.v.total_supply(), self.v.total_assets(), self.v.offset

    @rule(u=user, f=ppm)
    def withdraw(self, u: str, f: int) -> None:
        a = self.v.max_withdraw(u) * f // 10**6
        pre = self._pre()
        try:
            want = self.v.preview_withdraw(a)
            burned = self.v.withdraw(a, sender=u)
        except PeglabError:
            return
        check_preview("withdraw", want, burned)
        check_vault_side("withdraw", -a, -burned, *pre)

    @rule(u=user, f=ppm)
    def redeem(self, u: str, f: int) -> None:
        s = self.v.max_redeem(u) * f // 10**6
        pre = self._pre()
        try:
            want = self.v.preview_redeem(s)
            paid = self.v.redeem(s, sender=u)
        except PeglabError:
            return
        check_preview("redeem", want, paid)
        check_vault_side("redeem", -paid, -s, *pre)

    @rule(u=user, f=ppm)
    def deposit_then_redeem(self, u: str, f: int) -> None:
        a = self._assets(u, f)
        try:
            s = self.v.deposit(a, sender=u)
            check_no_profit("deposit->redeem", a, self.v.redeem(s, sender=u))
        except PeglabError:
            pass

    @rule(u=user, f=ppm)
    def mint_then_withdraw(self, u: str, f: int) -> None:
        s = max(1, self.v.preview_deposit(self._assets(u, f)))
        try:
            paid = self.v.mint(s, sender=u)
            burned = self.v.withdraw(paid, sender=u)
            check_no_profit("mint->withdraw (shares)", burned, s)
        except PeglabError:
            pass

    @rule(u=user, f=ppm)
    def redeem_then_mint(self, u: str, f: int) -> None:
        s = self.v.max_redeem(u) * f // 10**6
        try:
            got = self.v.redeem(s, sender=u)
            check_no_profit("redeem->mint", self.v.preview_mint(s), got)
        except PeglabError:
            pass

    @rule(u=user, f=ppm)
    def donate(self, u: str, f: int) -> None:
        self.chain.ledger.transfer("T", u, self.v.account, self._assets(u, f) // 100)

    @rule(f=ppm)
    def loss(self, f: int) -> None:
        bal = self.chain.ledger.balance_of("T", self.v.account)
        self.chain.ledger.burn("T", self.v.account, bal * f // 10**7)

    @invariant()
    def backed(self) -> None:
        check_backing(self.v)


TestVault4626Machine = Vault4626Machine.TestCase
TestVault4626Machine.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
)


class FloorWithdrawVault(ERC4626Vault):
    """Canary vault: rounds ``preview_withdraw`` down (the wrong way)."""

    def price_withdraw(self, assets: int) -> int:
        return self.to_shares(assets, False)


def test_canary__withdraw_rounded_down__vault_side_check_fails() -> None:
    chain = Chain()
    chain.ledger.create_token("T", 6)
    chain.ledger.mint("T", "a", 10**12)
    v = FloorWithdrawVault(chain, "T", "vT")
    v.deposit(10**6, sender="a")
    chain.ledger.transfer("T", "a", v.account, 333_333)  # price 1.333333: 1 asset = 0.75 shares
    pre = (v.total_supply(), v.total_assets(), v.offset)
    burned = v.withdraw(1, sender="a")
    assert burned == 0  # an asset for free
    with pytest.raises(AssertionError, match="vault lost"):
        check_vault_side("withdraw", -1, -burned, *pre)


def test_canary__preview_off_by_one__preview_check_fails() -> None:
    chain, v = make_sync(6, 0, 0)
    want = v.preview_deposit(10**6) + 1
    with pytest.raises(AssertionError, match="preview"):
        check_preview("deposit", want, v.deposit(10**6, sender="alice"))


def test_canary__minted_outside_ledger_books__backing_check_fails() -> None:
    chain, v = make_sync(6, 0, 0)
    v.deposit(10**6, sender="alice")
    chain.ledger.supply["vT"] += 1
    with pytest.raises(AssertionError, match="conservation"):
        check_backing(v)


# -- ERC-7540 -----------------------------------------------------------------------------------


def check_requests(v: AsyncVault) -> None:
    """Invariants 20 and 23: per-request conservation; totals, escrow and reserve identities."""
    pend_dep = pend_red = reserved = escrow = 0
    for (direction, rid, ctrl), r in v.requests.items():
        side = r.claimable_assets if direction == "deposit" else r.claimable_shares
        assert r.requested == r.pending + side + r.claimed + r.cancelled, (direction, rid, ctrl, r)
        assert (rid in v.open_ids.get((direction, ctrl), ())) == r.open(), (direction, rid, ctrl)
        if direction == "deposit":
            pend_dep += r.pending
            escrow += r.claimable_shares
        else:
            pend_red += r.pending
            escrow += r.pending
            reserved += r.claimable_assets
    t = v.totals
    assert (t.pending_deposit_assets, t.pending_redeem_shares, t.reserved_assets) == (
        pend_dep,
        pend_red,
        reserved,
    )
    assert v.balance_of(v.escrow) == escrow + t.dust_shares
    cash = v.chain.ledger.balance_of(v.asset, v.account)
    assert cash >= pend_dep + reserved, "claimable redemptions are not covered"
    v.chain.check_conservation()


def make_async(cancellable: str, rounding: str = "vault") -> tuple[Chain, AsyncVault]:
    chain = Chain()
    chain.ledger.create_token("T", 6)
    ac = AsyncConfig(cancellable=cancellable, claim_rounding=rounding)  # type: ignore[arg-type]
    v = AsyncVault(chain, "T", "aT", async_config=ac)
    for u in USERS:
        chain.ledger.mint("T", u, 10**15)
    return chain, v


class Vault7540Machine(RuleBasedStateMachine):
    chain: Chain
    v: AsyncVault

    @initialize(
        cancellable=st.sampled_from(["none", "deposit", "both"]),
        rounding=st.sampled_from(["vault", "remainder"]),
    )
    def setup(self, cancellable: str, rounding: str) -> None:
        self.chain, self.v = make_async(cancellable, rounding)

    def _try(self, fn: object, *a: object, **kw: object) -> None:
        try:
            fn(*a, **kw)  # type: ignore[operator]
        except PeglabError:
            pass

    @rule(u=user, amount=st.integers(1, 10**12))
    def request_deposit(self, u: str, amount: int) -> None:
        self._try(self.v.request_deposit, amount, u, u, sender=u)

    @rule(u=user, f=ppm)
    def request_redeem(self, u: str, f: int) -> None:
        self._try(self.v.request_redeem, max(1, self.v.balance_of(u) * f // 10**6), u, u, sender=u)

    @rule(u=user, f=ppm)
    def fulfil_deposit(self, u: str, f: int) -> None:
        self._try(
            self.v.fulfil_deposit,
            u,
            max(1, self.v.pending_deposit_request(0, u) * f // 10**6),
            sender="gov",
        )

    @rule(u=user, f=ppm)
    def fulfil_redeem(self, u: str, f: int) -> None:
        self._try(
            self.v.fulfil_redeem,
            u,
            max(1, self.v.pending_redeem_request(0, u) * f // 10**6),
            sender="gov",
        )

    @rule(u=user, f=ppm, how=st.sampled_from(["deposit", "mint"]))
    def claim_deposit(self, u: str, f: int, how: str) -> None:
        if how == "deposit":
            self._try(self.v.deposit, max(1, self.v.max_deposit(u) * f // 10**6), sender=u)
        else:
            self._try(self.v.mint, max(1, self.v.max_mint(u) * f // 10**6), sender=u)

    @rule(u=user, f=ppm, how=st.sampled_from(["redeem", "withdraw"]))
    def claim_redeem(self, u: str, f: int, how: str) -> None:
        if how == "redeem":
            self._try(self.v.redeem, max(1, self.v.max_redeem(u) * f // 10**6), sender=u)
        else:
            self._try(self.v.withdraw, max(1, self.v.max_withdraw(u) * f // 10**6), sender=u)

    @rule(u=user, direction=st.sampled_from(["deposit", "redeem"]))
    def cancel(self, u: str, direction: str) -> None:
        fn = (
            self.v.cancel_deposit_request
            if direction == "deposit"
            else self.v.cancel_redeem_request
        )
        self._try(fn, u, sender=u)

    @rule(amount=st.integers(1, 10**10))
    def yield_arrives(self, amount: int) -> None:
        self.chain.ledger.transfer("T", "carol", self.v.account, amount)

    @invariant()
    def books(self) -> None:
        check_requests(self.v)


TestVault7540Machine = Vault7540Machine.TestCase
TestVault7540Machine.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
)


def test_canary__fulfil_forgets_pending__request_check_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chain, v = make_async("deposit")
    v.request_deposit(100, "alice", "alice", sender="alice")
    v.fulfil_deposit("alice", 40, sender="gov")
    r = v.request("deposit", 0, "alice")
    assert r is not None
    r.pending += 40  # as if fulfilment had not taken the assets out of pending
    with pytest.raises(AssertionError):
        check_requests(v)


def test_canary__reserve_not_covered__request_check_fails() -> None:
    chain, v = make_async("deposit")
    v.request_deposit(100, "alice", "alice", sender="alice")
    v.fulfil_deposit("alice", 100, sender="gov")
    v.deposit(100, sender="alice")
    v.request_redeem(100, "alice", "alice", sender="alice")
    v.fulfil_redeem("alice", 100, sender="gov")
    chain.ledger.burn("T", v.account, 1)  # assets leave while reserved for a claim
    with pytest.raises(AssertionError, match="not covered"):
        check_requests(v)
