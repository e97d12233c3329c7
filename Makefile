# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench bench-stream bench-record bench-serve bench-generate bench-live bench-scale serve fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/python examples/demo.py

test: $(STAMP)
	$(BIN)/ruff check src tests bench examples tools
	$(BIN)/ruff format --check src tests bench examples tools
	$(BIN)/mypy
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/pytest -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples tools
	$(BIN)/ruff format --check src tests bench examples tools

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/bench_batch.py

bench-stream: $(STAMP)
	$(BIN)/python bench/bench_stream.py

bench-record: $(STAMP)
	$(BIN)/python bench/bench_record.py

bench-live: $(STAMP)
	$(BIN)/python bench/bench_live.py

bench-serve: $(STAMP)
	$(BIN)/python bench/bench_serve.py
	$(BIN)/python bench/bench_serve.py --app echo

bench-generate: $(STAMP)
	$(BIN)/python bench/bench_generate.py

bench-scale: $(STAMP)
	$(BIN)/python bench/bench_scale.py

# The example inference service fed every class of valid and adversarial request, in-process.
fuzz: $(STAMP)
	$(BIN)/skewless fuzz contracts/user_features.yaml --app app:app --app-dir examples/inference_service

# The example inference service (examples/inference_service) on http://127.0.0.1:8000.
serve: $(STAMP)
	$(BIN)/python -m uvicorn --app-dir examples/inference_service app:app --port 8000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
