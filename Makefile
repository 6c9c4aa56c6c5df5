# Two commands on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
# Pins torch to the CPU wheel that pip's local wheel folder holds on the project's machines.
CONSTRAINTS := -c constraints.txt

# Point the loader at the shared canonical MNIST files when they sit beside the clone;
# a user's clone without them falls back to the cache, a download, then the bundled sample.
SHARED_MNIST := $(abspath ../shared/data/mnist)
ifneq ($(wildcard $(SHARED_MNIST)/train-images-idx3-ubyte.gz),)
export NOTAVERAGE_DATA ?= $(SHARED_MNIST)
endif

.PHONY: demo test install install-dev browser bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

install: $(PY)
	$(PIP) install $(CONSTRAINTS) -e ".[web,tabular]"

install-dev: $(PY)
	$(PIP) install $(CONSTRAINTS) -e ".[web,tabular,ray,dev]"

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: run 'sudo apt-get install -y chromium' (browser tests will be skipped)"; fi; }

demo: install
	$(VENV)/bin/notaverage tour

# Two pytest-xdist workers on 2 cores (at most 4 on larger machines), each test file on one worker;
# the small models and the shared report are made once per run (tests/conftest.py).
test: install-dev browser
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n auto --maxprocesses 4 --dist loadfile

bench: install
	$(PY) benchmarks/tour_speed.py

clean:
	rm -rf $(VENV) notaverage-out test-artifacts
