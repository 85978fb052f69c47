# The two commands of the README: `make demo` (the main job) and `make test` (everything CI runs).
SHELL := /bin/bash
export SWIFT_DETERMINISTIC_HASHING := 1
PYTHON := /usr/bin/python3
SWIFT_FLAGS := $(if $(CI),-Xswiftc -warnings-as-errors,)

.PHONY: setup build demo test test-swift test-legacy lint format

setup:
	@bash scripts/setup.sh

build: setup
	swift build $(SWIFT_FLAGS)

## The main job: render the sample event with the embedded legacy service through the harness.
demo: build
	swift run invoice-shadow render legacy/samples/de-eats.json

lint:
	swift format lint --strict --recursive Package.swift Sources Tests

test-legacy:
	cd legacy && $(PYTHON) -m pytest -q tests

test-swift:
	swift test $(SWIFT_FLAGS)

## Everything: lint, the Swift tests and the legacy pytest suite. Fails if any part fails.
test: setup
	@status=0; \
	$(MAKE) --no-print-directory lint || status=1; \
	$(MAKE) --no-print-directory test-swift || status=1; \
	$(MAKE) --no-print-directory test-legacy || status=1; \
	exit $$status

## Rewrites the Swift sources in the project's style (.swift-format).
format:
	swift format format -i -r Package.swift Sources Tests
