"""Scores from the gradebook, per student, assignment and test cell."""

from __future__ import annotations

from nbgrader.api import MissingEntry

from . import notebooks as nbs
from .course import Course


def cell_scores(course: Course, assignment: str, student: str) -> dict[str, float] | None:
    """test grade id -> autograded score, or None when the submission was not graded."""
    notebook = course.notebook_name(assignment).removesuffix(".ipynb")
    with course.gradebook() as gb:
        try:
            submission = gb.find_submission_notebook(notebook, assignment, student)
        except MissingEntry:
            return None
        scores = {grade.name: float(grade.score) for grade in submission.grades if grade.max_score > 0}
        return scores if submission.grades else None


def class_scores(course: Course, assignments=None) -> dict[tuple[str, str], dict[str, float]]:
    """(student, assignment) -> {test grade id: score} of every graded submission."""
    out = {}
    for assignment in assignments or course.assignments:
        notebook = course.notebook_name(assignment).removesuffix(".ipynb")
        with course.gradebook() as gb:
            try:
                submissions = gb.assignment_submissions(assignment)
            except MissingEntry:
                continue
            for submission in submissions:
                try:
                    nb = gb.find_submission_notebook(notebook, assignment, submission.student.id)
                except MissingEntry:
                    continue
                out[(submission.student.id, assignment)] = {g.name: float(g.score) for g in nb.grades
                                                            if g.max_score > 0}
    return out


def lost_exercises(course: Course, assignment: str, scores: dict[str, float]) -> dict[str, float]:
    """exercise -> points lost, from cell scores."""
    nb = nbs.read(course.notebook("source", assignment))
    max_points, exercises = nbs.points(nb), list(nbs.solution_cells(nb))
    lost: dict[str, float] = {}
    for test_id, score in scores.items():
        if score < max_points[test_id]:
            exercise = nbs.exercise_of(test_id, exercises)
            lost[exercise] = lost.get(exercise, 0.0) + max_points[test_id] - score
    return lost
