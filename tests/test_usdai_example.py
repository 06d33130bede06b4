"""The USD.AI walk-through runs, is deterministic, and tells the story it claims."""

from __future__ import annotations

import pytest

from peglab.cli import main
from peglab.examples.usdai import run
from peglab.units import WAD


def test_walkthrough__same_run_twice__same_state_hash_and_story() -> None:
    s1, log1 = run()
    s2, log2 = run()
    assert s1.chain.state_hash() == s2.chain.state_hash() and log1 == log2
    prices = {label: (dp, rp) for label, dp, rp, _ in log1}
    assert prices["start"] == (WAD, WAD)
    assert prices["month 5"][0] > prices["month 3"][0] > WAD  # T-bill yield and interest accrue
    assert prices["month 5"][0] > prices["month 5"][1]  # borrower 2's unpaid interest: optimistic
    # 60 days late at month 6: 30% of loan 2 written down in both prices, its interest dropped
    assert prices["month 6"][0] == prices["month 6"][1] < prices["month 5"][1]
    assert prices["auction settled"][1] < prices["loan 2 liquidated"][1]  # the loss is realised
    assert s1.usdai.backing_gap() == 0
    first, second = list(s1.router.loans)
    assert s1.router.loan(first).status == "active"
    assert s1.router.loan(second).status == "collateral-liquidated"
    s1.chain.check_conservation()


def test_cli__demo_usdai__prints_the_walkthrough(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "usdai"]) == 0
    out = capsys.readouterr().out
    assert "auction settled" in out and "state hash" in out


def test_cli__demo_unknown_system__one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "moon"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("peglab: error:")
