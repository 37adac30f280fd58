"""The suite's own scheduling: `make test` runs `pytest -n 2 --dist loadgroup`.

The slow modules (the end-to-end class, the hostile catalog, parallel and PostgreSQL grading)
grade a whole class once in a module fixture and share it through an `xdist_group`. If the
group is not kept on one worker, each worker grades the class again and `make test` runs
minutes over its budget, with every test still green. That happened: pytest-xdist 3.8 marks a
group by rewriting `Item._nodeid`, which pytest 9.2 no longer reads, so groups were silently
spread over both workers. This test runs a small suite the way `make test` does and checks
that every group ran on exactly one worker.
"""

import os
import subprocess
import sys

GROUPED = '''
import os
import pytest

pytestmark = pytest.mark.xdist_group("{group}")


@pytest.mark.parametrize("i", range(6))
def test_param(i):
    with open("ran.log", "a") as log:
        log.write("{group} " + os.environ["PYTEST_XDIST_WORKER"] + "\\n")


def test_plain():
    with open("ran.log", "a") as log:
        log.write("{group} " + os.environ["PYTEST_XDIST_WORKER"] + "\\n")
'''


def test_xdist_groups_stay_on_one_worker(tmp_path):
    for group in ("alpha", "beta", "gamma"):
        (tmp_path / f"test_{group}.py").write_text(GROUPED.format(group=group))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup",
                           "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"), str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    runs = [line.split() for line in (tmp_path / "ran.log").read_text().splitlines()]
    assert len(runs) == 21
    workers = {group: sorted({worker for g, worker in runs if g == group}) for group in ("alpha", "beta", "gamma")}
    assert all(len(w) == 1 for w in workers.values()), (
        f"xdist_group spread over workers: {workers}; check the pytest/pytest-xdist pins in requirements.txt")
    assert len({w[0] for w in workers.values()}) == 2, f"one worker ran every group: {workers}"
