"""The hostile catalog (tests/hostile/cases.py) graded sandboxed, end to end, in one batch.

A course with the small fixture assignment gets every bad submission of the catalog plus two
honest students, and ``rnncourse.grading.autograde`` grades them all in one run, with real
nbgrader in the bubblewrap sandbox. For every case: grading finished, the submission has
scores, at most its honest score, what the graded notebook shows (outputs and the grader's
notes, not the student's code) explains what happened, and nothing leaked; the honest
students' scores are exactly theirs; nothing reached the network.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
from dataclasses import dataclass

import nbformat
import pytest

from hostile import cases as catalog
from hostile import fixture
from rnncourse.grading.course import Course
from support import fixture_course, output, run, totals

pytestmark = pytest.mark.xdist_group("hostile")
CASES = {case.name: case for case in catalog.cases(port=0)}


def listen():
    """A loopback server that records every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    seen = []

    def accept():
        while True:
            try:
                conn, addr = server.accept()
            except OSError:
                return
            seen.append(addr)
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return server, seen


@dataclass
class Batch:
    course: Course
    grading: subprocess.CompletedProcess
    feedback: subprocess.CompletedProcess
    totals: dict  # student -> total score
    connections: list  # connections made to the grader's loopback server


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Batch:
    course = fixture_course(tmp_path_factory.mktemp("hostile") / "course")
    release = nbformat.read(course.notebook("release", fixture.ASSIGNMENT), as_version=4)
    server, connections = listen()
    for case in catalog.cases(port=server.getsockname()[1]):
        case.build(release, course.path("submitted", fixture.ASSIGNMENT, case.name))
    honest_softmax = f"# {catalog.SECRET}\n" + fixture.SOLUTIONS["softmax"]
    catalog.write(catalog.solved(release, softmax=honest_softmax), course.path("submitted", fixture.ASSIGNMENT, "honest"))
    catalog.write(catalog.solved(release, softmax=catalog.WRONG_SOFTMAX),
                  course.path("submitted", fixture.ASSIGNMENT, "partial"))
    grading = run(course, "rnncourse.grading.autograde", fixture.ASSIGNMENT, RNNCOURSE_CELL_TIMEOUT="5")
    feedback = run(course, "rnncourse.grading.autograde", "--feedback", fixture.ASSIGNMENT)
    server.close()
    scores = {student: total for (student, _), total in totals(course, [fixture.ASSIGNMENT]).items()}
    return Batch(course, grading, feedback, scores, connections)


def shown(course: Course, student: str) -> str:
    """What the graded notebook shows the student: every cell's outputs and the markdown cells
    (the grader's notes among them), but not the code, which names what an attack looks for."""
    path = course.notebook("autograded", fixture.ASSIGNMENT, student)
    if not path.exists():
        return ""
    cells = json.loads(path.read_text())["cells"]
    return "\n".join([json.dumps(c.get("outputs", [])) for c in cells]
                     + ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"])


def test_batch_finishes_and_everyone_is_graded(graded):
    assert graded.grading.returncode == 0, output(graded.grading)
    assert graded.feedback.returncode == 0, output(graded.feedback)
    assert set(graded.totals) == set(CASES) | {"honest", "partial"}
    assert len(CASES) >= 25


def test_honest_students_are_unaffected(graded):
    assert graded.totals["honest"] == fixture.TOTAL
    assert graded.totals["partial"] == catalog.WITHOUT_SOFTMAX


def test_nothing_reached_the_network(graded):
    assert graded.connections == []


def test_explanations_are_looked_for_outside_the_students_code(graded):
    """A pattern found only in a student's own code does not count as an explanation."""
    text = shown(graded.course, "network")
    assert "CONNECTED" in json.dumps(catalog.network(1234)) and "CONNECTED" not in text
    assert 'print("no network:"' not in text


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(graded, name):
    case = CASES[name]
    score = graded.totals[name]
    assert score <= case.honest, f"{name} gained points: {score} > {case.honest}"
    if case.exact:
        assert score == case.honest, f"{name}: {score}, expected {case.honest}"
    text = shown(graded.course, name)
    assert re.search(case.explain, text), f"{name}: the graded notebook does not explain /{case.explain}/"
    assert graded.course.path("feedback", fixture.ASSIGNMENT, name).joinpath("fixture.html").exists()
    assert catalog.SECRET not in text and "LEAKED" not in text, f"{name} read another student's work"
    assert "CONNECTED" not in text and "WROTE" not in text, f"{name} reached the network or the gradebook"
