"""The self-study editions stand alone: no reference code in the exercise notebooks, their own header,
pictures beside them, grade metadata for Validate (pressed in tests/test_render.py), a solutions
edition that runs top to bottom, a website built from it, and a light install for learners."""

import ast
import re
from pathlib import Path

import pytest

from rnncourse.grading import editions
from rnncourse.grading import learner_env
from rnncourse.grading import notebooks as nbs
from rnncourse.grading import site
from rnncourse.selfstudy import define_references, sections
from support import ASSIGNMENTS, COURSE, ROOT

SELFSTUDY = COURSE.path("selfstudy")


def exercise(assignment):
    return nbs.read(COURSE.notebook("selfstudy", assignment))


def solved(assignment):
    return nbs.read(SELFSTUDY / editions.SOLUTIONS / COURSE.notebook_name(assignment))


def references(assignment):
    return SELFSTUDY / editions.REFERENCES / f"{Path(COURSE.notebook_name(assignment)).stem}.py"


def python_of(cell) -> str:
    """A code cell's source without its %magics, which are not Python."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.split("\n"))


def reference_definitions(tree) -> list[str]:
    """Names of every reference definition anywhere in ``tree``: def, class, or a name bound to a lambda."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and editions.is_reference_name(node.name):
            found.append(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            found += [t.id for t in node.targets if isinstance(t, ast.Name) and editions.is_reference_name(t.id)]
    return found


# --- the reference code ----------------------------------------------------------------------
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_defines_references_by_the_convention(assignment):
    """Every reference in source/ is a top-level def/class inside a hidden block, which is what
    the self-study edition knows how to move out of sight (the convention in editions.py)."""
    nb = nbs.read(COURSE.notebook("source", assignment))
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        defined = reference_definitions(ast.parse(python_of(cell)))
        movable = [name for name, _, _ in editions.reference_spans(python_of(cell))] if nbs.is_test(cell) else []
        assert sorted(defined) == sorted(movable), (
            f"{assignment}, cell {cell.get('id')}: the references {sorted(set(defined) - set(movable))} are not "
            "top-level `def _ref_*`/`class _Ref*` inside ### BEGIN HIDDEN TESTS, so the self-study edition would show them")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercise_edition_holds_no_reference_code(assignment):
    nb = exercise(assignment)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    defined = [name for cell in code_cells for name in reference_definitions(ast.parse(python_of(cell)))]
    assert defined == [], f"reference code in notebooks/{COURSE.notebook_name(assignment)}: {defined}"
    # Nor a line of a reference solution, however a hidden test spelt it, that the graded
    # release does not show as well (a lesson may give a formula or a seeding line).
    source = nbs.read(COURSE.notebook("source", assignment))
    released = {line.strip() for cell in nbs.read(COURSE.notebook("release", assignment)).cells
                for line in cell.source.split("\n")}
    solution_lines = {line.strip() for cell in source.cells if nbs.is_solution(cell)
                      for line in cell.source.split(nbs.BEGIN_SOLUTION, 1)[-1].split(nbs.END_SOLUTION)[0].split("\n")
                      if len(line.strip()) >= 30 and not line.strip().startswith("#")} - released
    assert len(solution_lines) > 20, "too few solution lines to check: has the solution marker changed?"
    shown = {line.strip() for cell in code_cells for line in cell.source.split("\n")}
    assert solution_lines & shown == set(), "solution code in the exercise edition"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_references_file_holds_every_reference_once(assignment):
    """Each check that lost its references loads its own section, and the sections define exactly
    the references of the source's hidden tests, and nothing else."""
    source = nbs.read(COURSE.notebook("source", assignment))
    expected = {nbs.grade_id(cell): sorted(name for name, _, _ in editions.reference_spans(cell.source))
                for cell in source.cells if nbs.is_test(cell)}
    expected = {check: names for check, names in expected.items() if names}
    found = sections(references(assignment).read_text())
    assert {check: sorted(n.name for n in ast.parse(code).body) for check, (_, code) in found.items()} == expected
    relative = f"references/{references(assignment).name}"
    for nb, path in ((exercise(assignment), relative), (solved(assignment), "../" + relative)):
        calls = sorted(re.findall(rf'define_references\(globals\(\), "{re.escape(path)}", "(\w+)"\)',
                                  "\n".join(cell.source for cell in nb.cells)))
        assert calls == sorted(expected)


def test_split_references_moves_only_top_level_references_in_hidden_blocks():
    cell = "\n".join([
        "x = 1",
        "def _ref_outside(): pass",      # not hidden: stays (and the convention test fails on it)
        "### BEGIN HIDDEN TESTS",
        "@functools.cache",
        "def _ref_f(a):",
        "    def _ref_inner(): pass",
        "    return a",
        "",
        "def _helper(): return 2",
        "class _RefModel(Base):",
        "    size = 3",
        "check(_ref_f(1), _RefModel)",
        "### END HIDDEN TESTS",
    ])
    kept, moved, names = editions.split_references(cell, "LOAD")
    assert names == ["_ref_f", "_RefModel"]
    assert moved == "@functools.cache\ndef _ref_f(a):\n    def _ref_inner(): pass\n    return a\n\nclass _RefModel(Base):\n    size = 3"
    assert kept.split("\n") == ["x = 1", "def _ref_outside(): pass", "### BEGIN HIDDEN TESTS", "LOAD", "",
                                "def _helper(): return 2", "check(_ref_f(1), _RefModel)", "### END HIDDEN TESTS"]
    assert editions.split_references("y = 2\n### BEGIN HIDDEN TESTS\nz = 3\n### END HIDDEN TESTS", "LOAD")[1:] == ("", [])


def test_define_references_runs_its_section_in_the_notebook_namespace(tmp_path, monkeypatch):
    (tmp_path / "references").mkdir()
    (tmp_path / "references" / "nb.py").write_text(
        '"""doc"""\n\n# %% test_a\ndef _ref_a(x):\n    return SCALE * x\n\n# %% test_b\ndef _ref_b(x):\n    return _ref_a(x) + 1 / 0\n')
    monkeypatch.chdir(tmp_path)
    namespace = {"SCALE": 10}
    define_references(namespace, "references/nb.py", "test_a")
    assert namespace["_ref_a"](2) == 20 and "_ref_b" not in namespace
    define_references(namespace, "references/nb.py", "test_b")
    with pytest.raises(ZeroDivisionError) as raised:
        namespace["_ref_b"](1)
    frame = raised.traceback[-1]
    assert Path(str(frame.path)) == tmp_path / "references" / "nb.py" and frame.lineno + 1 == 9
    with pytest.raises(KeyError, match="no section '# %% test_c'"):
        define_references(namespace, "references/nb.py", "test_c")
    monkeypatch.chdir(tmp_path / "references")
    with pytest.raises(FileNotFoundError, match="run this notebook from its own folder"):
        define_references(namespace, "references/nb.py", "test_a")


# --- the editions ------------------------------------------------------------------------------
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_editions_differ_only_in_their_solution_cells(assignment):
    source = nbs.read(COURSE.notebook("source", assignment))
    solution_ids = {cell.get("id") for cell in source.cells if nbs.is_solution(cell)}
    ours, theirs = exercise(assignment), solved(assignment)
    theirs_cells = [cell for cell in theirs.cells if cell.get("id") != editions.SOLUTIONS_NOTE_ID]
    assert [c.get("id") for c in ours.cells] == [c.get("id") for c in theirs_cells]
    differ = {a.get("id") for a, b in zip(ours.cells, theirs_cells) if a.source != b.source.replace("../references/", "references/")}
    assert differ == solution_ids
    for a, b in zip(ours.cells, theirs_cells):
        if a.get("id") in solution_ids:
            assert nbs.solution_code(b.source) == b.source and "raise NotImplementedError()" in a.source


def selfstudy_notebooks():
    return [pytest.param(folder / COURSE.notebook_name(a), id=f"{edition}/{COURSE.notebook_name(a)}")
            for a in ASSIGNMENTS for edition, folder in (("notebooks", SELFSTUDY), ("solutions", SELFSTUDY / editions.SOLUTIONS))]


@pytest.mark.parametrize("path", selfstudy_notebooks())
def test_selfstudy_says_nothing_of_the_graded_course(path):
    nb = nbs.read(path)
    left = [(cell.get("id"), m.group(0)) for cell in nb.cells for m in editions.GRADED_COURSE_WORDS.finditer(cell.source)]
    assert left == [], f"graded-course wording left in {path.relative_to(ROOT)} (add a rule to editions.GRADED_COURSE_PHRASES)"
    header = nbs.read(ROOT / editions.HEADER).cells[0]
    assert nb.cells[0].source == header.source and "solutions/" in header.source and "references/" in header.source
    assert "How you are graded" not in nbs.read(path).cells[0].source


def test_graded_course_phrases_become_selfstudy_wording():
    rewrite = editions.without_graded_course_phrases
    assert rewrite("# Hidden tests (1 point), run when your notebook is graded: `clip`") == \
        "# More checks (1 point in the graded course): `clip`"
    assert rewrite("# Hidden tests (12 points)") == "# More checks (12 points in the graded course)"
    assert rewrite("The hidden test checks the direction. The hidden tests judge your draws.") == \
        "The *More checks* below check the direction. The *More checks* below judge your draws."
    assert rewrite('print("train: hidden checks of the loop passed")') == 'print("train: more checks of the loop passed")'
    assert editions.check_preamble("x = 1\n", 1.0, "clip").startswith("# More checks of `clip` (1 point in the graded course).")
    assert not editions.GRADED_COURSE_WORDS.search(rewrite("A hidden test, the hidden checks; Hidden tests (2 points)"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_checks_keep_their_points_so_validate_grades_them(assignment):
    source = nbs.read(COURSE.notebook("source", assignment))
    for nb in (exercise(assignment), solved(assignment)):
        graded = {nbs.grade_id(c): nbs.nbgrader_meta(c) for c in nb.cells if nbs.nbgrader_meta(c)}
        assert {k: float(m["points"]) for k, m in graded.items()} == {
            nbs.grade_id(c): float(nbs.nbgrader_meta(c)["points"]) for c in source.cells if nbs.is_graded_code(c)}
        assert nbs.points(nb) == nbs.points(source) and nbs.check_cells(nb).keys() == nbs.check_cells(source).keys()
        assert not any(m["locked"] or m["solution"] for m in graded.values())
        assert all(set(c.metadata) <= {"nbgrader", "tags"} for c in nb.cells)
    # tests/test_render.py presses Validate on a blank one in JupyterLab: it fails on all 32 of a1's.


# --- links and pictures ---------------------------------------------------------------------
def generated_notebooks():
    return [pytest.param(path, id=str(path.relative_to(ROOT))) for a in ASSIGNMENTS
            for path in (COURSE.notebook("release", a), COURSE.notebook("selfstudy", a),
                         SELFSTUDY / editions.SOLUTIONS / COURSE.notebook_name(a))]


@pytest.mark.parametrize("path", generated_notebooks())
def test_no_broken_link_or_picture(path):
    assert path.is_file(), f"{path.relative_to(ROOT)} was not generated: run `make release`"
    assert editions.broken_links(path) == []


def test_pictures_are_found_and_broken_ones_reported(tmp_path):
    a1 = COURSE.notebook("selfstudy", "a1_numpy_rnn")
    assert "rnn_unrolled.svg" in editions.relative_links(nbs.read(a1)), "the a1 picture is no longer linked"
    nb = nbs.nbformat.v4.new_notebook()
    nb.cells = [nbs.nbformat.v4.new_markdown_cell(
        '![ok](here.png) ![gone](missing.png "title") <img width="3" src="sub/gone.svg"> [next](other.ipynb#part) '
        "[web](https://example.org/x.png) [top](#top) ![](attachment:inline.png)")]
    (tmp_path / "here.png").write_bytes(b"png")
    nbs.write(nb, tmp_path / "page.ipynb")
    assert editions.broken_links(tmp_path / "page.ipynb") == ["missing.png", "sub/gone.svg", "other.ipynb"]


# --- the solutions edition, executed, and the website built from it ---------------------------
@pytest.fixture(scope="module")
def executed_solutions(tmp_path_factory):
    """The solutions edition executed in grading mode (site.execute_solutions raises on any error)."""
    folder = tmp_path_factory.mktemp("executed")
    return folder, site.execute_solutions(COURSE, folder, grading=True)


@pytest.mark.xdist_group("selfstudy_site")
def test_solutions_edition_runs_top_to_bottom_and_passes_every_check(executed_solutions):
    folder, seconds = executed_solutions
    for assignment in ASSIGNMENTS:
        nb = nbs.read(folder / COURSE.notebook_name(assignment))
        assert site.errors(nb) == []
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert all(cell.execution_count for cell in code), "a cell did not run"
        for cell in code:
            if nbs.nbgrader_meta(cell).get("grade"):
                printed = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
                assert re.search(r"\bchecks\b[\w ]* passed", printed), f"{nbs.grade_id(cell)} printed {printed!r}"
    print("solutions executed in grading mode:", {k: round(v, 1) for k, v in seconds.items()})


@pytest.mark.xdist_group("selfstudy_site")
def test_site_builds_from_the_executed_solutions_with_no_broken_link(executed_solutions, tmp_path):
    folder, _ = executed_solutions
    out = tmp_path / "site"
    site.make_site(COURSE, out, grading=True, executed=folder, staging=tmp_path / "staging")
    pages = {p.name: p.read_text() for p in out.glob("*.html")}
    for name in ("index.html", "numpy_rnn.html", "keras_lstm.html", "torch_rnn.html"):
        assert name in pages
    for name in ("numpy_rnn.html", "keras_lstm.html", "torch_rnn.html"):
        assert len(re.findall(r'<img [^>]*src="_images/[0-9a-f]+\.png"', pages[name])) >= 2, f"{name} lost its plots"
    assert 'src="_images/rnn_unrolled.svg"' in pages["numpy_rnn.html"]
    assert "Generate names with recurrent neural networks" in pages["index.html"]
    assert pages["numpy_rnn.html"].count("<h1>") == 1, "the self-study header should not be on the site"
    assert site.broken_site_links(out) == []
    # the checker finds what is broken
    (out / "_images" / "rnn_unrolled.svg").unlink()
    (out / "keras_lstm.html").write_text(pages["keras_lstm.html"].replace('href="torch_rnn.html"', 'href="torch_rnn.html#no-such-part"', 1))
    assert set(site.broken_site_links(out)) == {"keras_lstm.html: torch_rnn.html#no-such-part (no such anchor)",
                                                "numpy_rnn.html: _images/rnn_unrolled.svg"}


# --- the learners' light install --------------------------------------------------------------
def test_student_requirements_are_the_course_pins_without_grading_tools():
    student = learner_env.pins(ROOT / learner_env.REQUIREMENTS)
    course = learner_env.pins(ROOT / "requirements.txt")
    assert set(student) == {"torch", "keras", "numpy", "matplotlib", "tqdm", "ipywidgets", "jupyterlab", "ipykernel"}
    assert {name: course[name] for name in student} == student, "requirements-student.txt and requirements.txt disagree"
    import tomllib
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["student"]
    assert learner_env.pins_of(extra) == student, "pyproject's `student` extra and requirements-student.txt disagree"
    assert not set(learner_env.closure(student)) & {learner_env.canonical(n) for n in learner_env.INSTRUCTOR_ONLY}


def test_notebooks_run_in_a_fresh_light_env_with_the_package_installed_from_a_wheel(tmp_path):
    """A fresh venv holding only what requirements-student.txt needs (linked from this venv, so
    that it takes seconds; `make learner-env` installs it for real), the course package from its
    wheel, used from an empty folder: every import of the notebooks works, the datasets come from
    the installed package, and no grading tool is importable."""
    wheel = learner_env.build_wheel(COURSE, tmp_path / "wheel")
    venv = tmp_path / "venv"
    learner_env.linked_env(COURSE, venv, wheel)
    report = learner_env.smoke(COURSE, venv)
    installed = learner_env.site_packages(venv) / "rnncourse"
    assert Path(report["rnncourse"]).parent == installed and Path(report["data_path"]).parent == installed / "datasets"
    assert report["datasets"] == {"female.txt": 4275, "names.txt": 5163, "sonnets.txt": 2309}
    assert report["instructor_only_importable"] == []
    assert {"keras", "torch", "numpy", "matplotlib.pyplot", "rnncourse.checks"} <= set(learner_env.notebook_modules(COURSE))
