# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv, installs spacepool with what it needs, then runs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	scripts/bootstrap-venv.sh $(PYTHON) $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/spacepool demo

test: check pytest

check: lint typecheck

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# A throwaway PostgreSQL on loopback when Debian's server binaries exist; without
# them the PostgreSQL cases skip and pytest's summary (-ra) says why. The dashboard's
# browser tests (tests/web) drive Debian's Chromium; without it they skip.
pytest: $(STAMP)
	@if [ -x /usr/bin/chromium ]; then \
		echo "browser tests: tests/web runs in /usr/bin/chromium (headless)"; \
	else \
		echo "browser tests: SKIPPED, /usr/bin/chromium not found (install Debian's chromium package; .ci/run does)"; \
	fi
	scripts/with-postgres.sh $(BIN)/python -m pytest -n 2 --dist loadfile

# Speed and memory against peers, printed (never asserted in tests). Minutes long.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_parse.py
	$(BIN)/python benchmarks/bench_propagate.py
	$(BIN)/python benchmarks/bench_passes.py --no-reference
	$(BIN)/python benchmarks/bench_catalog.py
	$(BIN)/python benchmarks/bench_spot5.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache spacepool-out
