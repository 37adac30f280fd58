"""Parallel and distributed grading give exactly the scores of sequential grading.

A copy of the course with two small fixture assignments (``h1_fixture`` and a copy of it,
``h2_fixture``, so that one student's two submissions are graded at the same time) gets a
class of 8 submissions: honest, partial, wrong, crashing, blank and missing. The class is
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
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from distributed.diagnostics.plugin import SchedulerPlugin
from nbgrader.api import Gradebook, MissingEntry

from hostile import cases as catalog
from hostile import fixture
from rnncourse.grading.autograde import run_bounded
from rnncourse.grading.settings import tool_env

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


def run(course, *args):
    return subprocess.run([sys.executable, "-m", *args], cwd=course, env=tool_env(), capture_output=True, text=True)


def sandbox_flags() -> list[str]:
    try:
        from rnncourse.grading import sandbox
        return [] if sandbox.check() is None else ["--unsandboxed"]
    except Exception:
        return ["--unsandboxed"]


def db_url(course, config: str) -> str:
    return f"sqlite:///{course / f'{config}.db'}?timeout=120"


def read_scores(url: str) -> dict:
    """(assignment, student) -> {test cell: score} of every graded submission in a gradebook."""
    scores = {}
    with Gradebook(url) as gb:
        for assignment, student in CLASS:
            try:
                submission = gb.find_submission_notebook(fixture.NOTEBOOK.removesuffix(".ipynb"), assignment, student)
            except MissingEntry:
                continue
            scores[assignment, student] = {g.name: float(g.score) for g in submission.grades if g.max_score > 0}
    return scores


def make_course(course):
    fixture.course_copy(course)
    shutil.copytree(course / "source" / H1, course / "source" / H2)
    for assignment in (H1, H2):
        made = run(course, "nbgrader", "generate_assignment", assignment, "--force")
        assert made.returncode == 0, made.stdout + made.stderr
    for (assignment, student), (build, _) in CLASS.items():
        folder = course / "submitted" / student / assignment
        if build is None:
            folder.mkdir(parents=True)
            continue
        release = nbformat.read(str(course / "release" / assignment / fixture.NOTEBOOK), as_version=4)
        catalog.write(build(release), folder)


class Finished(SchedulerPlugin):
    """Records the grading tasks that the scheduler saw finish (keyed grade-<assignment>-<student>-...)."""

    def __init__(self):
        self.keys = set()

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "memory" and str(key).startswith("grade-"):
            self.keys.add(key)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, monkeypatch_module):
    return grade_class(tmp_path_factory, monkeypatch_module)


def grade_class(tmp_path_factory, monkeypatch_module):
    from distributed import LocalCluster

    course = tmp_path_factory.mktemp("parallel") / "course"
    course.mkdir()
    make_course(course)
    grade = ["rnncourse.grading.autograde", H1, H2, *sandbox_flags()]
    procs, scores = {}, {}
    procs["sequential"] = run(course, *grade, "--workers", "1", f"--db={db_url(course, 'sequential')}")
    procs["two_workers"] = run(course, *grade, "--workers", "2", f"--db={db_url(course, 'two_workers')}")
    # Spawned Dask workers inherit sys.path: put the course copy first so that they import it.
    monkeypatch_module.syspath_prepend(str(course))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        finished = Finished()
        cluster.scheduler.add_plugin(finished)
        procs["dask_cluster"] = run(course, *grade, "--scheduler", cluster.scheduler_address,
                                    f"--db={db_url(course, 'dask_cluster')}")
    for config in CONFIGS:
        scores[config] = read_scores(db_url(course, config))
    return course, procs, scores, finished.keys


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize("config", CONFIGS)
def test_everyone_is_graded(graded, config):
    _, procs, scores, _ = graded
    proc = procs[config]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert set(scores[config]) == set(CLASS), f"missing: {set(CLASS) - set(scores[config])}"
    assert f"graded {len(CLASS)} of {len(CLASS)} submission(s)" in proc.stdout


@pytest.mark.parametrize("config", CONFIGS)
def test_no_database_is_locked(graded, config):
    proc = graded[1][config]
    assert "database is locked" not in proc.stdout + proc.stderr


def test_totals_are_the_expected_ones(graded):
    scores = graded[2]["sequential"]
    totals = {key: sum(cells.values()) for key, cells in scores.items()}
    assert totals == {key: total for key, (_, total) in CLASS.items()}


@pytest.mark.parametrize("config", CONFIGS[1:])
def test_parallel_scores_equal_sequential_cell_by_cell(graded, config):
    scores = graded[2]
    assert scores[config] == scores["sequential"]


def test_the_cluster_did_the_grading(graded):
    _, procs, _, finished = graded
    assert len(finished) == len(CLASS)
    assert "on the Dask cluster at tcp://127.0.0.1:" in procs["dask_cluster"].stdout
    assert "on 2 worker(s)" in procs["two_workers"].stdout


def test_sqlite_gradebook_is_in_wal_mode(graded):
    course = graded[0]
    with sqlite3.connect(course / "two_workers.db") as db:
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
    code, output = run_bounded([sys.executable, "-c", GRADER, str(pids)], tool_env(), timeout=8)
    assert code is None and output == "" and time.monotonic() - start < 60
    grader, kernel = map(int, pids.read_text().split())
    assert wait_for(lambda: not alive(grader) and not alive(kernel), 10), "the grading run's session survived"


def test_a_run_dies_with_the_worker_that_started_it(tmp_path):
    pids = tmp_path / "pids"
    worker = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom rnncourse.grading.autograde import run_bounded\n"
         "from rnncourse.grading.settings import tool_env\n"
         "run_bounded([sys.executable, '-c', sys.argv[1], sys.argv[2]], tool_env(), 300)\n", GRADER, str(pids)],
        env=tool_env())
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
