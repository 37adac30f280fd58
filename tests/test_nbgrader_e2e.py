"""End to end with real nbgrader, in a copy of the course directory.

The demo class (reference, blank, catalog mistakes) plus one alternative solution per
assignment are graded by `nbgrader autograde`:
- the demo's own expectations hold (reference 100, blank 0, each mistake loses only its exercise);
- nbgrader's per-cell scores equal the fast harness's, so the catalog tests speak for nbgrader;
- grading the same submissions again gives identical scores (checked on a1, the quickest);
- feedback and grades.csv cover every student;
- hostile submissions to the real assignments (tampering with the tests, a transformer that
  would blank the test cells, a kernel that dies, a look at the gradebook and at other
  students' work), graded sandboxed, lose exactly the exercise they spoil and nothing else.
"""

import csv
import json
import shutil
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from rnncourse.grading import notebooks as nbs
from rnncourse.grading.catalog import load, reference_solutions, variant_solutions
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


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    return grade_class(tmp_path_factory)


def grade_class(tmp_path_factory):
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
    second = all_scores(course)
    # hostile students, graded sandboxed through the course's own command
    for student, (assignment, exercise, spoil) in HOSTILE.items():
        solutions = reference_solutions(assignment)
        spoiled = exercise or "softmax"
        solutions[spoiled] = spoil(solutions[spoiled])
        write_submission(assignment, student, solutions, root=course)
    graded = run(course, "rnncourse.grading.autograde", *[a for a in ASSIGNMENTS],
                 *[arg for student in HOSTILE for arg in ("--student", student)])
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    return course, demo.stdout, first, second


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_hostile_submissions_lose_only_what_they_spoil(graded_course, student):
    course, _, first, _ = graded_course
    assignment, exercise, _ = HOSTILE[student]
    scores = all_scores(course)
    reference = first[("reference", assignment)]
    exercises = nbs.solution_cells(nbs.read(nbs.source_path(assignment)))
    spoiled = {t for t in reference if exercise and nbs.exercise_of(t, exercises) == exercise}
    assert scores[(student, assignment)] == {t: 0.0 if t in spoiled else v for t, v in reference.items()}
    assert (not exercise) or sum(reference[t] for t in spoiled) > 0
    assert {k: v for k, v in scores.items() if k[0] in ("reference", "blank")} == \
        {k: v for k, v in first.items() if k[0] in ("reference", "blank")}, "other students' scores changed"
    graded = nbs.read(course / "autograded" / student / assignment / nbs.notebook_name(assignment))
    printed = json.dumps([c.get("outputs", []) for c in graded.cells] + [c.source for c in graded.cells
                                                                         if c.cell_type == "markdown"])
    explain = {"tamper_a1": "points are withheld", "peek_a1": "refused", "transformer_a2": "points are withheld",
               "crash_a3": "KernelDiedError"}[student]
    assert explain in printed and "WROTE" not in printed
    assert "tampered" not in (course / "submitted" / "reference" / "a1_numpy_rnn" / "numpy_rnn.ipynb").read_text()


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
