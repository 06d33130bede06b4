"""ERC-4626 share math with OpenZeppelin's virtual offset (ERC4626.sol, 4.9+ / 5.x).

Conversions (``o`` = decimals offset, ``S`` = total share supply, ``A`` = total assets)::

    to_shares(a) = mul_div(a, S + 10**o, A + 1, rounding)
    to_assets(s) = mul_div(s, A + 1, S + 10**o, rounding)

The virtual ``10**o`` shares and ``1`` asset make an empty vault price one asset at ``10**o``
shares and make the first-depositor (donation) attack cost the attacker about ``10**o`` times what
it takes from the victim (docs/vaults.md §1.1). ``up=True`` rounds toward +infinity (the user
pays), ``up=False`` floors (the user receives). The preview rules of EIP-4626 follow from that:

| function                | result         | rounding | why                  |
|-------------------------|----------------|----------|----------------------|
| convert_to_shares/assets| informational  | floor    | caller-independent   |
| preview_deposit(a)      | shares minted  | floor    | user receives: down  |
| preview_mint(s)         | assets pulled  | ceil     | user pays: up        |
| preview_withdraw(a)     | shares burned  | ceil     | user pays: up        |
| preview_redeem(s)       | assets paid    | floor    | user receives: down  |

``naive_to_shares``/``naive_to_assets`` are the pre-4.9 / solmate-style conversions without
virtual terms (an empty vault mints 1:1); they reproduce the inflation-attack table, and run
only the CDP's staking pool, whose tracked assets ignore donations (docs/vaults.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..units import MAX_UINT256

__all__ = [
    "InflationOutcome",
    "inflation_attack",
    "max_deposit",
    "max_redeem",
    "max_withdraw",
    "naive_to_assets",
    "naive_to_shares",
    "preview_deposit",
    "preview_mint",
    "preview_redeem",
    "preview_withdraw",
    "to_assets",
    "to_shares",
]


def _mul_div(x: int, y: int, d: int, up: bool) -> int:
    q, r = divmod(x * y, d)
    return q + 1 if up and r else q


def to_shares(assets: int, supply: int, total_assets: int, offset: int, up: bool) -> int:
    """Shares worth ``assets``: ``mul_div(assets, supply + 10**offset, total_assets + 1)``."""
    return _mul_div(assets, supply + 10**offset, total_assets + 1, up)


def to_assets(shares: int, supply: int, total_assets: int, offset: int, up: bool) -> int:
    """Assets worth ``shares``: ``mul_div(shares, total_assets + 1, supply + 10**offset)``."""
    return _mul_div(shares, total_assets + 1, supply + 10**offset, up)


def preview_deposit(assets: int, supply: int, total_assets: int, offset: int) -> int:
    """Shares a deposit of ``assets`` mints (floor: the depositor receives)."""
    return to_shares(assets, supply, total_assets, offset, False)


def preview_mint(shares: int, supply: int, total_assets: int, offset: int) -> int:
    """Assets a mint of ``shares`` pulls (ceil: the minter pays)."""
    return to_assets(shares, supply, total_assets, offset, True)


def preview_withdraw(assets: int, supply: int, total_assets: int, offset: int) -> int:
    """Shares a withdrawal of ``assets`` burns (ceil: the owner pays)."""
    return to_shares(assets, supply, total_assets, offset, True)


def preview_redeem(shares: int, supply: int, total_assets: int, offset: int) -> int:
    """Assets a redemption of ``shares`` pays (floor: the owner receives)."""
    return to_assets(shares, supply, total_assets, offset, False)


def max_deposit(paused: bool, cap_assets: int | None, total_assets: int) -> int:
    """``2**256 - 1`` when uncapped, 0 when paused, else the room left under the asset cap."""
    if paused:
        return 0
    if cap_assets is None:
        return MAX_UINT256
    return max(0, cap_assets - total_assets)


def max_withdraw(
    balance_shares: int, supply: int, total_assets: int, offset: int, liquid_assets: int
) -> int:
    """``preview_redeem(balance)``, limited by what the vault can pay now (never raises)."""
    return min(preview_redeem(balance_shares, supply, total_assets, offset), liquid_assets)


def max_redeem(
    balance_shares: int, supply: int, total_assets: int, offset: int, liquid_assets: int
) -> int:
    """The owner's balance, limited to the shares whose redemption the liquid assets cover."""
    if preview_redeem(balance_shares, supply, total_assets, offset) <= liquid_assets:
        return balance_shares
    # largest s with floor(s * N / D) <= liquid, N = A + 1, D = S + 10**o:
    # s * N < (liquid + 1) * D  <=>  s <= ceil((liquid + 1) * D / N) - 1
    s = to_shares(liquid_assets + 1, supply, total_assets, offset, True) - 1
    return max(0, min(s, balance_shares))


def naive_to_shares(assets: int, supply: int, total_assets: int) -> int:
    """Solmate-style ``assets * S / A`` (1:1 when empty), floor. Only for the attack table."""
    return assets if supply == 0 else assets * supply // total_assets


def naive_to_assets(shares: int, supply: int, total_assets: int) -> int:
    """Solmate-style ``shares * A / S`` (1:1 when empty), floor. Only for the attack table."""
    return shares if supply == 0 else shares * total_assets // supply


@dataclass(frozen=True, slots=True)
class InflationOutcome:
    """Result of the first-depositor attack: who ends with what (asset base units)."""

    victim_shares: int
    attacker_pnl: int
    victim_loss: int


def inflation_attack(
    attacker_deposit: int, donation: int, victim_deposit: int, offset: int | None
) -> InflationOutcome:
    """Replay the donation attack on an empty vault; ``offset=None`` is the naive vault.

    The attacker deposits, donates ``donation`` straight to the vault, the victim deposits, then
    the attacker redeems all its shares and the victim redeems all of theirs (both floored).
    """

    def shares_for(a: int, s: int, t: int) -> int:
        return naive_to_shares(a, s, t) if offset is None else to_shares(a, s, t, offset, False)

    def assets_for(sh: int, s: int, t: int) -> int:
        return naive_to_assets(sh, s, t) if offset is None else to_assets(sh, s, t, offset, False)

    supply = total = 0
    a_sh = shares_for(attacker_deposit, supply, total)
    supply, total = supply + a_sh, total + attacker_deposit + donation
    v_sh = shares_for(victim_deposit, supply, total)
    supply, total = supply + v_sh, total + victim_deposit
    a_out = assets_for(a_sh, supply, total)
    supply, total = supply - a_sh, total - a_out
    v_out = assets_for(v_sh, supply, total)
    return InflationOutcome(v_sh, a_out - attacker_deposit - donation, victim_deposit - v_out)
