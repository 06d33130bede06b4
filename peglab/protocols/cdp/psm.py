"""The peg stability module (dss-psm): swap a reference stablecoin and the AI dollar 1:1 with fees.

    to18 = 10^(18 - gem.decimals)                               (USDC: 10^12)
    sell_gem(gem_amt): g18 = gem_amt * to18 ; fee = (g18 * tin) // WAD ; out = g18 - fee
        gem locked in the PSM vault, frob(+g18, +g18) ; fee -> buffer ; out AI dollars -> user
    buy_gem(gem_amt):  g18 = gem_amt * to18 ; fee = (g18 * tout) // WAD ; in = g18 + fee
        in AI dollars burnt from the user ; frob(-g18, -g18) ; gem -> user ; fee -> buffer

Fees floor (the user pays at most one wei less than the exact fee; the PSM vault stays exactly
1:1 so it is always safe at ``spot = RAY``). Guards [O] (docs/cdp-spec.md §10): the PSM collateral type
has its own debt ceiling (``line`` <= 25% of the instance ``Line``, checked at launch) and
``frob`` enforces it; the net AI dollars minted through the PSM in one UTC day are capped
(``flow_cap``, default 10% of ``line``; redemptions lower the day's net and are never capped, so
the floor holds while gem lasts); ``sell_gem`` halts while the gem's own price source reads
below 0.98 or is unavailable. ``tin``/``tout`` may be ``HALTED`` (2^256 - 1) to close one side.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import InvalidInput, LimitExceeded, ShutDown
from ...kernel import Chain, Record, action
from ...units import DAY, MAX_UINT256, RAD, RAY, WAD, check_amount, check_positive
from .accounts import InstanceAccounts
from .events import ParameterChanged, PsmSwapped
from .interfaces import JoinsLike, VatLike
from .oracle import PriceSource

__all__ = ["HALTED", "PegStabilityModule", "PsmSpec", "PsmState"]

HALTED = MAX_UINT256
PEG_FLOOR_WAD = 98 * WAD // 100


@dataclass(frozen=True, slots=True)
class PsmSpec:
    """A PSM to launch with an AI dollar: ``line`` in AI dollars; fees in wad (0.001 = 10 bps)."""

    token: str
    line: int
    tin_wad: int = WAD // 1000
    tout_wad: int = WAD // 1000
    ilk: str = ""  # default "PSM-<token>"
    price: PriceSource | None = None  # the gem's own price (halts minting below 0.98)
    flow_cap: int | None = None  # AI dollars per day; default 10% of line


class PsmState(Record):
    """Fees, the daily net-flow window and the live flag."""

    __slots__ = ("day", "flow_cap_wad", "live", "net_in_wad", "tin_wad", "tout_wad")
    tin_wad: int
    tout_wad: int
    flow_cap_wad: int
    day: int
    net_in_wad: int
    live: bool


def _recipient(usr: object, sender: str) -> str:
    if usr == "":
        return sender
    if not isinstance(usr, str):
        raise InvalidInput("cdp/bad-recipient", f"recipient must be an account, got {usr!r}")
    return usr


class PegStabilityModule:
    """dss-psm for one instance: its gem sits in a vault of collateral type ``ilk`` owned by the PSM."""

    PARAMS = ("tin", "tout", "flow_cap")

    def __init__(
        self,
        chain: Chain,
        accounts: InstanceAccounts,
        spec: PsmSpec,
        vat: VatLike,
        joins: JoinsLike,
    ) -> None:
        self.chain = chain
        self.accounts = accounts
        self.symbol = accounts.symbol
        self.vat = vat
        self.joins = joins
        token = chain.ledger.token(spec.token)
        if token.decimals > 18:
            raise InvalidInput("cdp/bad-decimals", f"{spec.token} has more than 18 decimals")
        check_positive(spec.line, "psm line")
        for name, fee in (("tin", spec.tin_wad), ("tout", spec.tout_wad)):
            if type(fee) is not int or not (0 <= fee <= WAD or fee == HALTED):
                raise InvalidInput("cdp/bad-value", f"{name} must be in [0, WAD] or HALTED")
        self.token = spec.token
        self.to18 = 10 ** (18 - token.decimals)
        self.ilk = spec.ilk or f"PSM-{spec.token}"
        self.account = accounts.psm
        self.join = accounts.gem_join(self.ilk)
        self.price = spec.price
        line_wad = spec.line * WAD
        cap = line_wad // 10 if spec.flow_cap is None else spec.flow_cap * WAD
        self.state = PsmState(
            self.chain.journal,
            tin_wad=spec.tin_wad,
            tout_wad=spec.tout_wad,
            flow_cap_wad=cap,
            day=self.chain.now // DAY,
            net_in_wad=0,
            live=True,
        )
        chain.register(f"cdp/{self.symbol}/psm", self.state)
        ilk = vat.init_ilk(self.ilk)
        ilk.line_rad, ilk.dust_rad, ilk.spot_ray = spec.line * RAD, 0, RAY
        self.vault = vat.new_vault(self.ilk, self.account)

    # -- reads --------------------------------------------------------------------------------
    @property
    def gem_held(self) -> int:
        """Gem inventory in token base units."""
        return self.chain.ledger.balance_of(self.token, self.join)

    def _check_live(self) -> None:
        if not self.state.live or not self.vat.state.live:
            raise ShutDown("cdp/psm-stopped", f"the {self.symbol} PSM is stopped")

    def _roll_day(self) -> None:
        day = self.chain.now // DAY
        if day != self.state.day:
            self.state.day, self.state.net_in_wad = day, 0

    # -- actions ------------------------------------------------------------------------------
    @action
    def sell_gem(self, gem_amount: int, usr: str = "", *, sender: str) -> int:
        """Swap ``gem_amount`` gem (base units) from the sender for AI dollars to ``usr``; returns wad."""
        self._check_live()
        check_positive(gem_amount, "gem_amount")
        usr = _recipient(usr, sender)
        st = self.state
        if st.tin_wad == HALTED:
            raise ShutDown("psm/sell-halted", "selling gem into the PSM is halted")
        if self.price is not None:
            val, ok, _ = self.price.read()
            if not ok or val < PEG_FLOOR_WAD:
                raise ShutDown(
                    "psm/gem-off-peg", f"{self.token} reads {val} wad (ok={ok}): minting halted"
                )
        g18 = gem_amount * self.to18
        fee = g18 * st.tin_wad // WAD
        out: int = g18 - fee
        self._roll_day()
        if st.net_in_wad + g18 > st.flow_cap_wad:
            raise LimitExceeded(
                "psm/flow-cap",
                f"today's net PSM minting would reach {st.net_in_wad + g18} wad, cap {st.flow_cap_wad}",
            )
        ledger = self.chain.ledger
        ledger.transfer(self.token, sender, self.join, gem_amount)
        self.vat.slip(self.ilk, self.account, g18)
        self.vat.frob(self.vault, self.account, self.account, g18, g18, self.account)
        if fee:
            self.vat.move(self.account, self.accounts.vow, fee * RAY, self.account)
        self.vat.move(self.account, self.accounts.join, out * RAY, self.account)
        ledger.mint(self.symbol, usr, out)
        st.net_in_wad += g18
        self.chain.emit(PsmSwapped(self.symbol, "sell-gem", usr, gem_amount, out, fee))
        return out

    @action
    def buy_gem(self, gem_amount: int, usr: str = "", *, sender: str) -> int:
        """Swap AI dollars from the sender for ``gem_amount`` gem to ``usr``; returns the wad paid."""
        self._check_live()
        check_positive(gem_amount, "gem_amount")
        usr = _recipient(usr, sender)
        st = self.state
        if st.tout_wad == HALTED:
            raise ShutDown("psm/buy-halted", "buying gem from the PSM is halted")
        g18 = gem_amount * self.to18
        if g18 > self.vat.vaults[self.vault].ink_wad:
            raise LimitExceeded(
                "psm/insufficient-gem", f"the PSM holds {self.gem_held} {self.token}"
            )
        fee = g18 * st.tout_wad // WAD
        pay: int = g18 + fee
        ledger = self.chain.ledger
        self.joins.join_dai(sender, pay)
        self.vat.move(sender, self.account, pay * RAY, sender)
        if fee:
            self.vat.move(self.account, self.accounts.vow, fee * RAY, self.account)
        self.vat.frob(self.vault, self.account, self.account, -g18, -g18, self.account)
        self.vat.slip(self.ilk, self.account, -g18)
        ledger.transfer(self.token, self.join, usr, gem_amount)
        self._roll_day()
        st.net_in_wad -= g18
        self.chain.emit(PsmSwapped(self.symbol, "buy-gem", usr, gem_amount, pay, fee))
        return pay

    def cage(self) -> None:
        self.state.live = False

    @action
    def file(self, what: str, value: int, *, sender: str) -> None:
        """Set ``tin``, ``tout`` (wad or HALTED) or ``flow_cap`` (wad per day)."""
        self.accounts.check_file(self.chain, sender, what, self.PARAMS)
        v = check_amount(value, what, "cdp/bad-value")
        if what in ("tin", "tout") and not (v <= WAD or v == HALTED):
            raise InvalidInput("cdp/bad-value", f"{what} must be in [0, WAD] or HALTED")
        setattr(
            self.state, {"tin": "tin_wad", "tout": "tout_wad", "flow_cap": "flow_cap_wad"}[what], v
        )
        self.chain.emit(ParameterChanged(f"{self.symbol}/psm", self.ilk, what, v))
