# ReviewGuard entry points. `make run` and `make test` are the two a newcomer needs.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROTOS := $(shell find protos -name '*.proto')
GEN := libs/gen

.PHONY: venv proto proto-check deploy-check run test test-unit bench clean system-deps

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Generated code is committed so the services import it without a build step;
# `make test` fails when it no longer matches protos/.
proto: $(STAMP)
	$(PY) -m libs.protogen protos $(GEN)

proto-check: $(STAMP)
	$(PY) -m libs.protogen protos $(GEN) --check

# Renders every deploy/k8s/overlays/* with deploy/render.py and validates each object: built-in
# kinds against the Kubernetes schemas of the pinned kubernetes-validate, custom resources
# (CloudNativePG, KEDA, Prometheus Operator) against the CRD schemas in deploy/schemas/.
deploy-check: $(STAMP)
	$(PY) deploy/check.py

run: $(STAMP)
	$(VENV)/bin/reviewguard run

# Debian packages the tests need beyond Python: a CJK font for PDF reports and Chromium for the
# console's browser tests. Installed only where missing (CI and a fresh machine run as root).
SYSTEM_PACKAGES := fonts-wqy-microhei chromium
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

test: $(STAMP) proto-check deploy-check system-deps
	XDG_RUNTIME_DIR=$${XDG_RUNTIME_DIR:-/tmp} $(PY) -m pytest -q -p no:cacheprovider

# Each writes its figures to bench/results/<name>.json, beside a named baseline from the same run.
bench: $(STAMP)
	$(PY) -m bench.pipeline
	$(PY) -m bench.alerting
	$(PY) -m bench.nlp_stars
	$(PY) -m bench.nlp_analysis
	$(PY) -m bench.nlp_parts
	$(PY) -m bench.nlp_duplicates
	$(PY) -m bench.ingest_import
	$(PY) -m bench.reporting
	REVIEWGUARD_BENCH_REPORT_REVIEWS=1000000 REVIEWGUARD_BENCH_REPORT_RESULTS=bench/results/reporting_1m.json $(PY) -m bench.reporting
	$(PY) -m bench.capacity
	$(PY) -m bench.console_pages
	$(PY) -m bench.gateway_people

clean:
	rm -rf $(VENV) .data
