"""The dashboard in a real headless Chromium (Playwright driving the system's /usr/bin/chromium):
every page renders with data and its plotly charts, with no console error; a stress job started
from the form runs to completion and its report opens."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_service_helpers import Client, Server, running_server, signup

CHROMIUM = os.environ.get("PEGLAB_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
]
W = 10**18
AUSD = "ai_dollars.s.dollars[AUSD]"  # the AI dollar's path in a scenario sandbox (see /targets)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).is_file():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Client, int]]:
    tmp = tmp_path_factory.mktemp("dash")
    with running_server(f"sqlite:///{tmp / 'db.sqlite'}", tmp) as srv:
        alice = signup(srv.base, "alice")
        assert (
            alice.post(
                "/api/sandboxes", {"name": "dash", "scenario": "calm", "seed": 1}
            ).status_code
            == 201
        )
        # alice crashes ATH by 55% and keeps reporting it until the delayed price (hop, jump
        # guard) lets it through, then liquidates a vault
        for _ in range(3):
            alice.post("/api/sandboxes/dash/clock/advance", {"seconds": 3600})
            alice.act("dash", "cdp.PriceFeed.set_price", "feeds[ATH]", val_wad=str(W // 50))
            alice.act("dash", "cdp.AIDollar.poke_prices", AUSD)
        unsafe = [
            v
            for v in alice.get("/api/sandboxes/dash/vaults", limit=1000).json()
            if v["dollar"] == "AUSD" and not v["safe"]
        ]
        assert unsafe, "the crash leaves unsafe vaults"
        r = alice.act(
            "dash",
            "cdp.Liquidator.bark",
            AUSD + ".dog",
            vault_id=unsafe[0]["id"],
            keeper="alice",
        )
        assert r.status_code == 200, r.text
        yield srv, alice, unsafe[0]["id"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    resp = page.goto(url)
    assert resp is not None and resp.status == 200, f"{url}: {resp.status if resp else None}"
    page.wait_for_load_state("networkidle")
    return page, errors


def test_overview__renders_dollars_pools_auctions_and_charts(site: Any, browser: Any) -> None:
    srv, _, _ = site
    page, errors = _open(browser, srv.base + "/sandboxes/dash")
    assert page.locator("#dollars .card").count() == 3
    assert "AUSD" in page.locator("#dollars").inner_text()
    assert page.locator("#pools tr").count() > 3
    assert page.locator("#auctions tr").count() >= 2  # header + the auction alice started
    page.wait_for_selector("div.chart .main-svg")
    assert page.locator("div.chart .main-svg").count() >= 3  # plotly drew every figure
    assert errors == []
    home, errors = _open(browser, srv.base + "/")
    assert "dash" in home.locator("#sandboxes").inner_text() and errors == []


def test_vault_pages__list_and_one_vault(site: Any, browser: Any) -> None:
    srv, _, vid = site
    page, errors = _open(browser, srv.base + "/sandboxes/dash/vaults")
    assert page.locator("#vaults tr").count() > 100
    page.wait_for_selector("div.chart .main-svg")
    assert errors == []
    page, errors = _open(browser, srv.base + f"/sandboxes/dash/vaults/AUSD/{vid}")
    assert "b:" in page.locator("#vault").inner_text()  # a scenario borrower's vault
    assert errors == []


def test_events__filters_select_rows(site: Any, browser: Any) -> None:
    srv, _, _ = site
    page, errors = _open(browser, srv.base + "/sandboxes/dash/events")
    assert page.locator("#log tr").count() == 1 + 10
    page.fill("input[name=kind]", "cdp/bark")
    page.click("#filters button")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#log tr")
    assert rows.count() == 2 and "cdp.Liquidator.bark" in rows.nth(1).inner_text()
    assert errors == []


def test_stress_form__job_completes_and_report_opens(site: Any, browser: Any) -> None:
    srv, alice, _ = site
    page, errors = _open(browser, srv.base + "/jobs")
    page.fill("input[name=api_key]", alice.key)
    page.select_option("select[name=scenario]", "calm")
    page.fill("input[name=paths]", "2")
    page.click("#stress-form button")
    page.wait_for_url("**/jobs/*")
    page.wait_for_selector("#report-link", timeout=240_000)
    assert errors == []
    page.click("#report-link")
    page.wait_for_load_state("load")
    assert "/runs/job-" in page.url and "report.html" in page.url
    assert "calm" in page.content()
    page.wait_for_selector(".main-svg")
    job = alice.get("/api/jobs").json()[0]
    assert job["status"] == "done" and job["done_paths"] == 2


def test_stress_form__bad_key__shows_the_error(site: Any, browser: Any) -> None:
    srv, _, _ = site
    page, errors = _open(browser, srv.base + "/jobs")
    page.fill("input[name=api_key]", "pgl_wrong")
    page.click("#stress-form button")
    page.wait_for_selector("#form-error")
    assert "auth/bad-key" in page.locator("#form-error").inner_text()


def test_loan_page__credit_system__loans_tranches_schedule_no_console_error(
    site: Any, browser: Any
) -> None:
    srv, alice, _ = site
    r = alice.post("/api/sandboxes", {"name": "credit", "system": "gpu-credit"})
    assert r.status_code == 201, r.text
    page, errors = _open(browser, srv.base + "/sandboxes/credit/loans")
    rows = page.locator("#loans tr")
    assert rows.count() == 1 + 3  # header + USD.AI's three loans
    text = page.locator("#loans").inner_text()
    assert "gpu-operator-3" in text and "65" in text  # the late loan, 65 days past its deadline
    assert page.locator("section.loan").nth(1).locator("table.tranches tr").count() == 1 + 2
    assert "senior-fund" in page.locator("section.loan").nth(1).inner_text()
    page.locator("section.loan").first.locator("summary").click()
    assert page.locator("section.loan").first.locator("table.schedule tr").count() > 30
    page.wait_for_selector("div.chart .main-svg")
    assert errors == []
    for sandbox, system in (("credit", None), ("yields", "yield-vaults")):
        if system:
            assert (
                alice.post("/api/sandboxes", {"name": sandbox, "system": system}).status_code == 201
            )
        over, errors = _open(browser, srv.base + f"/sandboxes/{sandbox}")
        assert "This world has no AI dollar" in over.content() and errors == []
    empty, errors = _open(browser, srv.base + "/sandboxes/dash/loans")
    assert "No loans" in empty.locator("#loans").inner_text() and errors == []
