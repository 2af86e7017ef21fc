# Together: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Prometheus' promtool, for the alerting rules' tests (`make promtool`); tests/prometheus names the same version.
PROMTOOL_VERSION := v0.316.0
PROMTOOL := $(HOME)/.cache/together-promtool/$(PROMTOOL_VERSION)/promtool
PACKAGES := libs/events libs/contracts libs/operator libs/servicekit libs/devtools libs/synthetic services/registration services/matching services/pairing services/scheduling services/notifications
# Connection settings written by deploy/stack.sh (external ones if TOGETHER_EXTERNAL_INFRA is set).
WITH_STACK := set -a; source "$${TOGETHER_STATE_DIR:-.run}/env.sh"; set +a;

.PHONY: demo test chaos stop infra provision services status lint format bench bench-matching bench-scaling lock clean catalogue promtool

## demo: set up, start Kafka, PostgreSQL and the five services, run the demo flow; the stack keeps running
demo: $(STAMP) infra provision
	@$(WITH_STACK) TOGETHER_CLOCK_MODE=travel REGISTRATION_COHORT_CLOSE_POLL_SECONDS=2 PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m together_devtools.launcher start >/dev/null
	@$(WITH_STACK) $(PY) -m deploy.demo

## test: unit, integration (real Kafka and PostgreSQL) and end-to-end tests
test: $(STAMP) $(PROMTOOL)
	PROMTOOL=$(PROMTOOL) $(PY) -m pytest

## promtool: Prometheus' rule checker for deploy/prometheus (tests/prometheus runs it), built once with Go into ~/.cache
$(PROMTOOL):
	GOBIN=$(dir $(PROMTOOL)) go install github.com/prometheus/prometheus/cmd/promtool@$(PROMTOOL_VERSION)

promtool: $(PROMTOOL)

## chaos: the fault-injection suite on a stack of its own (.run/chaos): a synthetic workload while services, Kafka and PostgreSQL are killed, frozen and fed poison, then the checks and each fault's recovery time; SHORT=1 for the short version CI runs
chaos: $(STAMP)
	$(PY) -m tests.chaos $(if $(SHORT),--short,)

## stop: stop the services, Kafka and PostgreSQL started by `make demo` or the tests
stop:
	@if [ -x $(PY) ]; then $(PY) -m together_devtools.launcher stop; fi
	deploy/stack.sh stop

infra:
	@deploy/stack.sh start >/dev/null

provision: $(STAMP) infra
	@$(WITH_STACK) $(PY) -m together_operator.provision --subscriber subscriber

status: $(STAMP)
	@deploy/stack.sh status || true
	@$(PY) -m together_devtools.launcher status || true

## lint: ruff (check, format), mypy (strict for the libraries and domain code), the import contracts (pyproject.toml) and deptry (each package's declared dependencies against its imports)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	for package in $(PACKAGES); do (cd $$package && $(CURDIR)/$(VENV)/bin/deptry .); done
	PYTHONWARNINGS="ignore:Unused option -c" $(VENV)/bin/deptry .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: the pipeline benchmark (registrations/s into matching from each address verification, commit-to-consume lag, raw aiokafka rate); N=300 for fewer registrations; RATE=50 (DURATION=20) for an open loop at 50 per second
bench: $(STAMP) infra provision
	@$(WITH_STACK) $(PY) bench/pipeline.py $(if $(N),--registrations $(N),) $(if $(RATE),--rate $(RATE),) $(if $(DURATION),--duration $(DURATION),)

## bench-scaling: 1, 2, 3 and 4 replicas of matching and of notifications on a backlog: partitions per replica, events/s, each event handled once; EVENTS=500 for a quicker run
bench-scaling: $(STAMP) infra provision
	@$(WITH_STACK) $(PY) bench/scaling.py $(if $(EVENTS),--events $(EVENTS),)

## bench-matching: the matching engine (suggestions, candidate graph, assignment, a 77,000-person cohort) beside OR-Tools, scipy and the `matching` library; QUICK=1 for a tenth of the sizes
# The PyPI `matching` library's top-level name is our service's, so it lives outside the venv's site-packages.
ANCHOR_LIBRARY := $(VENV)/anchors/matching-1.4.3
$(ANCHOR_LIBRARY):
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --target $@ matching==1.4.3

bench-matching: $(STAMP) $(ANCHOR_LIBRARY)
	MATCHING_LIBRARY_PATH=$(CURDIR)/$(ANCHOR_LIBRARY) $(PY) bench/matching/engine.py $(if $(QUICK),--quick,)

# The virtualenv: the development lock (hashes checked), then the project's own packages (editable, no further
# resolution; setuptools' warning that a same-named folder in the working directory could shadow one is silenced: none can).
$(STAMP): requirements-dev.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	PYTHONWARNINGS="ignore:Editable installation" $(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps $(foreach p,$(PACKAGES),-e $(p))
	touch $(STAMP)

## lock: the runtime lock (requirements.txt, for the image) from requirements.in and the development lock (requirements-dev.txt, for .venv) from requirements-dev.in, with hashes; pins already there are kept unless UPGRADE=1
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-find-links $(if $(UPGRADE),--upgrade,)
lock: $(STAMP)
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# A cluster deploy/postgres.sh had to keep outside .run (it names it in postgres.location) goes too.
clean: stop
	for location in .run/postgres.location .run/chaos/postgres.location; do \
		if [ -f $$location ]; then rm -rf "$$(cat $$location)"; fi; \
	done
	rm -rf $(VENV) .run

## catalogue: regenerate the published event catalogue (docs/asyncapi.json, docs/schemas/) from the code
catalogue: $(STAMP)
	$(PY) -m together_operator.catalogue write
