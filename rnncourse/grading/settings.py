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
CELL_TIMEOUT_S = 30

# stderr that nbgrader's IgnorePattern drops before scoring. Empty: correct solutions print
# nothing to stderr (the notebooks silence library warnings in their import cells), so every
# warning in a test cell is shown to the student and costs that cell.
IGNORED_STDERR = ""


# Grading kernels use one BLAS/OpenMP thread each: the grading budgets are tiny, and spinning
# BLAS threads competing with other kernels on a small machine can slow a cell down 100-fold.
KERNEL_THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def tool_env() -> dict:
    """Environment for nbgrader subprocesses: this venv's scripts (nbgrader runs `alembic`) first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("KERAS_BACKEND", "torch")
    env.update(KERNEL_THREADS)
    return env
