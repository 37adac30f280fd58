"""Grade a class in parallel: one job per submission, dispatched to Dask distributed workers.

    results = grade_class(course, jobs, sandboxed, workers=4)               # a LocalCluster of 4 threads
    results = grade_class(course, jobs, sandboxed, scheduler="tcp://h:8786")  # a running Dask cluster
    results = grade_assignments(course, ["a1_numpy_rnn"], workers=2)       # every submission of a1

A job is one (assignment, student) pair, graded by :func:`.pipeline.grade_submission` (intake,
``nbgrader autograde`` in a subprocess with its own kernel IPC folder, verification). A job
mostly waits for that subprocess, so on one machine the LocalCluster is a single worker in this
process with one thread per job at a time: worker processes would only add their start-up and
memory (about 10 CPU seconds and 4 s before the first job, measured on 2 cores). Student code
never runs in this process, only in the sandboxed kernels. A cluster reached by ``scheduler``
has worker processes of its own. ``workers=1`` grades in a plain loop, with identical results.

What concurrent ``nbgrader autograde --student S`` runs share, and how it is made safe
(nbgrader 0.9.6, ``converters/autograde.py`` and ``api.py``):

- **Files.** Each run reads ``.grading/staged/S/A/`` and writes ``autograded/S/A/``, both its
  own; ``--force`` removes only that folder. Nothing else in the course directory is written.
- **Assignment rows.** ``autograde`` only reads the assignment, notebook, grade and source
  cells (``generate_assignment`` writes them). They are recorded once, here, before dispatch.
- **Rows created on first use.** ``Gradebook()`` inserts its course row, and ``autograde``
  inserts the student, when missing: two runs doing that at once (the same student's
  assignments, or any two first gradings) would race on a unique key, and one run would
  fail. Here the course and every student are created once, in the parent, before dispatch.
- **Per-submission rows** (the submission, its grades and comments) belong to one job.
- **SQLite.** Writers take turns: the gradebook is switched to WAL (persistent in the file),
  so readers never block the writer, and each connection waits up to 120 s for the lock
  (:attr:`.course.Course.gradebook_url`) instead of failing with "database is locked".
- **Kernels.** Each run has its own IPC folder (``RNNCOURSE_IPC_DIR``); sharing one lost
  submissions to connection clashes.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import time
import traceback
import uuid
from contextlib import closing, contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from tqdm import tqdm

from . import config
from .config import SUBMISSION_TIMEOUT_S
from .course import Course
from .pipeline import Result, ensure_in_gradebook, grade_submission


@dataclass(frozen=True)
class Job:
    assignment: str
    student: str


def default_workers() -> int:
    """``RNNCOURSE_WORKERS``, else one worker per core this process may use."""
    return int(config.setting("RNNCOURSE_WORKERS") or len(os.sched_getaffinity(0)))


# --- the gradebook, prepared once in the parent -------------------------------------------------

def use_wal(url: str) -> str | None:
    """Switch a SQLite gradebook to write-ahead logging (a persistent setting); its journal mode."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    with closing(sqlite3.connect(parsed.database, timeout=120)) as db:
        return db.execute("PRAGMA journal_mode=WAL").fetchone()[0]


def prepare_gradebook(course: Course, jobs: list[Job]) -> None:
    """Create what concurrent runs would race to create: the course, assignments, students."""
    with course.gradebook():  # creates the tables and the course row
        pass
    use_wal(course.gradebook_url)
    for assignment in dict.fromkeys(job.assignment for job in jobs):
        ensure_in_gradebook(course, assignment)
    with course.gradebook() as gb:
        for student in sorted({job.student for job in jobs}):
            gb.update_or_create_student(student)


# --- one job -------------------------------------------------------------------------------------

def grade_job(course: Course, job: Job, sandboxed: bool, timeout: float) -> Result:
    """Grade one submission; an unexpected error becomes a failed Result, never a missing student."""
    start = time.perf_counter()
    try:
        return grade_submission(course, job.assignment, job.student, sandboxed, timeout)
    except Exception as error:
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        return Result(job.student, job.assignment, seconds=time.perf_counter() - start,
                      error=f"grading raised {last}")


def _grade_on_worker(course: Course, job: Job, sandboxed: bool, timeout: float, env: dict) -> Result:
    """Runs in a Dask worker: the same course directory, the same settings as the dispatching command."""
    if not (course.root / "nbgrader_config.py").is_file():
        raise RuntimeError(f"this Dask worker does not see the course directory at {course.root}: "
                           "every worker needs the course at the same path (a shared file system)")
    changed = {key: value for key, value in env.items() if os.environ.get(key) != value}
    if changed:  # a remote worker; in the local cluster's threads, the settings are already these
        os.environ.update(changed)
    return grade_job(course, job, sandboxed, timeout)


def _forwarded_env() -> dict:
    """The settings (cell timeout, sandbox memory...) that a remote worker must share; the
    gradebook travels with the Course."""
    env = {k: os.environ[k] for k in config.ENVIRONMENT if k in os.environ and k != "RNNCOURSE_IPC_DIR"}
    env["KERAS_BACKEND"] = os.environ.get("KERAS_BACKEND", "torch")
    return env


# --- the class -----------------------------------------------------------------------------------

@contextmanager
def dask_client(workers: int, scheduler: str | None = None):
    """A Client of the cluster at ``scheduler``, or of a new in-process LocalCluster of ``workers`` threads."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as error:
            raise SystemExit(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=1, threads_per_worker=workers, processes=False, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                      silence_logs=logging.ERROR, memory_limit=0) as cluster, Client(cluster) as client:
        yield client


def _report(bar: tqdm, result: Result) -> None:
    status = f"{result.score:g}" if result.ok else f"FAILED ({(result.error or '')[:80]})"
    bar.write(f"{result.assignment} {result.student}: {status} [{result.seconds:.1f} s]", file=sys.stdout)
    bar.update()


def grade_assignments(course: Course, assignments, students=None, sandboxed: bool = True, workers: int = 1,
                      scheduler: str | None = None) -> list[Result]:
    """Grade every submission of ``assignments`` (optionally only ``students``); results in class order."""
    jobs = [Job(assignment, student) for assignment in assignments for student in course.submitted_students(assignment)
            if students is None or student in students]
    return grade_class(course, jobs, sandboxed, workers=workers, scheduler=scheduler)


def grade_class(course: Course, jobs: list[Job], sandboxed: bool, workers: int = 1, scheduler: str | None = None,
                timeout: float = SUBMISSION_TIMEOUT_S) -> list[Result]:
    """Grade every job; results in the order of ``jobs``, whatever order they finish in."""
    if not jobs:
        return []
    prepare_gradebook(course, jobs)
    results: list[Result | None] = [None] * len(jobs)
    with tqdm(total=len(jobs), desc="grading", unit="submission", file=sys.stderr, dynamic_ncols=True) as bar:
        if workers <= 1 and not scheduler:
            for i, job in enumerate(jobs):
                results[i] = grade_job(course, job, sandboxed, timeout)
                _report(bar, results[i])
            return results
        from distributed import as_completed

        with dask_client(workers, scheduler) as client:
            run = uuid.uuid4().hex[:8]
            futures = [client.submit(_grade_on_worker, course, job, sandboxed, timeout, _forwarded_env(),
                                     key=f"grade-{job.assignment}-{job.student}-{run}", pure=False)
                       for job in jobs]
            index = {future.key: i for i, future in enumerate(futures)}
            for future in as_completed(futures):
                i, job = index[future.key], jobs[index[future.key]]
                try:
                    results[i] = future.result()
                except Exception as error:  # the worker died, or refused the job
                    results[i] = Result(job.student, job.assignment,
                                        error=f"the Dask worker failed: {type(error).__name__}: {error}")
                _report(bar, results[i])
    return results
