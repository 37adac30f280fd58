"""``make autograde`` / ``make feedback``: grade every submission in submitted/, safely.

    python -m rnncourse.grading.autograde [--feedback] [--student ID] [--unsandboxed]
                                          [--workers N] [--scheduler ADDRESS] [--db URL] [ASSIGNMENT ...]

Each submission goes through three steps (see the README's "Grading you can trust"):

1. **Intake** (:mod:`.intake`): the graded notebook is rebuilt from the release with only the
   student's solution cells, each audited (:mod:`.audit`); what was refused is noted for the
   feedback. A missing or unreadable notebook is graded as the blank release, with a note.
2. **nbgrader autograde** of that one submission, in a subprocess with a time limit, reading
   the staged copy (``.grading/staged``). The kernel runs in the bubblewrap sandbox
   (:mod:`.sandbox`) and is executed by :class:`.execute.ResilientExecute`, which survives a
   dying or deaf kernel. nbgrader writes the scores to the gradebook as usual.
3. **Verification**: the submission must now have scores and an autograded notebook. If not
   (nbgrader itself failed or ran out of time), the submission is graded again as blank with a
   note saying why, so the gradebook never keeps stale or half-written scores, and the failure
   is reported: no student is ever silently missing from the grades.

Grading refuses to run without the sandbox unless told ``--unsandboxed`` (or
``RNNCOURSE_UNSANDBOXED=1``), and then says loudly that student code runs with the grader's
rights. Works on a fresh clone: if the gradebook does not know an assignment yet, it is
recorded first (``nbgrader generate_assignment``, which regenerates release/ identically).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from . import intake as intake_mod
from . import notebooks as nbs
from .scores import cell_scores, gradebook_url
from .settings import ASSIGNMENTS, ROOT, SUBMISSION_TIMEOUT_S, tool_env


def submitted_students(assignment: str, root: Path = ROOT) -> list[str]:
    folder = root / "submitted"
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
# - the kernel's note on local TCP transport; missing alt text on plots in the feedback HTML;
# - the timeout and restart messages of a cell that the notebook's feedback already explains.
NOISE = re.compile(r"Attribute 'checksum' for cell test_\w+ has changed|Kernel is running over TCP without encryption"
                   r"|Alternative text is missing on \d+ image|Timeout waiting for execute reply|Interrupting kernel"
                   r"|Kernel died while waiting for execute reply|WARNING:traitlets:kernel died"
                   r"|Kernel restarted: |Timeout waiting for IOPub output|No submitted file: ")


def _quiet(output: str) -> str:
    return "\n".join(line for line in output.splitlines() if line.strip() and not NOISE.search(line))


def nbgrader(*args: str, env: dict | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course directory; its expected noise is filtered out."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=ROOT,
                          env=env or tool_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    shown = _quiet(proc.stdout)
    if shown:
        print(shown)
    if proc.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed with exit code {proc.returncode}")
    return proc


@dataclass
class Result:
    student: str
    assignment: str
    score: float | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    error: str | None = None  # why grading failed (the submission was then graded as blank)

    @property
    def ok(self) -> bool:
        return self.error is None and self.score is not None


def grading_env(sandboxed: bool, ipc_dir: str) -> dict:
    env = tool_env()
    env["RNNCOURSE_SANDBOX"] = "1" if sandboxed else "0"
    env["RNNCOURSE_IPC_DIR"] = ipc_dir
    env["RNNCOURSE_ROOT"] = str(ROOT)  # the course whose rnncourse/ and data/ the sandboxed kernel sees
    return env


def _run_nbgrader(assignment: str, student: str, sandboxed: bool, timeout: float) -> str | None:
    """Autograde one staged submission; the reason it failed, or None."""
    ipc_dir = tempfile.mkdtemp(prefix="rnnc-ipc-")
    os.chmod(ipc_dir, 0o755)
    args = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student, "--force",
            f"--CourseDirectory.submitted_directory={intake_mod.STAGED}", "--log-level=WARN"]
    try:
        code, output = run_bounded(args, grading_env(sandboxed, ipc_dir), timeout)
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)
    if code is None:
        return f"grading took longer than {timeout:.0f} s"
    autograded = ROOT / "autograded" / student / assignment / nbs.notebook_name(assignment)
    if code != 0 or not autograded.exists() or cell_scores(assignment, student) is None:
        tail = _quiet(output)[-800:]
        return f"nbgrader failed (exit code {code}): {tail or 'no output'}"
    return None


def run_bounded(args: list[str], env: dict, timeout: float) -> tuple[int | None, str]:
    """Run ``args`` in ROOT, in a session of its own: (exit code, output), or (None, "") when it
    ran past ``timeout``.

    No grading run outlives the job that started it. Past the limit the whole session is killed
    (``subprocess.run`` would kill only nbgrader, and an unsandboxed kernel would run on). If the
    process that started it dies (a Dask worker shut down or killed), the run would go on and
    could still write scores for a submission already reported as failed: ``setpriv --pdeathsig
    KILL`` kills nbgrader with it, and the sandboxed kernel dies with nbgrader (bubblewrap's
    ``--die-with-parent``)."""
    guard = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
    with subprocess.Popen(guard + args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, start_new_session=True) as proc:
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # not reaped yet, so the group id is still its own
            proc.communicate()
            return None, ""
    return proc.returncode, output


def grade_submission(assignment: str, student: str, sandboxed: bool = True,
                     timeout: float = SUBMISSION_TIMEOUT_S) -> Result:
    """Intake, grade and verify one submission (see the module's docstring)."""
    start = time.perf_counter()
    result = Result(student, assignment)
    if sandboxed:  # idempotent; a Dask worker on another machine has its own venv
        from .sandbox import install_kernelspec
        install_kernelspec()
    intake = intake_mod.stage(student, assignment)
    result.notes, result.withheld = intake.notes, sorted(intake.withheld)
    error = _run_nbgrader(assignment, student, sandboxed, timeout)
    if error:
        result.error = error
        blank = intake_mod.stage_blank(student, assignment, f"The grader failed on this submission ({error[:300]}), "
                                       "so it was graded as blank. Tell your instructor: this is not your fault.")
        result.notes = blank.notes
        second = _run_nbgrader(assignment, student, sandboxed, timeout)
        if second:
            result.error += f"; grading it as blank failed too: {second}"
            _forget(assignment, student)
    scores = cell_scores(assignment, student)
    result.score = None if scores is None else sum(scores.values())
    result.seconds = time.perf_counter() - start
    return result


def _forget(assignment: str, student: str) -> None:
    """Remove a submission whose grading failed twice, so that no stale scores remain."""
    with Gradebook(gradebook_url()) as gb:
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass
    shutil.rmtree(ROOT / "autograded" / student / assignment, ignore_errors=True)


def require_sandbox(unsandboxed: bool) -> bool:
    """True when grading is sandboxed; exits when the sandbox is missing and not waived."""
    if unsandboxed:
        print("!" * 78 + "\n! WARNING: grading WITHOUT the sandbox (--unsandboxed). Student code runs with your\n"
              "! rights: it can read other submissions, rewrite gradebook.db and use the network.\n" + "!" * 78,
              file=sys.stderr)
        return False
    from . import sandbox
    reason = sandbox.check()
    if reason:
        raise SystemExit(f"Refusing to grade: the sandbox does not work here: {reason}\n"
                         "Fix it (see the README's 'Grading you can trust'), or grade unsandboxed at your own risk "
                         "with --unsandboxed (make autograde UNSANDBOXED=1).")
    sandbox.install_kernelspec()
    return True


def summary(results: list[Result], seconds: float, workers: str = "") -> str:
    failed = [r for r in results if not r.ok]
    noted = [r for r in results if r.notes]
    busy = sum(r.seconds for r in results)
    lines = [f"graded {len(results) - len(failed)} of {len(results)} submission(s) in {seconds:.0f} s"
             + (f" on {workers}" if workers else "")
             + (f" ({busy:.0f} s of grading, {busy / len(results):.1f} s per submission)" if results else "")]
    for r in noted:
        lines.append(f"  note  {r.student}/{r.assignment}: {len(r.notes)} intake note(s)"
                     + (f"; points withheld in {', '.join(r.withheld)}" if r.withheld else ""))
    for r in failed:
        lines.append(f"  FAILED {r.student}/{r.assignment}: {r.error}")
    return "\n".join(lines)


def autograde(assignments: list[str], students: list[str] | None = None, sandboxed: bool = True,
              workers: int = 1, scheduler: str | None = None) -> list[Result]:
    """Grade every submission of ``assignments`` (optionally only ``students``) on ``workers``
    local worker processes, or on the Dask cluster at ``scheduler``; results in class order."""
    from .parallel import Job, grade_class  # parallel builds on this module

    jobs = [Job(assignment, student) for assignment in assignments for student in submitted_students(assignment)
            if students is None or student in students]
    return grade_class(jobs, sandboxed, workers=workers, scheduler=scheduler)


def main(argv=None) -> int:
    from .parallel import default_workers

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    parser.add_argument("--feedback", action="store_true", help="generate HTML feedback instead of grading")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    parser.add_argument("--unsandboxed", action="store_true", default=os.environ.get("RNNCOURSE_UNSANDBOXED") == "1",
                        help="grade without the sandbox (unsafe; prints a warning)")
    parser.add_argument("--workers", type=int, default=default_workers(), metavar="N",
                        help="grade N submissions at a time in local worker processes (default: one per core, "
                             "or RNNCOURSE_WORKERS; 1 grades in a plain loop)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="dispatch to the workers of a running Dask cluster (tcp://host:8786) instead")
    parser.add_argument("--db", metavar="URL", help="gradebook database URL, e.g. postgresql://user@host/grades "
                        "(default: RNNCOURSE_DB_URL, else gradebook.db in the course directory)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.db:
        os.environ["RNNCOURSE_DB_URL"] = args.db  # for this process, nbgrader and the workers
    if args.feedback:
        for assignment in args.assignments:
            if submitted_students(assignment):
                nbgrader("generate_feedback", assignment, "--force")
                print(f"{assignment}: feedback in feedback/<student>/{assignment}/")
        return 0
    sandboxed = require_sandbox(args.unsandboxed)
    start = time.perf_counter()
    results = autograde(args.assignments, args.student, sandboxed, args.workers, args.scheduler)
    where = f"the Dask cluster at {args.scheduler}" if args.scheduler else f"{args.workers} worker(s)"
    print(summary(results, time.perf_counter() - start, where))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    os.environ["PATH"] = tool_env()["PATH"]  # a new gradebook runs `alembic`, a script of this venv
    sys.exit(main())
