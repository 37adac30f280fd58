"""``make release``: source/ -> release/ (nbgrader) and source/ -> notebooks/ (self-study edition).

    python -m rnncourse.grading.release [ASSIGNMENT ...]

The self-study edition keeps the exercise stubs and shows every check, hidden ones included,
so that a self-learner can test their work as thoroughly as the grader does.
"""

from __future__ import annotations

import argparse
import sys

from nbconvert.exporters.exporter import ResourcesDict
from nbgrader.preprocessors import ClearSolutions, IncludeHeaderFooter

from . import notebooks as nbs
from .autograde import nbgrader
from .settings import ASSIGNMENTS, ROOT

SELF_STUDY_NOTE = (
    "> **Self-study edition.** Every check of the graded course is visible here, the hidden "
    "ones included: run the cells below each exercise to test your work as thoroughly as the "
    "grader does. The graded edition lives in `release/`.\n"
)


def check_source_clean(assignment: str) -> None:
    nb = nbs.read(nbs.source_path(assignment))
    if nbs.has_outputs(nb):
        raise SystemExit(f"{nbs.source_path(assignment)} holds outputs: clear them before releasing")


def generate_release(assignment: str) -> None:
    """nbgrader generate_assignment, which also records the assignment in the gradebook."""
    nbgrader("generate_assignment", assignment, "--force")


def self_study(assignment: str):
    """The self-study notebook for one assignment (header, stubs, all checks visible)."""
    nb = nbs.read(nbs.source_path(assignment))
    for cell in nb.cells:
        if nbs.is_test(cell):
            cell.source = nbs.strip_lines(cell.source, nbs.BEGIN_HIDDEN, nbs.END_HIDDEN)
    resources = ResourcesDict()
    header = IncludeHeaderFooter(header=str(ROOT / "source" / "header.ipynb"))
    nb, resources = header.preprocess(nb, resources)
    nb, resources = ClearSolutions(code_stub={"python": "# YOUR CODE HERE\nraise NotImplementedError()"},
                                   enforce_metadata=True).preprocess(nb, resources)
    nb = nbs.clear_outputs(nb)
    for cell in nb.cells:  # plain notebook: no grading metadata, nothing locked
        cell.metadata.pop("nbgrader", None)
        cell.metadata.pop("deletable", None)
        cell.metadata.pop("editable", None)
    note = nbs.nbformat.v4.new_markdown_cell(SELF_STUDY_NOTE)
    note["id"] = "self-study-note"  # fixed, so that the generated file is identical on every run
    nb.cells.insert(len(header_cells()), note)
    return nb


def header_cells() -> list:
    return nbs.read(ROOT / "source" / "header.ipynb").cells


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    args = parser.parse_args(argv)
    for assignment in args.assignments:
        check_source_clean(assignment)
        generate_release(assignment)
        target = ROOT / "notebooks" / ASSIGNMENTS[assignment]
        nbs.write(self_study(assignment), target)
        print(f"{assignment}: release/{assignment}/ and notebooks/{target.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
