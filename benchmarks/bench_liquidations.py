"""Benchmark: liquidation auctions per second and a 10,000-vault crash, against a same-run reference.

1. Auctions per second. N unsafe vaults are liquidated (``bark``) and each auction is bought
   whole (``take``) through the full engine: atomic transactions, the journal, drip and price
   refresh, typed errors, events, the ledger, joins and leftover collateral returned to owners.
2. 10,000-vault crash. 10,000 vaults with collateral ratios from 2.0 to 4.0 see a 50% crash;
   keepers bark every unsafe vault and take every auction.

The reference is the independent transcription of dss ``bark``/``take``/abaci in
``tools/gen_dss_liquidation_vectors.py`` (EVM-faithful integer arithmetic, no ledger, no
journal) doing the same per-auction arithmetic on plain dicts. The ratio is the engine's
overhead factor for atomicity, auditability and safety checks.

Run: ``.venv/bin/python benchmarks/bench_liquidations.py [--vaults N] [--auctions N]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_cdp_liquidation_support import LiqSystem, build  # noqa: E402

from peglab.units import RAD, RAY, WAD, wad  # noqa: E402


def load_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dss_ref", ROOT / "tools" / "gen_dss_liquidation_vectors.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def book(n: int) -> list[tuple[int, int]]:
    """(collateral, debt) in whole tokens: ratios 2.0 .. 4.0 at $1, debt 600."""
    return [(600 * (200 + (200 * i) // max(n - 1, 1)) // 100, 600) for i in range(n)]


def engine_setup(n: int) -> tuple[LiqSystem, list[int], float]:
    s = build(hole=10**9, keep_log=False)
    c, d = s.chain, s.d
    t0 = time.perf_counter()
    vids = []
    for i, (ath, debt) in enumerate(book(n)):
        owner = f"u{i}"
        c.ledger.mint("ATH", owner, wad(ath))
        vid = d.open_vault("ATH-A", sender=owner)
        d.deposit(vid, wad(ath), sender=owner)
        d.mint(vid, wad(debt), sender=owner)
        vids.append(vid)
    setup = time.perf_counter() - t0
    # the keeper's AI dollars: a whale vault far above the liquidation ratio
    whale = wad(800 * n)
    c.ledger.mint("ATH", "keeper", whale * 8)
    wv = d.open_vault("ATH-A", sender="keeper")
    d.deposit(wv, whale * 8, sender="keeper")
    d.mint(wv, whale, sender="keeper")
    s.set_price("0.50")
    s.settle()
    return s, vids, setup


def engine_crash(s: LiqSystem, vids: list[int]) -> tuple[int, float]:
    d = s.d
    spot = d.vat.ilks["ATH-A"].spot_ray
    t0 = time.perf_counter()
    done = 0
    for vid in vids:
        v = d.vat.vaults[vid]
        if v.ink_wad * spot >= v.art_wad * d.vat.ilks["ATH-A"].rate_ray:
            continue
        aid = d.bark(vid, sender="keeper")
        sale = d.clippers["ATH-A"].sales[aid]
        d.take("ATH-A", aid, sale.lot_wad, sale.top_ray, sender="keeper")
        done += 1
    return done, time.perf_counter() - t0


def reference_crash(ref: ModuleType, n: int) -> tuple[int, float]:
    """The same per-vault arithmetic with the independent dss transcription, on dicts."""
    rate = RAY
    mat = 175 * RAY // 100
    val = wad("0.50")
    spot = (val * 10**9) * RAY // RAY * RAY // mat
    chop, dust, tip, chip = 113 * WAD // 100, 500 * RAD, 20 * RAD, WAD // 1000
    buf = 12 * RAY // 10
    ink = {i: wad(a) for i, (a, _) in enumerate(book(n))}
    art = {i: wad(b) for i, (_, b) in enumerate(book(n))}
    gem: dict[str, int] = {}
    dai: dict[str, int] = {"keeper": 10**80}
    vow = {"sin": 0, "dai": 0}
    dirt = {"ilk": 0, "all": 0}
    hole = 10**9 * RAD
    t0 = time.perf_counter()
    done = 0
    for i in range(n):
        res = ref.bark(
            {
                "ink": ink[i],
                "art": art[i],
                "rate": rate,
                "spot": spot,
                "dust": dust,
                "chop": chop,
                "hole": hole,
                "dirt": dirt["ilk"],
                "Hole": hole,
                "Dirt": dirt["all"],
            }
        )
        if "error" in res:
            continue
        ink[i] -= res["dink"]
        art[i] -= res["dart"]
        vow["sin"] += res["due"] + ref.coin(tip, chip, res["tab"])
        dirt["ilk"] += res["tab"]
        dirt["all"] += res["tab"]
        top = ref.abaci_rmul(val * 10**9, buf)
        price = ref.stairstep_price(top, 60, 99 * RAY // 100, 0)
        out = ref.take(
            {"lot": res["dink"], "tab": res["tab"], "amt": res["dink"], "price": price, "chost": 0}
        )
        dai["keeper"] -= out["owe"]
        vow["dai"] += out["owe"]
        gem["keeper"] = gem.get("keeper", 0) + out["slice"]
        gem[f"u{i}"] = gem.get(f"u{i}", 0) + out["lot_left"]
        dirt["ilk"] -= out["owe"] + (out["tab_left"] if out["lot_left"] == 0 else 0)
        dirt["all"] = dirt["ilk"]
        done += 1
    return done, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vaults", type=int, default=10_000)
    ap.add_argument("--auctions", type=int, default=5_000)
    a = ap.parse_args()
    ref = load_reference()

    print("1. auctions per second (bark + whole take)")
    s, vids, _ = engine_setup(a.auctions)
    n_e, t_e = engine_crash(s, vids)
    assert not s.errors(), s.errors()
    n_r, t_r = reference_crash(ref, a.auctions)
    assert n_e == n_r, (n_e, n_r)
    print(f"   engine     {n_e / t_e:10,.0f} auctions/s   ({n_e} auctions, {t_e:.2f} s)")
    print(f"   reference  {n_r / t_r:10,.0f} auctions/s   (dss transcription on dicts)")
    print(f"   overhead factor engine/reference: {t_e / n_e / (t_r / n_r):.1f}x")

    print(f"2. {a.vaults:,}-vault crash (50% price drop)")
    s, vids, setup = engine_setup(a.vaults)
    n_e, t_e = engine_crash(s, vids)
    assert not s.errors(), s.errors()
    assert not s.d.clippers["ATH-A"].sales
    n_r, t_r = reference_crash(ref, a.vaults)
    assert n_e == n_r, (n_e, n_r)
    print(f"   setup: {a.vaults:,} vaults opened, funded and minted in {setup:.2f} s")
    print(f"   engine: barked and cleared {n_e:,} auctions in {t_e:.2f} s")
    print(f"   reference: same arithmetic in {t_r:.3f} s;  ratio {t_e / t_r:.1f}x")


if __name__ == "__main__":
    main()
