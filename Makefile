# LukLuk POS. Two commands matter: `make run` (serve the shop) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app wsgi

.PHONY: run test lint demo bench soak-fiscal soak-ksef translations catalog chromium restic upgrade clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

# Compiled Polish catalogue (the .mo is built, not committed).
lukluk_pos/translations/pl/LC_MESSAGES/messages.mo: lukluk_pos/translations/pl/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -d lukluk_pos/translations

catalog: lukluk_pos/translations/pl/LC_MESSAGES/messages.mo

# Byte-compile the app first (only what changed; pip does the same for the libraries): where
# PYTHONDONTWRITEBYTECODE is set, the server would otherwise compile its 80 modules at every start.
run: $(VENV)/.installed catalog
	$(FLASK) db upgrade
	$(PY) -m compileall -q lukluk_pos config.py
	$(PY) -m lukluk_pos.serve

demo: $(VENV)/.installed catalog
	$(FLASK) db upgrade
	$(FLASK) demo

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium is not installed and cannot be installed here: browser tests will skip"; }

# Debian's restic and rclone (its restic REST server) for the off-machine copies' tests (#29).
restic:
	@{ command -v restic >/dev/null && command -v rclone >/dev/null; } || { [ "$$(id -u)" = 0 ] && \
	  command -v apt-get >/dev/null && (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic rclone >/dev/null \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic rclone >/dev/null)) || \
	  echo "restic/rclone are not installed and cannot be installed here: the off-machine copy tests will skip"; }

# On the shop's PC, from a newer version's folder: the upgrade with its rollback (install.sh explains).
upgrade:
	sudo ./install.sh

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check lukluk_pos tests bench config.py wsgi.py
	$(VENV)/bin/lint-imports

test: $(VENV)/.installed-dev catalog chromium restic lint
	$(PY) -m pytest -q

bench: $(VENV)/.installed-dev catalog chromium restic
	$(PY) -m bench.run
	$(PY) -m bench.slow_printer --out bench-slow-printer.json
	$(PY) -m bench.appliance --out bench-appliance.json

# The fiscal printer's model-based test, long: many more examples and steps than CI runs, on both databases
# and both printers, about one step in four a SIGKILL; figures appended to soak-fiscal.jsonl (see
# docs/performance.md). About an hour at the defaults.
SOAK_EXAMPLES ?= 20
SOAK_STEPS ?= 40
soak-fiscal: $(VENV)/.installed-dev catalog
	LUKLUK_MODEL_EXAMPLES=$(SOAK_EXAMPLES) LUKLUK_MODEL_STEPS=$(SOAK_STEPS) LUKLUK_MODEL_KILL_HEAVY=1 LUKLUK_MODEL_RANDOM=1 \
	  LUKLUK_MODEL_REPORT=soak-fiscal.jsonl \
	  $(PY) -m pytest -q -s -p no:cacheprovider tests/test_fiscal_model.py

# The KSeF queue's model-based test, long (tests/test_ksef_model.py; figures in docs/performance.md).
KSEF_SOAK_EXAMPLES ?= 50
soak-ksef: $(VENV)/.installed-dev catalog
	LUKLUK_KSEF_MODEL_EXAMPLES=$(KSEF_SOAK_EXAMPLES) LUKLUK_KSEF_MODEL_STEPS=$(SOAK_STEPS) LUKLUK_MODEL_RANDOM=1 \
	  LUKLUK_MODEL_REPORT=soak-ksef.jsonl \
	  $(PY) -m pytest -q -s -p no:cacheprovider tests/test_ksef_model.py

# Extract new strings and merge them into the Polish catalogue (then translate the new entries).
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l --no-location -o messages.pot lukluk_pos
	$(VENV)/bin/pybabel update -i messages.pot -d lukluk_pos/translations -l pl --no-fuzzy-matching --width 100
	rm -f messages.pot
	@echo "Now translate the new (empty) entries in lukluk_pos/translations/pl/LC_MESSAGES/messages.po"

clean:
	rm -rf $(VENV) .pytest_cache
