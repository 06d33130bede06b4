"""Example: launch AUSD and vUSD, open vaults, accrue a year of stability fees, print a summary.

Run: ``python -m peglab.examples.two_ai_dollars`` (or ``make run`` until the risk lab takes over).
Deterministic: no randomness, an explicit clock; the final state hash is printed so two runs can
be compared bit for bit.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .. import __version__
from ..units import HOUR, RAD, WAD, to_wad_decimal, wad
from .systems import DemoSystem, two_ai_dollars

__all__ = ["main", "run"]

BORROWERS = [
    # (who, AI dollar, collateral type, collateral tokens, AI dollars to mint)
    ("alice", "AUSD", "ATH-A", 2_000_000, 40_000),
    ("bob", "AUSD", "ATH-A", 600_000, 9_000),
    ("carol", "AUSD", "stATH-A", 1_000_000, 15_000),
    ("dave", "vUSD", "VIRTUAL-A", 50_000, 25_000),
    ("erin", "vUSD", "VIRTUAL-A", 20_000, 8_000),
]


def run() -> DemoSystem:
    """Build the system and play one year; returns it for inspection."""
    s = two_ai_dollars()
    c = s.chain
    for who, _, ilk, amount, _ in BORROWERS:
        token = "VIRTUAL" if ilk.startswith("VIRTUAL") else "ATH"
        c.ledger.mint(token, who, wad(amount))
        if ilk == "stATH-A":
            s.staking["stATH"].stake(wad(amount), sender=who)
    for who, sym, ilk, amount, debt in BORROWERS:
        d = s.dollars[sym]
        vid = d.open_vault(ilk, sender=who)
        d.deposit(vid, wad(amount), sender=who)
        d.mint(vid, wad(debt), sender=who)
    # one year: a keeper pokes prices every hop and drips fees daily; prices stay flat
    for _ in range(365):
        for _ in range(24):
            c.advance(HOUR)
            s.poke_all()
        for d in s.dollars.values():
            for ilk in d.collaterals:
                d.drip(ilk, sender="keeper")
    return s


def _fmt(amount_wad: int, places: int = 2) -> str:
    whole = to_wad_decimal(amount_wad)
    i, _, f = whole.partition(".")
    return f"{int(i):,}" + (f".{f[:places].ljust(places, '0')}" if places else "")


def main() -> None:
    console = Console(width=max(Console().width, 100))
    s = run()
    c = s.chain
    console.rule(f"[bold]peglab {__version__}: two AI dollars after one year")
    vaults = Table(title="Vaults (debt includes a year of stability fees)")
    for col in ("vault", "owner", "collateral", "locked", "debt", "ratio", "liq. price", "safe"):
        vaults.add_column(
            col, justify="left" if col in ("vault", "owner", "collateral") else "right"
        )
    for sym, d in s.dollars.items():
        for vid in sorted(d.vat.vaults):
            v = d.vault(vid)
            vaults.add_row(
                f"{sym} #{vid}",
                v.owner,
                v.ilk,
                _fmt(v.ink_wad, 0),
                _fmt(v.debt_wad),
                f"{v.ratio_wad / WAD:.2f}" if v.ratio_wad else "-",
                _fmt(v.liquidation_price_wad or 0, 4),
                "yes" if v.safe else "NO",
            )
    console.print(vaults)
    summary = Table(title="Instances")
    for col in ("AI dollar", "supply", "total debt", "fees to buffer", "ceiling"):
        summary.add_column(col, justify="right")
    for sym, d in s.dollars.items():
        summary.add_row(
            sym,
            _fmt(c.ledger.total_supply(sym)),
            _fmt(d.total_debt_wad),
            _fmt(d.surplus_rad // (RAD // WAD)),
            _fmt(d.vat.state.line_rad // (RAD // WAD), 0),
        )
    console.print(summary)
    for d in s.dollars.values():
        assert not d.invariant_errors()
    c.check_conservation()
    console.print(f"invariants hold; {len(c.log):,} events; state hash {c.state_hash()[:16]}…")


if __name__ == "__main__":
    main()
