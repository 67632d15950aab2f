# Thin wrappers around dev.py, which needs nothing but Python 3.9+ (see README.md).
#   make test ARGS="-k tutorial"     extra pytest arguments
#   make bench ARGS="--scale small"  extra bench/run.py arguments
#   make soak                        the long fault-injection tier (tests/faults, -m soak)
#   make conformance                 the CWL conformance suites (toil-cwl-runner vs cwltool, v1.0-v1.2)
#   make conformance ARGS="--versions v1.2 --containers no"   (see python -m toil_cwl.conformance --help)
#                                    (resumable: outcomes kept in .conformance/cwl-results.jsonl; ARGS=--report prints them)
#   make conformance-wdl             the WDL conformance suites (toil-wdl-runner and miniwdl, WDL draft-2 to development and the WDL 1.1.1 spec tests, tasks in podman)
PYTHON ?= python3
ARGS ?=

.PHONY: setup demo test bench lint soak conformance conformance-wdl

setup:
	$(PYTHON) dev.py setup

demo:
	$(PYTHON) dev.py demo

test:
	$(PYTHON) dev.py test -- $(ARGS)

soak:
	$(PYTHON) dev.py test -- -m soak tests/faults $(ARGS)

bench:
	$(PYTHON) dev.py bench -- $(ARGS)

conformance:
	$(PYTHON) dev.py conformance -- $(ARGS)

conformance-wdl:
	$(PYTHON) dev.py setup && nice .venv/bin/python -m toil_wdl.conformance --runners toil-wdl-runner,miniwdl --threads 2 $(ARGS)

lint:
	$(PYTHON) dev.py lint
