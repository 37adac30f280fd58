"""The classroom's figures: how long ``make hub`` takes to serve its login page, how long a class of
students takes from release to fetched feedback, and what an idle student's server costs in memory.

    python bench/bench_hub.py [--students 5]          # as root (it makes Unix accounts, then removes them)

A scratch copy of the course gets a classroom of its own (accounts ``t<pid>h-s1``..., an exchange
and a state folder in a temporary folder, a free port), and:

1. **start**: ``python -m rnncourse.classroom hub`` (what ``make hub`` runs) is started and timed
   until its login page answers, twice: the first start makes the accounts and builds the
   students' wheel, the second finds them. Each is stopped with SIGINT (Ctrl-C) and the stop timed.
2. **round trip**, a1 for N students, in Debian's chromium: the release (``make release-assignment``),
   every student logging in, fetching in the Assignments panel and submitting (their solutions
   written through the contents API: the reference ones), ``collect``, ``make autograde``
   (sandboxed, in parallel), ``make feedback``, ``release-feedback``, then every student fetching
   and opening their feedback page (which must show 100).
3. **memory**: each student's server after their last page closed and 10 s idle: the PSS and RSS
   of its processes (the bubblewrap view and ``jupyterhub-singleuser``), then the same with one
   idle kernel started in it.

Prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser import Contents, Person, chromium  # noqa: E402
from classroom import classroom, instructor, remove_classroom  # noqa: E402
from rnncourse.classroom.accounts import read_passwords  # noqa: E402
from rnncourse.classroom.hub import descendants, login_page_up, service_token  # noqa: E402
from rnncourse.classroom.spawner import servers_inside  # noqa: E402
from rnncourse.grading import notebooks as nbs  # noqa: E402
from rnncourse.grading.course import Course  # noqa: E402
from rnncourse.grading.runner import nbgrader  # noqa: E402
from rnncourse.grading.scores import class_scores  # noqa: E402

A1, NOTEBOOK = "a1_numpy_rnn", "numpy_rnn.ipynb"


def start_hub(course: Course) -> tuple[subprocess.Popen, float]:
    settings_url = f"http://127.0.0.1:{_port(course)}"
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "rnncourse.classroom", "hub"], cwd=course.root, env=course.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while not login_page_up(settings_url):
        if proc.poll() is not None:
            raise SystemExit(f"make hub stopped:\n{proc.stdout.read()[-3000:]}")
        time.sleep(0.1)
    return proc, time.perf_counter() - start


def stop_hub(proc: subprocess.Popen) -> float:
    start = time.perf_counter()
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    proc.wait(120)
    return time.perf_counter() - start


def _port(course: Course) -> int:
    from rnncourse.classroom.settings import load

    return load(course.root).port


def memory(pids: list[int]) -> tuple[float, float]:
    """(PSS, RSS) in MiB of ``pids``."""
    pss = rss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
        except OSError:
            pass
    return pss / 1024, rss / 1024


def student_servers(hub_pid: int, names: set[str]) -> dict[str, int]:
    """student -> the bubblewrap process (outermost) of their server."""
    found = {}
    for pid in [hub_pid] + descendants(hub_pid):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != "bwrap":
                continue
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            if Path(f"/proc/{parent}/comm").read_text().strip() == "bwrap":
                continue  # the view's inner bubblewrap
            inner = servers_inside(pid)[0]
            status = Path(f"/proc/{inner}/status").read_text().splitlines()
            uid = int(next(line for line in status if line.startswith("Uid:")).split()[1])
        except (OSError, IndexError, StopIteration, ValueError):
            continue
        name = pwd.getpwuid(uid).pw_name
        if name in names:
            found[name] = pid
    return found


def start_kernel(url: str, user: str, token: str) -> None:
    request = urllib.request.Request(f"{url}/user/{user}/api/kernels", method="POST", data=b"{}",
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        json.loads(response.read())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=5)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("run as root: the classroom makes Unix accounts (unix mode)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        course = Course(ROOT).scratch_copy(tmp / "course")
        nbgrader(course, "generate_assignment", A1, "--force")
        settings = classroom(course, tmp, "h", students=args.students)
        try:
            proc, cold = start_hub(course)
            cold_stop = stop_hub(proc)
            proc, warm = start_hub(course)
            rows += [("`make hub` to the login page, first start (accounts, wheel)", f"{cold:.1f} s"),
                     ("`make hub` to the login page, next start", f"{warm:.1f} s"),
                     ("Ctrl-C to everything stopped", f"{cold_stop:.1f} s")]
            rows += round_trip(settings, course, proc)
            stop_hub(proc)
        finally:
            remove_classroom(settings)
    print(f"\nclassroom figures ({args.students} students, a1; {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f} at the end)\n")
    print("| what | measured |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")
    return 0


def round_trip(settings, course: Course, hub: subprocess.Popen) -> list[tuple[str, str]]:
    passwords = read_passwords(settings.passwords)
    token = service_token(settings)
    source = nbs.read(course.notebook("source", A1))
    solutions = {c.metadata["nbgrader"]["grade_id"]: "\n".join(
        line for line in c.source.splitlines() if "SOLUTION" not in line) for c in source.cells if nbs.is_solution(c)}
    phases: dict[str, float] = {}

    def phase(name, start):
        phases[name] = time.perf_counter() - start

    start = time.perf_counter()
    t = time.perf_counter()
    done = instructor(settings, "release-assignment", A1)
    assert done.returncode == 0, done.stdout + done.stderr
    phase("release", t)
    logins = []
    with chromium() as browser:
        t = time.perf_counter()
        for name in settings.students:
            student = Person(browser, settings.url, name, passwords[name])
            logins.append(student.login())
            student.assignments()
            student.fetch(A1)
            files = Contents(settings.url, name, token)
            nb = files.notebook(f"{A1}/{NOTEBOOK}")
            for cell in nb["cells"]:
                gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
                if cell["metadata"].get("nbgrader", {}).get("solution"):
                    cell["source"] = solutions[gid]
            files.put_notebook(f"{A1}/{NOTEBOOK}", nb)
            student.submit(A1, count=1)
            student.close()
        phase("students log in, fetch, submit", t)
        t = time.perf_counter()
        for command in (["collect", A1],):
            done = instructor(settings, *command)
            assert done.returncode == 0, done.stdout + done.stderr
        phase("collect", t)
        t = time.perf_counter()
        graded = subprocess.run([sys.executable, "-m", "rnncourse.grading.autograde", A1], cwd=course.root,
                                env=course.env(), capture_output=True, text=True)
        assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-2000:]
        phase("make autograde (sandboxed, parallel)", t)
        scores = {student: sum(cells.values()) for (student, _), cells in class_scores(course, [A1]).items()}
        assert set(scores.values()) == {100}, scores
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rnncourse.grading.autograde", "--feedback", A1], cwd=course.root,
                       env=course.env(), capture_output=True, check=True)
        done = instructor(settings, "release-feedback", A1)
        assert done.returncode == 0, done.stdout + done.stderr
        phase("make feedback, release-feedback", t)
        t = time.perf_counter()
        for name in settings.students:
            student = Person(browser, settings.url, name, passwords[name])
            student.login()
            student.assignments()
            student.fetch_feedback(A1)
            page = student.open_feedback(A1, "numpy_rnn")
            assert "numpy_rnn (Score: 100.0 / 100.0)" in page
            student.close()
        phase("students fetch and open their feedback", t)
    total = time.perf_counter() - start
    rows = [(f"round trip, release to every feedback page open ({len(settings.students)} students)", f"{total:.0f} s")]
    rows += [(f"  {name}", f"{seconds:.0f} s") for name, seconds in phases.items()]
    rows.append(("a student's login to JupyterLab on screen (median; starts their server)",
                 f"{statistics.median(logins):.1f} s"))
    time.sleep(10)
    servers = student_servers(hub.pid, set(settings.students))
    idle = [memory([pid] + descendants(pid)) for pid in servers.values()]
    start_kernel(settings.url, settings.students[0], token)
    time.sleep(10)
    first = servers[settings.students[0]]
    with_kernel = memory([first] + descendants(first))
    rows += [(f"an idle student server, PSS (RSS), median of {len(idle)}",
              f"{statistics.median(p for p, _ in idle):.0f} MiB ({statistics.median(r for _, r in idle):.0f} MiB)"),
             ("the same with one idle kernel (nothing imported)", f"{with_kernel[0]:.0f} MiB ({with_kernel[1]:.0f} MiB)")]
    return rows


if __name__ == "__main__":
    sys.exit(main())
