"""``make release``: source/ -> release/ (nbgrader) and source/ -> notebooks/ (the self-study editions).

    python -m rnncourse.grading.release [ASSIGNMENT ...]      # make release [A=assignment]

First the source notebooks and both headers are normalised (:mod:`.normalise`: no outputs,
fixed cell ids, no editor metadata). Then ``nbgrader generate_assignment`` writes
``release/<assignment>/`` (and records the assignment in the gradebook), and
:mod:`.editions` writes the self-study editions into ``notebooks/``: the exercise edition with
every check of the course visible, the solutions edition in ``notebooks/solutions/``, the
checks' reference code in ``notebooks/references/``, and the assignment's pictures beside both.
"""

from __future__ import annotations

import argparse
import sys

from .course import Course
from .editions import HEADER as SELFSTUDY_HEADER
from .editions import shared_assets, write_selfstudy
from .normalise import normalise_file
from .runner import nbgrader


def release(course: Course, assignment: str, selfstudy: bool = True) -> None:
    """Normalise the assignment's source, then generate its release (and its self-study editions)."""
    for path in (course.header, course.root / SELFSTUDY_HEADER, course.notebook("source", assignment)):
        if path.exists() and normalise_file(path):
            print(f"normalised {path.relative_to(course.root)}")
    nbgrader(course, "generate_assignment", assignment, "--force")
    if selfstudy:
        write_selfstudy(course, assignment)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="default: every assignment of the course")
    args = parser.parse_args(argv)
    course = Course.find()
    for assignment in args.assignments:
        if assignment not in course.assignments:
            parser.error(f"unknown assignment {assignment!r}; the course has {', '.join(course.assignments)}")
    shared_assets(course, course.assignments)  # fails before writing anything if two assignments' pictures clash
    for assignment in args.assignments or course.assignments:
        release(course, assignment)
        name = course.notebook_name(assignment)
        print(f"{assignment}: release/{assignment}/, notebooks/{name} and notebooks/solutions/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
