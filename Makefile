# Two commands set everything up on a fresh machine:
#   make run   – install, then evaluate the bundled seed case (terminal report + out/*.html)
#   make test  – install with dev tools, then ruff, mypy (strict) and pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
EXAMPLE := examples/seed-poems-igg4-aip.yaml

.PHONY: run test lint typecheck unit bench clean sysdeps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# System packages: a CJK font so plots and PDFs can show Japanese and Chinese text, and
# chromium for the browser test (tests/web/test_browser.py; `playwright install` cannot
# download browsers here). Installed only when missing and we are root with apt-get;
# otherwise a hint (the browser test then skips with its reason).
sysdeps:
	@if fc-list 2>/dev/null | grep -qi "CJK\|IPAex\|WenQuanYi"; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing fonts-noto-cjk (CJK font for ja/zh plots)"; \
		apt-get update -qq && apt-get install -y -qq fonts-noto-cjk \
			|| echo "warning: could not install fonts-noto-cjk; ja/zh plots will use the default font"; \
	else \
		echo "note: no CJK font found; for ja/zh plots install one, e.g. apt-get install fonts-noto-cjk"; \
	fi
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium (browser test)"; \
		apt-get update -qq && apt-get install -y -qq chromium \
			|| echo "warning: could not install chromium; the browser test will be skipped"; \
	else \
		echo "note: no /usr/bin/chromium; the browser test will be skipped (apt-get install chromium)"; \
	fi

$(STAMP): pyproject.toml | $(BIN)/python sysdeps
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
