#!/usr/bin/env bash
# Dev-only reference environment for the lending rate vectors (never a runtime or CI dependency):
# solc-js (npm `solc`, the Solidity compiler built to WebAssembly) compiles our own Solidity
# restatement of the Aave v3 / Compound rate and index formulas (tools/ref_rates.sol), and py-evm
# executes it. Usage: bash tools/ref_env_yield.sh   then   .venv-ref-yield/bin/python tools/gen_rate_vectors.py
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python3}"
[ -x .venv-ref-yield/bin/python ] || "$PY" -m venv .venv-ref-yield
.venv-ref-yield/bin/pip install -q --upgrade pip
.venv-ref-yield/bin/pip install -q py-evm
mkdir -p .ref-yield-node
( cd .ref-yield-node && [ -f package.json ] || printf "{\"name\":\"peglab-ref\",\"private\":true}\n" > package.json ; npm install --silent solc@0.8.20 )
.venv-ref-yield/bin/python -c "import eth; print('py-evm', eth.__version__)"
node -e "console.log('solc', require('./.ref-yield-node/node_modules/solc').version())"
