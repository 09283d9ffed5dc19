# Every target that needs Python creates .venv first (from the committed lock) when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# .env (see .env.example) may name the data folder; what the shell exports wins, as for every other setting,
# which the Python entry points read from .env themselves (orchestration/preflight.py)
ENV_FILE_DATA_DIR := $(shell test -f .env && sed -n 's/^[[:space:]]*TIKTOK_DATA_DIR=//p' .env | tail -1)
export TIKTOK_DATA_DIR ?= $(abspath $(or $(ENV_FILE_DATA_DIR),$(CURDIR)/data))
export DAGSTER_HOME ?= $(TIKTOK_DATA_DIR)/dagster
# dagster dev's dbt preparation and the code server call `dbt` by name: the venv's must come first
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: venv manifest demo test ui lint format lock bench clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock -e . \
		|| $(BIN)/python -m pip install --quiet -r requirements.lock -e .
	touch $(STAMP)

venv: $(STAMP)

# The dbt manifest the Dagster definitions load (`dagster dev` prepares it by itself). The same --target as the
# dbt resource passes, so that every dbt run re-parses only what changed (partial parsing). Parsed in a folder of its
# own and moved in whole: a Dagster process starting meanwhile (a running `make ui`, the other test worker) never
# reads a half-written manifest. DBT_TARGET_PATH, if set, names another target folder.
manifest: venv
	cd dbt_project && target=$${DBT_TARGET_PATH:-target} && mkdir -p $$target \
		&& parse=$$(mktemp -d $$target/.parse-XXXXXX) && trap 'rm -rf '$$parse EXIT \
		&& { cp $$target/partial_parse.msgpack $$parse/ 2>/dev/null || true; } \
		&& ../$(BIN)/dbt parse --profiles-dir . --target $${TIKTOK_WAREHOUSE:-duckdb} --target-path $$parse --quiet \
		&& mv $$parse/manifest.json $$parse/partial_parse.msgpack $$parse/semantic_manifest.json $$target/

# A second `make demo` reuses the days it landed and built; `make demo FRESH=1` starts over.
demo: manifest
	$(BIN)/python -m orchestration.demo $(if $(FRESH),--fresh) $(DEMO_ARGS)

# Two workers, a module to each (tests/conftest.py); `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= 2
test: manifest
	$(BIN)/python -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)

ui: venv
	$(BIN)/python -m orchestration.preflight
	mkdir -p $(DAGSTER_HOME)
	test -f $(DAGSTER_HOME)/dagster.yaml || cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The benchmark (docs/benchmarks.md): `make bench SCALE=0.2` for a quick run; SCALE multiplies W's 20 accounts.
# `make bench SPARK=1` measures only W's build on Spark (local and a two-worker cluster) against DuckDB's.
# It writes under $(TIKTOK_DATA_DIR)/bench only (emptied first), never into the warehouse the demo builds.
SCALE ?= 1
bench: manifest
	$(BIN)/python -m benchmarks --scale $(SCALE) $(if $(SPARK),--spark)

# Re-resolve the pinned environment after changing pyproject.toml.
lock: venv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --quiet -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache dbt_project/target dbt_project/logs
