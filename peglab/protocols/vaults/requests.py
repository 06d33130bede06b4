"""The request book of an ERC-7540 vault: buckets per (direction, request id, controller), the
totals they imply, and the claim arithmetic (docs/vaults.md §3).

Claim rounding. A claimable bucket holds ``(assets_c, shares_c)``. ``"vault"`` rounding (the
ERC-7540 reference): a partial claim gets the floor of its pro-rata amount and the bucket is
charged the ceiling, so dust stays with the vault; a bucket whose one side reaches zero closes and
its other side's dust is forfeited, so ``max_*`` is always claimable in one call. ``"remainder"``
(USD.AI's RedemptionLogic, redeem side): a partial claim gets and is charged the floor; the claim
that empties a side takes exactly what remains; nothing is forfeited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ...kernel import Journal, Record, Table
from ...math.fixedpoint import mul_div_down, mul_div_up

__all__ = ["AsyncConfig", "ClaimRounding", "Direction", "Request", "RequestBook", "RequestTotals"]

Direction = Literal["deposit", "redeem"]
Cancellable = Literal["none", "deposit", "both"]
ClaimRounding = Literal["vault", "remainder"]


@dataclass(frozen=True, slots=True)
class AsyncConfig:
    """Which directions are asynchronous, what may be cancelled, who fulfils by default, and
    how redeem claims round (see the module docstring)."""

    async_deposit: bool = True
    async_redeem: bool = True
    cancellable: Cancellable = "deposit"
    fulfiller_role: str = "vault/fulfiller"
    claim_rounding: ClaimRounding = "vault"


class Request(Record):
    """One (request id, controller) bucket.

    Units: for deposits ``requested/pending/claimed/cancelled`` are assets; for redemptions they
    are shares. Invariant: ``requested == pending + claimable_<unit> + claimed + cancelled``.
    """

    __slots__ = (
        "cancelled",
        "claimable_assets",
        "claimable_shares",
        "claimed",
        "pending",
        "requested",
    )
    requested: int
    pending: int
    claimable_assets: int
    claimable_shares: int
    claimed: int
    cancelled: int

    def open(self) -> bool:
        return bool(self.pending or self.claimable_assets or self.claimable_shares)


class RequestTotals(Record):
    """Vault-wide sums: pending deposit assets (not the shareholders'), pending redeem shares,
    assets reserved for claimable redemptions, and deposit-claim dust shares left in escrow."""

    __slots__ = (
        "dust_shares",
        "pending_deposit_assets",
        "pending_redeem_shares",
        "reserved_assets",
    )
    dust_shares: int
    pending_deposit_assets: int
    pending_redeem_shares: int
    reserved_assets: int


class RequestBook:
    """Buckets, the open ids per (direction, controller), and the totals; journaled."""

    def __init__(self, journal: Journal, rounding: ClaimRounding) -> None:
        self.journal = journal
        self.rounding = rounding
        self.totals = RequestTotals(journal, dust_shares=0, pending_deposit_assets=0,
                                    pending_redeem_shares=0, reserved_assets=0)  # fmt: skip
        self.requests: Table[tuple[str, int, str], Request] = Table(journal)
        self.open_ids: Table[tuple[str, str], tuple[int, ...]] = Table(journal)

    def get(self, direction: Direction, rid: int, controller: str) -> Request | None:
        return self.requests.get((direction, rid, controller))

    def claimable(self, direction: Direction, controller: str) -> list[tuple[int, Request]]:
        """The controller's buckets with something claimable, ascending id."""
        out = []
        for rid in self.open_ids.get((direction, controller), ()):
            r = self.requests[(direction, rid, controller)]
            if r.claimable_assets or r.claimable_shares:
                out.append((rid, r))
        return out

    def bucket(self, direction: Direction, rid: int, controller: str) -> Request:
        """The bucket, created (or reopened) as needed."""
        key = (direction, rid, controller)
        r = self.requests.get(key)
        if r is None:
            r = Request(self.journal, requested=0, pending=0, claimable_assets=0,
                        claimable_shares=0, claimed=0, cancelled=0)  # fmt: skip
            self.requests[key] = r
        ids = self.open_ids.get((direction, controller), ())
        if rid not in ids:  # new, or reopened after it closed
            self.open_ids[(direction, controller)] = tuple(sorted((*ids, rid)))
        return r

    def close_if_done(self, direction: Direction, rid: int, controller: str, r: Request) -> None:
        """Close a bucket whose one side is exhausted ("vault" rounding), drop it when empty."""
        if direction == "deposit":
            if r.claimable_shares == 0 and r.claimable_assets:
                r.claimed += r.claimable_assets  # those assets already back shares
                r.claimable_assets = 0
            elif r.claimable_assets == 0 and r.claimable_shares:
                self.totals.dust_shares += r.claimable_shares  # stays in escrow
                r.claimable_shares = 0
        elif self.rounding == "vault":
            if r.claimable_assets == 0 and r.claimable_shares:
                r.claimed += r.claimable_shares  # already burned at fulfilment
                r.claimable_shares = 0
            elif r.claimable_shares == 0 and r.claimable_assets:
                self.totals.reserved_assets -= r.claimable_assets  # back to the shareholders
                r.claimable_assets = 0
        if not r.open():
            ids = tuple(i for i in self.open_ids.get((direction, controller), ()) if i != rid)
            if ids:
                self.open_ids[(direction, controller)] = ids
            else:
                self.open_ids.discard((direction, controller))

    # -- claims: each walks the controller's claimable buckets in ascending id ----------------
    def claim_deposit_assets(self, controller: str, assets: int) -> int:
        """Claim ``assets``; returns shares (floor; buckets charged the ceiling)."""
        out, left = 0, assets
        for rid, r in self.claimable("deposit", controller):
            if left == 0:
                break
            take = min(left, r.claimable_assets)
            if take == 0:
                continue
            got = mul_div_down(take, r.claimable_shares, r.claimable_assets)
            charge = min(
                r.claimable_shares, mul_div_up(take, r.claimable_shares, r.claimable_assets)
            )
            out += got
            self.totals.dust_shares += charge - got  # stays in escrow
            r.claimable_shares -= charge
            r.claimable_assets -= take
            r.claimed += take
            left -= take
            self.close_if_done("deposit", rid, controller, r)
        return out

    def claim_deposit_shares(self, controller: str, shares: int) -> int:
        """Claim exactly ``shares``; returns the assets charged (ceil)."""
        charged, left = 0, shares
        for rid, r in self.claimable("deposit", controller):
            if left == 0:
                break
            take = min(left, r.claimable_shares)
            if take == 0:
                continue
            cost = min(r.claimable_assets, mul_div_up(take, r.claimable_assets, r.claimable_shares))
            r.claimable_assets -= cost
            r.claimable_shares -= take
            r.claimed += cost
            charged += cost
            left -= take
            self.close_if_done("deposit", rid, controller, r)
        return charged

    def claim_redeem_shares(self, controller: str, shares: int) -> int:
        """Claim ``shares``; returns the assets to pay (floor)."""
        paid, left = 0, shares
        exact = self.rounding == "remainder"
        for rid, r in self.claimable("redeem", controller):
            if left == 0:
                break
            take = min(left, r.claimable_shares)
            if take == 0:
                continue
            cs, ca = r.claimable_shares, r.claimable_assets
            got = ca if take == cs else mul_div_down(take, ca, cs)
            charge = got if exact else min(ca, mul_div_up(take, ca, cs))
            paid += got
            r.claimable_assets -= charge
            self.totals.reserved_assets -= charge
            r.claimable_shares -= take
            r.claimed += take
            left -= take
            self.close_if_done("redeem", rid, controller, r)
        return paid

    def claim_redeem_assets(self, controller: str, assets: int) -> int:
        """Claim exactly ``assets``; returns the shares charged (ceil, or floor if "remainder")."""
        charged, left = 0, assets
        exact = self.rounding == "remainder"
        for rid, r in self.claimable("redeem", controller):
            if left == 0:
                break
            take = min(left, r.claimable_assets)
            if take == 0:
                continue
            cs, ca = r.claimable_shares, r.claimable_assets
            if take == ca:
                cost = cs
            elif exact:
                cost = mul_div_down(take, cs, ca)
            else:
                cost = min(cs, mul_div_up(take, cs, ca))
            r.claimable_shares -= cost
            r.claimable_assets -= take
            self.totals.reserved_assets -= take
            r.claimed += cost
            charged += cost
            left -= take
            self.close_if_done("redeem", rid, controller, r)
        return charged
