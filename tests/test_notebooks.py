"""The source notebooks are clean and well-formed, and release/ and notebooks/ are generated from them."""

import filecmp
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnncourse.grading import notebooks as nbs
from rnncourse.grading.settings import ASSIGNMENTS, ROOT, tool_env


@pytest.mark.parametrize("path", sorted((ROOT / "source").rglob("*.ipynb")), ids=lambda p: p.name)
def test_source_has_no_outputs_and_normal_kernelspec(path):
    raw = json.loads(path.read_text())
    assert not [i for i, c in enumerate(raw["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert raw["metadata"].get("kernelspec", {}).get("name", "python3") == "python3"


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_grading_structure(assignment):
    nb = nbs.read(nbs.source_path(assignment))
    ids = [nbs.grade_id(c) for c in nb.cells if nbs.grade_id(c)]
    assert len(ids) == len(set(ids)), "grade ids must be unique"
    points = nbs.points(nb)
    assert sum(points.values()) == 100
    assert all(p > 0 for p in points.values())
    exercises = nbs.solution_cells(nb)
    tested = {nbs.exercise_of(t, exercises) for t in points}
    assert tested == set(exercises), f"exercises without graded tests: {set(exercises) - tested}"
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


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_release_hides_solutions_and_hidden_tests_selfstudy_shows_checks(assignment):
    release = nbs.release_path(assignment).read_text()
    selfstudy = (ROOT / "notebooks" / nbs.notebook_name(assignment)).read_text()
    source = nbs.source_path(assignment).read_text()
    for text in (release, selfstudy):
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert "raise NotImplementedError()" in text
    assert "_ref_" in source and "_ref_" in selfstudy and "_ref_" not in release
    assert "Generate names with recurrent neural networks" in release, "the course header is missing"


def test_release_and_selfstudy_are_up_to_date(tmp_path):
    """Regenerating release/ and notebooks/ from source/ in a copy of the course changes nothing."""
    for item in ("source", "rnncourse", "tests/catalog", "data"):
        shutil.copytree(ROOT / item, tmp_path / item, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    subprocess.run([sys.executable, "-m", "rnncourse.grading.release"], cwd=tmp_path, check=True, env=tool_env(),
                   capture_output=True)
    for folder in ("release", "notebooks"):
        compared = filecmp.dircmp(ROOT / folder, tmp_path / folder)
        differ = _diff(compared)
        assert differ == [], f"{folder}/ differs from what `make release` generates: {differ}. Run `make release` and commit."


def _diff(cmp, prefix=""):
    out = [prefix + n for n in cmp.left_only + cmp.right_only + cmp.diff_files if not n.startswith(".")]
    for name, sub in cmp.subdirs.items():
        out += _diff(sub, f"{prefix}{name}/")
    return out
