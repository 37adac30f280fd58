"""Every setting of the course tooling, in one place: literals, limits and environment variables.

``nbgrader_config.py``, :class:`.course.Course`, the sandbox and the tests read their
settings from here and nowhere else. :data:`ENVIRONMENT` is the one table of environment
variables (``docs/configuration.md`` shows it; a test keeps both in step with the code).
"""

from __future__ import annotations

import os

# The course as nbgrader knows it: its id (the exchange and the gradebook use it) and its
# assignments, assignment id -> notebook file, in teaching order.
COURSE_ID = "rnn-names"
ASSIGNMENTS = {
    "a1_numpy_rnn": "numpy_rnn.ipynb",
    "a2_keras_lstm": "keras_lstm.ipynb",
    "a3_torch_rnn": "torch_rnn.ipynb",
}

# The stub a student sees in place of a solution, and the header prepended to every notebook.
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
HEADER = "source/header.ipynb"

# What the environment can set: name -> (default, what it does). Only `setting()` reads these.
ENVIRONMENT = {
    "RNNCOURSE_DB_URL": ("", "gradebook database URL, e.g. postgresql+psycopg2://user:pw@host/db "
                             "(default: gradebook.db in the course directory)"),
    "RNNCOURSE_WORKERS": ("", "submissions graded at a time by `make autograde` (default: one per core)"),
    "RNNCOURSE_UNSANDBOXED": ("", "1: grade without the sandbox, behind a loud warning (unsafe)"),
    "RNNCOURSE_CELL_TIMEOUT": ("30", "seconds before a notebook cell is interrupted while grading"),
    "RNNCOURSE_SANDBOX_MEMORY": (str(4 << 30), "bytes of address space of a sandboxed kernel"),
    "RNNCOURSE_PG_BIN": ("", "folder of PostgreSQL's initdb and postgres for rnncourse.grading.pgserver "
                             "(default: the newest /usr/lib/postgresql/*/bin)"),
    "RNNCOURSE_RESULTS": ("", "where the notebooks record their held-out NLL for the comparison tables "
                              "(default: ~/.cache/rnncourse/results.json)"),
    "RNNCOURSE_CLASSROOM": ("", "a second settings file for the classroom (`make hub`), read after the course's "
                                "hub/classroom.toml: one machine's port, exchange, accounts (docs/classroom.md)"),
    # Set by the grader for its own nbgrader subprocesses; not for users.
    "RNNCOURSE_SANDBOX": ("", "internal: 1 selects the sandbox kernelspec in nbgrader_config.py"),
    "RNNCOURSE_IPC_DIR": ("", "internal: the folder of a grading run's kernel sockets"),
}


def setting(name: str) -> str:
    """The value of one of :data:`ENVIRONMENT`'s variables (its default when unset or empty)."""
    default, _ = ENVIRONMENT[name]
    return os.environ.get(name) or default


# Seconds before a cell is interrupted. The slowest correct cell in grading mode takes a few
# seconds on 2 cores, so this leaves ample room while capping an endless loop.
CELL_TIMEOUT_S = int(setting("RNNCOURSE_CELL_TIMEOUT"))

# Seconds for the whole grading of one submission (nbgrader included) before it is abandoned
# and graded as blank with a note. Grading mode takes well under a minute per notebook; this
# leaves room for a few timed-out cells and kernel restarts.
SUBMISSION_TIMEOUT_S = 900

# Grading kernels use one BLAS/OpenMP thread each: the grading budgets are tiny, and spinning
# BLAS threads competing with other kernels on a small machine can slow a cell down 100-fold.
KERNEL_THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# Outputs kept per cell of a graded notebook (nbgrader's LimitOutput, and the executor's cap).
MAX_OUTPUT_LINES = 200
MAX_TRACEBACK_LINES = 100
MAX_OUTPUT_CHARS = 200_000
