"""An Anchor-style savings protocol on the stable: deposits earn a fixed rate from a yield reserve.

Shares are minted at the exchange rate ``rate_ray`` (stable per share), which grows at
``apr`` per second compounded (dss ``rpow``) while the yield reserve can pay for it; when the
reserve cannot cover the accrued interest the rate stops growing (what Anchor's reserve was
for). A withdrawal burns shares and pays ``shares * rate`` stables from the pool. The run on this
protocol (holders withdrawing and selling) is the stress of validation V2.

Rounding: shares minted floor, stables paid floor, interest topped up to the pool's full
obligation rounded up (the pool always holds at least ``shares x rate``).
"""

from __future__ import annotations

from ...errors import InvalidInput
from ...kernel import Chain, Record, action
from ...math.dss import apr_to_duty, rpow
from ...units import RAY, check_positive
from .events import SavingsDeposited, SavingsWithdrawn

__all__ = ["SavingsPool", "SavingsState"]


class SavingsState(Record):
    __slots__ = ("duty_ray", "last_time", "rate_ray")
    rate_ray: int
    duty_ray: int
    last_time: int


class SavingsPool:
    """Savings on ``stable``; shares are the ledger token ``share``; ``reserve`` funds the yield."""

    def __init__(
        self, chain: Chain, *, stable: str, share: str, apr: str = "0.195", name: str = "anchor"
    ) -> None:
        self.chain, self.stable, self.share = chain, stable, share
        chain.ledger.token(stable)
        chain.ledger.create_token(share, 18, f"{share} (savings shares)")
        self.account = f"{name}:pool"
        self.reserve = f"{name}:yield-reserve"
        self.state = SavingsState(
            chain.journal, rate_ray=RAY, duty_ray=apr_to_duty(apr), last_time=chain.now
        )
        chain.register(f"{name}/savings", self.state)

    def _drip(self) -> int:
        """Accrue interest to now if the reserve can pay it; returns the rate (ray)."""
        st, led = self.state, self.chain.ledger
        dt = self.chain.now - st.last_time
        if dt <= 0:
            return st.rate_ray
        new_rate = rpow(st.duty_ray, dt, RAY) * st.rate_ray // RAY
        # top the pool up to every share's value at the new rate, rounded up: solvency first
        target = -(-led.total_supply(self.share) * new_rate // RAY)
        owed = max(0, target - led.balance_of(self.stable, self.account))
        if owed <= led.balance_of(self.stable, self.reserve):
            if owed:
                led.transfer(self.stable, self.reserve, self.account, owed)
            st.rate_ray = new_rate
        st.last_time = self.chain.now
        return st.rate_ray

    @action
    def deposit(self, amount_wad: int, *, sender: str) -> int:
        """Deposit stables for shares (floor)."""
        check_positive(amount_wad, "amount_wad", "seigniorage/bad-amount")
        rate = self._drip()
        shares = amount_wad * RAY // rate
        if shares == 0:
            raise InvalidInput("seigniorage/zero-shares", "the deposit buys no share")
        self.chain.ledger.transfer(self.stable, sender, self.account, amount_wad)
        self.chain.ledger.mint(self.share, sender, shares)
        self.chain.emit(SavingsDeposited(sender, amount_wad, shares))
        return shares

    @action
    def withdraw(self, shares_wad: int, *, sender: str) -> int:
        """Burn shares for stables (floor)."""
        check_positive(shares_wad, "shares_wad", "seigniorage/bad-amount")
        rate = self._drip()
        amount = shares_wad * rate // RAY
        self.chain.ledger.burn(self.share, sender, shares_wad)
        self.chain.ledger.transfer(self.stable, self.account, sender, amount)
        self.chain.emit(SavingsWithdrawn(sender, shares_wad, amount))
        return amount
