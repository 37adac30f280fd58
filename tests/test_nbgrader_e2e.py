"""End to end with real nbgrader, in a copy of the course directory.

The demo class (reference, blank, catalog mistakes) plus one alternative solution per
assignment are graded by `nbgrader autograde`:
- the demo's own expectations hold (reference 100, blank 0, each mistake loses only its exercise);
- nbgrader's per-cell scores equal the fast harness's, so the catalog tests speak for nbgrader;
- grading the same submissions again gives identical scores (checked on a1, the quickest);
- feedback and grades.csv cover every student.
"""

import csv
import shutil
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from rnncourse.grading import notebooks as nbs
from rnncourse.grading.catalog import load, variant_solutions
from rnncourse.grading.harness import Harness
from rnncourse.grading.settings import ASSIGNMENTS, ROOT, tool_env
from rnncourse.grading.submissions import write_submission


def run(course, *args):
    return subprocess.run([sys.executable, "-m", *args], cwd=course, env=tool_env(), capture_output=True, text=True)


def all_scores(course):
    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for assignment in ASSIGNMENTS:
            notebook = nbs.notebook_name(assignment).removesuffix(".ipynb")
            for submission in gb.assignment_submissions(assignment):
                nb = gb.find_submission_notebook(notebook, assignment, submission.student.id)
                out[(submission.student.id, assignment)] = {g.name: float(g.score) for g in nb.grades if g.max_score > 0}
    return out


pytestmark = pytest.mark.xdist_group("nbgrader_e2e")


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    for item in ("source", "release", "rnncourse", "tests/catalog", "data"):
        shutil.copytree(ROOT / item, course / item, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "nbgrader_config.py", course)
    demo = run(course, "rnncourse.grading.demo")
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    first = all_scores(course)
    # one alternative solution per assignment, graded on its own
    for assignment in ASSIGNMENTS:
        alternative = load(assignment).ALTERNATIVES[0]
        write_submission(assignment, "alternative", variant_solutions(assignment, [alternative]), root=course)
        graded = run(course, "nbgrader", "autograde", assignment, "--student", "alternative", "--force")
        assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    # grade the whole a1 class again
    regrade = run(course, "rnncourse.grading.autograde", "a1_numpy_rnn")
    assert regrade.returncode == 0, regrade.stdout[-3000:] + regrade.stderr[-3000:]
    return course, demo.stdout, first, all_scores(course)


def test_demo_table_and_expectations(graded_course):
    course, stdout, _, _ = graded_course
    assert "every score is what the catalog predicts" in stdout
    for assignment in ASSIGNMENTS:
        assert assignment in stdout
    assert "| reference" in stdout and "| blank" in stdout


def test_reference_full_blank_zero_alternative_full(graded_course):
    _, _, _, scores = graded_course
    for assignment in ASSIGNMENTS:
        assert sum(scores[("reference", assignment)].values()) == 100
        assert sum(scores[("blank", assignment)].values()) == 0
        assert sum(scores[("alternative", assignment)].values()) == 100


def test_nbgrader_agrees_with_the_harness(graded_course):
    _, _, _, scores = graded_course
    for assignment in ASSIGNMENTS:
        mistakes = {m.name: m for m in load(assignment).MISTAKES}
        with Harness(assignment) as harness:
            assert scores[("reference", assignment)] == harness.reference().scores
            for k, name in enumerate(load(assignment).DEMO, start=1):
                assert scores[(f"student{k}", assignment)] == harness.run(mistakes[name]).scores, f"{assignment} {name}"


def test_regrading_is_identical(graded_course):
    _, _, first, second = graded_course
    assert {k: v for k, v in second.items() if k[0] != "alternative"} == first
    assert {k for k in first if k[1] == "a1_numpy_rnn"} == {(s, "a1_numpy_rnn") for s in ("reference", "blank", "student1", "student2", "student3")}


def test_feedback_and_grades_csv_cover_every_student(graded_course):
    course, _, _, scores = graded_course
    students = {s for s, _ in scores} - {"alternative"}
    for student in students:
        for assignment in ASSIGNMENTS:
            assert (course / "feedback" / student / assignment / nbs.notebook_name(assignment).replace(".ipynb", ".html")).exists()
    with open(course / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["student_id"] for r in rows} >= students
    reference_rows = [r for r in rows if r["student_id"] == "reference"]
    assert all(float(r["score"]) == 100 for r in reference_rows) and len(reference_rows) == len(ASSIGNMENTS)
