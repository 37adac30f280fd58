"""The integrity guard's cost: what the first check of a notebook cell pays to verify the machinery.

    python bench/bench_guard.py [--cells 200] [ASSIGNMENT ...]

For each assignment, the source notebook runs with the reference solutions in grading mode, in
the fast harness's kernel (as nbgrader would run it, every module of the notebook loaded). Then
one cell calls the guard of ``rnncourse/integrity.py`` ``--cells`` times, each time as if from a
new cell (the guard verifies once per cell), and the median and fastest times are printed as a
Markdown table with the number of objects the guard watches. The CPU time (of the kernel
process) is what the guard costs on a machine busy with other work, where wall time is not.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnncourse.grading.course import Course  # noqa: E402
from rnncourse.grading.harness import Harness  # noqa: E402

TIMING = """
import json as _json, statistics as _statistics, time as _time
from rnncourse import checks as _checks
_shell, _times, _cpu = get_ipython(), [], []
for _ in range({cells}):
    _shell.execution_count += 1  # a new cell, as far as the guard can tell
    _start, _start_cpu = _time.perf_counter(), _time.process_time()
    _checks._guard()
    _times.append(_time.perf_counter() - _start)
    _cpu.append(_time.process_time() - _start_cpu)
_closure = dict(zip(_checks._guard.__code__.co_freevars, (c.cell_contents for c in _checks._guard.__closure__)))
print(_json.dumps({{"median": _statistics.median(_times), "fastest": min(_times), "cpu": _statistics.median(_cpu),
                   "entries": len(_closure["entries"])}}))
"""


def measure(course: Course, assignment: str, cells: int) -> dict:
    with Harness(course, assignment) as harness:
        lost = harness.reference().lost()
        assert not lost, f"{assignment}: the reference lost points {lost}"
        last_code_cell = max(i for i, cell in enumerate(harness.nb.cells) if cell.cell_type == "code")
        executed = harness._execute(last_code_cell, TIMING.format(cells=cells))
        text = "".join(o.get("text", "") for o in executed.outputs if o.output_type == "stream")
        return json.loads(text.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--cells", type=int, default=200)
    args = parser.parse_args(argv)
    course = Course.find()
    print("| assignment | objects watched | per cell: median ms | fastest ms | median CPU ms |\n|---|---|---|---|---|")
    for assignment in args.assignments or course.assignments:
        found = measure(course, assignment, args.cells)
        print(f"| {assignment} | {found['entries']:,} | {found['median'] * 1e3:.1f} | {found['fastest'] * 1e3:.1f} "
              f"| {found['cpu'] * 1e3:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
