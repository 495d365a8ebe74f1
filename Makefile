# HubNet: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test fuzz lint format install clean bench bench-scale bench-pg bench-access-log backup restore

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "HubNet needs Python 3.11 or newer (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	@touch $@

# Development server on an embedded SQLite database, Celery tasks in-process.
run: export DEBUG = 1
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_wisconsin
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py rollup --last 9
	@# No beat here: alert the demo's due and overdue steps once (the emails go to the console).
	$(BIN)/python manage.py deadline_alerts >/dev/null
	@echo "HubNet is at http://$(HOST):$(PORT)/ (development mode). Ctrl-C stops it."
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite. On SQLite by default; on PostgreSQL + Redis when DATABASE_URL
# and CELERY_BROKER_URL are set (.ci/run does both).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The API fuzzed from /api/schema/ (schemathesis, tests/api_fuzz) as every persona, an
# outsider and nobody: no 5xx, answers as the schema says, no case id outside the caller's
# scope. Not part of `make test`. Always a throw-away SQLite database in memory (never
# DATABASE_URL): it seeds demo cases. HUBNET_FUZZ_EXAMPLES (default 6) examples per
# operation, valid and invalid; HUBNET_FUZZ_SEED for another draw.
fuzz: $(STAMP)
	env -u DATABASE_URL -u SQLITE_PATH -u CELERY_BROKER_URL \
	  $(BIN)/python -m pytest -m fuzz tests/api_fuzz $(PYTEST_ARGS)

# Figures, not pass/fail: a throw-away SQLite database (never DATABASE_URL) with
# BENCH_CASES cases (360 demo cases built through the services, the rest synthetic
# copies of them: seed_bulk), then rollup wall time, response times and query counts.
# `make bench-scale` shows how the rollup grows with cases (BENCH_SCALE).
ifdef DATABASE_URL
BENCH_CASES ?= 100000
else
BENCH_CASES ?= 1000
endif
BENCH_SCALE ?= 10000,30000,100000
DEMO_CASES := 360
define bench_db
	db=$$(mktemp -d)/bench.sqlite3; \
	unset DATABASE_URL; export SQLITE_PATH=$$db; \
	$(BIN)/python manage.py migrate --noinput -v0 && \
	$(BIN)/python manage.py load_wisconsin >/dev/null && \
	HUBNET_DEMO_PASSWORD=bench-only-password $(BIN)/python manage.py seed_demo --cases $(DEMO_CASES) > $$db.log && \
	tail -n 1 $$db.log
endef
bench: export DEBUG = 1
ifdef DATABASE_URL
bench: bench-pg
else
bench: $(STAMP)
	@$(bench_db) && \
	if [ $(BENCH_CASES) -gt $(DEMO_CASES) ]; then \
	  $(BIN)/python manage.py seed_bulk --cases $$(( $(BENCH_CASES) - $(DEMO_CASES) )) | tail -n 1; fi && \
	$(BIN)/python manage.py bench
endif

# The PostgreSQL benchmark (hubnet/benchmark): DATABASE_URL names a throw-away database,
# grown to BENCH_CASES cases (seed_demo, then seed_synthetic) and served by gunicorn
# (2 workers) under a bounded load from locust; results in hubnet/benchmark/results/.
BENCH_SECONDS ?= 60
BENCH_USERS ?= 2
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev,bench]'
	@touch $@

bench-pg: export DEBUG = 1
bench-pg: $(BENCH_STAMP)
	@test -n "$(DATABASE_URL)" || { echo "make bench-pg needs DATABASE_URL: a throw-away PostgreSQL database."; exit 1; }
	$(BIN)/python manage.py migrate --noinput -v0
	HUBNET_DEMO_PASSWORD=bench-only-password $(BIN)/python manage.py bench_pg \
	  --cases $(BENCH_CASES) --seconds $(BENCH_SECONDS) --users $(BENCH_USERS)

# Does the access log need partitioning? Grows it to ACCESS_ROWS rows over the cases of
# the bench-pg database and times the "who looked at this record" page (results in
# hubnet/benchmark/results/access_log.md).
ACCESS_ROWS ?= 100000000
bench-access-log: export DEBUG = 1
bench-access-log: $(BENCH_STAMP)
	@test -n "$(DATABASE_URL)" || { echo "make bench-access-log needs DATABASE_URL: the bench-pg database."; exit 1; }
	HUBNET_DEMO_PASSWORD=bench-only-password $(BIN)/python manage.py bench_access_log --rows $(ACCESS_ROWS)

bench-scale: export DEBUG = 1
bench-scale: $(STAMP)
	@$(bench_db) && \
	$(BIN)/python manage.py bench --scale $(BENCH_SCALE)

# Backups of the PostgreSQL database DATABASE_URL names (pg_dump custom format). Restore
# only into a freshly created, empty database: `createdb hubnet_restored`, point
# DATABASE_URL at it, `make restore BACKUP_FILE=...`. Both print the database's
# fingerprint (row counts, access-log checksum) to compare.
backup: $(STAMP)
	@test -n "$(DATABASE_URL)" || { echo "make backup needs DATABASE_URL (PostgreSQL)."; exit 1; }
	$(BIN)/python manage.py backup $(if $(BACKUP_FILE),--file $(BACKUP_FILE))

restore: $(STAMP)
	@test -n "$(DATABASE_URL)" || { echo "make restore needs DATABASE_URL (an empty PostgreSQL database)."; exit 1; }
	@test -n "$(BACKUP_FILE)" || { echo "make restore needs BACKUP_FILE=the .dump file."; exit 1; }
	$(BIN)/python manage.py restore --file $(BACKUP_FILE)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles *.egg-info .pytest_cache tests/e2e/screenshots
