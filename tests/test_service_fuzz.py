"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis), bounded:
no request gets a 5xx, and a refused request leaves the sandbox exactly as it was. The generated
cases are aimed at a live sandbox with a valid key, so bodies reach the engine."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from test_service_helpers import Client, Server, running_server, signup

from peglab.service import build_app

W = 10**18


def _openapi() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        app = build_app(f"sqlite:///{d}/schema.db", Path(d) / "runs")
        return app.openapi()


# Stress jobs start child processes that run for seconds; they have their own tests.
schema = schemathesis.openapi.from_dict(_openapi()).exclude(path="/api/jobs", method="POST")


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Client]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    with running_server(f"sqlite:///{tmp / 'db.sqlite'}", tmp) as srv:
        owner, fuzzer = signup(srv.base, "owner"), signup(srv.base, "fuzzer")
        assert (
            owner.post("/api/sandboxes", {"name": "fuzz", "system": "two-ai-dollars"}).status_code
            == 201
        )
        for token in ("ATH", "VIRTUAL"):
            owner.act(
                "fuzz", "sandbox.Faucet.mint", token=token, to="fuzzer", amount=str(10**7 * W)
            )
        fuzzer.act("fuzz", "cdp.AIDollar.open_vault", "dollars[AUSD]", ilk="ATH-A")
        fuzzer.act(
            "fuzz", "cdp.AIDollar.deposit", "dollars[AUSD]", vault_id=1, amount=str(10**6 * W)
        )
        yield srv, fuzzer


def _head(c: Client) -> tuple[int, str]:
    body = c.get("/api/sandboxes/fuzz").json()
    return body["seq"], body["state_hash"]


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api__fuzzed_requests__no_5xx_and_refusals_change_nothing(
    case: schemathesis.Case, fuzz: tuple[Server, Client]
) -> None:
    srv, fuzzer = fuzz
    if case.path_parameters and "sandbox" in case.path_parameters:
        case.path_parameters["sandbox"] = "fuzz"
    before = _head(fuzzer)
    resp = case.call(base_url=srv.base, headers=fuzzer.headers())
    assert resp.status_code < 500, (
        f"{case.method} {case.formatted_path}: {resp.status_code} {resp.text[:500]}"
    )
    if resp.status_code >= 400:
        assert _head(fuzzer) == before, (
            f"refused {case.method} {case.formatted_path} changed the sandbox"
        )
