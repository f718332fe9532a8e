# Two entry points for a fresh machine that has only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TODAY  ?= 2026-11-23
DEMO_LEDGER_DIR := samples/out/demo-ledger
DEMO_LEDGER := $(DEMO_LEDGER_DIR)/ledger.sqlite3

.PHONY: demo review test check format templates samples samples-expected docs chart-image bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Check every shipped sample return against the sample contract register, then build a demo ledger.
# Exit 1 only means some samples have errors (several are faulty on purpose); 2 would be a real failure.
demo: $(STAMP)
	@echo "== swtool check samples/returns samples/faulty --register samples/register.xlsx --history samples/returns"
	@$(BIN)/swtool check samples/returns samples/faulty --register samples/register.xlsx --history samples/returns --today $(TODAY); \
	  rc=$$?; test $$rc -le 1 || exit $$rc
	@echo ""
	@echo "== swtool check samples/faulty/faulty-structure.xlsx --register samples/register.xlsx --annotate samples/out/faulty-structure.annotated.xlsx"
	@$(BIN)/swtool check samples/faulty/faulty-structure.xlsx --register samples/register.xlsx --today $(TODAY) \
	  --annotate samples/out/faulty-structure.annotated.xlsx -o samples/out/faulty-structure.txt; \
	  rc=$$?; test $$rc -le 1 || exit $$rc
	@echo "Open samples/out/faulty-structure.annotated.xlsx in Excel or LibreOffice: the Findings sheet comes first."
	@echo ""
	@echo "== swtool check samples/returns/SW-L3-01/SW-L3-01_2026-27_Q2.xlsx --register samples/register.xlsx --history samples/returns --evidence samples/evidence"
	@$(BIN)/swtool check samples/returns/SW-L3-01/SW-L3-01_2026-27_Q2.xlsx --register samples/register.xlsx \
	  --history samples/returns --evidence samples/evidence --today $(TODAY); \
	  rc=$$?; test $$rc -le 1 || exit $$rc
	@echo ""
	@echo "== the PMO's ledger, built afresh in $(DEMO_LEDGER_DIR)/: register import, import, status, credits"
	@rm -rf $(DEMO_LEDGER_DIR)
	@$(BIN)/swtool register import samples/register.xlsx --db $(DEMO_LEDGER)
	@$(BIN)/swtool import samples/returns --db $(DEMO_LEDGER) --today $(TODAY); \
	  rc=$$?; test $$rc -le 1 || exit $$rc
	@echo ""
	@echo "== swtool status --quarter 2026/27-Q2 --today $(TODAY) --db $(DEMO_LEDGER)"
	@$(BIN)/swtool status --quarter 2026/27-Q2 --today $(TODAY) --db $(DEMO_LEDGER)
	@echo ""
	@echo "== swtool credits --quarter 2026/27-Q2 --db $(DEMO_LEDGER)"
	@$(BIN)/swtool credits --quarter 2026/27-Q2 --db $(DEMO_LEDGER)
	@echo ""
	@echo "== swtool payments --quarter 2026/27-Q2 --db $(DEMO_LEDGER)  (nothing is payable until the PMO approves: swtool approve RETURN_ID --reason TEXT)"
	@$(BIN)/swtool payments --quarter 2026/27-Q2 --db $(DEMO_LEDGER)
	@echo ""
	@echo "== swtool report contract SW-L3-01 and swtool report network --year 2026/27, into samples/out/"
	@$(BIN)/swtool report contract SW-L3-01 --today $(TODAY) --db $(DEMO_LEDGER) -o samples/out/SW-L3-01-contract-report.xlsx
	@$(BIN)/swtool report network --year 2026/27 --today $(TODAY) --db $(DEMO_LEDGER) -o samples/out/network-report-2026-27.xlsx

# The PMO's terminal UI over the demo ledger that `make demo` builds.
review: $(STAMP)
	@test -f $(DEMO_LEDGER) || $(MAKE) demo
	$(BIN)/swtool review --db $(DEMO_LEDGER) --today $(TODAY)

# Compiled modules (and pytest's rewritten test modules) are kept in __pycache__ even where the environment
# says not to write bytecode: otherwise every worker, and every `swtool` a test starts, compiles them again.
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n auto --dist loadfile

# Lint, format check, types and the layering contracts (pyproject.toml's [tool.ruff], [tool.mypy], [tool.importlinter]).
check: $(STAMP)
	$(BIN)/ruff check swtool tests benchmarks
	$(BIN)/ruff format --check swtool tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

format: $(STAMP)
	$(BIN)/ruff format swtool tests benchmarks

templates: $(STAMP)
	$(BIN)/swtool template return -o templates/quarterly-return.xlsx
	$(BIN)/swtool template register -o templates/contract-register.xlsx

samples: $(STAMP)
	$(BIN)/python samples/make_samples.py
	$(BIN)/python samples/make_evidence.py

samples-expected: $(STAMP)
	$(BIN)/python samples/make_samples.py --expected

# The README's picture of the contract report's charts, drawn from the charts in the demo's report.
chart-image: $(STAMP)
	@test -f samples/out/SW-L3-01-contract-report.xlsx || $(MAKE) demo
	$(BIN)/python docs/make_chart_image.py samples/out/SW-L3-01-contract-report.xlsx

docs: $(STAMP)
	$(BIN)/python -m swtool.cli.docs
	$(BIN)/python -m swtool.cli.docs --readme

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_ledger.py
	$(BIN)/python benchmarks/bench_review.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
