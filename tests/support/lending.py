"""Shared helpers for the lending tests: a chain with USDC and WETH, markets of both styles, and
the named invariant checks the state machine runs after every step."""

from __future__ import annotations

from typing import Any

from peglab.kernel import Chain
from peglab.protocols.lending import (
    AAVE_USDC,
    COMPOUND_USDC,
    AaveMarket,
    CompoundMarket,
    LendingMarket,
)
from peglab.units import WAD

__all__ = [
    "USDC",
    "check_indexes_monotone",
    "check_solvent",
    "make_market",
]

USDC = 10**6


def make_market(style: str = "aave", **params: Any) -> tuple[Chain, LendingMarket]:
    """A market on a fresh chain; alice/bob hold 10M USDC, carol/dave 10k WETH priced at 2,000."""
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    chain.ledger.create_token("WETH", 18)
    for who in ("alice", "bob"):
        chain.ledger.mint("USDC", who, 10_000_000 * USDC)
    for who in ("carol", "dave"):
        chain.ledger.mint("WETH", who, 10_000 * WAD)
        chain.ledger.mint("USDC", who, 1_000_000 * USDC)
    params.setdefault("collateral_price_wad", 2_000 * WAD)
    m: LendingMarket
    if style == "aave":
        m = AaveMarket(chain, "aUSDC", "USDC", "WETH", AAVE_USDC, **params)
    else:
        m = CompoundMarket(chain, "cUSDC", "USDC", "WETH", COMPOUND_USDC, **params)
    return chain, m


def check_solvent(m: LendingMarket) -> None:
    """Cash plus what borrowers owe covers every supplier's claim (and Compound's reserves)."""
    claims = m.total_supplied()
    if isinstance(m, CompoundMarket):
        claims += m.total_reserves()
    assets = m.cash() + m.total_debt()
    assert assets >= claims, f"insolvent: cash+debt {assets} < claims {claims}"


def check_indexes_monotone(m: LendingMarket, last: list[int]) -> list[int]:
    """Indexes never decrease (Compound's exchange rate only while cTokens exist: an emptied
    market restarts at the initial rate); returns the new reading."""
    if isinstance(m, AaveMarket):
        now = list(m.indexes_now())
    else:
        assert isinstance(m, CompoundMarket)
        empty = m.chain.ledger.total_supply(m.supply_token) == 0
        now = [0 if empty else m.exchange_rate(), m.borrow_index_now()]
    for a, b in zip(last, now):
        assert b >= a or b == 0, f"index fell from {a} to {b}"
    return now
