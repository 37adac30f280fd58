"""Settings shared by nbgrader_config.py, the fast harness and the tests."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# assignment id -> notebook file name, in teaching order
ASSIGNMENTS = {
    "a1_numpy_rnn": "numpy_rnn.ipynb",
}

# Seconds before a cell is interrupted. The slowest correct cell in grading mode takes a few
# seconds on 2 cores, so this leaves ample room while capping an endless loop.
CELL_TIMEOUT_S = 30

# stderr that is harmless noise from libraries, never a student's mistake.
IGNORED_STDERR = r"^(\s*warnings\.warn\(|.*(oneDNN custom operations|TF_ENABLE_ONEDNN_OPTS)).*$"
