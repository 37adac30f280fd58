"""The source notebooks are clean and well-formed, and release/ and notebooks/ are generated from them."""

import filecmp
import json

import nbformat
import pytest

from rnncourse.grading import normalise
from rnncourse.grading import notebooks as nbs
from support import ASSIGNMENTS, COURSE, ROOT, course_copy, output, run


@pytest.mark.parametrize("path", sorted((ROOT / "source").rglob("*.ipynb")), ids=lambda p: p.name)
def test_source_is_normalised(path):
    """No outputs, no execution counts, a plain kernelspec, fixed cell ids: what `make release` leaves."""
    raw = json.loads(path.read_text())
    assert not [i for i, c in enumerate(raw["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert raw["metadata"].get("kernelspec", {}).get("name", "python3") == "python3"
    assert not normalise.normalise_file(path, check=True), f"{path.name} is not normalised: run `make release`"


def test_normaliser_fixes_what_jupyter_adds():
    nb = nbs.read(COURSE.notebook("source", "a1_numpy_rnn"))
    expected = normalise.text(nb)
    edited = nbformat.from_dict(json.loads(json.dumps(nb)))
    edited.metadata["widgets"] = {"state": {}}
    edited.cells[0].metadata["collapsed"] = True
    code = next(c for c in edited.cells if c.cell_type == "code")
    code.execution_count, code.outputs = 7, [nbformat.v4.new_output("stream", text="hi\n")]
    code.metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    assert normalise.text(normalise.normalised(edited)) == expected
    new = nbformat.v4.new_code_cell("x = 1")  # Jupyter gives a new cell a random id
    edited.cells.insert(3, new)
    again = normalise.normalised(edited)
    assert again.cells[3].id.startswith("cell-") and again.cells[3].id != new.id
    assert normalise.normalised(again).cells[3].id == again.cells[3].id, "an id, once given, stays"
    graded = next(c for c in again.cells if nbs.grade_id(c))
    assert graded.id == nbs.grade_id(graded)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grading_structure(assignment):
    nb = nbs.read(COURSE.notebook("source", assignment))
    ids = [nbs.grade_id(c) for c in nb.cells if nbs.grade_id(c)]
    assert len(ids) == len(set(ids)), "grade ids must be unique"
    points = nbs.points(nb)
    assert sum(points.values()) == 100
    assert all(p > 0 for p in points.values())
    exercises = nbs.solution_cells(nb)
    tested = {nbs.exercise_of(t, exercises) for t in points}
    assert tested == set(exercises), f"exercises without graded tests: {set(exercises) - tested}"
    # A visible check is a grade cell of 0 points, so that Validate reports it when it fails
    checks = nbs.check_cells(nb)
    assert {c.removeprefix("check_") for c in checks} <= set(exercises), f"checks of no exercise: {list(checks)}"
    assert all(float(nb.cells[i].metadata.nbgrader["points"]) == 0 for i in checks.values())
    assert not [c for c, i in checks.items() if nbs.BEGIN_HIDDEN in nb.cells[i].source], "a visible check hides nothing"
    visible = [nbs.grade_id(c) for c in nb.cells if c.cell_type == "code" and nbs.nbgrader_meta(c).get("locked")
               and not nbs.nbgrader_meta(c).get("grade")]
    assert not [v for v in visible if v.startswith(("check_", "test_"))], f"checks Validate would not judge: {visible}"
    for cell in nb.cells:
        meta = nbs.nbgrader_meta(cell)
        if nbs.is_solution(cell):
            assert nbs.BEGIN_SOLUTION in cell.source and not meta.get("grade"), nbs.grade_id(cell)
        if meta.get("grade") or meta.get("locked"):
            assert nbs.BEGIN_SOLUTION not in cell.source
        if meta and not meta.get("grade") and not meta.get("solution"):
            assert nbs.BEGIN_HIDDEN not in cell.source, "hidden tests only in graded cells"
        if meta.get("grade"):
            assert meta.get("locked") and not meta.get("solution"), "every point is autograded by a locked test cell"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_hides_solutions_and_hidden_tests_selfstudy_shows_checks(assignment):
    release = COURSE.notebook("release", assignment).read_text()
    selfstudy = COURSE.notebook("selfstudy", assignment).read_text()
    source = COURSE.notebook("source", assignment).read_text()
    for text in (release, selfstudy):
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert "raise NotImplementedError()" in text
    assert "_ref_" in source and "_ref_" not in release
    assert "Generate names with recurrent neural networks" in release, "the course header is missing"


def test_release_and_selfstudy_are_up_to_date(tmp_path):
    """Regenerating every edition from source/ in a copy of the course changes nothing: release/ and
    notebooks/ (the exercise edition, its pictures, solutions/ and references/)."""
    course = course_copy(tmp_path / "course")
    made = run(course, "rnncourse.grading.release")
    assert made.returncode == 0, output(made)
    assert (course.path("selfstudy") / "solutions").is_dir() and (course.path("selfstudy") / "references").is_dir()
    for step in ("release", "selfstudy"):
        differ = _diff(filecmp.dircmp(COURSE.path(step), course.path(step)))
        assert differ == [], f"{step} differs from what `make release` generates: {differ}. Run `make release` and commit."


def _diff(cmp, prefix=""):
    out = [prefix + n for n in cmp.left_only + cmp.right_only + cmp.diff_files if not n.startswith(".")]
    for name, sub in cmp.subdirs.items():
        out += _diff(sub, f"{prefix}{name}/")
    return out
