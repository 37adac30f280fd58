"""Helpers shared by the tests: the course under test, scratch courses, commands run in them, scores."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from rnncourse.grading.course import Course
from rnncourse.grading.scores import class_scores

ROOT = Path(__file__).resolve().parents[1]
COURSE = Course(ROOT)  # the checkout's course, on its own SQLite gradebook path (tests never grade into it)
ASSIGNMENTS = list(COURSE.assignments)


def run(course: Course, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m <args>`` in the course directory, with the course's environment (and ``env``)."""
    return subprocess.run([sys.executable, "-m", *args], cwd=course.root, env=course.env(**env),
                          capture_output=True, text=True)


def output(proc: subprocess.CompletedProcess, chars: int = 3000) -> str:
    """The end of a finished command's output, for assertion messages."""
    return f"exit code {proc.returncode}\n{proc.stdout[-chars:]}\n{proc.stderr[-chars:]}"


def course_copy(dest: Path, db_url: str | None = None) -> Course:
    """A scratch copy of the checkout's course (config, source, release, catalogs) in ``dest``."""
    copy = COURSE.scratch_copy(dest)
    return copy.with_gradebook(db_url) if db_url else copy


def fixture_course(dest: Path, *assignments: str, db_url: str | None = None) -> Course:
    """A course with only the small fixture assignment (tests/hostile/fixture.py), and copies of it
    under the other names in ``assignments``, each released (``generate_assignment``)."""
    from hostile import fixture

    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    (dest / "source").mkdir(exist_ok=True)
    shutil.copy(COURSE.header, dest / "source")
    fixture.install(dest)
    names = (fixture.ASSIGNMENT, *[a for a in assignments if a != fixture.ASSIGNMENT])
    for name in names[1:]:
        shutil.copytree(dest / "source" / fixture.ASSIGNMENT, dest / "source" / name)
    course = Course(dest, db_url, assignments=names)
    for name in names:
        made = run(course, "nbgrader", "generate_assignment", name, "--force")
        assert made.returncode == 0, output(made)
    return course


def sandbox_flags() -> list[str]:
    """``[]`` when the grading sandbox works here, else ``["--unsandboxed"]``."""
    from rnncourse.grading import sandbox
    return [] if sandbox.check() is None else ["--unsandboxed"]


def totals(course: Course, assignments=None) -> dict[tuple[str, str], float]:
    """(student, assignment) -> total score of every graded submission."""
    return {key: sum(cells.values()) for key, cells in class_scores(course, assignments).items()}


__all__ = ["ASSIGNMENTS", "COURSE", "ROOT", "Course", "class_scores", "course_copy", "fixture_course", "output",
           "run", "sandbox_flags", "totals"]
