"""Parallel and distributed grading give exactly the scores of sequential grading.

A copy of the course with two small fixture assignments (``h1_fixture`` and a copy of it,
``h2_fixture``, so that one student's two submissions are graded at the same time) gets a
class of 7 submissions: honest, partial, wrong, blank and missing. The class is
graded three times with ``python -m rnncourse.grading.autograde``, each into its own SQLite
gradebook (``--db``): in a plain loop (``--workers 1``), on the command's own LocalCluster of
2 worker threads (``--workers 2``), and on a Dask cluster of 2 worker processes started here
and reached by its address (``--scheduler``). Every configuration must give every student the
same score in every test cell, with no "database is locked" anywhere in the output.

The sandbox is used when it works on this machine, else grading runs ``--unsandboxed``: this
test is about concurrency, tests/test_hostile.py about the sandbox.

Last, no grading run outlives its job: one past its time limit is killed with its children,
and one whose worker dies dies with it.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from distributed.diagnostics.plugin import SchedulerPlugin

from hostile import cases as catalog
from hostile import fixture
from rnncourse.grading.course import Course
from rnncourse.grading.runner import run_bounded
from support import class_scores, fixture_course, output, run, sandbox_flags

pytestmark = pytest.mark.xdist_group("parallel")

H1, H2 = fixture.ASSIGNMENT, "h2_fixture"
WITHOUT_ADD, WITHOUT_VOWELS = fixture.TOTAL - fixture.POINTS["add"], fixture.TOTAL - fixture.POINTS["vowels"]
# (assignment, student) -> (how the submission is built, its expected total)
CLASS = {
    (H1, "honest"): (lambda r: catalog.solved(r), fixture.TOTAL),
    (H1, "partial"): (lambda r: catalog.solved(r, softmax=catalog.WRONG_SOFTMAX), catalog.WITHOUT_SOFTMAX),
    (H1, "wrong_add"): (lambda r: catalog.solved(r, add="def add(a, b):\n    return a - b\n"), WITHOUT_ADD),
    (H1, "blank"): (lambda r: r, 0),
    (H1, "missing"): (None, 0),  # a submission folder without the notebook
    (H2, "honest"): (lambda r: catalog.solved(r), fixture.TOTAL),
    (H2, "partial"): (lambda r: catalog.solved(r, vowels="def vowels(text):\n    return 0\n"), WITHOUT_VOWELS),
}
CONFIGS = ("sequential", "two_workers", "dask_cluster")


def gradebook(course: Course, config: str) -> Course:
    """The course, grading into a SQLite gradebook of its own for ``config``."""
    return course.with_gradebook(f"sqlite:///{course.root / f'{config}.db'}?timeout=120")


def read_scores(course: Course) -> dict:
    """(assignment, student) -> {test cell: score} of every graded submission."""
    return {(assignment, student): cells for (student, assignment), cells in class_scores(course, [H1, H2]).items()}


def make_course(root: Path) -> Course:
    course = fixture_course(root, H1, H2)
    for (assignment, student), (build, _) in CLASS.items():
        folder = course.path("submitted", assignment, student)
        if build is None:
            folder.mkdir(parents=True)
            continue
        release = nbformat.read(str(course.notebook("release", assignment)), as_version=4)
        catalog.write(build(release), folder)
    return course


class Finished(SchedulerPlugin):
    """Records the grading tasks that the scheduler saw finish (keyed grade-<assignment>-<student>-...)."""

    def __init__(self):
        self.keys = set()

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "memory" and str(key).startswith("grade-"):
            self.keys.add(key)


@dataclass
class Graded:
    course: Course
    procs: dict  # config -> the grading command's CompletedProcess
    scores: dict  # config -> read_scores() of its gradebook
    finished: set  # the grading tasks the Dask cluster's scheduler saw finish


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    from distributed import LocalCluster

    course = make_course(tmp_path_factory.mktemp("parallel") / "course")
    grade = ["rnncourse.grading.autograde", H1, H2, *sandbox_flags()]
    procs = {}
    procs["sequential"] = run(course, *grade, "--workers", "1", f"--db={gradebook(course, 'sequential').db_url}")
    procs["two_workers"] = run(course, *grade, "--workers", "2", f"--db={gradebook(course, 'two_workers').db_url}")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        finished = Finished()
        cluster.scheduler.add_plugin(finished)
        procs["dask_cluster"] = run(course, *grade, "--scheduler", cluster.scheduler_address,
                                    f"--db={gradebook(course, 'dask_cluster').db_url}")
    scores = {config: read_scores(gradebook(course, config)) for config in CONFIGS}
    return Graded(course, procs, scores, finished.keys)


@pytest.mark.parametrize("config", CONFIGS)
def test_everyone_is_graded(graded, config):
    proc = graded.procs[config]
    assert proc.returncode == 0, output(proc)
    assert set(graded.scores[config]) == set(CLASS), f"missing: {set(CLASS) - set(graded.scores[config])}"
    assert f"graded {len(CLASS)} of {len(CLASS)} submission(s)" in proc.stdout


@pytest.mark.parametrize("config", CONFIGS)
def test_no_database_is_locked(graded, config):
    proc = graded.procs[config]
    assert "database is locked" not in proc.stdout + proc.stderr


def test_totals_are_the_expected_ones(graded):
    scores = graded.scores["sequential"]
    totals = {key: sum(cells.values()) for key, cells in scores.items()}
    assert totals == {key: total for key, (_, total) in CLASS.items()}


@pytest.mark.parametrize("config", CONFIGS[1:])
def test_parallel_scores_equal_sequential_cell_by_cell(graded, config):
    assert graded.scores[config] == graded.scores["sequential"]


def test_the_cluster_did_the_grading(graded):
    assert len(graded.finished) == len(CLASS)
    assert "on the Dask cluster at tcp://127.0.0.1:" in graded.procs["dask_cluster"].stdout
    assert "on 2 worker(s)" in graded.procs["two_workers"].stdout


def test_sqlite_gradebook_is_in_wal_mode(graded):
    with sqlite3.connect(graded.course.root / "two_workers.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- no grading run outlives its job ------------------------------------------------------------------

# Stands in for nbgrader: writes its pid and its child's (a stand-in kernel), then waits.
GRADER = ("import os, subprocess, sys, time\n"
          "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'],\n"
          "                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
          "open(sys.argv[1] + '.tmp', 'w').write(f'{os.getpid()} {child.pid}')\n"
          "os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
          "time.sleep(300)\n")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_a_run_past_its_limit_is_killed_with_its_children(tmp_path):
    pids = tmp_path / "pids"
    start = time.monotonic()
    code, printed = run_bounded([sys.executable, "-c", GRADER, str(pids)], dict(os.environ), tmp_path, timeout=8)
    assert code is None and printed == "" and time.monotonic() - start < 60
    grader, kernel = map(int, pids.read_text().split())
    assert wait_for(lambda: not alive(grader) and not alive(kernel), 10), "the grading run's session survived"


def test_a_run_dies_with_the_worker_that_started_it(tmp_path):
    pids = tmp_path / "pids"
    worker = subprocess.Popen(
        [sys.executable, "-c", "import os, sys\nfrom rnncourse.grading.runner import run_bounded\n"
         "run_bounded([sys.executable, '-c', sys.argv[1], sys.argv[2]], dict(os.environ), '.', 300)\n", GRADER,
         str(pids)], cwd=tmp_path)
    try:
        assert wait_for(pids.exists, 120), "the stand-in grading run did not start"
        grader, _ = map(int, pids.read_text().split())
        assert alive(grader)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        assert wait_for(lambda: not alive(grader), 10), "the grading run outlived the worker that started it"
    finally:
        worker.kill()
        if pids.exists():
            for pid in map(int, pids.read_text().split()):
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
