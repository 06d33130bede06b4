#!/usr/bin/env bash
# Dev-only reference environment for the LLAMMA vectors (never a runtime or CI dependency):
#   .venv-ref-llamma/   vyper 0.3.9 (the crvUSD contracts' compiler) + titanoboa (a Python EVM)
# The contracts themselves are NOT in this repository: fetch curvefi/curve-stablecoin yourself and
# point the generator at its AMM.vy and Controller.vy (commit c2fb4455, November 2023):
#   bash tools/ref_env_llamma.sh
#   git -C <curve-stablecoin clone> show c2fb4455:contracts/AMM.vy > /tmp/AMM.vy
#   git -C <curve-stablecoin clone> show c2fb4455:contracts/Controller.vy > /tmp/Controller.vy
#   .venv-ref-llamma/bin/python tools/gen_llamma_vectors.py /tmp/AMM.vy /tmp/Controller.vy
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python3}"
if [ ! -x .venv-ref-llamma/bin/python ]; then
  "$PY" -m venv .venv-ref-llamma
fi
.venv-ref-llamma/bin/pip install -q --upgrade pip
# titanoboa 0.1.7 is the last release for vyper 0.3.9; it needs a py-evm of its time
.venv-ref-llamma/bin/pip install -q "vyper==0.3.9" "titanoboa==0.1.7" "py-evm==0.7.0a4"
.venv-ref-llamma/bin/python -c "import boa, vyper; print('titanoboa ok, vyper', vyper.__version__)"
