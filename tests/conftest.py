"""Fixtures shared by the test suite; the systems they build live in ``tests/support``.

- ``liq``: a fresh AUSD system for liquidation, buffer, PSM and shutdown tests
  (``support.cdp.build()`` with its defaults; call ``build(...)`` for other parameters);
- ``gov_sys``: a fresh deployed ve(3,3) governance system with funded users and gauges
  (``support.governance.System``).
"""

from __future__ import annotations

import pytest
from support.cdp import LiqSystem, build
from support.governance import System


@pytest.fixture
def liq() -> LiqSystem:
    return build()


@pytest.fixture
def gov_sys() -> System:
    return System()
