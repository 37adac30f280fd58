"""Build submissions as a student would hand them in: the released notebook with answers filled in."""

from __future__ import annotations

import shutil
from pathlib import Path

from . import notebooks as nbs
from .settings import ROOT


def submission_notebook(assignment: str, solutions: dict[str, str] | None):
    """The release notebook with every solution cell replaced by ``solutions[grade_id]``.

    ``solutions=None`` leaves the stubs: the blank submission.
    """
    nb = nbs.read(nbs.release_path(assignment))
    if solutions is not None:
        for cell in nb.cells:
            if nbs.is_solution(cell):
                cell.source = solutions[nbs.grade_id(cell)]
    return nb


def write_submission(assignment: str, student: str, solutions: dict[str, str] | None,
                     root: Path = ROOT) -> Path:
    """``submitted/<student>/<assignment>/``: the notebook plus the release's other files."""
    folder = root / "submitted" / student / assignment
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(nbs.release_path(assignment).parent, folder)
    target = folder / nbs.notebook_name(assignment)
    nbs.write(submission_notebook(assignment, solutions), target)
    return target
