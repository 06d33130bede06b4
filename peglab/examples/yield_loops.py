"""Leverage loops on an alUSD-style vault's shares, end to end on the exact engine: ten loopers lever
to 8x through an AI dollar that lends against the shares, then a strategy exploit takes part of
the vault's NAV (docs/yield-vaults.md §7-8).

    python -m peglab.examples.yield_loops [loss]      # loss: fraction of NAV, default 0.15
"""

from __future__ import annotations

import sys

from ..sim.agents.looping import LoopParams
from ..sim.families.yield_vault.path import YieldParams, standalone

__all__ = ["main", "run"]


def run(loss: float = 0.15, days: int = 30, loss_day: int = 15) -> list[str]:
    """Run the world; returns one line every five days and a closing summary."""
    p = YieldParams(loopers=10, loop=LoopParams(target_leverage=8.0), loss_day=loss_day,
                    loss_frac=loss)  # fmt: skip
    path = standalone(p, days, seed=1)
    lines = []
    for k in range(1, days + 1):
        path.step_day(k)
        if k % 5 == 0 or k == loss_day + 1:
            kp = path.keeper
            barks = kp.barks if kp else 0
            debt = sum(lp.position()[1] for lp in path.loopers) / 1e18
            lines.append(
                f"day {k:>2}: price/share {path.pps[-1]:.6f}  loopers' leverage "
                f"{path.leverage[-1]:5.2f}x  debt ${debt:>12,.0f}  {p.dollar} {path.peg[-1]:.4f}  "
                f"liquidations {barks}"
            )
    m = path.measures()
    lines.append(
        f"bad debt ${m['dollar_bad_debt']:,.0f}; loopers liquidated {m['loopers_liquidated']:.0%}; "
        f"loopers' return {m['looper_return']:.1%}; longest exit wait "
        f"{m['vault_exit_wait_max']:.0f} days"
    )
    path.chain.check_conservation()
    return lines


def main() -> None:
    loss = float(sys.argv[1]) if len(sys.argv) > 1 else 0.15
    for line in run(loss):
        print(line)


if __name__ == "__main__":
    main()
