# The two commands a new user needs: `make demo` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install translations messages demo test lint bench browser soak clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The message catalogs (portal/translations/<lang>/LC_MESSAGES/messages.po), compiled to .mo.
translations: install
	$(BIN)/pybabel -q compile -d portal/translations

# Refresh the template of the catalogs and merge it into each language (run after changing texts).
messages: install
	$(BIN)/pybabel -q extract -F portal/translations/babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot .
	$(BIN)/pybabel -q update -N -i portal/translations/messages.pot -d portal/translations

# The README's screenshots (docs/screenshots/): the demo in a live server, fi and sv, desktop and 360 px.
screenshots: install translations browser
	$(BIN)/python docs/screenshots.py

# Debian's chromium drives the browser tests (Playwright uses it through executable_path).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium' (the browser tests need it)"; exit 2; fi; }

# With Redis configured (PORTAL_JOBS_REDIS_URL or PORTAL_REDIS_URL) a `portal worker` runs the job
# queue beside the server; without, the server's own background thread runs it.
demo: translations
	@if [ -n "$$PORTAL_JOBS_REDIS_URL$$PORTAL_REDIS_URL" ]; then \
	  echo "starting 'portal worker' for the job queue on Redis"; \
	  PORTAL_ENV=development $(BIN)/portal worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  PORTAL_ENV=development PORTAL_DEV_IDP=1 $(BIN)/portal demo; \
	else \
	  PORTAL_ENV=development PORTAL_DEV_IDP=1 $(BIN)/portal demo; \
	fi

# The static checks: the core strictly typed, the portal typed, both ruff-clean (rules in pyproject.toml).
lint: install
	$(BIN)/mypy --strict ledger
	$(BIN)/mypy portal
	$(BIN)/ruff check .

test: lint browser translations
	$(BIN)/python -m pytest -n auto

# The oracle's long run: many more random histories through the core and the change service.
soak: install
	ORACLE_EXAMPLES=$${ORACLE_EXAMPLES:-5000} ORACLE_PORTAL_EXAMPLES=$${ORACLE_PORTAL_EXAMPLES:-500} \
	  $(BIN)/python -m pytest -n auto -p no:cacheprovider tests/ledger/test_against_oracle.py tests/portal/projects/test_money.py

bench: install
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/bench_imports.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
