# The README's two commands are `make repro` and `make test`; both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup repro test test-slow lint docs bench

# The last line puts the repository root on the venv's sys.path, so that `python pipelines/<stage>.py`
# (not only `python -m pipelines.<stage>`) finds the pipelines package.
$(BIN)/dvc: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip uninstall --quiet --yes tensorflow 2>/dev/null || true  # the CUDA build, if an older set-up left it
	$(BIN)/python -m pip install --quiet --editable ".[dev]"
	# tensorflow-text (WordPiece) declares a dependency on the CUDA `tensorflow` wheel, which must not sit
	# beside tensorflow-cpu: its own ops are all it brings, so it goes in without dependencies
	$(BIN)/python -m pip install --quiet --no-deps "tensorflow-text>=2.21,<2.22"
	$(BIN)/python -c 'import pathlib, site; pathlib.Path(site.getsitepackages()[0], "textrnn-repo.pth").write_text("$(CURDIR)\n")'
	touch $@

setup: $(BIN)/dvc

repro: setup
	dvc repro

lint: setup
	ruff check .
	ruff format --check .

# pytest-xdist: one worker per core; each test file stays on one worker, so a module's fixtures run once
test: lint
	pytest -n auto --dist loadfile

test-slow: setup
	pytest -m slow -n auto --dist loadfile

# the documentation site in site/: any warning (a broken link, a docstring that does not parse) fails it
docs: setup
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict

bench: setup
	python benchmarks/recurrent_layers.py
	python benchmarks/input_pipeline.py   # needs ../shared/data/sst2
	python benchmarks/training_loop.py
	python benchmarks/onednn.py
	python benchmarks/pretraining.py
	python benchmarks/serving.py          # needs `make repro` first
	python benchmarks/adding_problem.py   # about half an hour
