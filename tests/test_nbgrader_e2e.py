"""End to end with real nbgrader, in a copy of the course that already holds a real class's work.

The copy starts with a collected submission, its graded copy, its feedback and its gradebook
row (student ``alice``). Then:
- ``make demo``'s command grades the demo class (reference, blank, catalog mistakes) in its
  scratch course, and alice's files and scores are exactly as they were;
- the demo's own expectations hold (reference 100, blank 0, each mistake loses only its exercise);
- one alternative solution per assignment, graded by ``nbgrader autograde``, gets 100;
- nbgrader's per-cell scores equal the fast harness's, so the catalog tests speak for nbgrader;
- grading a1 again gives identical scores (every a1 score is first overwritten, so a regrade
  that did nothing would fail);
- feedback and grades.csv cover every student;
- hostile submissions to the real assignments (tampering with the tests, a transformer that
  would blank the test cells, a kernel that dies, a look at the gradebook and at other
  students' work), graded sandboxed, lose exactly the exercise they spoil and nothing else.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from rnncourse.grading import notebooks as nbs
from rnncourse.grading.course import Course
from rnncourse.grading.harness import Harness
from rnncourse.grading.submissions import write_submission
from rnncourse.grading.variants import reference_solutions, variant_solutions
from support import ASSIGNMENTS, class_scores, course_copy, output, run

pytestmark = pytest.mark.xdist_group("nbgrader_e2e")

PEEK = """for path in ["../../../gradebook.db", "../../../submitted/reference/a1_numpy_rnn/numpy_rnn.ipynb"]:
    try:
        open(path, "a").write("tampered")
        print("WROTE", path)
    except OSError as error:
        print("refused", path, error)
"""

# student -> (assignment, the exercise that must lose its points (or None), how its solution cell is spoiled)
HOSTILE = {
    "tamper_a1": ("a1_numpy_rnn", "clip",
                  lambda code: "import numpy.testing\nnumpy.testing.assert_allclose = lambda *a, **k: None\n" + code),
    "peek_a1": ("a1_numpy_rnn", None, lambda code: PEEK + code),
    "transformer_a2": ("a2_keras_lstm", "vectorize",
                       lambda code: "get_ipython().input_transformers_cleanup.append(lambda lines: [])\n" + code),
    "crash_a3": ("a3_torch_rnn", "generate_sample", lambda code: code + "\nimport os\nos._exit(1)\n"),
}
SENTINEL = -7.0  # an impossible score, written over a1's scores before they are regraded


@dataclass
class Graded:
    course: Course  # the instructor's course (a copy), holding alice's work
    demo: Course  # the demo's scratch course, where the class was graded
    demo_stdout: str
    alice_before: dict  # alice's files (path -> sha256) and scores before the demo
    alice_after: dict
    first: dict  # (student, assignment) -> cell scores after the demo (and the alternatives)
    regraded: dict  # the same after a1 was graded again


def alice_state(course: Course) -> dict:
    files = {str(p.relative_to(course.root)): hashlib.sha256(p.read_bytes()).hexdigest()
             for step in ("submitted", "autograded", "feedback") for p in course.path(step).rglob("*") if p.is_file()}
    return {"files": files, "scores": class_scores(course, ["a1_numpy_rnn"]),
            "gradebook": hashlib.sha256((course.root / "gradebook.db").read_bytes()).hexdigest()}


def collect_alice(course: Course) -> None:
    """A real class's work: alice's a1 submission, graded, with feedback."""
    write_submission(course, "a1_numpy_rnn", "alice", reference_solutions(course, "a1_numpy_rnn"))
    graded = run(course, "rnncourse.grading.autograde", "a1_numpy_rnn", "--workers", "1")
    assert graded.returncode == 0, output(graded)
    feedback = run(course, "rnncourse.grading.autograde", "--feedback", "a1_numpy_rnn")
    assert feedback.returncode == 0, output(feedback)


def overwrite_scores(course: Course, assignment: str, score: float) -> None:
    with course.gradebook() as gb:
        for submission in gb.assignment_submissions(assignment):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = score
        gb.db.commit()


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    root = tmp_path_factory.mktemp("e2e")
    course = course_copy(root / "course")
    collect_alice(course)
    before = alice_state(course)
    demo = run(course, "rnncourse.grading.demo", "--into", str(root / "demo"))
    assert demo.returncode == 0, output(demo)
    after = alice_state(course)
    scratch = Course(root / "demo")
    # one alternative solution per assignment, graded on its own by nbgrader
    for assignment in ASSIGNMENTS:
        alternative = scratch.catalog(assignment).ALTERNATIVES[0]
        write_submission(scratch, assignment, "alternative", variant_solutions(scratch, assignment, [alternative]))
        made = run(scratch, "nbgrader", "autograde", assignment, "--student", "alternative", "--force")
        assert made.returncode == 0, output(made)
    first = class_scores(scratch)
    overwrite_scores(scratch, "a1_numpy_rnn", SENTINEL)
    regrade = run(scratch, "rnncourse.grading.autograde", "a1_numpy_rnn")
    assert regrade.returncode == 0, output(regrade)
    regraded = class_scores(scratch)
    # hostile students, graded sandboxed through the course's own command
    for student, (assignment, exercise, spoil) in HOSTILE.items():
        solutions = reference_solutions(scratch, assignment)
        spoiled = exercise or "softmax"
        solutions[spoiled] = spoil(solutions[spoiled])
        write_submission(scratch, assignment, student, solutions)
    hostile = run(scratch, "rnncourse.grading.autograde", *ASSIGNMENTS,
                  *[arg for student in HOSTILE for arg in ("--student", student)])
    assert hostile.returncode == 0, output(hostile)
    return Graded(course, scratch, demo.stdout, before, after, first, regraded)


def test_demo_leaves_the_courses_collected_work_alone(graded):
    assert graded.alice_before["scores"][("alice", "a1_numpy_rnn")], "alice was not graded"
    assert len(graded.alice_before["files"]) >= 3  # submission, graded copy, feedback
    assert graded.alice_after == graded.alice_before
    assert sorted(p.name for p in graded.course.path("submitted").iterdir()) == ["alice"]
    assert "demo course: " in graded.demo_stdout and str(graded.demo.root) in graded.demo_stdout


def test_demo_refuses_a_folder_that_is_not_a_demo(graded, tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    refused = run(graded.course, "rnncourse.grading.demo", "--into", str(tmp_path))
    assert refused.returncode != 0 and "not an earlier demo" in refused.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_hostile_submissions_lose_only_what_they_spoil(graded, student):
    assignment, exercise, _ = HOSTILE[student]
    scores = class_scores(graded.demo)
    reference = graded.first[("reference", assignment)]
    exercises = nbs.solution_cells(nbs.read(graded.demo.notebook("source", assignment)))
    spoiled = {t for t in reference if exercise and nbs.exercise_of(t, exercises) == exercise}
    assert scores[(student, assignment)] == {t: 0.0 if t in spoiled else v for t, v in reference.items()}
    assert (not exercise) or sum(reference[t] for t in spoiled) > 0
    assert {k: v for k, v in scores.items() if k[0] in ("reference", "blank")} == \
        {k: v for k, v in graded.regraded.items() if k[0] in ("reference", "blank")}, "other students' scores changed"
    notebook = nbs.read(graded.demo.notebook("autograded", assignment, student))
    printed = json.dumps([c.get("outputs", []) for c in notebook.cells] + [c.source for c in notebook.cells
                                                                          if c.cell_type == "markdown"])
    explain = {"tamper_a1": "points are withheld", "peek_a1": "refused", "transformer_a2": "points are withheld",
               "crash_a3": "KernelDiedError"}[student]
    assert explain in printed and "WROTE" not in printed
    assert "tampered" not in graded.demo.notebook("submitted", "a1_numpy_rnn", "reference").read_text()


def test_demo_table_and_expectations(graded):
    assert "every score is what the catalog predicts" in graded.demo_stdout
    for assignment in ASSIGNMENTS:
        assert assignment in graded.demo_stdout
    assert "| reference" in graded.demo_stdout and "| blank" in graded.demo_stdout


def test_reference_full_blank_zero_alternative_full(graded):
    for assignment in ASSIGNMENTS:
        assert sum(graded.first[("reference", assignment)].values()) == 100
        assert sum(graded.first[("blank", assignment)].values()) == 0
        assert sum(graded.first[("alternative", assignment)].values()) == 100


def test_nbgrader_agrees_with_the_harness(graded):
    for assignment in ASSIGNMENTS:
        catalog = graded.demo.catalog(assignment)
        mistakes = {m.name: m for m in catalog.MISTAKES}
        with Harness(graded.demo, assignment) as harness:
            assert graded.first[("reference", assignment)] == harness.reference().scores
            for k, name in enumerate(catalog.DEMO, start=1):
                assert graded.first[(f"student{k}", assignment)] == harness.run(mistakes[name]).scores, name


def test_regrading_is_identical(graded):
    a1 = {k for k in graded.first if k[1] == "a1_numpy_rnn"}
    assert {s for s, _ in a1} == {"reference", "blank", "student1", "student2", "student3", "alternative"}
    assert {k: graded.regraded[k] for k in a1} == {k: graded.first[k] for k in a1}
    assert all(SENTINEL not in cells.values() for cells in graded.regraded.values()), "a submission was not regraded"


def test_feedback_and_grades_csv_cover_every_student(graded):
    students = {s for s, _ in graded.first} - {"alternative"}
    for student in students:
        for assignment in ASSIGNMENTS:
            html = graded.demo.path("feedback", assignment, student) / Path(graded.demo.notebook_name(assignment)).with_suffix(".html")
            assert html.exists(), html
    with open(graded.demo.root / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["student_id"] for r in rows} >= students
    reference_rows = [r for r in rows if r["student_id"] == "reference"]
    assert all(float(r["score"]) == 100 for r in reference_rows) and len(reference_rows) == len(ASSIGNMENTS)
