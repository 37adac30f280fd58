"""``make autograde`` / ``make feedback``: grade every submission in submitted/, safely.

    python -m rnncourse.grading.autograde [--feedback] [--student ID] [--unsandboxed]
                                          [--workers N] [--scheduler ADDRESS] [--db URL] [ASSIGNMENT ...]

Each submission is graded by :mod:`.pipeline` (intake, nbgrader autograde in the sandbox,
verification), several at a time by :mod:`.parallel`; see docs/trust.md and docs/scale.md.
Grading refuses to run without the sandbox unless told ``--unsandboxed`` (or
``RNNCOURSE_UNSANDBOXED=1``), and then says loudly that student code runs with the grader's
rights. Works on a fresh clone: an assignment the gradebook does not know yet is recorded
first. The course is the one around the working directory.
"""

from __future__ import annotations

import argparse
import sys
import time

from . import config
from .course import Course
from .parallel import default_workers, grade_assignments
from .pipeline import require_sandbox, summary
from .runner import generate_feedback


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("assignments", nargs="*", help="default: every assignment of the course")
    p.add_argument("--feedback", action="store_true", help="generate HTML feedback instead of grading")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--unsandboxed", action="store_true", default=config.setting("RNNCOURSE_UNSANDBOXED") == "1",
                   help="grade without the sandbox (unsafe; prints a warning)")
    p.add_argument("--workers", type=int, default=default_workers(), metavar="N",
                   help="grade N submissions at a time (default: one per core, or RNNCOURSE_WORKERS; "
                        "1 grades in a plain loop)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="dispatch to the workers of a running Dask cluster (tcp://host:8786) instead")
    p.add_argument("--db", metavar="URL", help="gradebook database URL, e.g. postgresql+psycopg2://user@host/grades "
                   "(default: RNNCOURSE_DB_URL, else gradebook.db in the course directory)")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.workers < 1:
        parser().error("--workers must be at least 1")
    course = Course.find(db_url=args.db)
    assignments = args.assignments or list(course.assignments)
    if args.feedback:
        for assignment in generate_feedback(course, assignments):
            print(f"{assignment}: feedback in feedback/<student>/{assignment}/")
        return 0
    sandboxed = require_sandbox(args.unsandboxed)
    start = time.perf_counter()
    results = grade_assignments(course, assignments, args.student, sandboxed, args.workers, args.scheduler)
    where = f"the Dask cluster at {args.scheduler}" if args.scheduler else f"{args.workers} worker(s)"
    print(summary(results, time.perf_counter() - start, where))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
