"""The Course object, the safety of collected work, and the package's structure."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy
from nbgrader.coursedir import CourseDirectory

from rnncourse.grading import config
from rnncourse.grading.course import Course
from support import COURSE, ROOT, course_copy

STUDENT_WORK = ["submitted/alice/a1_numpy_rnn/numpy_rnn.ipynb", "autograded/alice/a1_numpy_rnn/numpy_rnn.ipynb",
                "feedback/alice/a1_numpy_rnn/numpy_rnn.html", "gradebook.db"]
REGENERATED = [".grading/staged/alice/a1_numpy_rnn/numpy_rnn.ipynb", ".demo/DEMO-COURSE", "grades.csv", ".cache/site/x.html"]


def test_paths_are_nbgraders():
    nbgrader = CourseDirectory(root=str(ROOT))
    for step in ("source", "release", "submitted", "autograded", "feedback"):
        student = "alice" if step in ("submitted", "autograded", "feedback") else "."
        expected = Path(nbgrader.format_path(getattr(nbgrader, f"{step}_directory"), student, "a1_numpy_rnn"))
        assert COURSE.path(step, "a1_numpy_rnn", "alice" if student == "alice" else "") == expected.resolve()
    assert COURSE.notebook("release", "a1_numpy_rnn") == ROOT / "release/a1_numpy_rnn/numpy_rnn.ipynb"
    assert COURSE.notebook("selfstudy", "a3_torch_rnn") == ROOT / "notebooks/torch_rnn.ipynb"


def test_find_walks_up_from_a_subfolder(tmp_path, monkeypatch):
    monkeypatch.delenv("RNNCOURSE_DB_URL", raising=False)
    assert Course.find(ROOT / "source" / "a1_numpy_rnn").root == ROOT
    copy = course_copy(tmp_path / "course")
    assert Course.find(copy.root / "release").root == copy.root
    assert Course.find(copy.root, db_url="sqlite:///x.db").gradebook_url == "sqlite:///x.db"


def test_gradebook_has_the_courses_one_id(tmp_path):
    course = course_copy(tmp_path / "course")
    with course.gradebook() as gb:
        assert gb.course_id == config.COURSE_ID == "rnn-names"
        assert gb.db.execute(sqlalchemy.text("SELECT id FROM course")).scalars().all() == ["rnn-names"]
    text = (ROOT / "nbgrader_config.py").read_text()
    assert '"rnn-names"' not in text, "the course id is defined once, in config.py"


def test_scratch_copy_takes_content_not_student_work(tmp_path):
    course = course_copy(tmp_path / "course")
    for relative in STUDENT_WORK:
        (course.root / relative).parent.mkdir(parents=True, exist_ok=True)
        (course.root / relative).write_text("alice's work")
    scratch = course.scratch_copy(tmp_path / "scratch")
    assert sorted(p.name for p in scratch.root.iterdir()) == ["catalog", "nbgrader_config.py", "release", "source"]
    assert scratch.gradebook_url == f"sqlite:///{tmp_path / 'scratch' / 'gradebook.db'}?timeout=120"
    assert course.with_gradebook("postgresql://db/x").scratch_copy(tmp_path / "s2").db_url is None


def make(course: Course, target: str, *variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-C", str(course.root), "-f", str(ROOT / "Makefile"), target,
                           f"PYTHON_SYS={sys.executable}", *variables], capture_output=True, text=True)


@pytest.fixture
def course_with_a_class(tmp_path):
    """A course copy holding a real class's work and some regenerable output."""
    course = course_copy(tmp_path / "course")
    for relative in STUDENT_WORK + REGENERATED:
        (course.root / relative).parent.mkdir(parents=True, exist_ok=True)
        (course.root / relative).write_text(f"contents of {relative}")
    return course


def test_make_clean_removes_only_what_is_regenerated(course_with_a_class):
    course = course_with_a_class
    done = make(course, "clean")
    assert done.returncode == 0, done.stdout + done.stderr
    for relative in STUDENT_WORK:
        assert (course.root / relative).read_text() == f"contents of {relative}", relative
    for relative in REGENERATED:
        assert not (course.root / relative).exists(), relative
    assert (course.root / "source").is_dir() and (course.root / "release").is_dir()


def test_nothing_is_imported_from_the_course_directory_by_accident(course_with_a_class):
    """The instructors' group may create files in the course directory: a module planted there is
    never imported by root's commands (``python -m`` puts the working directory first on sys.path)."""
    course = course_with_a_class
    marker = course.root / "planted-ran"
    for module in ("argparse", "shutil"):
        (course.root / f"{module}.py").write_text(f"open({str(marker)!r}, 'a').write('{module}')\n")
    done = make(course, "clean")
    assert done.returncode == 0, done.stdout + done.stderr
    shown = subprocess.run([sys.executable, "-m", "rnncourse.classroom", "--help"], cwd=course.root, env=course.env(),
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert not marker.exists(), f"a planted module ran: {marker.read_text()}"


def test_erasing_student_work_needs_force(course_with_a_class):
    course = course_with_a_class
    refused = make(course, "erase-student-work")
    assert refused.returncode != 0 and "FORCE=1" in refused.stderr
    assert "submitted/ (1 file)" in refused.stderr and "gradebook.db" in refused.stderr
    for relative in STUDENT_WORK:
        assert (course.root / relative).exists(), relative
    refused = make(course, "erase-student-work", "FORCE=yes")  # only FORCE=1 counts
    assert refused.returncode != 0 and (course.root / STUDENT_WORK[0]).exists()
    erased = make(course, "erase-student-work", "FORCE=1")
    assert erased.returncode == 0, erased.stdout + erased.stderr
    for relative in STUDENT_WORK:
        assert not (course.root / relative).exists(), relative
    assert (course.root / "source").is_dir() and (course.root / "catalog").is_dir()


def test_make_clean_removes_a_link_not_what_it_points_to(course_with_a_class, tmp_path):
    course = course_with_a_class
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "thesis.tex").write_text("not the course's")
    (course.root / ".cache").rename(tmp_path / "old-cache")
    (course.root / ".cache").symlink_to(elsewhere)
    (course.root / ".grading" / "linked").symlink_to(elsewhere)
    cached = course.root / "submitted/alice/a1_numpy_rnn/__pycache__/helper.cpython-311.pyc"
    cached.parent.mkdir()
    cached.write_text("part of what alice handed in")
    (course.root / "source/__pycache__").mkdir()
    done = make(course, "clean")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (elsewhere / "thesis.tex").read_text() == "not the course's"
    assert not (course.root / ".cache").exists() and not (course.root / ".grading").exists()
    assert cached.read_text() == "part of what alice handed in"
    assert not (course.root / "source/__pycache__").exists()


def test_erasing_says_a_postgres_gradebook_keeps_its_scores(course_with_a_class):
    course = course_with_a_class
    refused = make(course, "erase-student-work", "RNNCOURSE_DB_URL=postgresql://localhost/grades")
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert "postgresql://localhost/grades" in refused.stderr and "its scores stay" in refused.stderr
    assert "feedback and score for good" not in refused.stderr


def test_learner_env_never_deletes_a_folder_it_is_given(tmp_path):
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "thesis.tex").write_text("mine")
    done = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "-o", ".venv/.installed", "learner-env",
                           f"DEST={dest}"], capture_output=True, text=True)
    assert done.returncode != 0 and "exists" in done.stderr, done.stdout + done.stderr
    assert (dest / "thesis.tex").read_text() == "mine"


@pytest.mark.parametrize("inside", ["submitted", "source/demo", "release/a1_numpy_rnn"])
def test_the_demo_never_makes_its_scratch_course_inside_the_course(course_with_a_class, inside):
    from rnncourse.grading.demo import MARKER, scratch_course

    course = course_with_a_class
    (course.root / "submitted" / MARKER).write_text("a marker where it should not be")
    before = sorted(str(p.relative_to(course.root)) for p in course.root.rglob("*"))
    with pytest.raises(SystemExit, match="inside the course"):
        scratch_course(course, course.root / inside)
    assert sorted(str(p.relative_to(course.root)) for p in course.root.rglob("*")) == before
    scratch = scratch_course(course, course.root / ".demo")
    assert (scratch.root / MARKER).is_file() and (scratch.root / "source").is_dir()


def test_grading_into_a_new_gradebook_leaves_the_release_as_handed_out(tmp_path, capfd):
    """A new gradebook (a fresh clone, a new RNNCOURSE_DB_URL) learns the assignment from
    generate_assignment, whose output goes to the grader's staging area, not over release/."""
    import nbformat

    from rnncourse.grading.pipeline import ensure_in_gradebook

    course = course_copy(tmp_path / "course")
    source = course.notebook("source", "a1_numpy_rnn")
    nb = nbformat.read(source, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("NEXT TERM'S DRAFT"))
    nbformat.write(nb, source)
    released = course.notebook("release", "a1_numpy_rnn")
    before = released.read_bytes()
    ensure_in_gradebook(course, "a1_numpy_rnn")
    assert released.read_bytes() == before
    assert "is not what source/ generates now" in capfd.readouterr().err
    with course.gradebook() as gb:
        assert gb.find_notebook("numpy_rnn", "a1_numpy_rnn").name == "numpy_rnn"


def test_a_submission_the_grader_gives_up_on_keeps_the_instructors_manual_grades(tmp_path):
    from rnncourse.grading.pipeline import _forget, ensure_in_gradebook

    course = course_copy(tmp_path / "course")
    ensure_in_gradebook(course, "a1_numpy_rnn")
    with course.gradebook() as gb:
        for student in ("alice", "bob"):
            gb.add_student(student)
            gb.add_submission("a1_numpy_rnn", student)
        grade = gb.find_submission("a1_numpy_rnn", "alice").notebooks[0].grades[0]
        grade.manual_score = 1.0
        gb.db.commit()
    assert _forget(course, "a1_numpy_rnn", "alice") is False
    assert _forget(course, "a1_numpy_rnn", "bob") is True
    with course.gradebook() as gb:
        assert gb.find_submission("a1_numpy_rnn", "alice").notebooks[0].grades[0].manual_score == 1.0
        assert [s.student.id for s in gb.find_assignment("a1_numpy_rnn").submissions] == ["alice"]


# --- the package's structure -----------------------------------------------------------------------

def module_imports(package: Path) -> dict[str, set[str]]:
    """module -> the package's modules it imports (anywhere in it, functions included)."""
    graph = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_init = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_init else parts)
        base = parts[:-1]  # the module's package
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = base[:len(base) - node.level + 1] if node.level > 1 else base
                    module = ".".join(anchor + ([node.module] if node.module else []))
                else:
                    module = node.module
                found.add(module)
                found |= {f"{module}.{alias.name}" for alias in node.names}
        graph[name] = found
    return {name: {m for m in found if m in graph and m != name} for name, found in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_import_cycle_in_the_package():
    graph = module_imports(ROOT / "rnncourse")
    assert "rnncourse.grading.pipeline" in graph["rnncourse.grading.parallel"]
    assert cycles(graph) == []


def test_the_cycle_finder_finds_cycles(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from .a import x\n")
    assert cycles(module_imports(package)) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_no_command_line_calls_another():
    """Jobs are functions that take a Course; a command's main() is only called by its own module."""
    for path in (ROOT / "rnncourse").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and any(alias.name == "main" for alias in node.names):
                pytest.fail(f"{path.relative_to(ROOT)} imports a main()")
            if isinstance(node, ast.Attribute) and node.attr == "main" and isinstance(node.value, ast.Name) \
                    and node.value.id != "sys":
                pytest.fail(f"{path.relative_to(ROOT)} calls {node.value.id}.main")


def test_catalogs_and_reference_solutions_stay_out_of_the_package():
    package = {p.name for p in (ROOT / "rnncourse").rglob("*.py")}
    assert not {"a1_numpy_rnn.py", "a2_keras_lstm.py", "a3_torch_rnn.py"} & package
    for path in (ROOT / "rnncourse").rglob("*.py"):
        assert "BEGIN SOLUTION" not in path.read_text() or path.name in ("notebooks.py",), path


@pytest.mark.parametrize("package", ["rnncourse", "rnncourse/grading"])
def test_package_docstring_lists_every_module(package):
    folder = ROOT / package
    docstring = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
    missing = [p.stem for p in sorted(folder.glob("*.py")) if p.stem != "__init__" and f".{p.stem}`" not in docstring]
    assert missing == [], f"{package}/__init__.py's docstring does not list {missing}"
