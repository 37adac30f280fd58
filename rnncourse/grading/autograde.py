"""``make autograde`` / ``make feedback``: grade every submission in submitted/ with nbgrader.

    python -m rnncourse.grading.autograde [--feedback] [ASSIGNMENT ...]

Works on a fresh clone: if the gradebook does not know an assignment yet, it is recorded
first (``nbgrader generate_assignment``, which regenerates release/ identically). After
grading, every submitted student must have scores in the gradebook; a missing one is an error.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

from nbgrader.api import Gradebook, MissingEntry

from . import notebooks as nbs
from .scores import cell_scores, gradebook_url
from .settings import ASSIGNMENTS, ROOT, tool_env


def submitted_students(assignment: str) -> list[str]:
    folder = ROOT / "submitted"
    return sorted(p.parent.name for p in folder.glob(f"*/{assignment}") if p.is_dir()) if folder.exists() else []


def ensure_in_gradebook(assignment: str) -> None:
    notebook = nbs.notebook_name(assignment).removesuffix(".ipynb")
    with Gradebook(gradebook_url()) as gb:
        try:
            gb.find_notebook(notebook, assignment)
            return
        except MissingEntry:
            pass
    nbgrader("generate_assignment", assignment, "--force")


# nbgrader/jupyter log lines that are expected and say nothing to an instructor:
# - hidden tests make a released test cell differ from the gradebook's copy (which nbgrader restores);
# - the kernel's note on local TCP transport; missing alt text on plots in the feedback HTML.
NOISE = re.compile(r"Attribute 'checksum' for cell test_\w+ has changed|Kernel is running over TCP without encryption"
                   r"|Alternative text is missing on \d+ image")


def nbgrader(*args: str) -> None:
    """Run an nbgrader command in the course directory; its expected noise is filtered out."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=ROOT, env=tool_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout.splitlines():
        if not NOISE.search(line):
            print(line)
    if proc.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed with exit code {proc.returncode}")


def autograde(assignment: str) -> list[str]:
    """Grade all submissions of one assignment; return the students left without scores."""
    students = submitted_students(assignment)
    if not students:
        return []
    ensure_in_gradebook(assignment)
    nbgrader("autograde", assignment, "--force")
    return [s for s in students if cell_scores(assignment, s) is None]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    parser.add_argument("--feedback", action="store_true", help="generate HTML feedback instead of grading")
    args = parser.parse_args(argv)
    missing = {}
    for assignment in args.assignments:
        if args.feedback:
            if submitted_students(assignment):
                nbgrader("generate_feedback", assignment, "--force")
                print(f"{assignment}: feedback in feedback/<student>/{assignment}/")
            continue
        missing[assignment] = autograde(assignment)
        print(f"{assignment}: graded {len(submitted_students(assignment))} submission(s)")
    missing = {a: s for a, s in missing.items() if s}
    if missing:
        print(f"NOT GRADED (no scores in the gradebook): {missing}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
