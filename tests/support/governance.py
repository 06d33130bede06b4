"""The governance test system: a ledger-backed fee source and a deployed ve(3,3) system (fixture ``gov_sys``)."""

from __future__ import annotations

from typing import Any

from peglab.errors import InvalidInput
from peglab.kernel import Chain, Record, Table, action
from peglab.protocols.governance import Governance, epoch_next
from peglab.units import WAD

__all__ = ["LedgerFeeSource", "System", "next_epoch"]


class _FeeSourceState(Record):
    __slots__ = ("fee_receiver",)
    fee_receiver: str


class LedgerFeeSource:
    """A minimal real fee source from kernel primitives: fees paid into ``pool:<id>`` accrue for
    the protocol and ``claim_fees`` moves them to ``fee_receiver`` (a stand-in until an AMM pool)."""

    def __init__(self, chain: Chain, pool_id: str, coins: tuple[str, ...]) -> None:
        self.chain = chain
        self.id = pool_id
        self.coins = coins
        self.lp_token = f"LP-{pool_id}"
        self.account = f"pool:{pool_id}"
        chain.ledger.create_token(self.lp_token)
        self.state = _FeeSourceState(chain.journal, fee_receiver="")
        self.accrued: Table[str, int] = Table(chain.journal)
        chain.register(f"test-pool:{pool_id}", self.state)
        chain.register(f"test-pool:{pool_id}:accrued", self.accrued)

    @property
    def fee_receiver(self) -> str:
        return self.state.fee_receiver

    def pay_fee(self, token: str, amount: int, payer: str) -> None:
        """A swap's protocol fee: ``payer`` sends ``amount`` of ``token`` to the pool."""
        self.chain.ledger.transfer(token, payer, self.account, amount)
        self.accrued[token] = self.accrued.get(token, 0) + amount

    @action
    def file(self, what: str, value: Any, *, sender: str) -> None:
        self.chain.require_role("amm/admin", sender)
        if what != "fee_receiver":
            raise InvalidInput("amm/unknown-param", what)
        self.state.fee_receiver = value

    @action
    def claim_fees(self, *, sender: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for token in sorted(self.accrued):
            amount = self.accrued[token]
            if amount:
                self.chain.ledger.transfer(token, self.account, self.state.fee_receiver, amount)
                out[token] = amount
            del self.accrued[token]
        return out


class System:
    """A deployed governance system with funded users, a pool gauge and a vault gauge."""

    def __init__(self) -> None:
        self.chain = Chain()
        c = self.chain
        self.gov = Governance.deploy(c, whitelist=())
        for sym in ("USDC", "AUSD", "BRIBE"):
            c.ledger.create_token(sym)
        self.gov.voter.whitelist_token("USDC", True, sender="gov")
        self.gov.voter.whitelist_token("AUSD", True, sender="gov")
        self.gov.minter.initialize(
            liquid=[("alice", 1_000_000 * WAD), ("bob", 1_000_000 * WAD), ("carol", 100 * WAD)],
            locked=[("dave", 500_000 * WAD)],
            sender="gov",
        )
        self.pool = LedgerFeeSource(c, "ausd-usdc", ("AUSD", "USDC"))
        self.pool2 = LedgerFeeSource(c, "ausd-ausd2", ("AUSD", "USDC"))
        self.gov.voter.create_gauge(self.pool, sender="gov")
        self.gov.voter.create_gauge(self.pool2, sender="gov")
        c.ledger.create_token("VSHARE")
        self.gov.voter.create_vault_gauge("vault:alusd", "VSHARE", sender="gov")
        for user in ("lp1", "lp2"):
            c.ledger.mint(self.pool.lp_token, user, 1_000 * WAD)
            c.ledger.mint(self.pool2.lp_token, user, 1_000 * WAD)
            c.ledger.mint("VSHARE", user, 1_000 * WAD)
        for user in ("briber", "trader"):
            c.ledger.mint("USDC", user, 10_000_000 * WAD)
            c.ledger.mint("AUSD", user, 10_000_000 * WAD)
            c.ledger.mint("BRIBE", user, 10_000_000 * WAD)


def next_epoch(chain: Chain, offset: int = 2 * 3600) -> int:
    """Warp to ``offset`` seconds after the next epoch flip (default: inside the vote window)."""
    chain.warp(epoch_next(chain.now) + offset)
    return chain.now
