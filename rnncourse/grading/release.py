"""``make release``: source/ -> release/ (nbgrader) and source/ -> notebooks/ (self-study edition).

    python -m rnncourse.grading.release [ASSIGNMENT ...]      # make release [A=assignment]

First the source notebooks are normalised (:mod:`.normalise`: no outputs, fixed cell ids,
no editor metadata). Then ``nbgrader generate_assignment`` writes ``release/<assignment>/``
(and records the assignment in the gradebook), and the self-study edition is written to
``notebooks/``: the exercise stubs with every check visible, hidden ones included, so that a
self-learner can test their work as thoroughly as the grader does.
"""

from __future__ import annotations

import argparse
import sys

from nbconvert.exporters.exporter import ResourcesDict
from nbgrader.preprocessors import ClearSolutions, IncludeHeaderFooter

from . import notebooks as nbs
from .config import CODE_STUB
from .course import Course
from .normalise import normalise_file
from .runner import nbgrader

SELF_STUDY_NOTE = (
    "> **Self-study edition.** Every check of the graded course is visible here, the hidden "
    "ones included: run the cells below each exercise to test your work as thoroughly as the "
    "grader does. The graded edition lives in `release/`.\n"
)


def self_study(course: Course, assignment: str):
    """The self-study notebook for one assignment (header, stubs, all checks visible)."""
    nb = nbs.read(course.notebook("source", assignment))
    for cell in nb.cells:
        if nbs.is_test(cell):
            cell.source = nbs.strip_lines(cell.source, nbs.BEGIN_HIDDEN, nbs.END_HIDDEN)
    resources = ResourcesDict()
    nb, resources = IncludeHeaderFooter(header=str(course.header)).preprocess(nb, resources)
    nb, resources = ClearSolutions(code_stub={"python": CODE_STUB}, enforce_metadata=True).preprocess(nb, resources)
    nb = nbs.clear_outputs(nb)
    for cell in nb.cells:  # plain notebook: no grading metadata, nothing locked
        cell.metadata.pop("nbgrader", None)
        cell.metadata.pop("deletable", None)
        cell.metadata.pop("editable", None)
    note = nbs.nbformat.v4.new_markdown_cell(SELF_STUDY_NOTE)
    note["id"] = "self-study-note"  # fixed, so that the generated file is identical on every run
    nb.cells.insert(len(nbs.read(course.header).cells), note)
    return nb


def release(course: Course, assignment: str, selfstudy: bool = True) -> None:
    """Normalise the assignment's source, then generate its release (and its self-study edition)."""
    for path in (course.header, course.notebook("source", assignment)):
        if normalise_file(path):
            print(f"normalised {path.relative_to(course.root)}")
    nbgrader(course, "generate_assignment", assignment, "--force")
    if selfstudy:
        nbs.write(self_study(course, assignment), course.notebook("selfstudy", assignment))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="default: every assignment of the course")
    args = parser.parse_args(argv)
    course = Course.find()
    for assignment in args.assignments or course.assignments:
        if assignment not in course.assignments:
            parser.error(f"unknown assignment {assignment!r}; the course has {', '.join(course.assignments)}")
        release(course, assignment)
        print(f"{assignment}: release/{assignment}/ and notebooks/{course.notebook_name(assignment)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
