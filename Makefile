# traam-bot: everyday commands. `make run` for a local bot, `make demo` for a scripted tour.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv run demo test lint mutation bench lock clean

venv: $(STAMP)

# (Re)install when pyproject.toml changes; the stamp records the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: venv
	$(BIN)/python -m traam_bot.devtools.localrun

demo: venv
	$(BIN)/traam-bot demo

# Four workers, a test file each at a time (module fixtures: one Synapse per file).
test: venv
	$(BIN)/python -m pytest -q -n 4 --dist loadfile

# ruff, mypy, then the layer rules ([tool.importlinter] in pyproject.toml).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy traam_bot
	$(BIN)/lint-imports --no-logo

# Mutation testing of domain/, services/, commands/ against tests/unit (not in CI: hours).
# `make mutation MUTANTS='traam_bot.domain.text.*'` runs a subset and lists its mutants;
# the full run ends with the surviving ones. docs/mutation.md.
MUTANTS ?=
# Property tests keep a few examples each (TRAAM_PROPERTY_SCALE): mutmut runs them per mutant.
mutation: venv
	TRAAM_PROPERTY_SCALE=0.05 $(BIN)/mutmut run $(if $(MUTANTS),"$(MUTANTS)")
	$(if $(MUTANTS),,$(BIN)/mutmut results)

bench: venv
	$(BIN)/python -m bench

# deploy/requirements.lock: the runtime dependencies of the image and of a plain install
# (Dockerfile, deploy/check-image-steps.sh, README « Déploiement »), pinned with their hashes
# for Python 3.11 on Linux x86_64. pip-tools runs in a throwaway venv, never in .venv; the
# local pip configuration's extra indexes and find-links stay out of the file. Pins already
# in the file are kept: `make lock LOCK_ARGS=--upgrade` moves them all to the newest allowed.
LOCK_PYTHON ?= python3.11
LOCK_ARGS ?=
lock:
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(LOCK_PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install --quiet pip-tools && \
	CUSTOM_COMPILE_COMMAND='make lock' "$$tmp/venv/bin/pip-compile" --quiet $(LOCK_ARGS) \
	  --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	  --output-file deploy/requirements.lock pyproject.toml

# Caches and build outputs; the venv and .local/ (local accounts and rooms) are kept.
clean:
	rm -rf .pytest_cache .ruff_cache .mypy_cache .import_linter_cache build dist *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
