#!/usr/bin/env bash
# Create the dev-only reference environment .venv-ref-risk with radCAD (never a runtime or CI
# dependency). Usage: bash tools/ref_env_risk.sh   then   .venv/bin/python benchmarks/bench_risk.py
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python3}"
[ -x .venv-ref-risk/bin/python ] || "$PY" -m venv .venv-ref-risk
.venv-ref-risk/bin/pip install -q --upgrade pip
.venv-ref-risk/bin/pip install -q radcad typing_extensions numpy
.venv-ref-risk/bin/python -c "import radcad; print('radcad ok')"
