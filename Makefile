# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint bench dispatcher clean

# Installs again only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	@echo ""
	@echo "  Studio is starting at http://$(HOST):$(PORT)/"
	@echo "  First visit: the page offers to create the owner account."
	@echo "  (Or: $(BIN)/python manage.py createsuperuser)"
	@echo "  Stop with Ctrl-C."
	@echo ""
	SIMULATOR_URL=http://$(HOST):$(PORT)/simulator \
	  $(BIN)/uvicorn studio.asgi:application --host $(HOST) --port $(PORT) --lifespan on --no-access-log \
	  --ws-per-message-deflate false

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n logical --dist loadgroup -p no:cacheprovider

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
