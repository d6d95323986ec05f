# pilot-intake: `make demo` runs the whole job on generated samples; `make test` runs every check.
# Both install what they need first (Debian packages as root, the project virtualenv).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    := out
DEMO   := $(OUT)/demo
OUTSIDE ?= ../shared/samples/outside-round

.PHONY: setup system-packages services demo test lint benchmarks clean

setup: system-packages $(VENV)/.installed

system-packages:
	@bash scripts/install-system-packages.sh

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

services:
	@bash scripts/ensure-postgres.sh

# Generate one believable round (26 schools: Attachment 1 e-mails in a folder inbox, their plan
# PDFs in an upload folder; every school and Attachment 1 defect, and the plan defects on plans
# of schools that applied for those certificates; a few schools entirely clean), process it with
# the embedded defaults (folder inbox, SQLite, Prefect's local API) and write the exception
# report and the JSON export.
demo: setup
	rm -rf $(DEMO) $(OUT)/review.sqlite3 $(OUT)/archive $(OUT)/cache
	$(BIN)/python -m fixtures.round --out $(DEMO)/round --seed 2022
	$(BIN)/pilot-intake process $(DEMO)/round/uploads --inbox $(DEMO)/round/inbox --report $(OUT)/exception-report.xlsx
	$(BIN)/pilot-intake export --json $(OUT)/export.json
	@echo "报告：$(OUT)/exception-report.xlsx   导出：$(OUT)/export.json   数据库：$(OUT)/review.sqlite3"

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

test: setup services lint
	$(BIN)/python -m pytest

benchmarks: setup
	$(BIN)/python -m fixtures.generate --out $(OUT)/bench --seed 7 --count 40
	$(BIN)/python -m benchmarks.accuracy $(OUT)/bench
	$(BIN)/python -m benchmarks.speed
	rm -rf $(OUT)/bench-round
	$(BIN)/python -m fixtures.round --out $(OUT)/bench-round --seed 7
	$(BIN)/python -m benchmarks.accuracy $(OUT)/bench-round
	# The same tables as for the outside round, on our own round.
	$(BIN)/python -m fixtures.outside_truth $(OUT)/bench-round
	$(BIN)/python -m benchmarks.outside $(OUT)/bench-round
	# The same round with about half its plans and a third of its Attachment 1s on paper.
	rm -rf $(OUT)/bench-round-scan
	$(BIN)/python -m fixtures.scan $(OUT)/bench-round $(OUT)/bench-round-scan --seed 7
	$(BIN)/python -m benchmarks.outside $(OUT)/bench-round-scan
	# A round made outside the project (../shared/samples/outside-round): what the extractors
	# do on wording and layouts they were not written against.
	@if [ -d $(OUTSIDE) ]; then $(BIN)/python -m benchmarks.outside $(OUTSIDE); else echo "no outside round at $(OUTSIDE)"; fi

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
