# kfqa: `make run` sets up and starts the chat UI on the bundled corpus; `make test` sets up and runs the tests.
VENV   ?= .venv
PY     := $(VENV)/bin/python
KFQA   := $(VENV)/bin/kfqa
PYTHON ?= python3

.PHONY: setup setup-dev run ask test test-unit bench lint vectors clean

setup: $(VENV)/.kfqa-installed

# Re-installs only when pyproject.toml changes; torch is pinned to the local CPU build first,
# so nothing else can pull the CUDA wheels.
$(VENV)/.kfqa-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e .
	touch $@

setup-dev: $(VENV)/.kfqa-dev-installed

$(VENV)/.kfqa-dev-installed: $(VENV)/.kfqa-installed
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Ingest is incremental: a no-change re-ingest takes seconds, so the store is never stale.
run: setup
	$(KFQA) ingest
	$(KFQA) ui

ask: setup
	$(KFQA) ingest
	$(KFQA) ask "If an attacker owns one Kubeflow controller, what's the blast radius?"

# Two layers: the unit layer (no model, no store, no browser; about a minute) first, so a broken
# rule fails fast; then the corpus layer (real model, stores, CLI processes, browser).
test: setup-dev
	bash tests/ensure_chromium.sh
	$(PY) -m pytest -m "not corpus"
	$(PY) -m pytest -m corpus

test-unit: setup-dev
	$(PY) -m pytest -m "not corpus"

bench: setup
	$(PY) bench/run.py

# import-linter reads the installed layout (qa/ is kfqa.qa only once installed), so it checks a
# throwaway non-editable install of the working tree.
lint: setup-dev
	$(VENV)/bin/ruff check .
	rm -rf .lint-install && $(PY) -m pip install -q --no-deps --no-build-isolation --target .lint-install . 2>/dev/null
	cd .lint-install && PYTHONPATH=. ../$(VENV)/bin/lint-imports ../pyproject.toml; status=$$?; cd .. && rm -rf .lint-install; exit $$status

# The bundled corpus's shipped vectors (ingest/data/bundled-vectors.npz): regenerate after the corpus
# or the chunker changes (a test fails until then). An fp32 ingest into .vectors-store (incremental),
# with no shipped vectors, then its vectors written out as float16.
vectors: setup
	KFQA_EMBED_PRECISION=fp32 KFQA_SHIPPED_VECTORS=none $(KFQA) ingest --store .vectors-store --json > /dev/null
	$(PY) -m kfqa.ingest.shipped .vectors-store

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts eval-out .vectors-store
