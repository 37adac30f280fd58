"""Scores from the gradebook, per student, assignment and test cell."""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry

from . import notebooks as nbs
from .settings import gradebook_url  # noqa: F401 (re-exported)


def cell_scores(assignment: str, student: str) -> dict[str, float] | None:
    """test grade id -> autograded score, or None when the submission was not graded."""
    notebook = nbs.notebook_name(assignment).removesuffix(".ipynb")
    with Gradebook(gradebook_url()) as gb:
        try:
            submission = gb.find_submission_notebook(notebook, assignment, student)
        except MissingEntry:
            return None
        scores = {grade.name: float(grade.score) for grade in submission.grades if grade.max_score > 0}
        return scores if submission.grades else None


def total(assignment: str, student: str) -> float | None:
    scores = cell_scores(assignment, student)
    return None if scores is None else sum(scores.values())


def lost_exercises(assignment: str, scores: dict[str, float]) -> dict[str, float]:
    """exercise -> points lost, from cell scores."""
    nb = nbs.read(nbs.source_path(assignment))
    max_points, exercises = nbs.points(nb), list(nbs.solution_cells(nb))
    lost: dict[str, float] = {}
    for test_id, score in scores.items():
        if score < max_points[test_id]:
            exercise = nbs.exercise_of(test_id, exercises)
            lost[exercise] = lost.get(exercise, 0.0) + max_points[test_id] - score
    return lost
