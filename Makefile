# Two entry points: `make demo` and `make test`. Each builds its own virtual environment.
PYTHON ?= python3
VENV ?= .venv
# torch is installed first, from an exact pin, so that no looser requirement pulls a CUDA build.
TORCH_SPEC ?= torch==2.13.0

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint docs gpu-check clean

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

# Every device path against the CPU, on a machine whose own python3 has a CUDA build of torch
# (the virtual environment above installs the CPU build); prints one table, exits 1 on a failure.
gpu-check:
	PYTHONPATH=. $(PYTHON) benchmarks/gpu_check.py

clean:
	rm -rf $(VENV) pid-report result.json .pytest_cache docs/_build
