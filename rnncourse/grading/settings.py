"""Settings shared by nbgrader_config.py, the fast harness and the tests."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# assignment id -> notebook file name, in teaching order
ASSIGNMENTS = {
    "a1_numpy_rnn": "numpy_rnn.ipynb",
    "a2_keras_lstm": "keras_lstm.ipynb",
    "a3_torch_rnn": "torch_rnn.ipynb",
}

# Seconds before a cell is interrupted. The slowest correct cell in grading mode takes a few
# seconds on 2 cores, so this leaves ample room while capping an endless loop.
CELL_TIMEOUT_S = int(os.environ.get("RNNCOURSE_CELL_TIMEOUT", 30))

# Seconds for the whole grading of one submission (nbgrader included) before it is abandoned
# and graded as blank with a note. Grading mode takes well under a minute per notebook; this
# leaves room for a few timed-out cells and kernel restarts.
SUBMISSION_TIMEOUT_S = 900



# Grading kernels use one BLAS/OpenMP thread each: the grading budgets are tiny, and spinning
# BLAS threads competing with other kernels on a small machine can slow a cell down 100-fold.
KERNEL_THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def gradebook_url(root: Path = ROOT) -> str:
    """The gradebook's database URL: ``RNNCOURSE_DB_URL`` (e.g. a PostgreSQL server shared by
    several graders), else the course's SQLite file. SQLite waits up to two minutes for a lock
    instead of failing with "database is locked" when several workers write at once."""
    return os.environ.get("RNNCOURSE_DB_URL") or f"sqlite:///{root / 'gradebook.db'}?timeout=120"


def tool_env() -> dict:
    """Environment for nbgrader subprocesses: this venv's scripts (nbgrader runs `alembic`) first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("KERAS_BACKEND", "torch")
    env.update(KERNEL_THREADS)
    return env
