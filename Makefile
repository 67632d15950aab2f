# Thin wrappers around dev.py, which needs nothing but Python 3.9+ (see README.md).
#   make test ARGS="-k tutorial"     extra pytest arguments
#   make bench ARGS="--scale small"  extra bench/run.py arguments
#   make soak                        the long fault-injection tier (tests/faults, -m soak)
PYTHON ?= python3
ARGS ?=

.PHONY: setup demo test bench lint soak

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

lint:
	$(PYTHON) dev.py lint
