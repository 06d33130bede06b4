"""The yield examples and the ``peglab backtest`` command run, and errors are one line."""

from __future__ import annotations

import pytest

from peglab.cli import main
from peglab.examples.yield_vault import run


def test_yield_vault_example__four_weeks__allocates_and_charges_fees() -> None:
    lines = run(weeks=4)
    assert len(lines) == 4 and "rebalanced" in lines[0]
    assert "fee shares 0," not in lines[-1]


def test_cli_backtest__small_world__prints_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--days", "5", "--markets", "2", "--term", "0"]) == 0
    out = capsys.readouterr().out
    assert "arma-optimizer" in out and "best-single" in out and "equal-weight" in out


@pytest.mark.parametrize(
    "argv, code",
    [
        (["backtest", "--spike", "1:2"], "cli/bad-spike"),
        (["backtest", "--run", "a:b"], "cli/bad-run"),
        (["backtest", "--days", "0"], "backtest/bad-config"),
        (["backtest", "--markets", "2", "--spike", "5:1:1"], "backtest/bad-config"),
    ],
)
def test_cli_backtest__bad_input__one_line_error(
    argv: list[str], code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"peglab: error: {code}:") and "\n" not in err


def test_yield_loops_example__big_exploit__liquidations_and_bad_debt() -> None:
    from peglab.examples.yield_loops import run as run_loops

    lines = run_loops(loss=0.15, days=20, loss_day=12)
    assert lines[0].startswith("day  5:") and "liquidations 0" in lines[0]
    assert "liquidations 0" not in lines[-2]
    assert lines[-1].startswith("bad debt $") and not lines[-1].startswith("bad debt $0;")
