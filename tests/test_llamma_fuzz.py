"""A fuzz campaign on a LLAMMA market: hostile calls to every action and read, checked after each.

``peglab.testing.fuzz`` discovers the oracle's, the AMM's and the Controller's actions and reads
and calls them with hostile arguments from random senders; after every call it checks typed
refusals that leave the state hash unchanged, conservation, consent, and this world's invariants
(the AMM's bookkeeping and the stablecoin supply identity, tests/test_llamma_state_machine.py).
"""

from __future__ import annotations

import random

from peglab.kernel import Chain
from peglab.protocols.llamma import create_market
from peglab.testing import FuzzWorld, fuzz
from peglab.units import WAD

USERS = ("alice", "bob", "carol")


def world(seed: int) -> FuzzWorld:
    chain = Chain()
    chain.ledger.create_token("crvUSD", 18, "stablecoin")
    chain.ledger.create_token("ETH", 18, "collateral")
    m = create_market(chain, borrowed="crvUSD", collateral="ETH", price_wad=2000 * WAD)
    chain.grant(m.oracle.ROLE, "oracle", sender=chain.root)
    chain.grant(m.controller.ADMIN_ROLE, "admin", sender=chain.root)
    m.oracle.set_price(2010 * WAD, sender="oracle")
    given = 0
    for u in USERS:
        chain.ledger.mint("ETH", u, 1_000 * WAD)
        chain.ledger.mint("crvUSD", u, 1_000_000 * WAD)
        given += 1_000_000 * WAD
    for u, eth in (("alice", 10), ("bob", 3)):
        m.controller.create_loan(eth * WAD, m.controller.max_borrowable(eth * WAD, 8), 8, sender=u)

    def books() -> list[str]:
        st = m.controller.state
        errs = m.amm.invariant_errors()
        if chain.ledger.total_supply("crvUSD") != given + st.minted - st.redeemed:
            errs.append("stablecoin supply != given + minted - burnt")
        return errs

    def price_move(r: random.Random) -> None:
        chain.advance(r.choice([1, 60, 600, 3600]))
        p = m.oracle.price() * r.randint(9_500, 10_500) // 10_000
        m.oracle.set_price(max(p, WAD), sender="oracle")

    return FuzzWorld(
        chain,
        users=USERS,
        admins=("gov", "oracle", "admin"),
        invariants=(books,),
        moves=(price_move,),
        values=(m.amm, m.controller, m.oracle),
    )


def test_fuzz__llamma_market__no_check_fails() -> None:
    for seed in (0, 1, 2):  # seed 2 found a division by zero the contract reverts on
        report = fuzz(world(seed), 2_000, seed=seed)
        assert not report.failures, "\n".join(report.failures[:10])
        assert report.succeeded > 50  # the campaign reaches past the argument checks
