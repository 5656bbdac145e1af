# Two entry points for a fresh machine (Python 3.11, Java 17, Maven):
#   make demo   install, start the stack on an embedded Kafka, stream a real scenario
#   make test   install, run unit + integration tests (they start their own Kafka)
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test unit integration lint install clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/hubplan demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

lint: $(STAMP)
	$(BIN)/ruff check schemas services tests benchmarks
	$(BIN)/mypy schemas services/planner services/scheduler/waitlist.py services/scheduler/solver_pool.py services/scheduler/kafka_transport.py services/gateway/plan_view.py services/gateway/plan_history.py services/gateway/logistics_routes.py services/logistics services/cli/reasons.py

clean:
	rm -rf $(VENV) .hubplan deploy/kafka/lib
