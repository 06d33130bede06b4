"""One AI dollar (AUSD, vUSD, ...): its token, vault engine, fees, prices and the vault actions users call.

The vault actions are the periphery of the engine (what dss-proxy-actions and the CDP manager
are to the Vat): each joins or exits tokens and calls ``frob`` inside one atomic transaction.
Rules [O] beyond dss, stated once:
- every action that reads a vault's debt drips its collateral type first, so debt is never stale;
- every risk-increasing action (withdraw, mint) re-reads the delayed price first, so a stale or
  missing price always refuses it with ``StalePrice``;
- ``mint`` rounds the new normalised debt up (``ceil(wad * RAY / rate)``) and ``repay`` rounds
  the debt wiped down: rounding never favours the borrower; the sub-wei remainder stays as the
  user's internal balance and counts toward the next repayment.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import InvalidInput, NotAuthorized
from ...kernel import Chain, Table, action, query
from ...math import ceil_div
from ...units import RAD, RAY, WAD, check_amount, check_int, check_positive
from .accounts import InstanceAccounts
from .buffer import SystemBuffer
from .clip import Clipper
from .dog import Liquidator
from .end import Shutdown
from .events import (
    CollateralDeposited,
    CollateralWithdrawn,
    ConsentChanged,
    DebtMinted,
    DebtRepaid,
    ParameterChanged,
    VaultClosed,
    VaultOpened,
    VaultTransferred,
)
from .facade import LiquidationFacade
from .flap import SurplusAuctions
from .flip import Flipper
from .flop import DebtAuctions
from .joins import Joins
from .jug import StabilityFees
from .oracle import OSM
from .params import GUARDRAILS, CollateralParams, CollateralSpec, Guardrails
from .psm import PegStabilityModule, PsmSpec
from .spotter import Spotter
from .vat import VaultEngine

__all__ = ["AIDollar", "CollateralType", "IlkView", "VaultView"]


@dataclass(frozen=True, slots=True)
class VaultView:
    """A vault as a user sees it now (fees accrued to ``now`` without writing)."""

    id: int
    ilk: str
    owner: str
    is_open: bool
    collateral: int  # token base units
    ink_wad: int
    art_wad: int
    debt_wad: int  # rounded up: what closing the vault costs
    price_wad: int
    price_ok: bool
    collateral_value_wad: int
    ratio_wad: int | None  # collateral value / debt; None without debt
    liquidation_price_wad: int | None  # price at which the vault becomes unsafe
    safe: bool


@dataclass(frozen=True, slots=True)
class IlkView:
    """A collateral type's state and parameters."""

    ilk: str
    token: str
    kind: str
    art_total_wad: int
    debt_wad: int
    rate_ray: int
    spot_ray: int
    line_rad: int
    dust_rad: int
    mat_ray: int
    duty_ray: int
    paused: bool


@dataclass(frozen=True, slots=True)
class CollateralType:
    """A collateral type as launched: its token, kind, join precision and parameters."""

    token: str
    kind: str
    to18: int  # 10^(18 - decimals): join conversion
    params: CollateralParams


class AIDollar(LiquidationFacade):
    """An isolated AI-dollar instance. Create it with ``Launchpad.create_ai_usd``."""

    def __init__(
        self,
        chain: Chain,
        symbol: str,
        ecosystem: str,
        line_rad: int,
        admin: str,
        guardrails: Guardrails = GUARDRAILS,
    ) -> None:
        self.chain = chain
        self.symbol = symbol
        self.ecosystem = ecosystem
        self.accounts = accounts = InstanceAccounts(symbol)
        self.admin_role = accounts.admin_role
        self.guardrails = guardrails
        self.vow_account = accounts.vow  # the system buffer's ledger account
        self.join = accounts.join
        chain.ledger.create_token(symbol, 18, f"{symbol} AI dollar ({ecosystem})")
        self.vat = vat = VaultEngine(chain, symbol)
        vat.state.line_rad = line_rad
        self.jug = StabilityFees(chain, vat, accounts.vow)
        self.spotter = Spotter(chain, vat)
        self.joins = joins = Joins(chain, vat, accounts)
        self.collaterals: Table[str, CollateralType] = Table(chain.journal)
        self.osms: Table[str, OSM] = Table(chain.journal)
        # liquidations, system buffer, PSM and shutdown (docs/liquidations.md)
        self.flopper = DebtAuctions(chain, accounts, vat, joins)
        self.flapper = SurplusAuctions(chain, accounts, vat, joins)
        self.vow = SystemBuffer(chain, accounts, vat, joins, self.flopper, self.flapper, line_rad)
        self.flopper.set_vow(self.vow)
        self.flapper.set_vow(self.vow)
        self.dog = Liquidator(chain, accounts, vat, self.jug, self.spotter, self.vow, guardrails)
        self.clippers: Table[str, Clipper] = Table(chain.journal)
        self.flippers: Table[str, Flipper] = Table(chain.journal)  # English auctions (flip.py)
        self.pools: Table[str, str] = Table(chain.journal)  # counter token -> launch pool id
        self.psm: PegStabilityModule | None = None
        self.end = Shutdown(
            chain,
            accounts,
            vat,
            self.dog,
            self.vow,
            self.spotter,
            joins,
            self.clippers,
            self.flippers,
        )
        if admin:
            chain.roles[(self.admin_role, admin)] = True

    # -- wiring (called by the launchpad inside its governance actions) -------------------------
    def wire_collateral(self, spec: CollateralSpec, decimals: int) -> None:
        """Create collateral type ``spec.ilk`` in every module: vault engine, fees, prices, join,
        liquidator and its auction house. The launchpad checks the spec against guardrails first."""
        chain, p, ilk = self.chain, spec.params, spec.ilk
        vat_ilk = self.vat.init_ilk(ilk)
        vat_ilk.line_rad, vat_ilk.dust_rad = p.line_rad, p.dust_rad
        self.jug.init_ilk(ilk)
        self.jug.set_duty(ilk, p.duty_ray)
        price_key = spec.underlying or spec.token
        osm = self.osms.get(price_key)
        if osm is None:
            osm = OSM(
                chain,
                f"{self.symbol}/{price_key}",
                spec.price,
                hop_s=p.hop_s,
                max_age_s=p.max_age_s,
            )
            osm.seed()
            self.osms[price_key] = osm
        self.spotter.init_ilk(ilk, osm, p.mat_ray, spec.valuation)
        to18 = 10 ** (18 - decimals)
        self.collaterals[ilk] = CollateralType(spec.token, spec.kind, to18, p)
        self.joins.add_gem(ilk, spec.token, to18)
        self.spotter.poke(ilk)
        a, vat, dog, joins = self.accounts, self.vat, self.dog, self.joins
        if p.auction == "english":
            flip = Flipper(chain, a, ilk, p, vat, dog, joins)
            dog.init_ilk(ilk, p.chop_wad, p.hole_rad, flip)
            self.flippers[ilk] = flip
        else:
            clip = Clipper(chain, a, ilk, p, vat, dog, self.spotter, joins)
            dog.init_ilk(ilk, p.chop_wad, p.hole_rad, clip)
            self.clippers[ilk] = clip

    def attach_psm(self, spec: PsmSpec) -> PegStabilityModule:
        """Create the peg stability module and wire its gem join and shutdown."""
        psm = PegStabilityModule(self.chain, self.accounts, spec, self.vat, self.joins)
        self.joins.add_gem(psm.ilk, psm.token, psm.to18)
        self.end.set_psm(psm)
        self.psm = psm
        return psm

    # -- reads --------------------------------------------------------------------------------
    @query
    def collateral(self, ilk: str) -> CollateralType:
        c = self.collaterals.get(ilk) if isinstance(ilk, str) else None
        if c is None:
            raise InvalidInput(
                "cdp/unknown-ilk",
                f"{self.symbol} has no collateral type {ilk!r}; known: {', '.join(self.collaterals)}",
            )
        return c

    @query
    def vault(self, vault_id: int) -> VaultView:
        """The vault with fees accrued to now (a pure read)."""
        v = self.vat.vault(vault_id)
        c = self.collaterals.get(v.ilk)
        if c is None:  # the PSM's own vault: its gem has no price or ratio (psm.py)
            raise InvalidInput(
                "cdp/psm-vault", f"vault {vault_id} holds the peg stability module's {v.ilk}"
            )
        rate = self.jug.rate_after(v.ilk, self.chain.now)
        price, ok = self.spotter.value(v.ilk)
        debt_rad = v.art_wad * rate
        value_wad = v.ink_wad * price // WAD
        spot = self.spotter.spot_of(price, ok, v.ilk)
        mat = self.spotter.ilks[v.ilk].mat_ray
        liq_price = None
        if v.art_wad and v.ink_wad:
            # smallest price p with ink * p / mat >= debt:  p = debt * mat / ink, in wad
            liq_price = ceil_div(debt_rad * mat, v.ink_wad * RAY * 10**9)
        return VaultView(
            id=vault_id,
            ilk=v.ilk,
            owner=v.owner,
            is_open=v.is_open,
            collateral=v.ink_wad // c.to18,
            ink_wad=v.ink_wad,
            art_wad=v.art_wad,
            debt_wad=ceil_div(debt_rad, RAY),
            price_wad=price,
            price_ok=ok,
            collateral_value_wad=value_wad,
            ratio_wad=value_wad * RAD // debt_rad if debt_rad else None,
            liquidation_price_wad=liq_price,
            safe=debt_rad <= v.ink_wad * spot,
        )

    @query
    def ilk(self, ilk: str) -> IlkView:
        c = self.collateral(ilk)
        i = self.vat.ilks[ilk]
        rate = self.jug.rate_after(ilk, self.chain.now)
        return IlkView(
            ilk,
            c.token,
            c.kind,
            i.art_total_wad,
            ceil_div(i.art_total_wad * rate, RAY),
            rate,
            i.spot_ray,
            i.line_rad,
            i.dust_rad,
            self.spotter.ilks[ilk].mat_ray,
            self.jug.ilks[ilk].duty_ray,
            i.paused,
        )

    @query
    def vaults_of(self, owner: str) -> list[int]:
        return [vid for vid, v in self.vat.vaults.items() if v.owner == owner]

    @property
    def total_debt_wad(self) -> int:
        """AI dollars owed by all vaults at stored rates, rounded up."""
        return ceil_div(sum(i.art_total_wad * i.rate_ray for i in self.vat.ilks.values()), RAY)

    @property
    def surplus_rad(self) -> int:
        """Internal AI dollars held by the system buffer (fees, penalties)."""
        return self.chain.ledger.balance_of(self.vat.dai, self.vow_account)

    def invariant_errors(self) -> list[str]:
        """Engine invariants plus the join identity: AI-dollar supply * RAY == join's internal balance."""
        errs = self.vat.invariant_errors()
        ledger = self.chain.ledger
        if ledger.supply[self.symbol] * RAY != ledger.balance_of(self.vat.dai, self.join):
            errs.append(f"{self.symbol} supply does not match the join's internal balance")
        return errs

    # -- internals shared by the actions -------------------------------------------------------
    def _prepare(self, vault_id: int) -> tuple[int, str]:
        v = self.vat.open_vault(vault_id)
        return self.jug.accrue(v.ilk), v.ilk

    # -- vault actions ------------------------------------------------------------------------
    @action
    def open_vault(self, ilk: str, *, sender: str) -> int:
        """Open an empty vault of collateral type ``ilk`` owned by the sender; returns its id."""
        self.collateral(ilk)
        vid = self.vat.new_vault(ilk, sender)
        self.chain.emit(VaultOpened(self.symbol, vid, ilk, sender))
        return vid

    @action
    def deposit(self, vault_id: int, amount: int, *, sender: str) -> None:
        """Lock ``amount`` collateral tokens (base units) from the sender into the vault. Anyone may."""
        check_positive(amount)
        _, ilk = self._prepare(vault_id)
        gem = self.joins.join_gem(ilk, sender, amount)
        self.vat.frob(vault_id, sender, sender, gem, 0, sender)
        self.chain.emit(CollateralDeposited(self.symbol, vault_id, amount, gem))

    @action
    def withdraw(self, vault_id: int, amount: int, *, sender: str) -> None:
        """Free ``amount`` collateral tokens to the sender (owner or operator; the vault stays safe)."""
        check_positive(amount)
        _, ilk = self._prepare(vault_id)
        self.spotter.poke(ilk)
        gem = amount * self.collaterals[ilk].to18
        self.vat.frob(vault_id, sender, sender, -gem, 0, sender)
        self.joins.exit_gem(ilk, sender, gem)
        self.chain.emit(CollateralWithdrawn(self.symbol, vault_id, amount, gem))

    @action
    def mint(self, vault_id: int, amount_wad: int, *, sender: str) -> None:
        """Borrow ``amount_wad`` AI dollars to the sender (owner or operator; ceilings, safety, dust)."""
        check_positive(amount_wad)
        rate, ilk = self._prepare(vault_id)
        self.spotter.poke(ilk)
        dart = ceil_div(amount_wad * RAY, rate)
        self.vat.frob(vault_id, sender, sender, 0, dart, sender)
        self.joins.exit_dai(sender, amount_wad)
        self.chain.emit(DebtMinted(self.symbol, vault_id, amount_wad, dart))

    @action
    def repay(self, vault_id: int, amount_wad: int, *, sender: str) -> int:
        """Repay up to ``amount_wad`` AI dollars of the vault's debt from the sender. Anyone may.

        Pays only what is owed; returns the AI dollars actually taken.
        """
        check_positive(amount_wad)
        rate, _ = self._prepare(vault_id)
        v = self.vat.vaults[vault_id]
        if v.art_wad == 0:
            raise InvalidInput("cdp/no-debt", f"vault {vault_id} has no debt to repay")
        owed = v.art_wad * rate
        have = self.chain.ledger.balance_of(self.vat.dai, sender)
        if amount_wad * RAY + have >= owed:
            used = ceil_div(max(owed - have, 0), RAY)
            dart = -v.art_wad
        else:
            used = amount_wad
            dart = -((have + amount_wad * RAY) // rate)
        if used:
            self.joins.join_dai(sender, used)
        self.vat.frob(vault_id, sender, sender, 0, dart, sender)
        self.chain.emit(DebtRepaid(self.symbol, vault_id, used, -dart))
        return used

    @action
    def close(self, vault_id: int, *, sender: str) -> tuple[int, int]:
        """Repay all debt from the sender and return all collateral to the sender; the vault closes.

        Returns ``(AI dollars repaid, collateral returned)``.
        """
        rate, ilk = self._prepare(vault_id)
        if not self.vat.may_operate(vault_id, sender):
            raise NotAuthorized(
                "cdp/not-allowed-u", f"{sender} is neither owner nor operator of vault {vault_id}"
            )
        v = self.vat.vaults[vault_id]
        used = 0
        if v.art_wad:
            have = self.chain.ledger.balance_of(self.vat.dai, sender)
            used = ceil_div(max(v.art_wad * rate - have, 0), RAY)
            self.joins.join_dai(sender, used)
        ink = v.ink_wad
        self.vat.frob(vault_id, sender, sender, -ink, -v.art_wad, sender)
        returned = self.joins.exit_gem(ilk, sender, ink)
        v.is_open = False
        self.chain.emit(VaultClosed(self.symbol, vault_id, used, returned))
        return used, returned

    @action
    def give(self, vault_id: int, to: str, *, sender: str) -> None:
        """Transfer ownership of the vault (owner only); operator approvals are cleared."""
        v = self.vat.open_vault(vault_id)
        if v.owner != sender:
            raise NotAuthorized(
                "cdp/not-owner", f"only the owner {v.owner} may transfer vault {vault_id}"
            )
        if not isinstance(to, str) or not to or to == sender:
            raise InvalidInput("cdp/bad-recipient", f"cannot give vault {vault_id} to {to!r}")
        for key in [k for k in self.vat.operators if k[0] == vault_id]:
            del self.vat.operators[key]
        v.owner = to
        self.chain.emit(VaultTransferred(self.symbol, vault_id, sender, to))

    @action
    def allow(self, vault_id: int, operator: str, allowed: bool = True, *, sender: str) -> None:
        """Let ``operator`` withdraw from and borrow against the vault (owner only)."""
        v = self.vat.open_vault(vault_id)
        if v.owner != sender:
            raise NotAuthorized(
                "cdp/not-owner",
                f"only the owner {v.owner} may approve operators of vault {vault_id}",
            )
        if not isinstance(operator, str) or not operator or type(allowed) is not bool:
            raise InvalidInput("cdp/bad-operator", f"bad operator {operator!r} or flag {allowed!r}")
        if allowed:
            self.vat.operators[(vault_id, operator)] = True
        else:
            self.vat.operators.discard((vault_id, operator))
        self.chain.emit(ConsentChanged(self.symbol, f"vault:{vault_id}", operator, allowed))

    @action
    def hope(self, operator: str, allowed: bool = True, *, sender: str) -> None:
        """Let ``operator`` move the sender's internal balances (dss ``hope``/``nope``)."""
        if not isinstance(operator, str) or not operator or type(allowed) is not bool:
            raise InvalidInput("cdp/bad-operator", f"bad operator {operator!r} or flag {allowed!r}")
        if allowed:
            self.vat.can[(sender, operator)] = True
        else:
            self.vat.can.discard((sender, operator))
        self.chain.emit(ConsentChanged(self.symbol, sender, operator, allowed))

    # -- keeper actions -----------------------------------------------------------------------
    @action
    def drip(self, ilk: str, *, sender: str) -> int:
        """Accrue stability fees of ``ilk`` to now (anyone); returns the new rate."""
        self.collateral(ilk)
        self._require_live()
        return self.jug.accrue(ilk)

    @action
    def poke(self, ilk: str, *, sender: str) -> int:
        """Refresh ``spot`` of ``ilk`` from its delayed price (anyone); returns it."""
        self.collateral(ilk)
        return self.spotter.poke(ilk)

    @action
    def poke_prices(self, *, sender: str) -> None:
        """Poke every OSM whose hop has passed, then every spot (anyone)."""
        for osm in self.osms.values():
            if osm.passed() and not osm.state.stopped:
                osm.poke(sender=sender)
        for ilk in self.collaterals:
            self.spotter.poke(ilk)

    # -- governance ---------------------------------------------------------------------------
    PARAMS = ("Line", "line", "dust", "duty", "base", "mat", "paused")

    @action
    def file(self, what: str, value: int | bool, *, ilk: str = "", sender: str) -> None:
        """Set one parameter (instance admin or governance). Unknown names are refused.

        ``Line``, ``base`` are instance-wide; ``line``, ``dust``, ``duty``, ``mat``, ``paused`` need
        ``ilk``. ``duty``/``base`` drip first, so the new rate applies from now on. The admin is
        held to the launchpad guardrails; governance (``gov``) is not.
        """
        self.chain.require_role(self.admin_role, sender, "cdp/not-admin")
        self._require_live()
        if what not in self.PARAMS:
            raise InvalidInput(
                "cdp/unknown-param", f"unknown parameter {what!r}; known: {', '.join(self.PARAMS)}"
            )
        if what == "paused":
            if type(value) is not bool:
                raise InvalidInput("cdp/bad-value", "paused takes True or False")
        else:
            check_amount(value, what, "cdp/bad-value")
            check_int(value, what, "cdp/bad-value")
        assert isinstance(value, int)
        overriding = self.chain.has_role("gov", sender)
        g = self.guardrails
        if what in ("Line", "base"):
            if ilk:
                raise InvalidInput("cdp/bad-param", f"{what} is instance-wide; do not pass ilk")
            if what == "Line":
                if value > g.max_line_rad and not overriding:
                    raise InvalidInput(
                        "cdp/guardrail", f"Line above the ecosystem cap {g.max_line_rad} rad"
                    )
                self.vat.state.line_rad = value
            else:
                for name in self.collaterals:
                    self.jug.accrue(name)
                self.jug.set_base(value)
        else:
            c = self.collateral(ilk)
            i = self.vat.ilks[ilk]
            if what == "line":
                i.line_rad = value
            elif what == "dust":
                i.dust_rad = value
            elif what == "paused":
                i.paused = bool(value)
            elif what == "duty":
                self.jug.accrue(ilk)
                self.jug.set_duty(ilk, value)
            elif what == "mat":
                floor = g.min_mat_derivative_ray if c.kind == "derivative" else g.min_mat_native_ray
                if value < floor and not overriding:
                    raise InvalidInput(
                        "cdp/guardrail", f"mat of a {c.kind} collateral must be >= {floor} ray"
                    )
                if value < RAY:
                    raise InvalidInput("cdp/bad-value", "mat must be at least 1.0 (RAY)")
                self.spotter.ilks[ilk].mat_ray = value
                self.spotter.poke(ilk)
        self.chain.emit(ParameterChanged(self.symbol, ilk, what, int(value)))
