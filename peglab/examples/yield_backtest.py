"""Compare yield allocators on the same lending-market paths (the ``peglab backtest`` command).

python -m peglab.examples.yield_backtest            # 120 days, 6 markets, 1 term deposit
peglab backtest --days 180 --spike 0:30:14          # market 0 pinned at 100% for 14 days
peglab backtest --run 60:0.5                        # half the shares asked back on day 60
"""

from __future__ import annotations

import argparse

from ..errors import InvalidInput
from ..sim.yield_backtest import AllocatorResult, BacktestConfig, compare

__all__ = ["backtest_arguments", "cmd_backtest", "format_results", "main"]


def backtest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=int, default=120, help="days to simulate (default 120)")
    p.add_argument("--markets", type=int, default=6, help="lending markets (default 6)")
    p.add_argument(
        "--term", type=int, default=1, help="term deposits, the locked sleeve (default 1)"
    )
    p.add_argument("--seed", type=int, default=1, help="seed of the market paths (default 1)")
    p.add_argument("--spike", default=None, help="MARKET:DAY:DAYS utilisation pinned at 100%%")
    p.add_argument("--run", default=None, help="DAY:FRACTION of shares requested back at once")


def _parse(text: str | None, kinds: tuple[type, ...], code: str) -> tuple[object, ...] | None:
    if text is None:
        return None
    parts = text.split(":")
    try:
        if len(parts) != len(kinds):
            raise ValueError
        return tuple(k(x) for k, x in zip(kinds, parts))
    except ValueError:
        want = ":".join(k.__name__ for k in kinds)
        raise InvalidInput(code, f"expected {want}, got {text!r}") from None


def format_results(results: list[AllocatorResult]) -> str:
    head = f"{'allocator':<26}{'net APY':>9}{'turnover':>10}{'gas $':>8}{'worst DD':>10}{'exit wait mean/max d':>22}{'moves':>7}"
    rows = [head, "-" * len(head)]
    for r in results:
        rows.append(
            f"{r.name:<26}{r.net_apy:>9.2%}{r.turnover:>9.1f}x{r.gas_usd:>8.0f}"
            f"{r.worst_drawdown:>10.4%}{r.exit_wait_mean_days:>15.2f} / {r.exit_wait_max_days:<4}"
            f"{r.rebalances:>7}"
        )
    return "\n".join(rows)


def cmd_backtest(args: argparse.Namespace) -> None:
    spike = _parse(args.spike, (int, int, int), "cli/bad-spike")
    run = _parse(args.run, (int, float), "cli/bad-run")
    cfg = BacktestConfig(
        days=args.days, n_markets=args.markets, n_term=args.term, seed=args.seed,
        spike=spike, run=run,  # type: ignore[arg-type]
    )  # fmt: skip
    print(
        f"{cfg.n_markets} lending markets + {cfg.n_term} term deposit(s), {cfg.days} days, "
        f"seed {cfg.seed}, capital ${cfg.capital_usd:,}; same paths for every allocator"
    )
    print(format_results(compare(cfg)))


def main() -> None:
    p = argparse.ArgumentParser(prog="yield_backtest")
    backtest_arguments(p)
    cmd_backtest(p.parse_args())


if __name__ == "__main__":
    main()
