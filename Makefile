# `make demo` and `make test` set themselves up: .venv is created or updated from the
# pinned constraints, and the stamp file keeps a second call quick.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HHL_HOME ?= $(CURDIR)/data

.PHONY: setup demo ui api test lint format clean browser

setup: $(STAMP)

# Browser tests drive Debian's chromium (tools that download their own browser cannot here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "uv>=0.4"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hhl demo

# The Dagster UI and daemon; PROFILE=production for the PostgreSQL-backed instance.
PROFILE ?= embedded
ui: $(STAMP)
	$(BIN)/hhl serve --profile $(PROFILE)

# The health-book look-up API for facilities' software (docs/lookup-api.md), on 127.0.0.1:8180.
# It reads HHL_LOOKUP_DSN (the PostgreSQL serving store), HHL_LOOKUP_KEY and HHL_API_TOKEN_KEY
# from the environment; a reverse proxy in front terminates TLS.
API_PORT ?= 8180
api: $(STAMP)
	$(BIN)/hhl serve-api --port $(API_PORT)

# Both cores: pytest-xdist (pinned in constraints.txt) with three workers on two cores: much of
# the suite waits (for a Dagster daemon's tick, a webserver, a browser, PostgreSQL), and a third
# worker fills some of them (fresh clones, 2026-12-04: 460 and 483 s against 487 s with two). --dist
# loadfile keeps each test module on one worker, so its module fixtures (a Postgres-backed
# Dagster stack, a built warehouse) are built once. --no-loadscope-reorder hands the modules out
# in collection order, which tests/conftest.py starts with the longest (LONGEST_FIRST). Session
# homes are shared between the workers (tests/shared_cache.py). The fuzzing suite runs a short
# budget here (docs/testing.md).
TEST_WORKERS ?= 3
test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) data test-artifacts
