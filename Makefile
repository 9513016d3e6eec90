# splitviz: `make demo` and `make test` do everything on a fresh Debian machine (as root).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0
APT_PACKAGES := graphviz chromium

.PHONY: setup system-deps demo test lint fuzz bench gpu-check notebooks-html clean

setup: system-deps $(STAMP)

# graphviz (the dot binary) and chromium (browser tests), with apt when missing.
system-deps:
	@missing=""; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "warning: missing$$missing and apt-get is not usable; install them by hand (tests that need them skip)"; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/splitviz demo

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check splitviz tests benchmarks

fuzz: setup
	SPLITVIZ_FUZZ_EXAMPLES=500 $(PY) -m pytest -q tests/test_properties.py

bench: setup
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/render.py
	$(PY) benchmarks/widget.py
	$(PY) benchmarks/report.py

# Run once on a machine with a CUDA GPU.
gpu-check: setup
	$(VENV)/bin/splitviz check splitviz.demo:make --device cuda --compile --verify

# Executed notebooks as offline HTML: a template without CDN scripts, widgets as their static SVG.
notebooks-html: setup
	$(VENV)/bin/jupyter nbconvert --to html --execute \
	  --TemplateExporter.extra_template_basedirs=notebooks/nbconvert --template offline \
	  --ExecutePreprocessor.store_widget_state=False \
	  --NbConvertBase.display_data_priority="['image/svg+xml','text/html','text/markdown','image/png','image/jpeg','text/plain']" \
	  --output-dir build/notebooks notebooks/*.ipynb
	@echo "notebooks rendered to build/notebooks/"

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
