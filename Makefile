# One command to set up and serve the demo, one to set up and run every test.
#   make run    venv + install + migrate + demo data, then serve http://127.0.0.1:5000
#   make serve  production: gunicorn with gunicorn.conf.py (README "Running in production")
#   make test   venv + install + the whole suite (SQLite, PostgreSQL, Chromium)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
PORT   ?= 5000
WORKERS ?= 2

.PHONY: install run serve test test-fast bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo
	@echo "积分超市 is serving at http://127.0.0.1:$(PORT)  (Ctrl-C stops it)"
	JIFEN_SECURE_COOKIES=0 $(BIN)/gunicorn --workers 1 --threads 8 --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

serve: install
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: install
	$(BIN)/pytest -n $(WORKERS)

test-fast: install
	$(BIN)/pytest -n $(WORKERS) -m "not browser and not slow"

bench: install
	$(BIN)/python bench/ledger.py --quick

clean:
	rm -rf $(VENV) instance tests/artifacts
