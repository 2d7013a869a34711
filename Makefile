# Two entry points on a fresh machine: `make run` (chat app on the default corpus) and `make test`.
# Both create .venv and install qabot with the CPU build of torch pinned (constraints.txt).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install run test lint chromium axe bench

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/qabot serve

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# axe-core (accessibility checks in the browser tests) from the npm registry, into .cache/axe.
AXE := .cache/axe/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE):
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm >/dev/null; }
	mkdir -p .cache/axe
	npm install --prefix .cache/axe --no-audit --no-fund --silent axe-core@4

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests app benchmarks scripts

test: $(STAMP) chromium axe lint
	$(VENV)/bin/pytest

# e.g. make bench BENCH="--only http,replicas --baseline 9a24ea7"
bench: $(STAMP)
	$(PY) -m benchmarks $(BENCH)
