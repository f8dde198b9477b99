# The two commands of the README: `make run` and `make test` (ruff, mypy, then pytest on SQLite and a
# throwaway PostgreSQL). Both install what they need first.
VENV   := .venv
PY     := $(VENV)/bin/python
# `make run` installs what serving needs; everything else (tests, lint, bench) adds the dev extras.
RUNTIME := $(VENV)/.installed-runtime
STAMP  := $(VENV)/.installed-dev
CODE   := app schema resolvers compat_rest
# mypy reads the layers under the one import name they install as (contextgraph.app, …).
TYPED  := build/typecheck

.PHONY: install run test lint bench fuzz soak clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUNTIME)

install: $(STAMP)

run: $(RUNTIME)
	$(VENV)/bin/contextgraph serve

test: lint
	scripts/ensure-deb.sh chromium "the browser tests"
	cd tests/graphql_http && npm install --no-audit --no-fund --silent
	scripts/with-postgres.sh $(PY) -m pytest $(PYTEST_ARGS)

# `make bench BENCH_QUICK=1`: a development run (the tree on a few customers, short runs, small imports).
# The tree's PostgreSQL counts statements with pg_stat_statements; PostGraphile 4 comes from npm.
PG_STATEMENTS := WITH_POSTGRES_SETTINGS="-c shared_preload_libraries=pg_stat_statements"
bench: $(STAMP)
	scripts/ensure-deb.sh wrk "the tree benchmark"
	cd bench/postgraphile && npm install --no-audit --no-fund --silent
	$(PG_STATEMENTS) scripts/with-postgres.sh $(PY) bench/tree.py $(if $(BENCH_QUICK),--quick) $(TREE_ARGS)
	scripts/with-postgres.sh $(PY) bench/import_profiles.py $(if $(BENCH_QUICK),--rows 10000) $(BENCH_ARGS)
	scripts/with-postgres.sh $(PY) bench/subscriptions.py $(if $(BENCH_QUICK),--events 50)

# Schemathesis at length against the REST layer's /openapi.json (operations alone, and in sequences that
# follow its links) and the GraphQL endpoint, and hostile GraphQL (make test runs the same briefly).
FUZZ_TESTS := tests/test_fuzz.py tests/test_fuzz_stateful.py tests/test_hostile_graphql.py tests/test_hostile_values.py
fuzz: $(STAMP)
	CONTEXTGRAPH_FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} scripts/with-postgres.sh $(PY) -m pytest $(FUZZ_TESTS) -q

# A real server on loopback under hostile and normal load at once, SOAK_SECONDS (250) on SQLite, then on a
# throwaway PostgreSQL: fails if memory keeps growing, the readiness probe slows, or anything answers 5xx.
soak: $(STAMP)
	scripts/with-postgres.sh $(PY) -m tests.soak --seconds $${SOAK_SECONDS:-250}

lint: $(STAMP)
	$(VENV)/bin/ruff check $(CODE) tests bench
	$(VENV)/bin/ruff format --check $(CODE) tests bench
	mkdir -p $(TYPED)/contextgraph
	for layer in $(CODE); do ln -sfn ../../../$$layer $(TYPED)/contextgraph/$$layer; done
	MYPYPATH=$(TYPED) $(VENV)/bin/mypy $(addprefix -p contextgraph.,$(CODE))
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(VENV) build .pytest_cache
