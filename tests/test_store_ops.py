"""A generator of mixed sandbox operations on the two-AI-dollar system (used by store tests).

Not a test module of its own: ``random_ops(rng, n)`` returns operations a sandbox might see
(faucet, vaults, fees, prices, the clock, liquidations, transfers, staking), many of which the
engine refuses (unsafe mints, wrong owners, bad amounts), so replay sees both.
"""

from __future__ import annotations

import random

from peglab.store import Op

W = 10**18
USERS = ("alice", "bob", "carol")


def random_ops(rng: random.Random, n: int, owner: str = "alice") -> list[Op]:
    ops: list[Op] = [
        Op("sandbox.Faucet.mint", "faucet", {"token": "ATH", "to": u, "amount": 10**6 * W}, owner)
        for u in USERS
    ]
    ops += [
        Op(
            "sandbox.Faucet.mint",
            "faucet",
            {"token": "VIRTUAL", "to": u, "amount": 10**5 * W},
            owner,
        )
        for u in USERS
    ]
    dollars = ("AUSD", "vUSD")
    ilks = {"AUSD": "ATH-A", "vUSD": "VIRTUAL-A"}
    for _ in range(n):
        who = rng.choice(USERS)
        d = rng.choice(dollars)
        path = f"dollars[{d}]"
        vid = rng.randint(1, 6)
        kind = rng.randrange(14)
        if kind == 0:
            ops.append(Op("cdp.AIDollar.open_vault", path, {"ilk": ilks[d]}, who))
        elif kind in (1, 2):
            ops.append(
                Op(
                    "cdp.AIDollar.deposit",
                    path,
                    {"vault_id": vid, "amount": rng.randint(1, 10**5) * W},
                    who,
                )
            )
        elif kind in (3, 4):
            ops.append(
                Op(
                    "cdp.AIDollar.mint",
                    path,
                    {"vault_id": vid, "amount_wad": rng.randint(1, 3000) * W},
                    who,
                )
            )
        elif kind == 5:
            ops.append(
                Op(
                    "cdp.AIDollar.repay",
                    path,
                    {"vault_id": vid, "amount_wad": rng.randint(1, 500) * W},
                    who,
                )
            )
        elif kind == 6:
            ops.append(
                Op(
                    "cdp.AIDollar.withdraw",
                    path,
                    {"vault_id": vid, "amount": rng.randint(1, 10**4) * W},
                    who,
                )
            )
        elif kind == 7:
            ops.append(Op("clock.advance", "", {"seconds": rng.randint(60, 3 * 86_400)}, owner))
        elif kind == 8:
            token = "ATH" if d == "AUSD" else "VIRTUAL"
            base = 5 * 10**16 if token == "ATH" else 15 * 10**17
            price = base * rng.randint(30, 130) // 100
            ops.append(Op("cdp.PriceFeed.set_price", f"feeds[{token}]", {"val_wad": price}, owner))
        elif kind == 9:
            ops.append(Op("cdp.AIDollar.poke_prices", path, {}, who))
        elif kind == 10:
            ops.append(Op("cdp.AIDollar.drip", path, {"ilk": ilks[d]}, who))
        elif kind == 11:
            ops.append(
                Op("cdp.Liquidator.bark", f"{path}.dog", {"vault_id": vid, "keeper": who}, who)
            )
        elif kind == 12:
            to = rng.choice(USERS)
            ops.append(
                Op(
                    "kernel.Chain.transfer",
                    "chain",
                    {"token": d, "to": to, "amount": rng.randint(1, 100) * W},
                    who,
                )
            )
        else:
            ops.append(
                Op(
                    "cdp.StakingPool.stake",
                    "staking[stATH]",
                    {"assets": rng.randint(1, 1000) * W},
                    who,
                )
            )
    return ops
