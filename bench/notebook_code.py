"""Load the reference functions of a source notebook into a namespace, for the benchmarks.

Executes the notebook's solution cells and its given code (imports, helpers), skipping test
and check cells and everything from the first heading that matches ``stop_at`` (the
notebook's own training and evaluation).
"""

from __future__ import annotations

import os

from rnncourse.grading import notebooks as nbs
from rnncourse.grading.course import Course


def load_namespace(assignment: str, stop_at: str) -> dict:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    namespace: dict = {"__name__": f"bench_{assignment}"}
    for cell in nbs.read(Course.find().notebook("source", assignment)).cells:
        if cell.cell_type == "markdown" and stop_at in cell.source:
            break
        if cell.cell_type != "code" or nbs.is_test(cell) or (nbs.nbgrader_meta(cell) and not nbs.is_solution(cell)):
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        exec(compile(code, f"<{assignment} cell>", "exec"), namespace)
    return namespace
