PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install clean graphiql-assets swagger-assets bench

$(BIN)/dexgate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/dexgate

app/static/graphiql/manifest.json: app/assets/graphiql.py | $(BIN)/dexgate
	$(BIN)/python -m app.assets.graphiql || echo "warning: GraphiQL assets not built (needs npm); /graphiql will say so"

graphiql-assets: $(BIN)/dexgate
	$(BIN)/python -m app.assets.graphiql

app/static/swagger-ui/manifest.json: app/assets/swagger.py | $(BIN)/dexgate
	$(BIN)/python -m app.assets.swagger || echo "warning: Swagger UI assets not built (needs npm); /dynamic-entity/docs will say so"

swagger-assets: $(BIN)/dexgate
	$(BIN)/python -m app.assets.swagger

install: $(BIN)/dexgate app/static/graphiql/manifest.json app/static/swagger-ui/manifest.json

run: install
	$(BIN)/dexgate migrate
	$(BIN)/dexgate demo --base-url http://$(HOST):$(PORT)
	$(BIN)/dexgate serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install lint
	$(BIN)/pytest

# make bench [BENCH_ARGS='--quick --workers 1,2']: see bench/README.md
bench: install
	$(BIN)/python -c 'import matplotlib, datasette, datasette_graphql' 2>/dev/null || $(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) dexgate.db .pytest_cache .mypy_cache .ruff_cache
