"""The vault engine of one AI dollar: collateral types, vaults, and the dss Vat accounting rules.

Design. Balances that dss keeps inside the Vat live in the kernel ledger as internal tokens of
the instance, so "sum of balances equals supply" gives dss invariant 1 for free:

    <SYM>.dai        internal AI dollars [rad]; supply == vat debt
    <SYM>.sin        unbacked system debt [rad]; supply == vice
    <SYM>.gem.<ilk>  joined collateral [wad]; free gem in user accounts, locked ink in <SYM>:vat

Vault debt is ``art * rate`` [wad * ray = rad]; interest never touches a vault, only ``rate``.
Invariant 2, checked by ``check_invariants``: debt == vice + sum over ilks of Art * rate.

``frob`` is the one way a user changes a vault. Its rule, as in dss: the vault ends either
less risky than before (no new debt, no collateral out) or safe; only the owner or an approved
operator may make it riskier; it is never left with debt below dust. Stricter than dss [O]: a
risk-increasing frob that leaves debt, with no valid price, raises ``StalePrice`` instead of
``not-safe`` (closing a vault needs no price), and a
paused collateral type refuses new debt. The auth primitives (``grab``, ``suck``, ``heal``,
``fold``, ``slip``) are called by the instance's other modules inside their actions.

Widths, as dss: ``dink``/``dart`` and ``rate * dart`` are int256, every product compared in
``frob`` (``rate * art``, ``Art * rate``, ``ink * spot``) is a uint256; past them dss reverts and
``frob`` raises ``Overflow`` (``cdp/overflow``). Balances are bounded by the ledger. A
collateral type's name is a non-empty string without ``:`` or surrounding spaces (it becomes
part of ledger symbols and engine accounts).
"""

from __future__ import annotations

from ...errors import (
    InvalidInput,
    LimitExceeded,
    NotAuthorized,
    Overflow,
    ShutDown,
    StalePrice,
    Unsafe,
)
from ...kernel import Chain, Record, Table
from ...units import MAX_INT256, MAX_UINT256, MIN_INT256, show

__all__ = ["Ilk", "VatState", "Vault", "VaultEngine"]


class Ilk(Record):
    """One collateral type: total normalised debt, rate accumulator, spot, ceiling, dust."""

    __slots__ = ("art_total_wad", "dust_rad", "line_rad", "paused", "rate_ray", "spot_ray")
    art_total_wad: int
    rate_ray: int
    spot_ray: int
    line_rad: int
    dust_rad: int
    paused: bool


class Vault(Record):
    """A vault (dss urn): one collateral type, an owner, locked collateral and normalised debt."""

    __slots__ = ("art_wad", "ilk", "ink_wad", "is_open", "owner")
    ilk: str
    owner: str
    ink_wad: int
    art_wad: int
    is_open: bool


class VatState(Record):
    """Global switches of the engine: live flag, instance ceiling, next vault id."""

    __slots__ = ("line_rad", "live", "next_vault")
    live: bool
    line_rad: int
    next_vault: int


class VaultEngine:
    """dss Vat for one AI-dollar instance, its balances held in the chain's ledger."""

    def __init__(self, chain: Chain, symbol: str) -> None:
        self.chain = chain
        self.symbol = symbol
        self.dai = f"{symbol}.dai"
        self.sin = f"{symbol}.sin"
        self.locked = f"{symbol}:vat"
        # every account "<SYM>:..." (vat, joins, vow, auctions, PSM, end) is an engine account
        chain.protect_namespace(symbol, f"the {symbol} AI dollar")
        j = chain.journal
        self.state = VatState(j, live=True, line_rad=0, next_vault=1)
        self.ilks: Table[str, Ilk] = Table(j)
        self.vaults: Table[int, Vault] = Table(j)
        self.can: Table[tuple[str, str], bool] = Table(j)
        self.operators: Table[tuple[int, str], bool] = Table(j)
        ledger = chain.ledger
        ledger.create_token(self.dai, 45, f"{symbol} internal balance [rad]", internal=True)
        ledger.create_token(self.sin, 45, f"{symbol} system debt [rad]", internal=True)
        for name, obj in (
            ("state", self.state),
            ("ilks", self.ilks),
            ("vaults", self.vaults),
            ("can", self.can),
            ("operators", self.operators),
        ):
            chain.register(f"cdp/{symbol}/vat/{name}", obj)

    # -- reads --------------------------------------------------------------------------------
    def gem(self, ilk: str) -> str:
        """Ledger symbol of the joined collateral of ``ilk``."""
        return f"{self.symbol}.gem.{ilk}"

    @property
    def debt_rad(self) -> int:
        """Total internal AI dollars (dss ``debt``)."""
        return self.chain.ledger.supply[self.dai]

    @property
    def vice_rad(self) -> int:
        """Total unbacked system debt (dss ``vice``)."""
        return self.chain.ledger.supply[self.sin]

    def ilk(self, name: str) -> Ilk:
        """The collateral type ``name`` or ``InvalidInput cdp/unknown-ilk``."""
        try:
            return self.ilks[name]
        except (KeyError, TypeError):
            raise InvalidInput(
                "cdp/unknown-ilk",
                f"{self.symbol} has no collateral type {name!r}; known: {', '.join(self.ilks)}",
            ) from None

    def vault(self, vault_id: int) -> Vault:
        """The vault ``vault_id`` or ``InvalidInput cdp/unknown-vault``."""
        v = self.vaults.get(vault_id) if type(vault_id) is int else None
        if v is None:
            raise InvalidInput("cdp/unknown-vault", f"{self.symbol} has no vault {vault_id!r}")
        return v

    def open_vault(self, vault_id: int) -> Vault:
        """The vault, refusing a closed one with ``InvalidInput cdp/vault-closed``."""
        v = self.vault(vault_id)
        if not v.is_open:
            raise InvalidInput("cdp/vault-closed", f"{self.symbol} vault {vault_id} is closed")
        return v

    def wish(self, account: str, sender: str) -> bool:
        """dss ``wish``: the sender is the account or was allowed by it (``hope``)."""
        return account == sender or self.can.get((account, sender), False)

    def may_operate(self, vault_id: int, sender: str) -> bool:
        """The sender owns the vault or is an approved operator of it."""
        return self.vaults[vault_id].owner == sender or self.operators.get(
            (vault_id, sender), False
        )

    def is_safe(self, vault_id: int) -> bool:
        """``art * rate <= ink * spot`` at the stored rate and spot (no drip)."""
        v = self.vaults[vault_id]
        i = self.ilks[v.ilk]
        return v.art_wad * i.rate_ray <= v.ink_wad * i.spot_ray

    # -- configuration (called by the launchpad inside governance actions) -------------------
    def init_ilk(self, name: str) -> Ilk:
        """Create collateral type ``name`` with ``rate = RAY`` and its internal gem token."""
        if type(name) is not str or not name or name != name.strip() or ":" in name:
            raise InvalidInput(
                "cdp/bad-ilk-name",
                f"a collateral type is a non-empty name without ':' or edge spaces, got {show(name)}",
            )
        if name in self.ilks:
            raise InvalidInput(
                "cdp/ilk-exists", f"{self.symbol} already has collateral type {name}"
            )
        from ...units import RAY

        ilk = Ilk(
            self.chain.journal,
            art_total_wad=0,
            rate_ray=RAY,
            spot_ray=0,
            line_rad=0,
            dust_rad=0,
            paused=False,
        )
        self.ilks[name] = ilk
        self.chain.ledger.create_token(
            self.gem(name), 18, f"{self.symbol} joined {name} [wad]", internal=True
        )
        return ilk

    def new_vault(self, ilk: str, owner: str) -> int:
        """Create an empty vault for ``owner``; returns its id."""
        self.ilk(ilk)
        vid = self.state.next_vault
        self.state.next_vault = vid + 1
        self.vaults[vid] = Vault(
            self.chain.journal, ilk=ilk, owner=owner, ink_wad=0, art_wad=0, is_open=True
        )
        return vid

    # -- the one user-facing state change ----------------------------------------------------
    def frob(self, vault_id: int, v: str, w: str, dink: int, dart: int, sender: str) -> None:
        """Lock/free ``dink`` collateral (from/to ``v``) and draw/wipe ``dart`` debt (to/from ``w``).

        Invariant: the vault ends less risky than before or safe, and never dusty.
        """
        if not self.state.live:
            raise ShutDown("cdp/not-live", f"{self.symbol} is shut down; only settlement remains")
        urn = self.open_vault(vault_id)
        ilk = self.ilks[urn.ilk]
        rate = ilk.rate_ray
        ink = urn.ink_wad + dink
        art = urn.art_wad + dart
        art_total = ilk.art_total_wad + dart
        if ink < 0:
            raise InvalidInput(
                "cdp/underflow",
                f"vault {vault_id} holds {urn.ink_wad} wad collateral, cannot free {-dink}",
            )
        if art < 0:
            raise InvalidInput(
                "cdp/underflow",
                f"vault {vault_id} owes {urn.art_wad} wad normalised debt, cannot wipe {-dart}",
            )
        dtab = rate * dart
        tab = rate * art
        if not (
            MIN_INT256 <= dink <= MAX_INT256
            and MIN_INT256 <= dart <= MAX_INT256
            and MIN_INT256 <= dtab <= MAX_INT256
            and tab <= MAX_UINT256
            and art_total * rate <= MAX_UINT256
            and ink * ilk.spot_ray <= MAX_UINT256
        ):
            raise Overflow("cdp/overflow", f"vault {vault_id}: a dss word would overflow")
        riskier = dart > 0 or dink < 0
        if riskier and not self.may_operate(vault_id, sender):
            raise NotAuthorized(
                "cdp/not-allowed-u", f"{sender} is neither owner nor operator of vault {vault_id}"
            )
        if dink > 0 and not self.wish(v, sender):
            raise NotAuthorized("cdp/not-allowed-v", f"{sender} may not spend collateral of {v}")
        if dart < 0 and not self.wish(w, sender):
            raise NotAuthorized("cdp/not-allowed-w", f"{sender} may not spend AI dollars of {w}")
        if dart > 0:
            if ilk.paused:
                raise ShutDown("cdp/ilk-paused", f"{urn.ilk} is paused for new debt")
            if art_total * rate > ilk.line_rad:
                raise LimitExceeded(
                    "cdp/ceiling-exceeded",
                    f"{urn.ilk} debt ceiling {ilk.line_rad} rad would be exceeded",
                )
            if self.debt_rad + dtab > self.state.line_rad:
                raise LimitExceeded(
                    "cdp/ceiling-exceeded",
                    f"{self.symbol} instance ceiling {self.state.line_rad} rad would be exceeded",
                )
        if riskier and tab > 0:  # a debt-free vault is safe at any price, even without one
            if ilk.spot_ray == 0:
                raise StalePrice(
                    "cdp/invalid-price",
                    f"no valid price for {urn.ilk}: risk-increasing actions are refused",
                )
            if tab > ink * ilk.spot_ray:
                raise Unsafe(
                    "cdp/not-safe",
                    f"vault {vault_id} would be below the liquidation ratio of {urn.ilk}",
                )
        if art != 0 and tab < ilk.dust_rad:
            raise Unsafe(
                "cdp/dust",
                f"vault {vault_id} debt {tab} rad would be below the dust {ilk.dust_rad} rad",
            )
        ledger = self.chain.ledger
        if dink > 0:
            ledger.transfer(self.gem(urn.ilk), v, self.locked, dink)
        elif dink < 0:
            ledger.transfer(self.gem(urn.ilk), self.locked, v, -dink)
        if dart > 0:
            ledger.mint(self.dai, w, dtab)
        elif dart < 0:
            ledger.burn(self.dai, w, -dtab)
        urn.ink_wad = ink
        urn.art_wad = art
        ilk.art_total_wad = art_total

    # -- auth primitives ---------------------------------------------------------------------
    def grab(self, vault_id: int, v: str, w: str, dink: int, dart: int) -> None:
        """Seize (liquidation) or restore (shutdown) a vault: no safety checks.

        ink += dink, art += dart, Art += dart; gem moves between the vault and ``v``;
        ``sin[w] -= rate * dart`` (so a seizure books the debt as system debt of ``w``).
        """
        urn = self.vaults[vault_id]
        ilk = self.ilks[urn.ilk]
        ink, art = urn.ink_wad + dink, urn.art_wad + dart
        if ink < 0 or art < 0 or ilk.art_total_wad + dart < 0:
            raise InvalidInput("cdp/underflow", f"grab would leave vault {vault_id} negative")
        ledger = self.chain.ledger
        gem = self.gem(urn.ilk)
        if dink < 0:
            ledger.transfer(gem, self.locked, v, -dink)
        elif dink > 0:
            ledger.transfer(gem, v, self.locked, dink)
        dtab = ilk.rate_ray * dart
        if dtab < 0:
            ledger.mint(self.sin, w, -dtab)
        elif dtab > 0:
            ledger.burn(self.sin, w, dtab)
        urn.ink_wad, urn.art_wad = ink, art
        ilk.art_total_wad += dart

    def suck(self, u: str, v: str, rad: int) -> None:
        """Mint unbacked AI dollars to ``v`` against system debt of ``u``."""
        self.chain.ledger.mint(self.sin, u, rad)
        self.chain.ledger.mint(self.dai, v, rad)

    def heal(self, u: str, rad: int) -> None:
        """Cancel ``rad`` of ``u``'s internal AI dollars against its system debt."""
        self.chain.ledger.burn(self.sin, u, rad)
        self.chain.ledger.burn(self.dai, u, rad)

    def fold(self, ilk_name: str, u: str, drate_ray: int) -> int:
        """Raise ``rate`` by ``drate`` and credit the accrued fee ``Art * drate`` to ``u``; returns it."""
        if drate_ray < 0:
            raise InvalidInput("cdp/negative-rate", "rates never decrease (base + duty >= RAY)")
        ilk = self.ilks[ilk_name]
        fee_rad = ilk.art_total_wad * drate_ray
        ilk.rate_ray += drate_ray
        if fee_rad:
            self.chain.ledger.mint(self.dai, u, fee_rad)
        return fee_rad

    def slip(self, ilk_name: str, usr: str, wad: int) -> None:
        """Credit (``wad > 0``) or debit joined collateral of ``usr`` (the joins' primitive)."""
        if wad >= 0:
            self.chain.ledger.mint(self.gem(ilk_name), usr, wad)
        else:
            self.chain.ledger.burn(self.gem(ilk_name), usr, -wad)

    def move(self, src: str, dst: str, rad: int, sender: str) -> None:
        """Transfer internal AI dollars; the sender must be ``src`` or allowed by it."""
        if not self.wish(src, sender):
            raise NotAuthorized("cdp/not-allowed", f"{sender} may not move AI dollars of {src}")
        self.chain.ledger.transfer(self.dai, src, dst, rad)

    def flux(self, ilk_name: str, src: str, dst: str, wad: int, sender: str) -> None:
        """Transfer joined collateral; the sender must be ``src`` or allowed by it."""
        if not self.wish(src, sender):
            raise NotAuthorized("cdp/not-allowed", f"{sender} may not move collateral of {src}")
        self.chain.ledger.transfer(self.gem(ilk_name), src, dst, wad)

    def cage(self) -> None:
        """Stop the engine (emergency shutdown)."""
        self.state.live = False

    # -- invariants --------------------------------------------------------------------------
    def invariant_errors(self) -> list[str]:
        """dss invariants 1-3 (docs/cdp-spec.md §13); an empty list means they hold."""
        errs: list[str] = []
        ledger = self.chain.ledger
        backed = sum(i.art_total_wad * i.rate_ray for i in self.ilks.values())
        if self.debt_rad != self.vice_rad + backed:
            errs.append(f"debt {self.debt_rad} != vice {self.vice_rad} + sum(Art*rate) {backed}")
        art_by_ilk: dict[str, int] = dict.fromkeys(self.ilks, 0)
        ink_by_ilk: dict[str, int] = dict.fromkeys(self.ilks, 0)
        for v in self.vaults.values():
            art_by_ilk[v.ilk] += v.art_wad
            ink_by_ilk[v.ilk] += v.ink_wad
        for name, ilk in self.ilks.items():
            if art_by_ilk[name] != ilk.art_total_wad:
                errs.append(f"{name}: Art {ilk.art_total_wad} != sum(art) {art_by_ilk[name]}")
            locked = ledger.balance_of(self.gem(name), self.locked)
            if locked != ink_by_ilk[name]:
                errs.append(f"{name}: locked gem {locked} != sum(ink) {ink_by_ilk[name]}")
        return errs
