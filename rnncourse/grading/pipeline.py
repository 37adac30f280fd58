"""The grading of one submission: intake, nbgrader autograde in the sandbox, verification.

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

``submitted/`` is only read: everything is written to ``.grading/staged/``, ``autograded/``
and the gradebook.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field

from nbgrader.api import MissingEntry

from . import intake as intake_mod
from . import notebooks as nbs
from . import sandbox
from .config import SUBMISSION_TIMEOUT_S
from .course import Course
from .runner import nbgrader, quiet, run_bounded
from .scores import cell_scores


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


def ensure_in_gradebook(course: Course, assignment: str) -> None:
    """Record the assignment in the gradebook if it is not there yet (``generate_assignment``).

    The release it generates goes to the grader's staging area, never over ``release/``: that is
    what the students were given. If source/ has changed since, the grader says so (the gradebook
    then records the tests of source/ as it is now)."""
    name = course.notebook_name(assignment)
    with course.gradebook() as gb:
        try:
            gb.find_notebook(name.removesuffix(".ipynb"), assignment)
            return
        except MissingEntry:
            pass
    released = course.notebook("release", assignment)
    if not released.exists():  # nothing released yet: nothing to overwrite
        nbgrader(course, "generate_assignment", assignment, "--force")
        return
    scratch = course.path("staged").parent / "release"
    nbgrader(course, "generate_assignment", assignment, "--force", f"--CourseDirectory.release_directory={scratch}")
    fresh = nbs.read(scratch / assignment / name)
    if [c.source for c in fresh.cells] != [c.source for c in nbs.read(released).cells]:
        print(f"warning: release/{assignment}/{name} is not what source/ generates now; grading uses the tests of "
              f"source/ as it is now (run `make release A={assignment}` if the release should follow it)",
              file=sys.stderr)


def grading_env(course: Course, sandboxed: bool, ipc_dir: str) -> dict:
    """The environment of one grading run: nbgrader_config.py reads the sandbox and socket settings."""
    return course.env(RNNCOURSE_SANDBOX="1" if sandboxed else "0", RNNCOURSE_IPC_DIR=ipc_dir)


def _run_nbgrader(course: Course, assignment: str, student: str, sandboxed: bool, timeout: float) -> str | None:
    """Autograde one staged submission; the reason it failed, or None."""
    ipc_dir = tempfile.mkdtemp(prefix="rnnc-ipc-")
    os.chmod(ipc_dir, 0o755)
    args = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student, "--force",
            f"--CourseDirectory.submitted_directory={course.path('staged').relative_to(course.root)}",
            "--log-level=WARN"]
    try:
        code, output = run_bounded(args, grading_env(course, sandboxed, ipc_dir), course.root, timeout)
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)
    if code is None:
        return f"grading took longer than {timeout:.0f} s"
    if code != 0 or not course.notebook("autograded", assignment, student).exists() \
            or cell_scores(course, assignment, student) is None:
        tail = quiet(output)[-800:]
        return f"nbgrader failed (exit code {code}): {tail or 'no output'}"
    return None


def grade_submission(course: Course, assignment: str, student: str, sandboxed: bool = True,
                     timeout: float = SUBMISSION_TIMEOUT_S) -> Result:
    """Intake, grade and verify one submission (see the module's docstring)."""
    start = time.perf_counter()
    result = Result(student, assignment)
    if sandboxed:  # idempotent; a Dask worker on another machine has its own venv
        sandbox.install_kernelspec()
    intake = intake_mod.stage(course, assignment, student)
    result.notes, result.withheld = intake.notes, sorted(intake.withheld)
    error = _run_nbgrader(course, assignment, student, sandboxed, timeout)
    if error:
        result.error = error
        blank = intake_mod.stage_blank(course, assignment, student,
                                       f"The grader failed on this submission ({error[:300]}), so it was graded as "
                                       "blank. Tell your instructor: this is not your fault.")
        result.notes = blank.notes
        second = _run_nbgrader(course, assignment, student, sandboxed, timeout)
        if second:
            result.error += f"; grading it as blank failed too: {second}"
            if not _forget(course, assignment, student):
                result.error += ("; its gradebook entry was kept, as it holds manual grades or comments "
                                 "(its automatic scores are from an earlier grading)")
    scores = cell_scores(course, assignment, student)
    result.score = None if scores is None else sum(scores.values())
    result.seconds = time.perf_counter() - start
    return result


def _forget(course: Course, assignment: str, student: str) -> bool:
    """Remove a submission whose grading failed twice, so that no stale scores remain, unless an
    instructor graded or commented on it by hand (that work is never deleted). True if removed."""
    with course.gradebook() as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            submission = None
        if submission is not None:
            manual = any(grade.manual_score is not None or grade.extra_credit for nb in submission.notebooks
                         for grade in nb.grades)
            manual |= any(comment.manual_comment for nb in submission.notebooks for comment in nb.comments)
            if manual:
                return False
            gb.remove_submission(assignment, student)
    shutil.rmtree(course.path("autograded", assignment, student), ignore_errors=True)
    return True


def require_sandbox(unsandboxed: bool) -> bool:
    """True when grading is sandboxed; exits when the sandbox is missing and not waived."""
    if unsandboxed:
        print("!" * 78 + "\n! WARNING: grading WITHOUT the sandbox (--unsandboxed). Student code runs with your\n"
              "! rights: it can read other submissions, rewrite gradebook.db and use the network.\n" + "!" * 78,
              file=sys.stderr)
        return False
    reason = sandbox.check()
    if reason:
        raise SystemExit(f"Refusing to grade: the sandbox does not work here: {reason}\n"
                         "Fix it (see docs/trust.md), or grade unsandboxed at your own risk "
                         "with --unsandboxed (make autograde UNSANDBOXED=1).")
    sandbox.install_kernelspec()
    return True


def summary(results: list[Result], seconds: float, workers: str = "") -> str:
    """What a grading run did: graded, noted, failed, time."""
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
