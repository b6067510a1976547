# Two commands a learner needs: `make lab` (open the course) and `make test` (run every check).
# Both go through tools/lab.py, which is also the route on Windows (no make there).
PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
TOOLS    := $(VENV)/.ready-test
LAB_ARGS ?=

.PHONY: lab test lint notebooks browser-test bench binder-check readme-images clean

# The course's runtime only (JupyterLab, ipywidgets, matplotlib and the course itself).
# Options for JupyterLab: make lab LAB_ARGS="--port 8899 --no-browser"
lab:   ## create the environment if needed and open lesson 00 in JupyterLab
	$(PYTHON) tools/lab.py $(LAB_ARGS)

# The runtime plus the test toolchain (the `test` extra of pyproject.toml).
$(TOOLS): pyproject.toml binder/overrides.json tools/lab.py
	$(PYTHON) tools/lab.py --setup-only --with-test-tools

test: $(TOOLS) lint   ## create the environment and run the whole test suite
	$(BIN)/pytest

lint: $(TOOLS)   ## ruff, and the import contracts of pyproject.toml (the layers)
	$(BIN)/ruff check wdfkit tests tools
	$(BIN)/ruff format --check wdfkit tests tools
	$(BIN)/lint-imports

notebooks: $(TOOLS)   ## re-execute every notebook and store its outputs (deterministic)
	$(BIN)/python tests/execute_notebooks.py notebooks/*.ipynb notebooks/zh-CN/*.ipynb

browser-test: $(TOOLS)   ## open every lesson in JupyterLab in headless Chromium
	$(BIN)/pytest tests/browser -o addopts="-p no:cacheprovider" -v

readme-images: $(TOOLS)   ## the README's pictures, from lesson 07's run and lesson 03's lab in Chromium
	$(BIN)/pytest tests/browser -o addopts="-p no:cacheprovider" -k 03_mdls
	$(BIN)/python tools/readme_images.py

bench: $(TOOLS)   ## speed and memory guards: ratios to floors measured in the same run, PASS/FAIL
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
