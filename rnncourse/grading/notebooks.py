"""Reading and transforming course notebooks: cells by kind and grade id, solution and hidden-test markers."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_graded_code(cell) -> bool:
    """A locked grade cell of code: a test (``test_*``, with points) or a visible check (``check_*``)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def is_check(cell) -> bool:
    """A visible check, ``check_<exercise>``: a grade cell of 0 points, so that nbgrader's Validate
    reports it when it fails (a failed 0-point cell counts there) while grading gives it nothing."""
    return is_graded_code(cell) and str(grade_id(cell)).startswith("check_")


def is_test(cell) -> bool:
    """A test cell that carries the points of its exercise (``test_<exercise>_<what>``)."""
    return is_graded_code(cell) and not is_check(cell)


def solution_cells(nb) -> dict[str, int]:
    """grade id -> index of every solution cell."""
    return {grade_id(c): i for i, c in enumerate(nb.cells) if is_solution(c)}


def test_cells(nb) -> dict[str, int]:
    return {grade_id(c): i for i, c in enumerate(nb.cells) if is_test(c)}


def points(nb) -> dict[str, float]:
    """test grade id -> its points (the visible checks, of 0 points, are not tests)."""
    return {grade_id(c): float(nbgrader_meta(c)["points"]) for c in nb.cells if is_test(c)}


def check_cells(nb) -> dict[str, int]:
    """grade id -> index of every visible check graded with 0 points."""
    return {grade_id(c): i for i, c in enumerate(nb.cells) if is_check(c)}


def exercise_of(test_id: str, exercises) -> str:
    """The exercise a test cell grades: ``test_<exercise>_<what>``, longest match wins."""
    matches = [e for e in exercises if test_id.startswith(f"test_{e}_")]
    if not matches:
        raise ValueError(f"test cell {test_id!r} does not name an exercise (expected test_<exercise>_<what>)")
    return max(matches, key=len)


def strip_lines(text: str, *markers: str) -> str:
    """``text`` without the lines that hold one of ``markers`` (a marker's own line goes)."""
    return "\n".join(line for line in text.split("\n") if line.strip() not in markers)


def solution_code(source: str) -> str:
    """What a student who wrote the reference would have in the cell: the solution, no markers."""
    return strip_lines(source, BEGIN_SOLUTION, END_SOLUTION)


def clear_outputs(nb) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb
