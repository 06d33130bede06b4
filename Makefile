# peglab: two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench vectors clean fuzz

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The main job: the critic's question set (docs/questions.md), one report in runs/questions.
run: $(STAMP)
	$(BIN)/peglab questions --seed 1 --workers 2 --out runs/questions

lint: $(STAMP)
	$(BIN)/ruff check peglab tests benchmarks tools
	$(BIN)/ruff format --check peglab tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy peglab

unit: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck unit

# The long fuzz campaign (tests/test_fuzz_protocols.py): hostile calls to every action of every
# family, checked after each call; prints calls and calls/s. `make test` runs a bounded one.
fuzz: $(STAMP)
	PEGLAB_FUZZ_CALLS=$${PEGLAB_FUZZ_CALLS:-300000} PEGLAB_FUZZ_WORLDS=$${PEGLAB_FUZZ_WORLDS:-60} \
		$(BIN)/python -m pytest tests/test_fuzz_protocols.py -k every_family -s -q -p no:cacheprovider

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
