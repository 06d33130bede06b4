"""Fixtures shared by the test suite; the systems they build live in ``tests/support``.

- ``liq``: a fresh AUSD system for liquidation, buffer, PSM and shutdown tests
  (``support.cdp.build()`` with its defaults; call ``build(...)`` for other parameters);
- ``gov_sys``: a fresh deployed ve(3,3) governance system with funded users and gauges
  (``support.governance.System``);
- ``cluster``: the address of a real dask cluster (a scheduler and 2 worker processes with
  nannies, reached over tcp), one per test module that asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings
from support.cdp import LiqSystem, build
from support.governance import System

# CI (and `make test`) runs the property tests derandomized: the same examples every run, so a
# green suite stays green. Set HYPOTHESIS_PROFILE=explore to search new random examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def liq() -> LiqSystem:
    return build()


@pytest.fixture
def gov_sys() -> System:
    return System()


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as c:
        yield c.scheduler_address
