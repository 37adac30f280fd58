"""A fast grading harness for mistake catalogs.

Running every variant through ``nbgrader autograde`` would take minutes each. Instead the
harness executes the source notebook once in one kernel (in grading mode, as nbgrader does),
then for each variant re-runs only the changed solution cell and the test cells after it,
scores those cells exactly as nbgrader does (an error output from the reply when none arrived,
stderr shown as output, then ``determine_grade``: the functions of ``execute.py``), and
restores the reference cell. The test suite checks on real nbgrader runs that both agree.

Test cells must therefore depend only on the solution cells and on cells that student code
cannot change; the course's notebooks are written that way.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbgrader.utils import determine_grade

from . import notebooks as nbs
from .config import CELL_TIMEOUT_S, KERNEL_THREADS
from .course import Course
from .execute import record_error_reply, stderr_as_output
from .variants import reference_solutions

TIMEOUT_ERROR = {"ename": "CellTimeoutError", "evalue": "",
                 "traceback": ["CellTimeoutError: No reply from kernel before timeout"]}


def cell_score(cell) -> float:
    """The score nbgrader's autograde gives an executed test cell: nbgrader's ``determine_grade``
    after :func:`.execute.stderr_as_output`, as in the autograde pipeline (an error output: 0)."""
    score, _ = determine_grade(stderr_as_output(copy.deepcopy(cell)))
    return float(score)


@dataclass
class Result:
    scores: dict  # test grade id -> score
    max_scores: dict
    failures: dict  # test grade id -> first lines of the error

    @property
    def total(self) -> float:
        return sum(self.scores.values())

    def lost(self) -> dict:
        """test id -> points lost, for every test cell that lost points."""
        return {t: self.max_scores[t] - s for t, s in self.scores.items() if s < self.max_scores[t]}


class Harness:
    """``with Harness(course, "a1_numpy_rnn") as h: h.reference(); h.run(variant)``."""

    def __init__(self, course: Course, assignment: str, timeout: int = CELL_TIMEOUT_S):
        self.course = course
        self.assignment = assignment
        self.timeout = timeout
        self.nb = nbs.read(course.notebook("source", assignment))
        self.solutions = reference_solutions(course, assignment)
        for cell in self.nb.cells:
            if nbs.is_solution(cell):
                cell.source = self.solutions[nbs.grade_id(cell)]
        self.tests = nbs.test_cells(self.nb)
        self.max_scores = nbs.points(self.nb)
        self._stack = contextlib.ExitStack()
        self._reference = None

    # -- kernel ---------------------------------------------------------------------------
    def __enter__(self):
        self.workdir = Path(tempfile.mkdtemp(prefix=f"harness-{self.assignment}-"))
        shutil.copytree(self.course.path("source", self.assignment), self.workdir, dirs_exist_ok=True)
        self._start()
        return self

    def __exit__(self, *exc):
        self._stack.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _start(self):
        self._stack.close()
        self._stack = contextlib.ExitStack()
        # nbclient stores every executed cell back into the notebook it holds: give it a copy
        self.client = NotebookClient(copy.deepcopy(self.nb), timeout=self.timeout, interrupt_on_timeout=True,
                                     error_on_timeout=TIMEOUT_ERROR, allow_errors=True, kernel_name="python3",
                                     on_cell_executed=record_error_reply,
                                     resources={"metadata": {"path": str(self.workdir)}})
        # the kernel runs in grading mode, as nbgrader's does, with one BLAS thread
        env = {**os.environ, "NBGRADER_EXECUTION": "autograde", "KERAS_BACKEND": "torch", **KERNEL_THREADS}
        self._stack.enter_context(self.client.setup_kernel(env=env))
        self._ran_reference = False

    def _execute(self, index: int, source: str | None = None):
        cell = copy.deepcopy(self.nb.cells[index])
        if source is not None:
            cell.source = source
        cell.outputs = []
        self.client.execute_cell(cell, index)
        return cell

    # -- grading --------------------------------------------------------------------------
    def reference(self) -> Result:
        """Run the whole notebook with the reference solutions; return its scores."""
        scores, failures = {}, {}
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            executed = self._execute(index)
            if nbs.is_test(cell):
                scores[nbs.grade_id(cell)] = cell_score(executed)
                failures.update(self._failure(executed))
        self._ran_reference = True
        self._reference = Result(scores, self.max_scores, failures)
        return self._reference

    def run(self, variant) -> Result:
        """Scores with one solution cell replaced by ``variant`` (other cells: the reference)."""
        return self.run_code(variant.cell, variant.apply(self.solutions[variant.cell]))

    def run_code(self, cell_id: str, code: str) -> Result:
        if not self._ran_reference:
            self.reference()
        cell_index = nbs.solution_cells(self.nb)[cell_id]
        scores = dict(self._reference.scores)
        failures = {}
        try:
            # as in a fresh kernel, the reference definition must not survive a broken cell
            self.client.kc.execute(f"globals().pop({cell_id!r}, None)", silent=True)
            self._execute(cell_index, code)
            for test_id, index in self.tests.items():
                if index > cell_index:
                    executed = self._execute(index)
                    scores[test_id] = cell_score(executed)
                    failures.update(self._failure(executed))
            self._execute(cell_index)  # restore the reference
            if any("TamperedError" in failure for failure in failures.values()):
                self._start()  # a tamper stays for the kernel's life: the next variant gets a fresh one
        except DeadKernelError:
            for test_id, index in self.tests.items():
                if index > cell_index and test_id not in failures:
                    scores[test_id] = 0.0
                    failures[test_id] = "the kernel died"
            self._start()
        return Result(scores, self.max_scores, failures)

    @staticmethod
    def _failure(cell) -> dict:
        """test id -> its error, for a cell that failed (only an error fails a cell)."""
        for output in cell.outputs:
            if output.output_type == "error":
                return {nbs.grade_id(cell): f"{output.ename}: {output.evalue}"[:2000]}
        return {}
