# Each target builds .venv by itself on a fresh machine (Python 3.11).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck imports stage bench compile clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or make PYTHON=python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(MAKE) --no-print-directory compile
	touch $(STAMP)

# The package's bytecode, as a first run writes it (and pip does for installed packages).
# Where PYTHONDONTWRITEBYTECODE is set, nothing writes it, and every start compiles every
# module it imports again: benches would measure that, which no clerk's laptop does.
compile:
	@$(BIN)/python -m compileall -q -j 0 vledger domain sync tui fixtures bench >/dev/null

demo: $(STAMP)
	$(BIN)/vledger demo

test: $(STAMP) typecheck imports
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

# mypy and import-linter read the package as installed; the folders are mapped into
# vledger.* by setuptools, so they get a stand-in site folder of links to them.
STAGE := $(VENV)/stage
stage: $(STAMP)
	@rm -rf $(STAGE) && mkdir -p $(STAGE)/vledger
	@for f in vledger/*.py; do ln -s $(CURDIR)/$$f $(STAGE)/vledger/; done
	@for f in vledger/*/__init__.py; do ln -s $(CURDIR)/$$(dirname $$f) $(STAGE)/vledger/; done
	@for d in domain sync tui fixtures; do ln -s $(CURDIR)/$$d $(STAGE)/vledger/$$d; done

typecheck: stage
	cd $(STAGE) && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml -p vledger

imports: stage
	cd $(STAGE) && $(CURDIR)/$(BIN)/lint-imports --no-cache $(CURDIR)/pyproject.toml
	python3 ../shared/tools/import_cycles.py . 2>/dev/null || [ ! -f ../shared/tools/import_cycles.py ]

# Each module prints its own lines and one JSON line per measure; the table at the end
# gathers the measures (bench/report.py). tui_burst runs in its quick form (a dozen
# villages instead of fifty; `python -m bench.tui_burst` alone for the whole burst).
BENCH_OUT := $(VENV)/bench.out
BENCH_MODULES := rank store years journal sync tui tui_grid "tui_burst --quick"
bench: $(STAMP) compile
	@rm -f $(BENCH_OUT)
	@for m in $(BENCH_MODULES); do \
		echo "== bench.$$m"; \
		$(BIN)/python -m bench.$$m 2>&1 | tee -a $(BENCH_OUT) || exit 1; done
	@echo
	@$(BIN)/python -m bench.report $(BENCH_OUT)

clean:
	rm -rf $(VENV)
