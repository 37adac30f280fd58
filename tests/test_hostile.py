"""The hostile catalog (tests/hostile/cases.py) graded sandboxed, end to end, in one batch.

A copy of the course with the small fixture assignment gets every bad submission of the
catalog plus two honest students, and ``rnncourse.grading.autograde`` grades them all in one
run, with real nbgrader in the bubblewrap sandbox. For every case: grading finished, the
submission has scores, at most its honest score, the feedback explains what happened, and
nothing leaked; the honest students' scores are exactly theirs; nothing reached the network.
"""

import json
import re
import socket
import subprocess
import sys
import threading

import nbformat
import pytest
from nbgrader.api import Gradebook

from hostile import cases as catalog
from hostile import fixture
from rnncourse.grading.settings import tool_env

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


def run(course, *args, **env):
    return subprocess.run([sys.executable, "-m", *args], cwd=course, env={**tool_env(), **env},
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_class(tmp_path_factory)


def grade_class(tmp_path_factory):
    course = fixture.course_copy(tmp_path_factory.mktemp("hostile") / "course")
    made = run(course, "nbgrader", "generate_assignment", fixture.ASSIGNMENT, "--force")
    assert made.returncode == 0, made.stdout + made.stderr
    release = nbformat.read(course / "release" / fixture.ASSIGNMENT / fixture.NOTEBOOK, as_version=4)

    server, connections = listen()
    submitted = course / "submitted"
    for case in catalog.cases(port=server.getsockname()[1]):
        case.build(release, submitted / case.name / fixture.ASSIGNMENT)
    honest_softmax = f"# {catalog.SECRET}\n" + fixture.SOLUTIONS["softmax"]
    catalog.write(catalog.solved(release, softmax=honest_softmax), submitted / "honest" / fixture.ASSIGNMENT)
    catalog.write(catalog.solved(release, softmax=catalog.WRONG_SOFTMAX), submitted / "partial" / fixture.ASSIGNMENT)

    graded = run(course, "rnncourse.grading.autograde", fixture.ASSIGNMENT, RNNCOURSE_CELL_TIMEOUT="5")
    feedback = run(course, "rnncourse.grading.autograde", "--feedback", fixture.ASSIGNMENT)
    server.close()
    totals = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(fixture.ASSIGNMENT):
            totals[submission.student.id] = float(submission.score)
    return course, graded, feedback, totals, connections


def autograded_text(course, student):
    path = course / "autograded" / student / fixture.ASSIGNMENT / fixture.NOTEBOOK
    return path.read_text() if path.exists() else ""


def outputs(text):
    """Everything the graded notebook's cells printed (their sources name what they look for)."""
    if not text:
        return ""
    cells = json.loads(text)["cells"]
    return "\n".join(json.dumps(c.get("outputs", [])) for c in cells)


def test_batch_finishes_and_everyone_is_graded(graded):
    course, proc, feedback, totals, _ = graded
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert feedback.returncode == 0, feedback.stdout[-2000:] + feedback.stderr[-2000:]
    assert set(totals) == set(CASES) | {"honest", "partial"}
    assert len(CASES) >= 25


def test_honest_students_are_unaffected(graded):
    _, _, _, totals, _ = graded
    assert totals["honest"] == fixture.TOTAL
    assert totals["partial"] == catalog.WITHOUT_SOFTMAX


def test_nothing_reached_the_network(graded):
    assert graded[4] == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(graded, name):
    course, proc, _, totals, _ = graded
    case = CASES[name]
    score = totals[name]
    assert score <= case.honest, f"{name} gained points: {score} > {case.honest}"
    if case.exact:
        assert score == case.honest, f"{name}: {score}, expected {case.honest}"
    text = autograded_text(course, name)
    assert re.search(case.explain, text), f"{name}: the graded notebook does not explain /{case.explain}/"
    assert (course / "feedback" / name / fixture.ASSIGNMENT / "fixture.html").exists()
    shown = outputs(text)
    assert catalog.SECRET not in shown and "LEAKED" not in shown, f"{name} read another student's work"
    assert "CONNECTED" not in shown and "WROTE" not in shown, f"{name} reached the network or the gradebook"
