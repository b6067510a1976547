# Two commands a learner needs: `make lab` (open the course) and `make test` (run every check).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready

.PHONY: lab test lint notebooks browser-test bench binder-check clean

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	mkdir -p $(VENV)/share/jupyter/lab/settings  # as binder/postBuild: no news pop-up
	cp binder/overrides.json $(VENV)/share/jupyter/lab/settings/
	touch $(READY)

lab: $(READY)   ## create the environment and open lesson 00 in JupyterLab
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb $(if $(filter 0,$(shell id -u)),--allow-root,)

test: $(READY) lint   ## create the environment and run the whole test suite
	$(BIN)/pytest

lint: $(READY)   ## ruff, and the import contracts of pyproject.toml (the layers)
	$(BIN)/ruff check wdfkit tests
	$(BIN)/ruff format --check wdfkit tests
	$(BIN)/lint-imports

notebooks: $(READY)   ## re-execute every notebook and store its outputs (deterministic)
	$(BIN)/python tests/execute_notebooks.py notebooks/*.ipynb

browser-test: $(READY)   ## open every lesson in JupyterLab in headless Chromium
	$(BIN)/pytest tests/browser -o addopts="-p no:cacheprovider" -v

bench: $(READY)   ## speed and memory guards: ratios to floors measured in the same run, PASS/FAIL
	$(BIN)/python tests/benchmark.py

binder-check:   ## a fresh venv from exactly binder/requirements.txt + postBuild's install, then nbval
	rm -rf .binder-venv
	$(PYTHON) -m venv .binder-venv
	.binder-venv/bin/pip install --quiet -r binder/requirements.txt
	.binder-venv/bin/pip install --quiet --no-deps .
	.binder-venv/bin/pip install --quiet pytest==9.2.0 nbval==0.11.0
	cd notebooks && ../.binder-venv/bin/pytest --nbval --nbval-current-env \
		--nbval-sanitize-with=../tests/sanitize.cfg -p no:cacheprovider -o addopts="" \
		--rootdir=. -c /dev/null .

clean:
	rm -rf $(VENV) .binder-venv build *.egg-info
