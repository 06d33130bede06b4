"""The command line: one readable line on every error, never a traceback; outputs on success."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from peglab.risk.library import scenario_path

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"


def peglab(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PEGLAB_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "peglab.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    return lines[0]


def test_scenarios__library__lists_every_builtin() -> None:
    r = peglab("scenarios")
    assert r.returncode == 0
    for name in (
        "ai-token-crash",
        "flash-crash",
        "liquidity-crunch",
        "oracle-failure",
        "contagion",
        "keeper-failure",
        "calm",
    ):
        assert name in r.stdout


def test_stress__unknown_name__one_line_listing_valid_names() -> None:
    line = one_line_error(peglab("stress", "nope"))
    assert "scenario/unknown" in line and "ai-token-crash" in line


def test_stress__invalid_file__one_line_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.read_text().replace('step = "1h"', 'step = "7m"'))
    line = one_line_error(peglab("stress", str(bad)))
    assert "scenario/invalid" in line and "step" in line
    bad.write_text(SMALL.read_text().replace('line_usd = "4000000"', 'line_usd = "-4"'))
    line = one_line_error(peglab("stress", str(bad)))
    assert "line_usd" in line


def test_stress__bad_options__one_line() -> None:
    assert "--paths" in one_line_error(peglab("stress", "calm", "--paths", "x"))
    assert "--engine" in one_line_error(peglab("stress", "calm", "--engine", "gpu"))
    assert "invalid choice" in one_line_error(peglab("frob"))


def test_stress__float_engine_without_model_on_two_workers__one_line(tmp_path: Path) -> None:
    """The worker's typed error reaches the parent as itself (it pickles), not as a broken pool.
    (The GPU-credit vectorised models know only StableSwap peg pools: on constant-product pools
    the families have no vectorised model.)"""
    cp = tmp_path / "cp.toml"
    cp.write_text(
        scenario_path("default-wave").read_text().replace("A = 200", 'kind = "constant-product"')
    )
    for workers in ("1", "2"):
        r = peglab(
            "stress", str(cp), "--engine", "float", "--paths", "2", "--workers", workers,
            "--out", str(tmp_path / workers),
        )  # fmt: skip
        assert "stress/no-float-model" in one_line_error(r)


def test_report__missing_run__one_line(tmp_path: Path) -> None:
    assert "cli/no-run" in one_line_error(peglab("report", str(tmp_path)))


def test_stress_then_report__small_scenario__writes_outputs(tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = peglab(
        "stress",
        str(SMALL),
        "--paths",
        "3",
        "--seed",
        "5",
        "--out",
        str(out),
        "--workers",
        "1",
        "--no-progress",
    )
    assert r.returncode == 0, r.stderr
    assert "report:" in r.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 5 and summary["paths"] == 3
    assert summary["parameters"]["run_path"] == "peglab.sim.runner:run_path"
    for name in ("paths.csv", "report.html", "timings.json"):
        assert (out / name).is_file()
    html = (out / "report.html").read_text()
    assert not re.search(r"<script[^>]*src=[\"']https?:", html)  # no CDN: works offline
    assert "Plotly.newPlot" in html and len(html) > 1_000_000  # plotly.js embedded
    (out / "report.html").unlink()
    r = peglab("report", str(out))
    assert r.returncode == 0 and (out / "report.html").is_file()
