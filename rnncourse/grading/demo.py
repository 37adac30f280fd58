"""``make demo``: a demo class released, graded end to end by nbgrader and tabled, in a scratch course.

    python -m rnncourse.grading.demo [--into DIR] [--workers N] [--scheduler ADDRESS] [--unsandboxed]

Everything happens in a scratch copy of the course (``.demo/`` in the course directory, or
``--into``), with its own gradebook: the course's ``submitted/``, ``feedback/``,
``autograded/``, ``release/`` and gradebook are never touched, so the demo is safe to run in
a course that holds a real class.

The class: ``reference`` (the reference solutions), ``blank`` (the release as handed out),
and ``student1`` ... made from the mistake catalogs: student k makes the k-th demo mistake
of every assignment and nothing else. The table shows each student's score per assignment
and the exercises where points were lost; the run fails if any score is not what the
catalog predicts. Grading is sandboxed and parallel, as ``make autograde``'s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from .course import Course
from .parallel import default_workers, grade_assignments
from .pipeline import require_sandbox, summary
from .release import release
from .runner import export_grades, generate_feedback
from .scores import cell_scores, lost_exercises
from .submissions import write_submission
from .variants import reference_solutions, variant_solutions

DEFAULT_INTO = ".demo"
MARKER = "DEMO-COURSE"  # a scratch course holds this file; only such a folder is ever replaced


def demo_class(course: Course) -> dict[str, dict[str, tuple]]:
    """student -> assignment -> (solutions or None, expected lost exercise or None, description)."""
    students: dict[str, dict[str, tuple]] = {"reference": {}, "blank": {}}
    for assignment in course.assignments:
        cat = course.catalog(assignment)
        students["reference"][assignment] = (reference_solutions(course, assignment), None, "reference")
        students["blank"][assignment] = (None, "*", "blank")
        mistakes = {m.name: m for m in cat.MISTAKES}
        for k, name in enumerate(cat.DEMO, start=1):
            mistake = mistakes[name]
            students.setdefault(f"student{k}", {})[assignment] = (
                variant_solutions(course, assignment, [mistake]), mistake.cell, f"{mistake.cell}: {mistake.why}")
    return students


def scratch_course(course: Course, into: Path) -> Course:
    """A fresh scratch copy of ``course`` in ``into``, which must be empty or an earlier demo's."""
    into = into.resolve()
    if into == course.root or into in course.root.parents:
        raise SystemExit(f"--into {into}: the demo needs a folder of its own, not the course directory")
    if course.root in into.parents and into != course.root / DEFAULT_INTO:
        raise SystemExit(f"--into {into}: inside the course, the demo's folder is {DEFAULT_INTO}/ only "
                         "(anywhere else there could hold the class's work); choose a folder outside the course")
    if into.is_symlink() or (into.exists() and not into.is_dir()):
        raise SystemExit(f"--into {into}: not a folder; choose another")
    if into.exists() and any(into.iterdir()):
        if not (into / MARKER).is_file():
            raise SystemExit(f"{into} is not empty and not an earlier demo: choose another --into")
        shutil.rmtree(into)
    into.mkdir(parents=True)
    (into / MARKER).write_text("A scratch course made by `make demo`; it is replaced by the next demo.\n")
    return course.scratch_copy(into)


def table(course: Course, students: dict) -> tuple[list[str], list[str]]:
    """The score table's lines, and what differs from the catalog's predictions."""
    problems = []
    header = ["student"] + list(course.assignments) + ["points lost in (by the catalog: the only exercise allowed)"]
    rows = []
    for student, work in students.items():
        row, notes = [student], []
        for assignment, (_, expected, description) in work.items():
            scores = cell_scores(course, assignment, student) or {}
            total = sum(scores.values())
            row.append(f"{total:g}/100")
            lost = lost_exercises(course, assignment, scores)
            if expected is None and lost:
                problems.append(f"{student}/{assignment}: lost points in {lost}")
            if expected == "*" and total != 0:
                problems.append(f"{student}/{assignment}: blank scored {total}")
            if expected not in (None, "*"):
                if set(lost) != {expected}:
                    problems.append(f"{student}/{assignment}: expected losses only in {expected}, got {lost}")
                notes.append(f"{assignment.split('_')[0]} {', '.join(f'{e} -{p:g}' for e, p in lost.items())} "
                             f"({description})")
        row.append("; ".join(notes) if notes else "-")
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    lines = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows]
    return lines, problems


def run_demo(course: Course, into: Path, sandboxed: bool, workers: int, scheduler: str | None = None) -> int:
    start = time.perf_counter()
    demo = scratch_course(course, into)
    print(f"demo course: {demo.root} (a scratch copy; {course.root} is not touched)")
    for assignment in demo.assignments:
        release(demo, assignment, selfstudy=False)
    students = demo_class(demo)
    for student, work in students.items():
        for assignment, (solutions, _, _) in work.items():
            write_submission(demo, assignment, student, solutions)
    print(f"demo class: {', '.join(students)}")
    results = grade_assignments(demo, list(demo.assignments), None, sandboxed, workers, scheduler)
    print(summary(results, time.perf_counter() - start, f"{workers} worker(s)"))
    if not all(r.ok for r in results):
        return 1
    generate_feedback(demo, demo.assignments)
    export_grades(demo)
    lines, problems = table(demo, students)
    print("\n" + "\n".join(lines))
    print(f"\ngraded {len(results)} submissions in {time.perf_counter() - start:.0f} s; "
          f"in {demo.root}: submitted/, autograded/, feedback/, gradebook.db, grades.csv")
    if problems:
        print("UNEXPECTED SCORES:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("every score is what the catalog predicts")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--into", type=Path, help="the scratch course's folder (default: .demo/ in the course)")
    parser.add_argument("--workers", type=int, default=default_workers(), metavar="N")
    parser.add_argument("--scheduler", metavar="ADDRESS")
    parser.add_argument("--unsandboxed", action="store_true")
    args = parser.parse_args(argv)
    course = Course.find()
    sandboxed = require_sandbox(args.unsandboxed)
    return run_demo(course, args.into or course.root / DEFAULT_INTO, sandboxed, args.workers, args.scheduler)


if __name__ == "__main__":
    sys.exit(main())
