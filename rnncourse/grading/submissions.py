"""Build submissions as a student would hand them in: the released notebook with answers filled in."""

from __future__ import annotations

import shutil
from pathlib import Path

from . import notebooks as nbs
from .course import Course


def submission_notebook(course: Course, assignment: str, solutions: dict[str, str] | None):
    """The release notebook with every solution cell replaced by ``solutions[grade_id]``.

    ``solutions=None`` leaves the stubs: the blank submission.
    """
    nb = nbs.read(course.notebook("release", assignment))
    if solutions is not None:
        for cell in nb.cells:
            if nbs.is_solution(cell):
                cell.source = solutions[nbs.grade_id(cell)]
    return nb


def write_submission(course: Course, assignment: str, student: str, solutions: dict[str, str] | None) -> Path:
    """``submitted/<student>/<assignment>/``: the notebook plus the release's other files."""
    folder = course.path("submitted", assignment, student)
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(course.path("release", assignment), folder)
    target = folder / course.notebook_name(assignment)
    nbs.write(submission_notebook(course, assignment, solutions), target)
    return target
