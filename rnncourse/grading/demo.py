"""``make demo``: release, a demo class graded end to end by nbgrader, and a score table.

The class: ``reference`` (the reference solutions), ``blank`` (the release as handed out),
and ``student1`` ... made from the mistake catalogs: student k makes the k-th demo mistake
of every assignment and nothing else. The table shows each student's score per assignment
and the exercises where points were lost; the run fails if any score is not what the
catalog predicts.

    python -m rnncourse.grading.demo [--workers N] [--scheduler ADDRESS] [--unsandboxed]

The options go to the grading (:mod:`.autograde`), which grades the class in parallel, one
submission per core by default.
"""

from __future__ import annotations

import shutil
import sys
import time

from . import catalog, release
from .autograde import main as autograde_main
from .autograde import nbgrader
from .scores import cell_scores, lost_exercises
from .settings import ASSIGNMENTS, ROOT
from .submissions import write_submission


def demo_class() -> dict[str, dict[str, tuple]]:
    """student -> assignment -> (solutions or None, expected lost exercise or None, description)."""
    students: dict[str, dict[str, tuple]] = {"reference": {}, "blank": {}}
    for assignment in ASSIGNMENTS:
        cat = catalog.load(assignment)
        students["reference"][assignment] = (catalog.reference_solutions(assignment), None, "reference")
        students["blank"][assignment] = (None, "*", "blank")
        mistakes = {m.name: m for m in cat.MISTAKES}
        for k, name in enumerate(cat.DEMO, start=1):
            mistake = mistakes[name]
            students.setdefault(f"student{k}", {})[assignment] = (
                catalog.variant_solutions(assignment, [mistake]), mistake.cell, f"{mistake.cell}: {mistake.why}")
    return students


def main(argv: list[str] | None = None) -> int:
    grading = list(sys.argv[1:] if argv is None else argv)  # options for autograde
    start = time.perf_counter()
    release.main([])
    for folder in ("submitted", "feedback"):
        shutil.rmtree(ROOT / folder, ignore_errors=True)
    students = demo_class()
    for student, work in students.items():
        for assignment, (solutions, _, _) in work.items():
            write_submission(assignment, student, solutions)
    print(f"demo class: {', '.join(students)}")
    if autograde_main(grading) != 0:
        return 1
    autograde_main(["--feedback"])
    nbgrader("export", "--to", "grades.csv")

    problems = []
    header = ["student"] + list(ASSIGNMENTS) + ["points lost in (by the catalog: the only exercise allowed)"]
    rows = []
    for student, work in students.items():
        row, notes = [student], []
        for assignment, (_, expected, description) in work.items():
            scores = cell_scores(assignment, student)
            total = sum(scores.values())
            row.append(f"{total:g}/100")
            lost = lost_exercises(assignment, scores)
            if expected is None and lost:
                problems.append(f"{student}/{assignment}: lost points in {lost}")
            if expected == "*" and total != 0:
                problems.append(f"{student}/{assignment}: blank scored {total}")
            if expected not in (None, "*"):
                if set(lost) != {expected}:
                    problems.append(f"{student}/{assignment}: expected losses only in {expected}, got {lost}")
                notes.append(f"{assignment.split('_')[0]} {', '.join(f'{e} -{p:g}' for e, p in lost.items())} ({description})")
        row.append("; ".join(notes) if notes else "-")
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
    print()
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
    print(f"\ngraded {sum(len(w) for w in students.values())} submissions in {time.perf_counter() - start:.0f} s; "
          f"grades.csv, feedback/ and autograded/ are written")
    if problems:
        print("UNEXPECTED SCORES:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("every score is what the catalog predicts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
