# Two commands a newcomer needs: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8765

.PHONY: serve test lint typecheck bench browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# `make serve` prints an SDK snippet: the SDKs it imports are installed with the server.
$(VENV)/.installed-sdks: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[sdks]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-sdks

serve: $(VENV)/.installed-sdks  ## run the mock server on the bundled scenarios
	$(BIN)/streamrig serve --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# Page tests drive a real headless Chromium: Debian's package (Playwright only drives it).
browser:  ## install Chromium for the page tests (Debian/Ubuntu; needs root or sudo)
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.installed-test browser lint typecheck  ## lint, type-check and run the suite
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-test  ## benchmarks, out of the default run (print JSON)
	$(BIN)/python -m tests.benchmarks.bench_timing
	$(BIN)/python -m tests.benchmarks.bench_fixture
	$(BIN)/python -m tests.benchmarks.bench_record
	$(BIN)/python -m tests.benchmarks.bench_saves
	$(BIN)/python -m tests.benchmarks.bench_hotpath
	$(BIN)/python -m tests.benchmarks.bench_workers
	$(BIN)/python -m tests.benchmarks.bench_soak
	$(BIN)/python -m tests.benchmarks.bench_live
	$(BIN)/python -m tests.benchmarks.bench_timeline

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
