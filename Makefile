# Together: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PACKAGES := libs/events libs/servicekit libs/synthetic services/registration services/matching services/pairing services/scheduling services/notifications
# Connection settings written by deploy/stack.sh (external ones if TOGETHER_EXTERNAL_INFRA is set).
WITH_STACK := set -a; source "$${TOGETHER_STATE_DIR:-.run}/env.sh"; set +a;

.PHONY: demo test chaos stop infra provision services status lint format bench bench-matching lock clean catalogue

## demo: set up, start Kafka, PostgreSQL and the five services, run the demo flow; the stack keeps running
demo: $(STAMP) infra provision
	@$(WITH_STACK) TOGETHER_CLOCK_MODE=travel PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m together_servicekit.launcher start >/dev/null
	@$(WITH_STACK) $(PY) -m deploy.demo

## test: unit, integration (real Kafka and PostgreSQL) and end-to-end tests
test: $(STAMP)
	$(PY) -m pytest

## chaos: the fault-injection suite on a stack of its own (.run/chaos): a synthetic workload while services, Kafka and PostgreSQL are killed, frozen and fed poison, then the checks and each fault's recovery time; SHORT=1 for the short version CI runs
chaos: $(STAMP)
	$(PY) -m tests.chaos $(if $(SHORT),--short,)

## stop: stop the services, Kafka and PostgreSQL started by `make demo` or the tests
stop:
	@if [ -x $(PY) ]; then $(PY) -m together_servicekit.launcher stop; fi
	deploy/stack.sh stop

infra:
	@deploy/stack.sh start >/dev/null

provision: $(STAMP) infra
	@$(WITH_STACK) $(PY) -m together_events.provision

status: $(STAMP)
	@deploy/stack.sh status || true
	@$(PY) -m together_servicekit.launcher status || true

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: the pipeline benchmark (registrations/s into matching, commit-to-consume lag, raw aiokafka rate); N=300 for fewer registrations
bench: $(STAMP) infra provision
	@$(WITH_STACK) $(PY) bench/pipeline.py $(if $(N),--registrations $(N),)

## bench-matching: the matching engine (suggestions, candidate graph, assignment, a 77,000-person cohort) beside OR-Tools, scipy and the `matching` library; QUICK=1 for a tenth of the sizes
# The PyPI `matching` library's top-level name is our service's, so it lives outside the venv's site-packages.
ANCHOR_LIBRARY := $(VENV)/anchors/matching-1.4.3
$(ANCHOR_LIBRARY):
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --target $@ matching==1.4.3

bench-matching: $(STAMP) $(ANCHOR_LIBRARY)
	MATCHING_LIBRARY_PATH=$(CURDIR)/$(ANCHOR_LIBRARY) $(PY) bench/matching/engine.py $(if $(QUICK),--quick,)

# The virtualenv: pinned dependencies, then the project's own packages (editable, no further resolution).
$(STAMP): requirements.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps $(foreach p,$(PACKAGES),-e $(p))
	touch $(STAMP)

## lock: re-pin requirements.txt from requirements.in in a clean virtualenv
lock:
	rm -rf /tmp/together-lock && $(PYTHON) -m venv /tmp/together-lock
	/tmp/together-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Pinned lock of requirements.in (pip freeze in a clean venv, Python 3.11)."; /tmp/together-lock/bin/pip freeze; } > requirements.txt

clean: stop
	rm -rf $(VENV) .run

## catalogue: regenerate the published event catalogue (docs/asyncapi.json, docs/schemas/) from the code
catalogue: $(STAMP)
	$(PY) -m together_events.catalogue write
