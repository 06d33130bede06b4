"""The fuzz campaign's second world: the credit and vault families (tests/test_fuzz_protocols.py).

USD.AI (T-bill dollar, USDai, sUSDai, the loan router and its auction), Gaib (AID, sAID over a
GPU debt deal), two lending markets under the Almanak-style epoch vault and its curator, and a
plain ERC-4626 and an ERC-7540 vault on USDC. Consent is what the log shows: an owner approved a
spender (``vault/approve`` with shares > 0, an operator set or approved) and did not revoke it;
plus a standing consent (below).
"""

from __future__ import annotations

import random

from peglab.kernel import Chain, LogEntry
from peglab.protocols.gaib import MANAGER_ROLE, Aid, DealBook, DealTerms, SaidVault
from peglab.protocols.lending import AAVE_USDC, COMPOUND_USDC, AaveMarket, CompoundMarket
from peglab.protocols.usdai import ARBITRUM_GENESIS, StakedConfig, build_usdai
from peglab.protocols.vaults import AsyncVault, ERC4626Vault
from peglab.protocols.vaults.events import OperatorSet, SharesApproved
from peglab.protocols.yieldvault import Curator
from peglab.protocols.yieldvault.epoch_vault import EpochVault
from peglab.testing import FuzzWorld
from peglab.units import DAY, WAD, wad

__all__ = ["USERS", "credit_world"]

USERS = ("alice", "bob", "carol", "keeper")
USDC = 10**6


def credit_world(seed: int) -> FuzzWorld:
    rng = random.Random(seed)
    chain = Chain(start_time=ARBITRUM_GENESIS + DAY)
    led = chain.ledger
    led.create_token("USDC", 6)
    led.create_token("WETH", 18)
    # a standing consent: the custody safe lets its curator agent allocate
    standing = {("safe", "agent")}
    approvals: set[tuple[str, str, str, str]] = set()  # (right, token, owner, spender)
    assets: dict[str, str] = {}  # vault share token -> its asset (an operator may move both)

    def watch(entry: LogEntry) -> None:
        ev = entry.event
        if isinstance(ev, SharesApproved):
            keys = [("allowance", ev.vault, ev.owner, ev.spender)]
            granted = ev.shares > 0
        elif isinstance(ev, OperatorSet):
            tokens = (ev.vault, assets.get(ev.vault, ev.vault))
            keys = [("operator", t, ev.controller, ev.operator) for t in tokens]
            granted = ev.approved
        else:
            return
        for key in keys:
            if granted:
                approvals.add(key)
            else:
                approvals.discard(key)

    def consents(owner: str, spender: str, token: str) -> bool:
        return (owner, spender) in standing or any(
            (right, token, owner, spender) in approvals for right in ("allowance", "operator")
        )

    chain.subscribers.append(watch)
    for u in USERS:
        led.mint("USDC", u, 10_000_000 * USDC)
        led.mint("WETH", u, 10_000 * WAD)
    # USD.AI
    s = build_usdai(chain, staked=StakedConfig(fee_recipient="usdai-fees"))
    chain.grant(s.staked.cfg.strategy_role, "strategist", sender=chain.root)
    for u in USERS:
        dollars = rng.randint(200_000, 1_000_000)
        led.mint("wM", u, 2 * dollars * USDC)
        s.usdai.deposit("wM", dollars * USDC, dollars * WAD, sender=u)
        s.staked.deposit(dollars * WAD // 2, sender=u)
    # Gaib
    aid = Aid(chain, ("USDC",))
    said = SaidVault(chain)
    book = DealBook(chain, "AID", said.account)
    said.attach(book)
    for u in (*USERS, "gpuco"):
        aid.set_whitelist(u, True, sender="gov")
    for u in USERS:
        aid.mint("USDC", 1_000_000 * USDC, sender=u)
        said.deposit(wad(rng.randint(50_000, 200_000)), sender=u)
    book.originate(
        DealTerms("debt", "gpuco", wad(100_000), 36, coupon_bps=1500, gpus=4), sender="gov"
    )
    # lending markets, the epoch vault and its curator
    markets = [
        AaveMarket(chain, "aave-usdc", "USDC", "WETH", AAVE_USDC, collateral_price_wad=2_000 * WAD),
        CompoundMarket(
            chain, "comp-usdc", "USDC", "WETH", COMPOUND_USDC, collateral_price_wad=2_000 * WAD
        ),
    ]
    for m in markets:
        m.supply(1_000_000 * USDC, sender="alice")
        m.deposit_collateral(1_000 * WAD, sender="bob")
        m.borrow(500_000 * USDC, sender="bob")
    vault = EpochVault(
        chain, "USDC", "alUSD", safe="safe", valuation_manager="agent", fee_receiver="almanak"
    )
    Curator(chain, "USDC", "safe", markets, agent="agent", gas_per_tx=5 * USDC)
    for u in ("carol", "keeper"):
        vault.request_deposit(500_000 * USDC, u, u, sender=u)
    # plain vaults
    v4626 = ERC4626Vault(chain, "USDC", "vUSDC")
    v7540 = AsyncVault(chain, "USDC", "aUSDC")
    for v in (s.staked, said, vault, v4626, v7540):
        assets[v.share] = v.asset
    for u in USERS:
        v4626.deposit(100_000 * USDC, sender=u)
        v7540.request_deposit(100_000 * USDC, u, u, sender=u)
    return FuzzWorld(
        chain,
        users=USERS,
        admins=("gov", "strategist", "agent", "safe"),
        consents=consents,
        values=(*markets,),
        # USD.AI's bridge role burns the holder's USDai / sUSDai that leaves the chain (OFT adapters)
        privileged={
            "USDai.bridge_out": s.usdai.bridge_role,
            "StakedUSDai.bridge_out": s.staked.cfg.bridge_role,
            "DealBook.settle_month": MANAGER_ROLE,  # the servicer collects the borrower's payment
        },
        # USD.AI sends as its own accounts (the queued depositor, sUSDai's vault account, the
        # reserve), so it cannot reserve ``usdai`` or ``vault`` yet (docs/architecture.md)
        custody=("usdai:", "vault:"),
    )
