"""``@action`` keeps the signature: mypy rejects a call with a wrong keyword or type (issue 9)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

SNIPPET = """
from peglab.kernel import Chain, action
from peglab.protocols.cdp import AIDollar


class Pot:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    @action
    def put(self, amount: int, label: str = "", *, sender: str) -> int:
        return amount


def use(pot: Pot, d: AIDollar) -> None:
    total: int = pot.put(5, label="x", sender="alice")
    d.deposit(1, 10, sender="alice")
    {calls}
"""

WRONG = {
    "keyword": 'pot.put(5, lable="x", sender="alice")',
    "type": 'pot.put("5", sender="alice")',
    "no sender": "pot.put(5)",
    "result": 'name: str = pot.put(5, sender="alice")',
    "protocol keyword": 'd.deposit(1, amount_wad=10, sender="alice")',
}


def _mypy(tmp_path: Path, calls: str) -> tuple[str, int]:
    src = tmp_path / "snippet.py"
    src.write_text(textwrap.dedent(SNIPPET).format(calls=calls))
    out, err, status = mypy_api.run(
        ["--strict", "--no-error-summary", "--follow-imports=silent", str(src)]
    )
    return out + err, status


def test_action__right_calls__type_check(tmp_path: Path) -> None:
    out, status = _mypy(tmp_path, "pass")
    assert status == 0, out


@pytest.mark.parametrize("case", sorted(WRONG))
def test_action__wrong_call__fails_type_check(tmp_path: Path, case: str) -> None:
    out, status = _mypy(tmp_path, WRONG[case])
    assert status == 1 and "snippet.py" in out, out
