"""Emergency shutdown (dss End): freeze prices, settle every vault, let AI-dollar holders redeem collateral.

    cage():          live = 0 everywhere (vault engine, liquidator, buffer, PSM, auctions) ; when = now
    cage_ilk(ilk):   Art[ilk] = Art ; tag[ilk] = par * WAD // val             [ray, collateral per $1]
    snip(ilk, id):   suck(vow, vow, tab) ; yank the auction ; art = tab // rate ; Art[ilk] += art
                     grab(vault, +lot, +art)                                   the lot goes back to the vault
    skim(vault):     owe = rmul(rmul(art, rate), tag) ; take = min(ink, owe) ; gap[ilk] += owe - take
                     grab(vault, -take, -art)                                  excess stays with the owner
    free(vault):     art == 0 ; the owner withdraws the remaining collateral
    thaw():          now >= when + wait ; heal the buffer ; dai[vow] == 0 ; debt = vat.debt
    flow(ilk):       fix[ilk] = (min(rmul(rmul(Art, rate), tag) - gap, held[ilk]) * RAY) // (debt // RAY)
    pack(wad):       holder locks AI dollars ; bag[usr] += wad
    cash(ilk, wad):  pays rmul(wad, fix[ilk]) collateral ; out[ilk][usr] += wad <= bag[usr]

Every division floors against the holder, so the sum of all payouts of an ilk never exceeds the
collateral the End holds for it (docs/cdp-spec.md §13 item 8). [O] choices: ``flow`` caps the numerator by the
collateral actually held (``held``), because skim's per-vault floors can sum to a few wei below
dss's aggregate ``rmul(rmul(Art, rate), tag)``; ``flow`` requires every vault of the ilk skimmed
and every auction snipped, so the basket is final; the price at ``cage_ilk`` is the collateral's
delayed price (the PSM gem is valued at $1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown, StalePrice
from ...kernel import Record, Table, action
from ...math import rmul
from ...units import HOUR, RAY, WAD, check_amount, check_positive
from .accounts import InstanceAccounts
from .events import ParameterChanged, ShutdownStep
from .interfaces import BufferLike, JoinsLike, LiquidatorLike, PsmLike, SpotterLike, VatLike

if TYPE_CHECKING:
    from ...kernel import Chain
    from .clip import Clipper
    from .flip import Flipper

__all__ = ["EndState", "Shutdown"]


class EndState(Record):
    """Live flag, cage time ``when``, settlement delay ``wait`` and the frozen total ``debt`` [rad]."""

    __slots__ = ("debt_rad", "live", "wait_s", "when")
    live: bool
    when: int
    wait_s: int
    debt_rad: int


class Shutdown:
    """dss End for one instance; settled collateral sits in the ledger account ``account``."""

    def __init__(
        self,
        chain: Chain,
        accounts: InstanceAccounts,
        vat: VatLike,
        dog: LiquidatorLike,
        vow: BufferLike,
        spotter: SpotterLike,
        joins: JoinsLike,
        clippers: Table[str, Clipper],
        flippers: Table[str, Flipper],
    ) -> None:
        self.chain = chain
        self.accounts = accounts
        self.symbol = accounts.symbol
        self.vat = vat
        self.dog = dog
        self.vow = vow
        self.spotter = spotter
        self.joins = joins
        self.clippers = clippers
        self.flippers = flippers
        self.psm: PsmLike | None = None  # set by ``set_psm`` when the instance gets one
        self.account = accounts.end
        j = chain.journal
        self.state = EndState(j, live=True, when=0, wait_s=72 * HOUR, debt_rad=0)
        self.tag: Table[str, int] = Table(j)  # ray
        self.gap: Table[str, int] = Table(j)  # wad
        self.art: Table[str, int] = Table(j)  # wad, Art at cage plus snipped auctions
        self.fix: Table[str, int] = Table(j)  # ray
        self.held: Table[str, int] = Table(j)  # wad collateral held at flow
        self.paid: Table[str, int] = Table(j)  # wad collateral paid out by cash
        self.bag: Table[str, int] = Table(j)  # wad
        self.out: Table[tuple[str, str], int] = Table(j)  # wad
        for name in ("state", "tag", "gap", "art", "fix", "held", "paid", "bag", "out"):
            chain.register(f"cdp/{self.symbol}/end/{name}", getattr(self, name))

    def set_psm(self, psm: PsmLike) -> None:
        """Wire the instance's peg stability module (stopped at cage, its gem valued at $1)."""
        self.psm = psm

    # -- guards -------------------------------------------------------------------------------
    def _caged(self) -> None:
        if self.state.live:
            raise InvalidInput("end/still-live", f"{self.symbol} is not shut down")

    def _tag(self, ilk: str) -> int:
        self.vat.ilk(ilk)
        t = self.tag.get(ilk, 0)
        if t == 0:
            raise InvalidInput("end/tag-ilk-not-defined", f"cage_ilk({ilk}) first")
        return t

    def _clipper(self, ilk: str) -> Clipper:
        c = self.clippers.get(ilk)
        if c is None:
            raise InvalidInput("cdp/unknown-ilk", f"{self.symbol} has no auctions for {ilk!r}")
        return c

    def _emit(self, step: str, ilk: str, subject: object, amount: int) -> None:
        self.chain.emit(ShutdownStep(self.symbol, step, ilk, str(subject), amount))

    # -- steps --------------------------------------------------------------------------------
    @action
    def cage(self, *, sender: str) -> None:
        """Shut the instance down (governance): nothing can be minted, liquidated or swapped."""
        self.chain.require_role("gov", sender, "end/not-governance")
        if not self.state.live:
            raise ShutDown("cdp/not-live", f"{self.symbol} is already shut down")
        self.state.live = False
        self.state.when = self.chain.now
        self.vat.cage()
        self.dog.cage()
        self.vow.cage()
        if self.psm is not None:
            self.psm.cage()
        for clip in self.clippers.values():
            clip.params.stopped = 3
        self._emit("cage", "", "", self.chain.now)

    @action
    def cage_ilk(self, ilk: str, *, sender: str) -> int:
        """Freeze the price of ``ilk`` (anyone, after cage); returns ``tag`` [ray]."""
        self._caged()
        i = self.vat.ilk(ilk)
        if self.tag.get(ilk, 0):
            raise InvalidInput("end/tag-ilk-already-defined", f"{ilk} is already caged")
        if self.psm is not None and ilk == self.psm.ilk:
            val, has = WAD, True
        else:
            val, has = self.spotter.value(ilk)
        if not has or val == 0:
            raise StalePrice("end/invalid-price", f"no valid price for {ilk}: poke its oracle")
        tag = self.spotter.par_ray * WAD // val
        self.art[ilk] = i.art_total_wad
        self.tag[ilk] = tag
        self._emit("cage-ilk", ilk, "", tag)
        return tag

    @action
    def snip(self, ilk: str, auction_id: int, *, sender: str) -> None:
        """Cancel a running auction: its collateral and debt (tab, incl. penalty) go back to the vault.

        An English auction (dss End ``skip``) can be cancelled only in its tend phase; its bidder
        is refunded the bid; one that reached its tab must be dealt.
        """
        self._tag(ilk)
        flip = self.flippers.get(ilk)
        s = flip.bid(auction_id) if flip is not None else self._clipper(ilk).sale(auction_id)
        rate = self.vat.ilks[ilk].rate_ray
        tab, lot, vault = s.tab_rad, s.lot_wad, s.vault
        self.vat.suck(self.accounts.vow, self.accounts.vow, tab)
        if flip is not None:
            flip.yank(auction_id, self.account)
        else:
            self._clipper(ilk).yank(auction_id, self.account)
        art = tab // rate
        self.art[ilk] += art
        self.vat.grab(vault, self.account, self.accounts.vow, lot, art)
        self._emit("snip", ilk, auction_id, tab)

    @action
    def skim(self, vault_id: int, *, sender: str) -> int:
        """Settle a vault's debt at the frozen price (anyone); returns the collateral taken [wad]."""
        self._caged()
        v = self.vat.vault(vault_id)
        tag = self._tag(v.ilk)
        if v.art_wad == 0:
            raise InvalidInput("end/nothing-to-skim", f"vault {vault_id} has no debt")
        rate = self.vat.ilks[v.ilk].rate_ray
        owe = rmul(rmul(v.art_wad, rate), tag)
        take = min(v.ink_wad, owe)
        self.gap[v.ilk] = self.gap.get(v.ilk, 0) + owe - take
        self.vat.grab(vault_id, self.account, self.accounts.vow, -take, -v.art_wad)
        self._emit("skim", v.ilk, vault_id, take)
        return take

    @action
    def free(self, vault_id: int, *, sender: str) -> int:
        """Withdraw a settled vault's remaining collateral (owner or operator); returns tokens."""
        self._caged()
        v = self.vat.vault(vault_id)
        if not self.vat.may_operate(vault_id, sender):
            raise NotAuthorized("cdp/not-allowed-u", f"{sender} may not free vault {vault_id}")
        if v.art_wad != 0:
            raise InvalidInput("end/art-not-zero", f"vault {vault_id} still owes: skim it first")
        ink = v.ink_wad
        if ink == 0:
            raise InvalidInput("end/nothing-to-free", f"vault {vault_id} holds no collateral")
        self.vat.grab(vault_id, self.account, self.accounts.vow, -ink, 0)
        paid = self.joins.pay_gem(v.ilk, self.account, sender, ink)
        self._emit("free", v.ilk, vault_id, ink)
        return paid

    @action
    def thaw(self, *, sender: str) -> int:
        """Fix the total debt to redeem (anyone, ``wait`` after cage); returns it [rad]."""
        self._caged()
        st = self.state
        if st.debt_rad != 0:
            raise InvalidInput("end/debt-not-zero", "thaw already ran")
        if self.chain.now < st.when + st.wait_s:
            raise InvalidInput("end/wait-not-finished", f"thaw allowed from {st.when + st.wait_s}")
        for ilk, clip in self.clippers.items():
            if clip.sales:
                raise InvalidInput("end/auctions-running", f"snip the auctions of {ilk} first")
        for ilk, flip in self.flippers.items():
            if flip.bids:
                raise InvalidInput("end/auctions-running", f"snip or deal the auctions of {ilk}")
        vow = self.accounts.vow
        ledger = self.chain.ledger
        rad = min(ledger.balance_of(self.vat.dai, vow), ledger.balance_of(self.vat.sin, vow))
        if rad:
            self.vat.heal(vow, rad)
        if ledger.balance_of(self.vat.dai, vow) != 0:
            raise InvalidInput("end/surplus-not-zero", "the buffer holds surplus after healing")
        debt = self.vat.debt_rad
        if debt < RAY:
            raise InvalidInput("end/no-debt", "no AI dollars are outstanding")
        st.debt_rad = debt
        self._emit("thaw", "", "", debt)
        return debt

    @action
    def flow(self, ilk: str, *, sender: str) -> int:
        """Fix the collateral paid per AI dollar for ``ilk`` (anyone, after thaw); returns ``fix``."""
        tag = self._tag(ilk)
        if self.state.debt_rad == 0:
            raise InvalidInput("end/debt-zero", "thaw first")
        if ilk in self.fix:
            raise InvalidInput("end/fix-ilk-already-defined", f"{ilk} already flowed")
        i = self.vat.ilks[ilk]
        if i.art_total_wad != 0:
            raise InvalidInput("end/not-skimmed", f"skim every vault of {ilk} first")
        owed = rmul(rmul(self.art[ilk], i.rate_ray), tag) - self.gap.get(ilk, 0)
        held = self.chain.ledger.balance_of(self.vat.gem(ilk), self.account)
        fix = min(owed, held) * RAY // (self.state.debt_rad // RAY)
        self.fix[ilk] = fix
        self.held[ilk] = held
        self._emit("flow", ilk, "", fix)
        return fix

    @action
    def pack(self, amount_wad: int, *, sender: str) -> None:
        """Lock ``amount_wad`` AI-dollar tokens for redemption (after thaw)."""
        check_positive(amount_wad, "amount_wad")
        if self.state.debt_rad == 0:
            raise InvalidInput("end/debt-zero", "thaw first")
        self.joins.join_dai(sender, amount_wad)
        self.vat.move(sender, self.accounts.vow, amount_wad * RAY, sender)
        self.bag[sender] = self.bag.get(sender, 0) + amount_wad
        self._emit("pack", "", sender, amount_wad)

    @action
    def cash(self, ilk: str, amount_wad: int, *, sender: str) -> int:
        """Redeem ``amount_wad`` of the sender's packed AI dollars for ``ilk`` collateral; returns wad."""
        check_positive(amount_wad, "amount_wad")
        self.vat.ilk(ilk)
        fix = self.fix.get(ilk)
        if fix is None:
            raise InvalidInput("end/fix-ilk-not-defined", f"flow({ilk}) first")
        key = (ilk, sender)
        out = self.out.get(key, 0) + amount_wad
        if out > self.bag.get(sender, 0):
            raise LimitExceeded(
                "end/insufficient-bag", f"{sender} packed {self.bag.get(sender, 0)} wad, asks {out}"
            )
        gem = rmul(amount_wad, fix)
        self.out[key] = out
        self.paid[ilk] = self.paid.get(ilk, 0) + gem
        if gem:
            self.joins.pay_gem(ilk, self.account, sender, gem)
        self._emit("cash", ilk, sender, gem)
        return gem

    @action
    def file(self, what: str, value: int, *, sender: str) -> None:
        """Set ``wait`` (governance, before shutdown)."""
        self.chain.require_role("gov", sender, "end/not-governance")
        if what != "wait":
            raise InvalidInput("cdp/unknown-param", f"unknown parameter {what!r}; known: wait")
        if not self.state.live:
            raise ShutDown("cdp/not-live", "parameters are frozen after shutdown")
        self.state.wait_s = check_amount(value, what, "cdp/bad-value")
        self.chain.emit(ParameterChanged(f"{self.symbol}/end", "", what, value))

    # -- invariant ----------------------------------------------------------------------------
    def invariant_errors(self) -> list[str]:
        """docs/cdp-spec.md §13 item 8: payouts never exceed the collateral held; bags never exceed the debt."""
        errs: list[str] = []
        for ilk, held in self.held.items():
            paid = self.paid.get(ilk, 0)
            bal = self.chain.ledger.balance_of(self.vat.gem(ilk), self.account)
            if paid > held or bal != held - paid:
                errs.append(f"{ilk}: paid {paid} wad of {held} held, End balance {bal}")
        if self.state.debt_rad and sum(self.bag.values()) * RAY > self.state.debt_rad:
            errs.append("packed AI dollars exceed the debt fixed at thaw")
        return errs
