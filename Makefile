# Two commands matter: `make demo` (start the demo network) and `make test` (run the tests).
# Both create the virtual environment they need from pyproject.toml + constraints.txt.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck sdl bench screenshots clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/network-demo

test: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools && $(BIN)/ruff format --check src tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy

# Rewrite the committed SDL files from the code (review the diff!).
sdl: $(STAMP)
	$(BIN)/python -m institution_node.api.sdl --write
	$(BIN)/python -m network_hub.schema.sdl --write

# Re-make the README's screenshots (docs/screenshots) with the browser tests.
screenshots: $(STAMP)
	LFN_WRITE_SCREENSHOTS=1 $(BIN)/pytest -q tests/browser

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
