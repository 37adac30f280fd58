"""The visible checks' expected values are regenerated from the reference (rnncourse.grading.expected).

- a marker is found where it belongs and refused anywhere else;
- every literal the script writes evaluates back to its value;
- a literal is stale when its value moved beyond the printed precision, and not otherwise;
- on a small course: a placeholder is filled in, a changed reference makes ``--check`` fail until
  the literals are regenerated, and nothing but the marked literals changes;
- the course's own literals are up to date.
"""

import shutil

import nbformat
import numpy as np
import pytest

from rnncourse.grading import expected
from rnncourse.grading.course import Course
from rnncourse.grading.expected import MarkerError, difference, evaluate, find_marked, literal, with_literals
from support import COURSE, ROOT, output, run

CELL = '''x = np.arange(3)
result = f(x)
want = np.array([[1.0, 2.0],
 [3.0, 4.0]])  # from the reference: f(x)[None] * 2
check(result, want)  # a comment that is not a marker
'''


def test_a_marker_gives_the_literal_its_expression_and_its_place():
    (item,) = find_marked(CELL)
    assert (item.target, item.expression, item.column) == ("want", "f(x)[None] * 2", 7)
    assert item.literal == "np.array([[1.0, 2.0],\n [3.0, 4.0]])"
    assert CELL[item.start:item.end] == item.literal
    replaced = with_literals(CELL, [item], ["None"])
    assert replaced == CELL.replace(item.literal, "None"), "only the literal changes"


@pytest.mark.parametrize("source, complaint", [
    ("want = [1,\n  2]  # from the reference: f(1)\n" "x = (1,  # from the reference: f(2)\n 2)\n", "last line"),
    ("check(f(1), 2)  # from the reference: f(1)\n", "must end a top-level assignment"),
    ("a = b = 2  # from the reference: f(1)\n", "must end a top-level assignment"),
    ("for i in range(2):\n    want = 1  # from the reference: f(i)\n", "must end a top-level assignment"),
    ("want = 1  # from the reference: f(\n", "not a Python expression"),
])
def test_a_misplaced_or_broken_marker_is_refused(source, complaint):
    with pytest.raises(MarkerError, match=complaint):
        find_marked(source)


VALUES = {
    "float64 array": np.array([[0.06948419123, -0.04354649], [0.0242, 0.40565177]]),
    "wide range (scientific)": np.array([[-1.430303e-03, 1.36059977], [-9.0085969e-02, 2645.1023]]),
    "float32 array": np.array([0.1, 0.2, 0.3], dtype=np.float32),
    "int array": np.array([[3, 2, 2], [2, 2, -1]]),
    "bool array": np.array([True, False]),
    "0-d array": np.array(2.5),
    "float": 1.600783771038641,
    "numpy float32": np.float32(2.580691337585449),
    "int": 7,
    "str": 'a "quoted"\nname',
    "list of ints": [1, 2, 3, 4, 5, 0],
    "tuple": (1, "x"),
    "dict of arrays": {"dWax": np.array([[-0.29153667, 0.0], [-0.21788399, 1.76425161]]), "dby": np.array([[1.25]])},
    "vocabulary": {"\n": 0, "A": 1, "é": 2},
}


@pytest.mark.parametrize("name", VALUES)
def test_every_literal_evaluates_back_to_its_value(name):
    value = VALUES[name]
    text = literal(value, column=11)
    assert difference(evaluate(text), value) is None, text


def test_literals_are_aligned_and_keep_their_dtype():
    assert literal(np.array([[1.0, -2.5], [3.0, 4.0]]), column=4) == (
        "np.array([[ 1.00000000, -2.50000000],\n"
        "              [ 3.00000000,  4.00000000]])")
    assert literal(np.array([1, 2], dtype=np.float32)) == "np.array([1.00000000, 2.00000000], dtype=np.float32)"
    assert literal({"a": np.array([[1], [2]]), "bb": [1, 2]}, column=2) == (
        '{"a": np.array([[1],\n'
        '                  [2]]),\n'
        '   "bb": [1, 2]}')
    assert literal({"\n": 0, "A": 1}) == '{"\\n": 0, "A": 1}'


def test_stale_means_beyond_the_printed_precision():
    base = np.array([[0.35900934, 0.60695791], [0.49390281, -0.0281912]])
    assert difference(base + 4e-9, base) is None
    assert "differ by up to 1e-06" in difference(base + 1e-6, base)
    assert "shape (2, 2)" in difference(base, base[:1])
    assert "float32" in difference(base, base.astype(np.float32))
    assert difference(1.6007837740820705, 1.600783771038641) is None
    assert "differ" in difference(1.6007837740820705, 1.61)
    assert difference({"a": base, "b": 1}, {"a": base, "b": 1}) is None
    assert "['b']" in difference({"a": base, "b": 1}, {"a": base, "b": 2})
    assert "keys" in difference({"a": base}, {"a": base, "b": 1})
    assert "[5]" in difference([1, 2, 3, 4, 5, 0], [1, 2, 3, 4, 5, 6])
    assert "now a ndarray" in difference([[1.0, 2.0]], np.array([[1.0, 2.0]]))
    assert "None, now" in difference(None, 3)


# --- a small course ------------------------------------------------------------------------------
def small_course(root):
    """A course whose a1_numpy_rnn is a three-cell notebook: imports, f, and a visible check."""
    (root / "source" / "a1_numpy_rnn").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    code = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        code("import numpy as np", id="imports"),
        code("def f(x):\n    ### BEGIN SOLUTION\n    return np.tanh(x) * 2\n    ### END SOLUTION\n", id="f",
             metadata={"nbgrader": {"grade": False, "grade_id": "f", "locked": False, "schema_version": 3,
                                    "solution": True, "task": False}}),
        code("x = np.linspace(-1, 1, 4)\n"
             "got = f(x)   # the student's f\n"
             "want = None  # from the reference: f(x)\n"
             "count = 0  # from the reference: len(f(x))\n"
             "assert np.allclose(got, want), (got, want)\n", id="check_f",
             metadata={"nbgrader": {"grade": False, "grade_id": "check_f", "locked": True, "schema_version": 3,
                                    "solution": False, "task": False}}),
    ])
    path = root / "source" / "a1_numpy_rnn" / "numpy_rnn.ipynb"
    nbformat.write(nb, str(path))
    return Course(root, assignments=("a1_numpy_rnn",)), path


def check_cell(path):
    return nbformat.read(str(path), as_version=4).cells[2].source


def test_a_changed_reference_fails_the_check_until_regenerated(tmp_path, monkeypatch, capsys):
    course, path = small_course(tmp_path)
    [placeholder, count] = expected.regenerate(course, "a1_numpy_rnn", check=True)
    assert placeholder.stale == "a NoneType, now a ndarray" and count.stale == "0, now 4"
    assert "want = None" in check_cell(path), "--check changes nothing"

    filled = expected.regenerate(course, "a1_numpy_rnn")
    assert [(o.target, o.rewritten) for o in filled] == [("want", True), ("count", True)]
    source = check_cell(path)
    values = np.tanh(np.linspace(-1, 1, 4)) * 2
    assert source == ("x = np.linspace(-1, 1, 4)\n"
                      "got = f(x)   # the student's f\n"
                      f"want = {literal(values, 7)}  # from the reference: f(x)\n"
                      "count = 4  # from the reference: len(f(x))\n"
                      "assert np.allclose(got, want), (got, want)\n")
    assert [o.stale for o in expected.regenerate(course, "a1_numpy_rnn", check=True)] == [None, None]

    # the maintainer changes the reference: the literal is stale, and the command line says so
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("np.tanh(x) * 2", "np.tanh(x) * 3")
    nbformat.write(nb, str(path))
    monkeypatch.chdir(tmp_path)
    assert expected.main(["--check", "a1_numpy_rnn"]) == 1
    printed = capsys.readouterr()
    assert "check_f: want: STALE (values differ by up to 0.762)" in printed.out
    assert "check_f: count: up to date" in printed.out and "1 stale literal(s)" in printed.err
    assert expected.main(["a1_numpy_rnn"]) == 0
    assert check_cell(path) == source.replace(literal(values, 7), literal(values * 1.5, 7))
    assert expected.main(["--check", "a1_numpy_rnn"]) == 0


def test_a_failing_expression_is_an_error(tmp_path, monkeypatch, capsys):
    course, path = small_course(tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[2].source = nb.cells[2].source.replace("len(f(x))", "len(g(x))")
    nbformat.write(nb, str(path))
    monkeypatch.chdir(tmp_path)
    assert expected.main(["--check", "a1_numpy_rnn"]) == 2
    assert "check_f failed in the reference run: NameError: name 'g' is not defined" in capsys.readouterr().err


def test_a_notebook_saved_while_the_reference_runs_is_not_overwritten(tmp_path, monkeypatch, capsys):
    """`make expected` runs the reference for a while; an edit saved from Jupyter meanwhile stays."""
    course, path = small_course(tmp_path)
    values = expected.ReferenceRun.values

    def save_an_edit_meanwhile(self, marked):
        found = values(self, marked)
        nb = nbformat.read(str(path), as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell("an edit saved in Jupyter"))
        nbformat.write(nb, str(path))
        return found

    monkeypatch.setattr(expected.ReferenceRun, "values", save_an_edit_meanwhile)
    monkeypatch.chdir(tmp_path)
    assert expected.main(["a1_numpy_rnn"]) == 2
    assert "was saved while this command ran; nothing was written" in capsys.readouterr().err
    nb = nbformat.read(str(path), as_version=4)
    assert nb.cells[-1].source == "an edit saved in Jupyter" and "want = None" in nb.cells[2].source
    assert sorted(p.name for p in path.parent.iterdir()) == ["numpy_rnn.ipynb"]


# --- the course ----------------------------------------------------------------------------------
def test_the_course_literals_are_up_to_date():
    """`--check` on every assignment: a reference changed without `make expected` fails here."""
    checked = run(COURSE, "rnncourse.grading.expected", "--check")
    assert checked.returncode == 0, output(checked)
    lines = [line for line in checked.stdout.splitlines() if line.startswith("a1_numpy_rnn ")]
    assert lines == [
        "a1_numpy_rnn test_softmax_small: expected_two_columns: up to date",
        "a1_numpy_rnn check_rnn_step_forward: expected_a_next: up to date",
        "a1_numpy_rnn check_rnn_step_forward: expected_y_hat: up to date",
        "a1_numpy_rnn check_rnn_forward: expected_loss: up to date",
        "a1_numpy_rnn check_rnn_forward: expected_last_state: up to date",
        "a1_numpy_rnn test_rnn_step_backward_small: expected: up to date",
        "a1_numpy_rnn test_rnn_step_backward_small: expected_da_prev: up to date",
    ], checked.stdout
