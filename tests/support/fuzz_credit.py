"""The fuzz campaign's second world: the credit and vault families (tests/test_fuzz_protocols.py).

USD.AI (T-bill dollar, USDai, sUSDai, the loan router and its auction), Gaib (AID, sAID over a
GPU debt deal), two lending markets under the Almanak-style epoch vault and its curator, and a
plain ERC-4626 and an ERC-7540 vault on USDC. Consent is what the log shows: an owner approved a
spender (``vault/approve`` with shares > 0, an operator set or approved) and did not revoke it;
plus two standing consents (below).
"""

from __future__ import annotations

import random

from peglab.kernel import Chain, LogEntry
from peglab.protocols.gaib import Aid, DealBook, DealTerms, SaidVault
from peglab.protocols.lending import AAVE_USDC, COMPOUND_USDC, AaveMarket, CompoundMarket
from peglab.protocols.usdai import ARBITRUM_GENESIS, StakedConfig, build_usdai
from peglab.protocols.vaults import AsyncVault, ERC4626Vault
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
    # standing consents: the custody safe lets its curator agent allocate; a deal's borrower
    # lets governance settle its monthly payment (docs/gaib.md)
    approvals: set[tuple[str, str]] = {("safe", "agent"), ("gpuco", "gov")}

    def watch(entry: LogEntry) -> None:
        f = entry.event.as_dict()
        owner = f.get("owner", f.get("controller"))
        spender = f.get("spender", f.get("operator"))
        if not (isinstance(owner, str) and isinstance(spender, str)):
            return
        granted = f.get("approved", f.get("shares", 1))
        if granted:
            approvals.add((owner, spender))
        else:
            approvals.discard((owner, spender))

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
    for u in USERS:
        v4626.deposit(100_000 * USDC, sender=u)
        v7540.request_deposit(100_000 * USDC, u, u, sender=u)
    return FuzzWorld(
        chain,
        users=USERS,
        admins=("gov", "strategist", "agent", "safe"),
        consents=lambda owner, spender: (owner, spender) in approvals,
        values=(*markets,),
        # USD.AI's bridge role burns the holder's USDai that leaves the chain (its OFT adapter)
        privileged=("USDai.bridge_out",),
    )
