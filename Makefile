# Two commands set everything up on a fresh machine:
#   make run   – install, then evaluate the bundled seed case (terminal report + out/*.html)
#   make test  – install with dev tools, then ruff, mypy (strict) and pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
EXAMPLE := examples/seed-poems-igg4-aip.yaml

.PHONY: run test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	mkdir -p out
	$(BIN)/poemsdx evaluate $(EXAMPLE)
	$(BIN)/poemsdx evaluate $(EXAMPLE) --format html --output out/seed-report.html
	$(BIN)/poemsdx evaluate $(EXAMPLE) --format json --output out/seed-report.json
	@echo "HTML report: out/seed-report.html"

test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
