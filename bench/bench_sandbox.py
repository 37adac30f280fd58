"""The sandbox's cost: the demo class graded plain (``--unsandboxed``) and sandboxed, in one run.

    python bench/bench_sandbox.py [--rounds 2] [--workers 1]

A copy of the course gets the demo class of ``make demo`` (reference, blank and the catalog's
demo students, for every assignment). The gradebook is created first, then the class is graded
in alternating rounds (plain, sandboxed, plain, sandboxed, ...) so that both see the same
machine, and each configuration's best and median wall times are compared. The scores must
be identical in every round. Prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnncourse.grading.course import Course  # noqa: E402
from rnncourse.grading.demo import demo_class  # noqa: E402
from rnncourse.grading.runner import nbgrader  # noqa: E402
from rnncourse.grading.scores import class_scores  # noqa: E402
from rnncourse.grading.submissions import write_submission  # noqa: E402


def demo_course(tmp: Path) -> Course:
    """A scratch copy of the course holding the demo class, every assignment recorded in its gradebook."""
    course = Course(ROOT).scratch_copy(tmp / "course")
    for student, work in demo_class(course).items():
        for assignment, (solutions, _, _) in work.items():
            write_submission(course, assignment, student, solutions)
    for assignment in course.assignments:
        nbgrader(course, "generate_assignment", assignment, "--force")
    return course


def grade(course: Course, sandboxed: bool, workers: int) -> float:
    args = [sys.executable, "-m", "rnncourse.grading.autograde", "--workers", str(workers)]
    if not sandboxed:
        args.append("--unsandboxed")
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=course.root, env=course.env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"grading failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        course = demo_course(Path(tmp))
        n = sum(1 for _ in course.path("submitted").glob("*/*"))
        times = {"plain": [], "sandboxed": []}
        seen = []
        for r in range(args.rounds):
            for name in ("plain", "sandboxed"):
                times[name].append(grade(course, name == "sandboxed", args.workers))
                seen.append(class_scores(course))
                print(f"round {r + 1} {name}: {times[name][-1]:.1f} s", flush=True)
    identical = all(s == seen[0] for s in seen)
    print(f"\nthe demo class: {n} submissions, {args.workers} worker(s), {args.rounds} round(s) each, one run\n")
    print("| grading | best (s) | median (s) | per submission (s) |")
    print("|---|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {min(values):.1f} | {statistics.median(values):.1f} | {min(values) / n:.2f} |")
    ratio_best = min(times["sandboxed"]) / min(times["plain"])
    ratio_median = statistics.median(times["sandboxed"]) / statistics.median(times["plain"])
    print(f"\nsandbox overhead: {ratio_best:.3f}x (best), {ratio_median:.3f}x (median); goal <= 1.10x")
    print(f"scores identical in every round: {'yes' if identical else 'NO'}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
