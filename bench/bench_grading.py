"""Grading speed: a class of 60 submissions graded with 1, 2 and 4 local workers, in one run.

    python bench/bench_grading.py [--students 20] [--workers 1 2 4] [--bare N]

The class: ``--students`` students (20 by default) hand in all three assignments, 60
submissions made from the mistake catalogs: the reference, the blank release, one catalog
mistake each, two mistakes, or an alternative correct solution. It is graded in a temporary
copy of the course with ``python -m rnncourse.grading.autograde --workers N``, each
configuration into its own copy of a gradebook that already knows the assignments. Then
``--bare`` of the graded notebooks (all by default; spread evenly over the assignments) are
executed by nbclient with no grading at all (the same staged notebooks, in grading mode, one
BLAS thread), to give nbgrader's overhead per submission.

The table: wall time, speed-up against 1 worker, wall time per submission, overhead per
submission against bare execution (1 worker's per-submission time minus bare execution's),
and whether every configuration gave every submission the same score in every test cell.
Before each configuration a fixed one-core task is timed alone and as two copies at once: a
shared or throttled machine shows there (its speed moves between configurations, or two
copies finish well under 2x faster than one), so the speed-ups can be read against it.
The sandbox is used when it works here, else grading is unsandboxed (and the table says so).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnncourse.grading import sandbox  # noqa: E402
from rnncourse.grading.config import KERNEL_THREADS  # noqa: E402
from rnncourse.grading.course import Course  # noqa: E402
from rnncourse.grading.runner import nbgrader  # noqa: E402
from rnncourse.grading.scores import class_scores  # noqa: E402
from rnncourse.grading.submissions import write_submission  # noqa: E402
from rnncourse.grading.variants import reference_solutions, variant_solutions  # noqa: E402

COURSE = Course(ROOT)
ASSIGNMENTS = list(COURSE.assignments)

GOAL_2_WORKERS = 1.7


# --- the class -----------------------------------------------------------------------------------

def class_work(assignment: str, students: int) -> dict[str, dict | None]:
    """student -> solutions for one assignment: reference, blank, then catalog variants."""
    cat = COURSE.catalog(assignment)
    mistakes, alternatives = cat.MISTAKES, cat.ALTERNATIVES
    work: dict[str, dict | None] = {"s01": reference_solutions(COURSE, assignment), "s02": None}
    for k in range(3, students + 1):
        i = k - 3
        if k > students - 3:  # the last three: an alternative correct solution
            variants = [alternatives[(7 * i) % len(alternatives)]]
        elif k > students - 6:  # two mistakes in two different exercises
            first = mistakes[(7 * i) % len(mistakes)]
            second = next(m for m in mistakes[(7 * i + 11) % len(mistakes):] + mistakes if m.cell != first.cell)
            variants = [first, second]
        else:
            variants = [mistakes[(7 * i) % len(mistakes)]]
        work[f"s{k:02d}"] = variant_solutions(COURSE, assignment, variants)
    return work


def make_course(dest: Path, students: int) -> Course:
    """A scratch copy of the course with the class's submissions, the assignments in its gradebook."""
    course = COURSE.scratch_copy(dest)
    for assignment in ASSIGNMENTS:
        for student, solutions in class_work(assignment, students).items():
            write_submission(course, assignment, student, solutions)
        nbgrader(course, "generate_assignment", assignment, "--force")
    return course


def run(course: Course, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=course.root, env=course.env(),
                          capture_output=True, text=True)


# --- the machine's own speed ------------------------------------------------------------------------

PROBE = ("import time, numpy as np\n"
         "start = time.perf_counter()\n"
         "a = np.random.default_rng(0).random((200, 200))\n"
         "for _ in range(3000):\n"
         "    a @ a\n"
         "sum(i * i for i in range(10_000_000))\n"
         "print(time.perf_counter() - start)\n")


def probe() -> tuple[float, float]:
    """(seconds of a fixed one-core task run alone, how much faster two copies at once get through
    the work than one: the most that 2 workers could gain on this machine right now)."""
    env = {**os.environ, **KERNEL_THREADS}

    def launch():
        return subprocess.Popen([sys.executable, "-c", PROBE], env=env, stdout=subprocess.PIPE, text=True)
    alone = float(launch().communicate()[0])
    pair = [launch(), launch()]
    both = max(float(p.communicate()[0]) for p in pair)
    return alone, 2 * alone / both


# --- bare execution --------------------------------------------------------------------------------

def execute_bare(notebooks: list[Path]) -> float:
    """Seconds to execute these notebooks one after the other with nbclient, no grading."""
    import nbformat
    from nbclient import NotebookClient

    os.environ.update(KERNEL_THREADS, NBGRADER_EXECUTION="autograde", KERAS_BACKEND="torch")
    start = time.perf_counter()
    for path in notebooks:
        nb = nbformat.read(str(path), as_version=4)
        NotebookClient(nb, timeout=30, kernel_name="python3", allow_errors=True, extra_arguments=["--log-level=ERROR"],
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def spread(items: list, n: int) -> list:
    """n items taken evenly from each assignment's run of ``items``."""
    if n >= len(items):
        return items
    per = {a: [p for p in items if p.parent.name == a] for a in ASSIGNMENTS}
    take = max(1, n // len(per))
    return [p for group in per.values() for p in group[:: max(1, len(group) // take)][:take]]


# --- main --------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20, help="students, each submitting all three assignments")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--bare", type=int, default=None, help="notebooks executed bare (default: all)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        # One gradebook that knows the assignments; every configuration grades into a copy of it.
        course = make_course(Path(tmp) / "course", args.students)
        students = sorted(p.name for p in course.path("submitted").iterdir())
        count = len(students) * len(ASSIGNMENTS)
        flags = [] if sandbox.check() is None else ["--unsandboxed"]
        print(f"{count} submissions ({len(students)} students x {len(ASSIGNMENTS)} assignments), "
              f"{os.cpu_count()} cores, load average {load:.1f} at the start, "
              f"{'sandboxed' if not flags else 'UNSANDBOXED (no working sandbox here)'}", flush=True)

        walls, scores, failures, probes = {}, {}, {}, {}
        for workers in args.workers:
            probes[workers] = probe()
            db = course.root / f"workers{workers}.db"
            shutil.copy(course.root / "gradebook.db", db)
            graded = course.with_gradebook(f"sqlite:///{db}?timeout=120")
            start = time.perf_counter()
            proc = run(graded, "rnncourse.grading.autograde", "--workers", str(workers), *flags)
            walls[workers] = time.perf_counter() - start
            scores[workers] = class_scores(graded)
            failures[workers] = [line for line in proc.stdout.splitlines() if "FAILED" in line]
            if "database is locked" in proc.stdout + proc.stderr:
                failures[workers].append("database is locked")
            print(f"  {workers} worker(s): {walls[workers]:.0f} s, {len(scores[workers])} graded, "
                  f"exit code {proc.returncode}", flush=True)

        staged = sorted(course.path("staged").glob("*/*/*.ipynb"))
        bare_set = spread(staged, args.bare if args.bare is not None else len(staged))
        bare = execute_bare(bare_set) / len(bare_set)
        print(f"  bare execution: {bare:.1f} s per notebook over {len(bare_set)} notebooks", flush=True)
        load_end = os.getloadavg()[0]

    base = walls[args.workers[0]]
    reference = scores[args.workers[0]]
    rows = [("workers", "wall s", "speed-up", "s per submission", "overhead s per submission", "graded",
             "scores identical", "probe s", "machine's 2-core scaling")]
    for workers in args.workers:
        per = walls[workers] / count
        rows.append((str(workers), f"{walls[workers]:.0f}", f"{base / walls[workers]:.2f}x", f"{per:.1f}",
                     f"{base / count - bare:.1f}" if workers == 1 else "",
                     f"{len(scores[workers])}/{count}",
                     "yes" if scores[workers] == reference and len(reference) == count else "NO",
                     f"{probes[workers][0]:.2f}", f"{probes[workers][1]:.2f}x"))
    rows.append(("bare nbclient", "", "", f"{bare:.1f}", "", f"{len(bare_set)} run", "", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print()
    print(line(rows[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows[1:]:
        print(line(row))
    print(f"\nload average {load:.1f} at the start, {load_end:.1f} at the end (other jobs on this machine)")
    print("probe: a fixed one-core task timed just before each configuration (a different time means the machine's\n"
          "speed changed between configurations); 2-core scaling: how much faster two copies of it finish than one,\n"
          "the most any 2-worker grading could gain at that moment")
    for workers, failed in failures.items():
        for f in failed:
            print(f"  {workers} worker(s): {f}")
    ok = all(scores[w] == reference for w in args.workers) and len(reference) == count
    speedup = base / walls[2] if 2 in walls and 1 in walls else None
    if speedup is not None:
        print(f"speed-up with 2 workers: {speedup:.2f}x (goal: {GOAL_2_WORKERS}x)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
