# `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup lint typecheck pytest clean messages bench FORCE

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
	mkdir -p var/staticfiles
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0
	$(PY) manage.py migrate --no-input -v 0

run: setup
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# axe-core for the accessibility walk (tests/browser/test_accessibility.py), from npm at the locked version:
# installed again when the lock changes or node_modules lost it. Without npm the walk skips, except under CI=true.
node_modules/.installed: package.json package-lock.json $(if $(wildcard node_modules/axe-core/axe.min.js),,FORCE)
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch $@; \
	elif [ "$${CI:-}" = "true" ]; then echo "CI=true needs npm (apt-get install npm)" >&2; exit 1; \
	else echo "npm is not installed: the accessibility walk will be skipped"; fi

FORCE:

test: setup lint typecheck node_modules/.installed
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	bash scripts/test-all

# The province-scale benchmark (docs/benchmarks.md): seeds ORGS organizations into the PostgreSQL
# database pb_bench (and a tenth into pb_bench_small), serves them with gunicorn under production
# settings and writes bench/results.json and bench/results.md. Needs PostgreSQL and Redis on
# 127.0.0.1 (checked first); BENCH_ARGS passes more options (python -m bench.run --help).
ORGS ?= 100000
BENCH_ARGS ?=
bench: setup
	$(PY) -m bench.run --orgs $(ORGS) $(BENCH_ARGS)

# Refreshes the English catalog after strings change; then fill in the new msgstr lines.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=var --no-location --no-obsolete

clean:
	rm -rf $(VENV) var
