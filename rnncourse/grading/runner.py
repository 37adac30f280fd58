"""Running nbgrader: in the course directory, with the course's settings, its expected noise filtered out.

    nbgrader(course, "generate_assignment", "a1_numpy_rnn", "--force")
    code, output = run_bounded(args, course.env(), course.root, timeout=900)
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys

from .course import Course

# nbgrader/jupyter log lines that are expected and say nothing to an instructor:
# - hidden tests make a released test cell differ from the gradebook's copy (which nbgrader restores);
# - the kernel's note on local TCP transport; missing alt text on plots in the feedback HTML;
# - the timeout and restart messages of a cell that the notebook's feedback already explains.
NOISE = re.compile(r"Attribute 'checksum' for cell test_\w+ has changed|Kernel is running over TCP without encryption"
                   r"|Alternative text is missing on \d+ image|Timeout waiting for execute reply|Interrupting kernel"
                   r"|Kernel died while waiting for execute reply|WARNING:traitlets:kernel died"
                   r"|Kernel restarted: |Timeout waiting for IOPub output|No submitted file: ")


def quiet(output: str) -> str:
    """``output`` without blank lines and :data:`NOISE`."""
    return "\n".join(line for line in output.splitlines() if line.strip() and not NOISE.search(line))


def nbgrader(course: Course, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course directory; exits with its message if it fails."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=course.root,
                          env=env or course.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    shown = quiet(proc.stdout)
    if shown:
        print(shown)
    if proc.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed with exit code {proc.returncode}")
    return proc


def run_bounded(args: list[str], env: dict, cwd, timeout: float) -> tuple[int | None, str]:
    """Run ``args`` in ``cwd``, in a session of its own: (exit code, output), or (None, "") when it
    ran past ``timeout``.

    No grading run outlives the job that started it. Past the limit the whole session is killed
    (``subprocess.run`` would kill only nbgrader, and an unsandboxed kernel would run on). If the
    process that started it dies (a Dask worker shut down or killed), the run would go on and
    could still write scores for a submission already reported as failed: ``setpriv --pdeathsig
    KILL`` kills nbgrader with it, and the sandboxed kernel dies with nbgrader (bubblewrap's
    ``--die-with-parent``)."""
    guard = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
    with subprocess.Popen(guard + args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, start_new_session=True) as proc:
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # not reaped yet, so the group id is still its own
            proc.communicate()
            return None, ""
    return proc.returncode, output


def generate_feedback(course: Course, assignments) -> list[str]:
    """HTML feedback for every graded submission of ``assignments``; the assignments done."""
    done = []
    for assignment in assignments:
        if course.submitted_students(assignment):
            nbgrader(course, "generate_feedback", assignment, "--force")
            done.append(assignment)
    return done


def export_grades(course: Course, target: str = "grades.csv") -> None:
    nbgrader(course, "export", "--to", target)
