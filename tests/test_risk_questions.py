"""The critic's question set (peglab.risk.questions): one report whose first table answers every
question with numbers and intervals, honest tails, one-line CLI errors, reproducible records."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from peglab.errors import InvalidInput
from peglab.risk.measures import risk_summary
from peglab.risk.question_set import quote_number
from peglab.risk.questions import (
    QUESTIONS,
    TERRA_KEY,
    Quote,
    answer_word,
    run_questions,
    wilson_interval,
)

PATHS = 8


@pytest.fixture(scope="module")
def reduced_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("questions")
    answers = run_questions(out, paths=PATHS, seed=3, workers=1, reduced=True, progress=False,
                            n_resamples=200)  # fmt: skip
    return out, answers


def _first_table(md: str) -> list[list[str]]:
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| question"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split(" | ")])
    return rows


@pytest.mark.slow
def test_run_questions__reduced_set__first_table_one_row_per_question(reduced_run) -> None:  # type: ignore[no-untyped-def]
    out, answers = reduced_run
    md = (out / "questions.md").read_text(encoding="utf-8")
    rows = _first_table(md)
    asks = [q.ask for q in QUESTIONS]
    assert len(rows) == len(QUESTIONS) + 1  # and Terra side by side with an AI dollar
    assert [r[0] for r in rows[:-1]] == asks
    assert "Terra" in rows[-1][0]
    for row, a in zip(rows, answers, strict=True):
        assert row[1] == a.sentence.replace("|", "/")
        assert a.word in ("yes", "no", "partly")
        assert row[1].lower().startswith(a.word)
        assert row[2]  # what the numbers are conditional on
        if a.key != TERRA_KEY:
            # the share of paths with its interval, and the scenario it is conditional on
            assert f"of {PATHS} paths" in row[1] and "%, " in row[1]
            assert a.conditional_on.startswith(f"scenario {a.key}")
            lo, hi = a.share_ci
            assert 0.0 <= lo <= a.share <= hi <= 1.0
        else:
            assert "no interval" in row[1] and "UST lowest price" in row[1]
    # a mean is quoted with its bootstrap interval even on few paths
    crash = answers[0]
    mean = next(x for x in crash.numbers if x["stat"] == "mean")
    assert mean["status"] == "ok" and len(mean["ci"]) == 2 and "[" in mean["text"]
    assert (out / "questions.html").is_file() and "plotly" in (out / "questions.html").read_text()


@pytest.mark.slow
def test_run_questions__reduced_set__thresholds_swept_on_the_runs_outcomes(reduced_run) -> None:  # type: ignore[no-untyped-def]
    out, answers = reduced_run
    record = json.loads((out / "questions.json").read_text())
    sweeps = record["threshold_sweep"]
    assert [s["key"] for s in sweeps] == [a.key for a in answers]
    md = (out / "questions.md").read_text(encoding="utf-8")
    rows = _first_table(md)
    for row, a, s in zip(rows, answers, sweeps, strict=True):
        assert s["base"] == a.word  # the sweep at our choices is the answer
        assert row[4] == s["verdict"]  # the first table says robust or where it flips
        if a.key == TERRA_KEY:
            assert len(s["rows"]) == 5 and not s["cuts"]
            continue
        ours = next(r for r in s["rows"] if r["line"] == 0.99)
        assert ours["held"] == round(a.share * a.paths) and ours["ci"] == list(a.share_ci)
        assert len(s["rows"]) == 5 and len(s["cuts"]) == 9
        held = [r["held"] for r in s["rows"]]
        assert held == sorted(held, reverse=True)  # a higher line never holds on more paths
    assert "## Sensitivity to the thresholds we chose" in md
    assert md.index("## Sensitivity") < md.index("## 1.")
    assert "Sensitivity to the thresholds we chose" in (out / "questions.html").read_text()


@pytest.mark.slow
def test_run_questions__too_few_paths__tail_says_n_too_small(reduced_run) -> None:  # type: ignore[no-untyped-def]
    out, answers = reduced_run
    tails = [x for a in answers for x in a.numbers if x.get("stat") in ("VaR95", "p05", "p95")]
    assert tails
    for x in tails:
        assert x["status"] == "n-too-small"
        assert "value" not in x
        assert x["text"].endswith("n too small, need 200 paths")
    md = (out / "questions.md").read_text(encoding="utf-8")
    assert "n too small, need 200" in md and "n too small, need 1,000" in md  # VaR99 headline


@pytest.mark.slow
def test_run_questions__every_run__records_seed_parameters_data_version(reduced_run) -> None:  # type: ignore[no-untyped-def]
    out, answers = reduced_run
    record = json.loads((out / "questions.json").read_text())
    assert record["seed"] == 3 and record["reduced"] and record["peglab_version"]
    for a in answers:
        if a.key == TERRA_KEY:
            terra = json.loads((out / a.run_dir / "terra.json").read_text())
            assert terra["parameters"]["recovery_s"] == 216 and terra["sources"]
            assert len(terra["ust_price"]) == len(terra["ai_dollar_price"]) == 169
            continue
        s = json.loads((out / a.run_dir / "summary.json").read_text())
        assert s["seed"] == 3 and s["paths"] == PATHS and s["peglab_version"]
        assert s["scenario"]["hash"] and s["scenario"]["sources"] and s["parameters"]["n_steps"]


def test_run_questions__same_seed__same_record_bytes(tmp_path: Path) -> None:
    for d in ("a", "b"):
        run_questions(tmp_path / d, paths=3, seed=5, workers=1, reduced=True, progress=False,
                      only=["liquidity-crunch"], n_resamples=50)  # fmt: skip
    for name in ("questions.json", "questions.md", "liquidity-crunch/summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_number__enough_paths__quoted_with_order_statistic_interval() -> None:
    values = np.linspace(0.0, 1.0, 200)
    summary = {"metrics": {"loss": risk_summary(values, seed=1, tail=True, n_resamples=100)}}
    x = quote_number(summary, Quote("loss, VaR95", "loss", "VaR95", "usd"))
    assert x["status"] == "ok" and x["ci"][0] <= x["value"] <= x["ci"][1]
    y = quote_number(summary, Quote("loss, VaR99", "loss", "VaR99", "usd"))
    assert y["status"] == "n-too-small" and y["text"].endswith("need 1,000 paths")


def test_number__unknown_column__refused() -> None:
    with pytest.raises(InvalidInput) as e:
        quote_number({"metrics": {}}, Quote("x", "nope", "mean", "usd"))
    assert e.value.code == "questions/missing-metric"


def test_question__default_paths__ten_beyond_every_quoted_tail() -> None:
    for q in QUESTIONS:
        assert q.default_paths >= 200  # every question quotes a 5% tail
        assert q.tail_level is not None
        assert math.floor(min(q.tail_level, 1 - q.tail_level) * q.default_paths) >= 10


def test_wilson_interval__bounds() -> None:
    lo, hi = wilson_interval(200, 200)
    assert hi == 1.0 and lo == pytest.approx(200 / (200 + 1.959963984540054**2))
    lo, hi = wilson_interval(0, 50)
    assert lo == 0.0 and 0 < hi < 0.1
    lo, hi = wilson_interval(30, 60)
    assert lo < 0.5 < hi
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_answer_word__thresholds() -> None:
    assert answer_word((0.96, 1.0)) == "yes"
    assert answer_word((0.94, 1.0)) == "partly"
    assert answer_word((0.0, 0.5)) == "no"
    assert answer_word((0.0, 0.51)) == "partly"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PEGLAB_DEBUG"}
    return subprocess.run([sys.executable, "-m", "peglab.cli", "questions", *args],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--only", "nope"), "questions/unknown"),
        (("--paths", "0"), "cli/usage"),
        (("--paths", "many"), "cli/usage"),
        (("--workers", "-1"), "cli/usage"),
        (("--bogus",), "cli/usage"),
    ],
)
def test_cli_questions__bad_input__one_line_error(args: tuple[str, ...], code: str) -> None:
    r = _cli(*args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"peglab: error: {code}: ")
    assert "Traceback" not in r.stderr + r.stdout


def test_cli_questions__one_reduced_question__prints_table(tmp_path: Path) -> None:
    r = _cli("--only", "contagion", "--paths", "2", "--reduced", "--workers", "1",
             "--out", str(tmp_path), "--no-progress")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "Does a crash in one AI ecosystem spread" in r.stdout
    assert "report:" in r.stdout and (tmp_path / "questions.md").is_file()


def test_calm_year__library__one_year_hourly() -> None:
    from peglab.risk.library import load_scenario

    sc = load_scenario("calm-year")
    calm = load_scenario("calm")
    assert sc.step == 3600 and sc.horizon == 365 * 86_400 and sc.n_steps == 8760
    assert sc.system == calm.system and sc.prices == calm.prices and not sc.shocks


def test_quote_number__tiered_run__tail_from_the_exact_tier() -> None:
    values = np.linspace(0.0, 1.0, 1000)
    summary = {"metrics": {"loss": risk_summary(values, seed=1, tail=True, n_resamples=100)}}
    summary["tiers"] = {"tail": {"loss": {
        "VaR99": {"status": "ok", "value": 2.0, "ci": [1.5, 2.5]},
        "ES97.5": {"status": "not-covered", "value": 3.0, "ci": [2.0, 4.0]},
        "VaR95": {"status": "beyond-tier"},
    }}}  # fmt: skip
    var99 = quote_number(summary, Quote("loss, VaR99", "loss", "VaR99", "usd"))
    assert var99["value"] == 2.0 and var99["ci"] == [1.5, 2.5]
    assert var99["text"].endswith("(exact tier)")
    es = quote_number(summary, Quote("loss, ES97.5", "loss", "ES97.5", "usd"))
    assert es["value"] == 3.0 and es["text"].endswith("(exact tier, not covered)")
    var95 = quote_number(summary, Quote("loss, VaR95", "loss", "VaR95", "usd"))
    assert var95["value"] == summary["metrics"]["loss"]["VaR95"]["value"]  # the vector model's
    assert "exact tier" not in var95["text"]
