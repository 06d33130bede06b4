"""Loan terms of the USD.AI loan router and their validation (docs/usdai.md §5.1)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ...errors import InvalidInput
from ...kernel import encode

__all__ = ["MAX_TRANCHES", "LoanTerms", "Tranche", "validate_terms"]

MAX_TRANCHES = 32


@dataclass(frozen=True, slots=True)
class Tranche:
    """One lender's slice: ``amount`` in currency base units at ``rate`` per second (wad)."""

    lender: str
    amount: int
    rate: int


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """Everything the lenders sign. ``collateral`` is a one-unit ledger token (the GPU receipt).

    Fees are absolute amounts in the currency. ``insured_amount`` [O]: an insurer tops up a sale
    below it (0 = uninsured). ``salt`` distinguishes otherwise identical terms.
    """

    borrower: str
    currency: str
    collateral: str
    expiration: int
    duration_s: int
    interval_s: int
    model: str  # "simple" | "amortised"
    tranches: tuple[Tranche, ...]
    grace_rate: int = 0
    grace_duration_s: int = 0
    origination_fee: int = 0
    exit_fee: int = 0
    insured_amount: int = 0
    salt: int = 0

    @property
    def principal(self) -> int:
        return sum(t.amount for t in self.tranches)

    def loan_id(self) -> str:
        """Deterministic id: SHA-256 of the canonical encoding (the router's terms hash)."""
        return hashlib.sha256(encode(self)).hexdigest()[:24]


def _int(value: object, name: str, positive: bool = False) -> int:
    if type(value) is not int or value < (1 if positive else 0) or value >= 2**256:
        raise InvalidInput(
            "usdai/bad-terms",
            f"{name} must be an int {'> 0' if positive else '>= 0'}, got {value!r}",
        )
    return value


def validate_terms(t: LoanTerms, now: int) -> None:
    """The router's checks (LoanTermsLogic.validateLoanTerms) plus type checks; raises ``usdai/bad-terms``."""
    if not isinstance(t, LoanTerms):
        raise InvalidInput("usdai/bad-terms", f"expected LoanTerms, got {type(t).__name__}")
    for name in ("borrower", "currency", "collateral"):
        v = getattr(t, name)
        if not isinstance(v, str) or not v:
            raise InvalidInput("usdai/bad-terms", f"{name} must be a non-empty string")
    if _int(t.expiration, "expiration") < now:
        raise InvalidInput("usdai/bad-terms", f"terms expired at {t.expiration} (now {now})")
    duration = _int(t.duration_s, "duration_s", True)
    interval = _int(t.interval_s, "interval_s", True)
    if interval > duration or duration % interval:
        raise InvalidInput(
            "usdai/bad-terms", f"interval {interval} must divide duration {duration}"
        )
    if _int(t.grace_duration_s, "grace_duration_s") > interval:
        raise InvalidInput(
            "usdai/bad-terms", "grace duration must not exceed the repayment interval"
        )
    _int(t.grace_rate, "grace_rate")
    if t.model not in ("simple", "amortised"):
        raise InvalidInput("usdai/bad-terms", f"model must be simple|amortised, got {t.model!r}")
    if not isinstance(t.tranches, tuple) or not 1 <= len(t.tranches) <= MAX_TRANCHES:
        raise InvalidInput("usdai/bad-terms", f"1 to {MAX_TRANCHES} tranches, got {t.tranches!r}")
    for i, tr in enumerate(t.tranches):
        if not isinstance(tr, Tranche) or not isinstance(tr.lender, str) or not tr.lender:
            raise InvalidInput("usdai/bad-terms", f"tranche {i} needs a lender")
        _int(tr.amount, f"tranche {i} amount", True)
        _int(tr.rate, f"tranche {i} rate", True)
    if _int(t.origination_fee, "origination_fee") > t.principal:
        raise InvalidInput("usdai/bad-terms", "origination fee exceeds the principal")
    _int(t.exit_fee, "exit_fee")
    _int(t.insured_amount, "insured_amount")
    _int(t.salt, "salt")
