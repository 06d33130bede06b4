#!/usr/bin/env bash
# Dev-only EVM reference environment for the ERC-4626 vectors (never a runtime or CI dependency):
#   .venv-ref-evm/        py-evm (the Ethereum Foundation's Python EVM) + eth-abi
#   .ref-npm/node_modules solc (solc-js compiler) and @openzeppelin/contracts (ERC4626.sol source)
# Usage: bash tools/ref_env_evm.sh   then   .venv-ref-evm/bin/python tools/gen_erc4626_vectors.py
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python3}"
if [ ! -x .venv-ref-evm/bin/python ]; then
  "$PY" -m venv .venv-ref-evm
fi
.venv-ref-evm/bin/pip install -q --upgrade pip
.venv-ref-evm/bin/pip install -q "py-evm>=0.10" eth-abi "eth-tester[py-evm]"
mkdir -p .ref-npm
[ -f .ref-npm/package.json ] || echo '{"name": "peglab-ref", "private": true}' > .ref-npm/package.json
(cd .ref-npm && npm install --silent --no-audit --no-fund solc@0.8.24 @openzeppelin/contracts@5.0.2)
.venv-ref-evm/bin/python -c "import eth, eth_abi; print('py-evm', eth.__version__)"
node -e "console.log('solc', require('./.ref-npm/node_modules/solc').version())"
