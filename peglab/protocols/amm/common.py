"""Shared input checks and naming of the AMM pools (accounts, LP symbols, state registration)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import InvalidInput
from ...kernel import Chain, Record, Table
from ...units import check_amount

__all__ = [
    "check_account",
    "check_amounts",
    "check_in_amount",
    "check_pool_id",
    "lp_symbol",
    "pool_account",
    "register_state",
]


def pool_account(pool_id: str) -> str:
    """Ledger account holding a pool's reserves: ``amm:<pool-id>``."""
    return f"amm:{pool_id}"


def lp_symbol(pool_id: str) -> str:
    """Ledger symbol of a pool's LP token: ``LP:<pool-id>``."""
    return f"LP:{pool_id}"


def check_pool_id(pool_id: object) -> str:
    if not isinstance(pool_id, str) or not pool_id or pool_id != pool_id.strip():
        raise InvalidInput("amm/bad-pool-id", f"a pool id is a non-empty string, got {pool_id!r}")
    return pool_id


def check_in_amount(value: object, name: str = "amount") -> int:
    """A user amount in (0, 2^256): ``amm/bad-amount`` if malformed, ``amm/zero-amount`` if 0."""
    v = check_amount(value, name, "amm/bad-amount")
    if v == 0:
        raise InvalidInput("amm/zero-amount", f"{name} must be positive")
    return v


def check_amounts(values: object, n: int, name: str = "amounts") -> list[int]:
    """A list of ``n`` amounts in [0, 2^256)."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence) or len(values) != n:
        raise InvalidInput(
            "amm/bad-amounts", f"{name} must be a sequence of {n} integers, got {values!r}"
        )
    return [check_amount(v, f"{name}[{k}]", "amm/bad-amount") for k, v in enumerate(values)]


def check_account(account: object, pool_account_name: str, name: str = "receiver") -> str:
    if not isinstance(account, str) or not account:
        raise InvalidInput("amm/bad-account", f"{name} must be a non-empty string, got {account!r}")
    if account == pool_account_name:
        raise InvalidInput("amm/bad-account", f"{name} cannot be the pool's own account")
    return account


def register_state(
    chain: Chain, pool_id: str, state: Record, registry: Table[str, Any] | None
) -> None:
    """Put a pool's state under the state hash: in the factory's journaled table if given
    (so a rolled-back deployment leaves no trace), else directly as ``amm/<pool-id>``; the
    pools' accounts (``amm:<pool-id>...``) are engine accounts (docs/architecture.md)."""
    chain.protect_namespace("amm", "AMM pools")
    if registry is None:
        chain.register(f"amm/{pool_id}", state)
    else:
        registry[pool_id] = state
