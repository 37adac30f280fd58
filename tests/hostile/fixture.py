"""A small assignment to grade hostile submissions against, quickly.

``h1_fixture`` has the real assignments' structure (course header, imports cell, solution
cells followed by locked test cells with visible and hidden parts, checks from
``rnncourse.checks``) but three tiny exercises, so a submission grades in a few seconds:

=============  ======  ====================================
exercise       points  what
=============  ======  ====================================
``add``        3       a + b
``softmax``    4       column-wise, stable softmax
``vowels``     3       number of vowels in a string
=============  ======  ====================================
"""

from __future__ import annotations

from pathlib import Path

import nbformat

ASSIGNMENT = "h1_fixture"
NOTEBOOK = "fixture.ipynb"
POINTS = {"add": 3, "softmax": 4, "vowels": 3}
TOTAL = sum(POINTS.values())

SOLUTIONS = {
    "add": "def add(a, b):\n    return a + b\n",
    "softmax": "def softmax(z):\n    e = np.exp(z - z.max(axis=0, keepdims=True))\n    return e / e.sum(axis=0, keepdims=True)\n",
    "vowels": "def vowels(text):\n    return sum(ch in 'aeiou' for ch in text.lower())\n",
}

TESTS = {
    "add": """check_equal(add(2, 3), 5, "add(2, 3)", "the sum")
### BEGIN HIDDEN TESTS
check_close(add(np.arange(3.0), 1.5), np.arange(3.0) + 1.5, "add(array, 1.5)", "the sum")
### END HIDDEN TESTS
""",
    "softmax": """z = np.array([[1.0, 2.0], [3.0, 4.0]])
check_close(softmax(z).sum(axis=0), np.ones(2), describe_call("softmax", z=z), "column sums")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(0)
z = rng.normal(size=(5, 3)) * 1000
e = np.exp(z - z.max(axis=0))
check_close(softmax(z), e / e.sum(axis=0), describe_call("softmax", z=z), "softmax of large logits",
            "subtract the column maximum before exp")
### END HIDDEN TESTS
""",
    "vowels": """check_equal(vowels("Anna"), 2, 'vowels("Anna")', "the count")
### BEGIN HIDDEN TESTS
check_equal(vowels("Rhythm"), 0, 'vowels("Rhythm")', "the count")
check_equal(vowels("EUOUAE"), 6, 'vowels("EUOUAE")', "the count")
### END HIDDEN TESTS
""",
}

IMPORTS = """import numpy as np
from rnncourse.checks import check_close, check_equal, describe_call
"""


def _meta(cell, **nbgrader):
    cell.metadata["nbgrader"] = {"schema_version": 3, **nbgrader}
    return cell


def source_notebook() -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_markdown_cell("# A fixture assignment\nThree small exercises."),
             _meta(nbformat.v4.new_code_cell(IMPORTS), grade=False, solution=False, locked=True, grade_id="imports")]
    for name, code in SOLUTIONS.items():
        cells.append(nbformat.v4.new_markdown_cell(f"## `{name}`"))
        cells.append(_meta(nbformat.v4.new_code_cell(f"### BEGIN SOLUTION\n{code}### END SOLUTION\n"),
                           grade=False, solution=True, locked=False, grade_id=name))
        cells.append(_meta(nbformat.v4.new_code_cell(TESTS[name]), grade=True, solution=False, locked=True,
                           grade_id=f"test_{name}_values", points=POINTS[name]))
    cells.append(nbformat.v4.new_code_cell("print('done')"))  # an unlocked cell the student may edit
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def install(course: Path) -> None:
    """Write the fixture's source notebook into a course directory."""
    folder = course / "source" / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(), str(folder / NOTEBOOK))
