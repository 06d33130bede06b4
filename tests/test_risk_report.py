"""Reports: offline report.html with the four charts, terminal summary, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from peglab.errors import InvalidInput
from peglab.risk.montecarlo import run_stress
from peglab.risk.report import load_summary, print_summary, render_report


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    run_stress("flash-crash", 4, 3, out, workers=1, progress=False, n_resamples=100)
    return out


def test_run_stress__report__offline_html_with_charts(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text()
    assert '<script src="http' not in page and "<script src='http" not in page  # no CDN
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js embedded inline
    for title in ("fan chart", "bad_debt_usd per path", "sent to auction", "collateral ratio"):
        assert title in page
    assert "EVaR95 (entropic)" in page


def test_render_report__again__rewrites_from_files(run_dir: Path) -> None:
    (run_dir / "report.html").unlink()
    path = render_report(run_dir)
    assert path.is_file() and path.name == "report.html"


def test_render_report__missing_dir__report_missing(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        render_report(tmp_path / "nothing")
    assert info.value.code == "report/missing"
    (tmp_path / "summary.json").write_text("{broken")
    with pytest.raises(InvalidInput) as info:
        load_summary(tmp_path)
    assert info.value.code == "report/invalid"


def test_print_summary__table__shows_headline_measures(run_dir: Path) -> None:
    console = Console(record=True, width=160)
    print_summary(load_summary(run_dir), console)
    text = console.export_text()
    assert "flash-crash" in text and "bad_debt_usd" in text and "VaR99" in text


@pytest.mark.filterwarnings("ignore:All-NaN slice")
def test_series_quantiles__blocks_with_and_without_nan__same_bits_as_nanquantile(
    tmp_path: Path,
) -> None:
    import numpy as np

    from peglab.risk.report import FAN_QUANTILES, _series_quantiles

    rng = np.random.default_rng(2)
    mat = rng.normal(size=(501, 70)).astype(np.float32)
    mat[::7, 40] = np.nan  # the second block of 32 columns holds NaN, the others none
    mat[:, 69] = np.nan
    mat[3, 5], mat[4, 6] = np.inf, -np.inf
    np.save(tmp_path / "s.npy", mat)
    want = np.nanquantile(mat.astype(np.float64), FAN_QUANTILES, axis=0)
    got = _series_quantiles(tmp_path / "s.npy", FAN_QUANTILES)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(got[:, :32].view(np.int64), want[:, :32].view(np.int64))
