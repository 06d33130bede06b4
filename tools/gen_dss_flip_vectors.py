"""Generate tests/vectors/dss_flip.json from an independent transcription of dss flip.sol (and dog.sol bark).

This script does not import peglab. It re-states, from the Solidity semantics of makerdao/dss
``flip.sol`` (the legacy English collateral auction: ``kick``, ``tend``, ``dent``, ``deal``,
``tick``) every state change and every internal-balance movement, over a toy Vat that keeps
``dai`` [rad] and ``gem`` [wad] per address and reverts on underflow, with uint256 arithmetic
that reverts on overflow (DSMath ``add``/``mul``). The auction's tab and lot come from a dss
``dog.sol`` ``bark`` transcription (rate = RAY, limits far above the tab), which is how peglab
kicks an English auction.

Each case is one liquidated vault followed by a sequence of operations at relative times; for
every operation the vector records the revert reason or the auction's state after it and the
balance deltas it caused. Address names: ``vow`` (the ``gal``), ``owner`` (the ``usr``, which
receives collateral freed by ``dent``), bidders ``b1``..``b3``. The Cat/Dog that kicks is the
auction's initial ``guy``; it is written ``""`` here (a zero bid is refunded to it, a no-op).

Run: ``.venv/bin/python tools/gen_dss_flip_vectors.py`` (deterministic: fixed seed).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

U256 = 2**256
WAD = 10**18
RAY = 10**27
RAD = 10**45
OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "dss_flip.json"
BIDDERS = ("b1", "b2", "b3")


class Revert(Exception):
    pass


def add(x: int, y: int) -> int:
    z = x + y
    if z >= U256:
        raise Revert("overflow")
    return z


def sub(x: int, y: int) -> int:
    if y > x:
        raise Revert("underflow")
    return x - y


def mul(x: int, y: int) -> int:
    z = (x * y) % U256
    if y != 0 and z // y != x:
        raise Revert("overflow")
    return z


def require(cond: bool, reason: str) -> None:
    if not cond:
        raise Revert(reason)


class ToyVat:
    """dai [rad] and gem [wad] per address; moves revert on insufficient balance."""

    def __init__(self) -> None:
        self.dai: dict[str, int] = {}
        self.gem: dict[str, int] = {}

    def move(self, src: str, dst: str, rad: int) -> None:
        self.dai[src] = sub(self.dai.get(src, 0), rad)
        self.dai[dst] = add(self.dai.get(dst, 0), rad)

    def flux(self, src: str, dst: str, wad: int) -> None:
        self.gem[src] = sub(self.gem.get(src, 0), wad)
        self.gem[dst] = add(self.gem.get(dst, 0), wad)


class Flipper:
    """flip.sol, one ilk. ``claws`` records what ``cat.claw`` (dog ``digs``) received."""

    def __init__(self, vat: ToyVat, beg: int, ttl: int, tau: int) -> None:
        self.vat = vat
        self.beg, self.ttl, self.tau = beg, ttl, tau
        self.kicks = 0
        self.bids: dict[int, dict[str, Any]] = {}
        self.claws = 0

    def kick(self, now: int, usr: str, gal: str, tab: int, lot: int, bid: int) -> int:
        self.kicks = add(self.kicks, 1)
        fid = self.kicks
        self.bids[fid] = {
            "bid": bid,
            "lot": lot,
            "guy": "",  # msg.sender: the liquidator
            "tic": 0,
            "end": add(now, self.tau),
            "usr": usr,
            "gal": gal,
            "tab": tab,
        }
        self.vat.flux("liquidator", "flip", lot)
        return fid

    def _exists(self, fid: int) -> dict[str, Any]:
        require(fid in self.bids, "guy-not-set")
        return self.bids[fid]

    def tick(self, now: int, fid: int) -> None:
        b = self._exists(fid)  # dss would re-open a deleted id (end = 0 < now); peglab refuses
        require(b["end"] < now, "not-finished")
        require(b["tic"] == 0, "bid-already-placed")
        b["end"] = add(now, self.tau)

    def tend(self, now: int, sender: str, fid: int, lot: int, bid: int) -> None:
        b = self._exists(fid)
        require(b["tic"] > now or b["tic"] == 0, "already-finished-tic")
        require(b["end"] > now, "already-finished-end")
        require(lot == b["lot"], "lot-not-matching")
        require(bid <= b["tab"], "higher-than-tab")
        require(bid > b["bid"], "bid-not-higher")
        require(
            mul(bid, WAD) >= mul(self.beg, b["bid"]) or bid == b["tab"], "insufficient-increase"
        )
        if sender != b["guy"]:
            self.vat.move(sender, b["guy"], b["bid"])
            b["guy"] = sender
        self.vat.move(sender, b["gal"], bid - b["bid"])
        b["bid"] = bid
        b["tic"] = add(now, self.ttl)

    def dent(self, now: int, sender: str, fid: int, lot: int, bid: int) -> None:
        b = self._exists(fid)
        require(b["tic"] > now or b["tic"] == 0, "already-finished-tic")
        require(b["end"] > now, "already-finished-end")
        require(bid == b["bid"], "not-matching-bid")
        require(bid == b["tab"], "tend-not-finished")
        require(lot < b["lot"], "lot-not-lower")
        require(mul(self.beg, lot) <= mul(b["lot"], WAD), "insufficient-decrease")
        if sender != b["guy"]:
            self.vat.move(sender, b["guy"], bid)
            b["guy"] = sender
        self.vat.flux("flip", b["usr"], b["lot"] - lot)
        b["lot"] = lot
        b["tic"] = add(now, self.ttl)

    def deal(self, now: int, fid: int) -> None:
        b = self._exists(fid)  # dss says not-finished for a deleted id (tic = 0)
        require(b["tic"] != 0 and (b["tic"] < now or b["end"] < now), "not-finished")
        self.vat.flux("flip", b["guy"], b["lot"])
        self.claws = add(self.claws, b["tab"])
        del self.bids[fid]


def bark(ink: int, art: int, rate: int, spot: int, chop: int, dust: int) -> tuple[int, int, int]:
    """dog.sol ``bark`` with ``Hole``/``hole`` far above the tab: ``(dink, due, tab)``."""
    require(spot > 0 and mul(ink, spot) < mul(art, rate), "not-unsafe")
    room = 10**55
    dart = min(art, mul(room, WAD) // rate // chop)
    if art > dart:
        if mul(art - dart, rate) < dust:
            dart = art
        else:
            require(mul(dart, rate) >= dust, "dusty-auction-from-partial-liquidation")
    dink = mul(ink, dart) // art
    require(dink > 0, "null-auction")
    due = mul(dart, rate)
    return dink, due, mul(due, chop) // WAD


def spot_of(price_wad: int, mat_ray: int) -> int:
    """spot.sol ``poke``: ``rdiv(rdiv(mul(val, 10**9), par), mat)`` with ``par = RAY``."""
    return mul(mul(mul(price_wad, 10**9), RAY) // RAY, RAY) // mat_ray


# -- operation sequences -------------------------------------------------------------------------
def next_op(rng: random.Random, f: Flipper, fid: int, ttl: int, tau: int) -> dict[str, Any]:
    b = f.bids.get(fid)
    dt = rng.choice([0, 0, 1, 1, 10, 60, 60, 120, 300])
    if rng.random() < 0.15:
        dt = rng.choice([ttl - 1, ttl, ttl + 1, tau - 1, tau, tau + 1])
    who = rng.choice(BIDDERS)
    if b is None:
        return {
            "dt": dt,
            "op": rng.choice(["tend", "deal", "tick"]),
            "who": who,
            "lot": 1,
            "bid": 1,
        }
    dent_phase = b["bid"] == b["tab"]
    weights = [1, 8, 2, 1] if dent_phase else [8, 1, 2, 1]
    kind = rng.choices(["tend", "dent", "deal", "tick"], weights=weights)[0]
    lot, bid, tab, beg = b["lot"], b["bid"], b["tab"], f.beg
    if kind == "tend":
        lot = rng.choice([lot] * 9 + [lot - 1 if lot else 1])
        bid = rng.choice(
            [
                1,  # the Black Thursday bid: 1 wei beats an initial 0
                bid + 1,
                -(-beg * bid // WAD),  # the smallest bid beg allows
                beg * bid // WAD,
                tab,
                tab + 1,
                bid,
                rng.randrange(bid + 1, tab + 1) if tab > bid else tab,
                (bid + tab) // 2,
            ]
        )
    elif kind == "dent":
        bid = rng.choice([bid] * 6 + [tab, bid + 1])
        lot = rng.choice([lot * WAD // beg] * 3 + [lot * WAD // beg + 1, lot - 1, lot, lot // 2, 0])
        lot = max(lot, 0)
    return {"dt": dt, "op": kind, "who": who, "lot": lot, "bid": bid}


def random_setup(rng: random.Random) -> dict[str, int]:
    ink = rng.randrange(1_000, 600_000) * WAD + rng.randrange(WAD)
    art = max(ink * rng.randrange(20, 55) // 100, 600 * WAD)  # minted at price 1 under mat 1.75
    s = {
        "ink": ink,
        "art": art,
        "price": rng.choice([WAD // 5, WAD // 10, WAD // 4]),
        "mat": 175 * RAY // 100,
        "chop": rng.choice([113 * WAD // 100, WAD, 110 * WAD // 100]),
        "beg": rng.choice([105 * WAD // 100, 103 * WAD // 100, WAD]),
        "ttl": rng.choice([600, 3 * 3600, 1800]),
        "tau": rng.choice([6 * 3600, 2 * 86_400, 3600]),
    }
    s["dink"], s["due"], s["tab"] = bark(
        s["ink"], s["art"], RAY, spot_of(s["price"], s["mat"]), s["chop"], 500 * RAD
    )
    return s


OpSource = Callable[[Flipper, int], "dict[str, Any] | None"]


def run_sequence(s: dict[str, int], ops_from: OpSource) -> dict[str, Any]:
    """Kick one auction for the setup ``s`` and apply operations until ``ops_from`` returns None."""
    vat = ToyVat()
    for who in BIDDERS:
        vat.dai[who] = 10**70
    vat.gem["liquidator"] = s["dink"]
    f = Flipper(vat, s["beg"], s["ttl"], s["tau"])
    t0 = now = 1_000_000
    fid = f.kick(now, "owner", "vow", s["tab"], s["dink"], 0)
    ops: list[dict[str, Any]] = []
    while (op := ops_from(f, fid)) is not None:
        now += op["dt"]
        dai0, gem0, claws0 = dict(vat.dai), dict(vat.gem), f.claws
        row: dict[str, Any] = {k: (str(v) if isinstance(v, int) else v) for k, v in op.items()}
        try:
            if op["op"] == "tend":
                f.tend(now, op["who"], fid, op["lot"], op["bid"])
            elif op["op"] == "dent":
                f.dent(now, op["who"], fid, op["lot"], op["bid"])
            elif op["op"] == "deal":
                f.deal(now, fid)
            else:
                f.tick(now, fid)
        except Revert as e:
            vat.dai, vat.gem, f.claws = dai0, gem0, claws0
            row["error"] = str(e)
            ops.append(row)
            continue
        b = f.bids.get(fid)
        row["closed"] = b is None
        if b is not None:
            row.update(
                bid=str(b["bid"]),
                lot=str(b["lot"]),
                guy=b["guy"],
                tic=str(b["tic"] - t0 if b["tic"] else 0),
                end=str(b["end"] - t0),
            )
        row["dai_delta"] = {
            k: str(vat.dai.get(k, 0) - dai0.get(k, 0))
            for k in sorted(set(vat.dai) | set(dai0))
            if k and vat.dai.get(k, 0) != dai0.get(k, 0)
        }
        row["gem_delta"] = {
            k: str(vat.gem.get(k, 0) - gem0.get(k, 0))
            for k in sorted(set(vat.gem) | set(gem0))
            if k != "flip" and vat.gem.get(k, 0) != gem0.get(k, 0)
        }
        row["claw"] = str(f.claws - claws0)
        ops.append(row)
    return {"setup": {k: str(v) for k, v in s.items()}, "ops": ops}


def random_case(rng: random.Random, n_ops: int) -> dict[str, Any]:
    s = random_setup(rng)
    left = [n_ops]

    def source(f: Flipper, fid: int) -> dict[str, Any] | None:
        if left[0] == 0:
            return None
        left[0] -= 1
        if fid not in f.bids:
            left[0] = min(left[0], 1)  # one more op on the closed auction, then stop
        return next_op(rng, f, fid, s["ttl"], s["tau"])

    return run_sequence(s, source)


# (dt, op, who, lot rule, bid rule): "lot" keeps the lot, "beg" cuts it by exactly beg
SCRIPTS: list[list[tuple[int, str, str, str, str]]] = [
    # Black Thursday: one bidder, a 1-wei bid, nobody outbids for ttl (10 min then): deal
    [(0, "tend", "b1", "lot", "1"), (601, "deal", "b2", "lot", "1")],
    # a competitive auction: tend to half the tab, to the tab, then two dents and a deal
    [
        (10, "tend", "b1", "lot", "half"),
        (10, "tend", "b2", "lot", "tab"),
        (10, "dent", "b3", "beg", "tab"),
        (10, "dent", "b1", "beg", "tab"),
        (601, "deal", "b1", "lot", "1"),
    ],
    # nobody bids before end: tick restarts, then a bid
    [(6 * 3600 + 1, "tick", "b1", "lot", "1"), (5, "tend", "b2", "lot", "1")],
]


def scripted_case(
    rng: random.Random, script: list[tuple[int, str, str, str, str]]
) -> dict[str, Any]:
    s = random_setup(rng)
    s.update(ttl=600, tau=6 * 3600, beg=105 * WAD // 100)  # Black Thursday ttl and tau
    steps = iter(script)

    def source(f: Flipper, fid: int) -> dict[str, Any] | None:
        step = next(steps, None)
        if step is None:
            return None
        dt, kind, who, lot_rule, bid_rule = step
        b = f.bids.get(fid, {"lot": 0, "bid": 0})
        lot = b["lot"] * WAD // s["beg"] if lot_rule == "beg" else b["lot"]
        bid = {"half": s["tab"] // 2, "tab": s["tab"]}.get(bid_rule) or int(bid_rule)
        return {"dt": dt, "op": kind, "who": who, "lot": lot, "bid": bid}

    return run_sequence(s, source)


def main() -> None:
    rng = random.Random(19_03_2020)
    cases = [scripted_case(rng, sc) for sc in SCRIPTS]
    cases += [random_case(rng, 16) for _ in range(40)]
    doc = {
        "source": "tools/gen_dss_flip_vectors.py: transcription of dss flip.sol kick/tend/dent/"
        "deal/tick and dog.sol bark over a toy Vat (independent of peglab)",
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    errors: dict[str, int] = {}
    for c in cases:
        for op in c["ops"]:
            key = op.get("error", "ok " + op["op"])
            errors[key] = errors.get(key, 0) + 1
    print(f"{OUT.name}: {len(cases)} cases; outcomes {dict(sorted(errors.items()))}")


if __name__ == "__main__":
    main()
