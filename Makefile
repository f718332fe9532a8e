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

test: $(STAMP)
	$(BIN)/python -m pytest -q

templates: $(STAMP)
	$(BIN)/swtool template return -o templates/quarterly-return.xlsx
	$(BIN)/swtool template register -o templates/contract-register.xlsx

samples: $(STAMP)
	$(BIN)/python samples/make_samples.py

samples-expected: $(STAMP)
	$(BIN)/python samples/make_samples.py --expected

docs: $(STAMP)
	$(BIN)/python -m swtool.docs

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_check.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
