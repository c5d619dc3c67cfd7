# The few verbs people need. Everything installs itself on a fresh machine.
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
PYTHON ?= python3.11
UV := $(PYTHON) -m uv  # as a module: works wherever pip put it, on PATH or not
VENDOR := src/shoptide/web/static/vendor
TRANSLATIONS := src/shoptide/translations

.PHONY: uv install translations messages demo serve test test-sqlite test-postgres test-e2e demo-postgres lint check-migrations bench clean

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)" \
		|| $(PYTHON) -m pip install --quiet --user "uv==$(UV_VERSION)"

install: uv
	$(UV) sync --frozen --python $(PYTHON)
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR) && cp node_modules/htmx.org/dist/htmx.min.js node_modules/hls.js/dist/hls.min.js $(VENDOR)/
	$(MAKE) --no-print-directory translations

translations:  ## compile the .po catalogs to .mo files (fuzzy entries left out: no -f)
	.venv/bin/pybabel compile --domain messages --directory $(TRANSLATIONS) --statistics

messages: install  ## extract marked strings to messages.pot and merge them into every .po
	.venv/bin/pybabel extract --mapping-file babel.cfg --output-file $(TRANSLATIONS)/messages.pot \
		--project Shoptide --copyright-holder "Shoptide contributors" --add-comments Translators: \
		--sort-by-file --width 100 .
	.venv/bin/pybabel update --input-file $(TRANSLATIONS)/messages.pot --output-dir $(TRANSLATIONS) \
		--domain messages --width 100 --previous

demo: install  ## create the SQLite databases, load demo data, serve on :8000
	.venv/bin/shoptide demo

serve: install
	.venv/bin/shoptide serve

lint: install
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy src
	.venv/bin/lint-imports --no-cache

check-migrations: install
	.venv/bin/shoptide db check

test-sqlite: install
	SHOPTIDE_TEST_DB=sqlite .venv/bin/pytest -m "not e2e"

test-postgres: install
	SHOPTIDE_TEST_DB=postgres .venv/bin/pytest -m "not e2e"

test-e2e: install
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)
	SHOPTIDE_TEST_DB=sqlite .venv/bin/pytest -m e2e
	SHOPTIDE_TEST_DB=postgres .venv/bin/pytest -m e2e

demo-postgres: install  ## `shoptide demo` once on fresh PostgreSQL databases: load, serve, stop
	.venv/bin/python .ci/demo_on_postgres.py

test: lint check-migrations test-sqlite test-postgres test-e2e demo-postgres  ## the whole suite

bench: install
	.venv/bin/python bench/flash_sale.py

clean:
	rm -rf var .venv node_modules $(VENDOR)
	find $(TRANSLATIONS) -name '*.mo' -delete
