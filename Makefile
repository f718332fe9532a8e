# Two entry points for a fresh machine that has only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TODAY  ?= 2026-11-23

.PHONY: demo test templates samples samples-expected docs bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Check every shipped sample return against the sample contract register.
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

test: $(STAMP)
	$(BIN)/python -m pytest -q

templates: $(STAMP)
	$(BIN)/swtool template return -o templates/quarterly-return.xlsx
	$(BIN)/swtool template register -o templates/contract-register.xlsx

samples: $(STAMP)
	$(BIN)/python samples/make_samples.py
	$(BIN)/python samples/make_evidence.py

samples-expected: $(STAMP)
	$(BIN)/python samples/make_samples.py --expected

docs: $(STAMP)
	$(BIN)/python -m swtool.docs

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_check.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
