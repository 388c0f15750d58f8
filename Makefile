# The two commands of the README: `make run` and `make test`. Each sets up what it
# needs on a fresh machine (a virtual environment in .venv; Debian packages as root).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := test
.PHONY: run test check system bench clean

# Debian packages the tests need: Chromium for the end-to-end tests. Installed when
# missing and we are root (CI, a fresh machine); elsewhere the tests say what is missing.
system:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "chromium is missing: apt-get install chromium (as root)"; fi; \
	fi
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends redis-server >/dev/null; \
	  else echo "redis-server is missing: apt-get install redis-server (as root)"; fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/room serve

check: $(STAMP)
	$(BIN)/ruff check room tests bench
	$(BIN)/ruff format --check room tests bench
	$(BIN)/mypy room

test: $(STAMP) system check
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.smoke

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
