#!/usr/bin/env bash
# Create the dev-only reference environment .venv-ref with curvesim (never a runtime or CI dependency).
# Usage: bash tools/ref_env.sh            then  .venv-ref/bin/python tools/gen_stableswap_vectors.py
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python3}"
if [ ! -x .venv-ref/bin/python ]; then
  "$PY" -m venv .venv-ref
fi
.venv-ref/bin/pip install -q --upgrade pip
if ! .venv-ref/bin/pip install -q curvesim; then
  # curvesim pins can fail on newer interpreters: its pool math needs only the package itself
  # plus a few light dependencies, so fall back to installing those without the resolver.
  echo "full curvesim install failed; installing curvesim --no-deps plus its pool module's deps" >&2
  .venv-ref/bin/pip install -q --no-deps curvesim
  .venv-ref/bin/pip install -q numpy pandas scipy gmpy2 web3 matplotlib altair || true
fi
.venv-ref/bin/python -c "from curvesim.pool.stableswap.pool import CurvePool; print('curvesim ok')"
