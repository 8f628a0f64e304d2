# Two entry points: `make demo` and `make test`. Each builds its own virtual environment.
PYTHON ?= python3
VENV ?= .venv
# torch is installed first, from an exact pin, so that no looser requirement pulls a CUDA build.
TORCH_SPEC ?= torch==2.13.0

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pid demo

test: lint docs
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check pid tests benchmarks notebooks docs

# The API reference, generated from the docstrings; any warning fails the build.
docs: $(STAMP)
	$(BIN)/sphinx-build -E -W --keep-going -q -b html docs/reference docs/_build/reference
	@echo "API reference in docs/_build/reference/index.html"

clean:
	rm -rf $(VENV) pid-report result.json .pytest_cache docs/_build
