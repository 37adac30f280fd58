"""The classroom end to end, in a real browser: ``make hub``'s JupyterHub on loopback, driven by
Playwright in Debian's chromium, for a1 (numpy_rnn, 100 points).

1. The instructor logs in and releases a1 from the formgrader (inside JupyterLab, as an iframe).
2. Student 1 logs in, fetches a1 in the Assignments panel, writes every solution but one through
   the contents API and submits; then types the last one (``softmax``) in the notebook, presses
   Validate, and submits again (the latest submission counts).
3. Student 2 fetches and submits the blank notebook, then tries, from a notebook in their own
   kernel, to read student 1's work: the fetched copy, the exact folder of the submission in the
   exchange, the course's submitted/, source/ and gradebook.
4. The instructor collects, grades with ``make autograde``'s pipeline (sandboxed, in parallel),
   generates the feedback and releases it (the command line, as the Makefile wraps it).
5. The hub is restarted: it stops every server and the proxy, and starts again on the same course.
6. Each student logs in again, fetches the feedback in the panel and opens it: 100 for student 1,
   0 for student 2, with student 2's failing checks shown.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from browser import Contents, Person, chromium, step
from classroom import classroom, home, instructor, remove_classroom
from rnncourse.classroom.accounts import read_passwords
from rnncourse.classroom.hub import Hub, descendants, login_page_up, service_token
from rnncourse.classroom.spawner import servers_inside
from rnncourse.grading import notebooks as nbs
from support import course_copy, output, run, sandbox_flags, totals

pytestmark = pytest.mark.xdist_group("hub_browser")

A1, NOTEBOOK = "a1_numpy_rnn", "numpy_rnn.ipynb"
TYPED = "softmax"  # the solution student 1 types in the notebook; its code never dedents


def reference_solutions(course) -> dict[str, str]:
    """grade id -> the reference solution cell of a1, without the solution markers."""
    source = nbs.read(course.notebook("source", A1))
    return {c.metadata["nbgrader"]["grade_id"]: "\n".join(
        line for line in c.source.splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
        for c in source.cells if nbs.is_solution(c)}


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub")
    course = course_copy(tmp / "course")
    made = run(course, "nbgrader", "generate_assignment", A1, "--force")
    assert made.returncode == 0, output(made)
    settings = classroom(course, tmp, "b", students=2)
    hub = Hub(settings, course)
    try:
        hub.start()
        state = {"settings": settings, "course": course, "hub": hub, "solutions": reference_solutions(course)}
        state["passwords"] = read_passwords(settings.passwords)
        with chromium() as browser:
            state["browser"] = browser
            yield state
    finally:
        command = state.get("command") if "state" in locals() else None
        if command is not None and command.poll() is None:
            command.send_signal(signal.SIGINT)
            command.wait(120)
        hub.stop()
        remove_classroom(settings)


def person(room, name: str) -> Person:
    return Person(room["browser"], room["settings"].url, name, room["passwords"][name])


def contents(room, user: str) -> Contents:
    return Contents(room["settings"].url, user, service_token(room["settings"]))


def test_instructor_releases_a1_from_the_formgrader(room):
    settings = room["settings"]
    teacher = person(room, settings.instructor)
    with step("instructor logs in"):
        teacher.login()
        assert {"Formgrader", "Create assignment", "Assignment List"} <= set(teacher.menu_items("Nbgrader"))
    with step("instructor releases a1 from the formgrader"):
        frame = teacher.formgrader()
        row = frame.locator("tr", has_text=A1)
        row.locator("a:has(.glyphicon-cloud-upload)").click()
        frame.get_by_text(f"Successfully released '{A1}'").wait_for(timeout=120_000)
        frame.locator(".modal-footer button", has_text="OK").click()
        row.locator(".label", has_text="released").wait_for(timeout=60_000)
    outbound = settings.course_exchange / "outbound" / A1 / NOTEBOOK
    assert outbound.is_file() and outbound.stat().st_uid == os.stat(settings.student_home(settings.instructor)).st_uid
    teacher.close()


def test_student1_fetches_types_validates_and_submits_twice(room):
    settings, solutions = room["settings"], room["solutions"]
    s1 = settings.students[0]
    student = person(room, s1)
    path = f"{A1}/{NOTEBOOK}"
    with step("student 1 logs in and fetches a1"):
        student.login()
        assert student.menu_items("Nbgrader") == ["Assignment List"], "no instructor tools for students"
        files = contents(room, s1)
        assert files.status("formgrader") == 404 and files.status("api/contents") == 200, "no formgrader server-side"
        student.assignments()
        student.fetch(A1)
    with step("student 1 writes all but one solution (contents API) and submits"):
        nb = files.notebook(path)
        for cell in nb["cells"]:
            gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if cell["metadata"].get("nbgrader", {}).get("solution") and gid != TYPED:
                cell["source"] = solutions[gid]
        files.put_notebook(path, nb)
        student.submit(A1, count=1)
    with step("student 1 types softmax in the notebook and validates"):
        student.open_notebook(path)
        student.type_into_cell("def softmax(z):", solutions[TYPED])
        student.save()
        assert _cell(files.notebook(path), TYPED).split() == solutions[TYPED].split(), "typed as written, saved"
        result = student.validate()
        assert "Success! Your notebook passes all the tests." in result, result
    with step("student 1 submits again"):
        student.assignments()
        student.submit(A1, count=2)
    student.close()


def _cell(nb: dict, grade_id: str) -> str:
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


PROBE = """import json, os
found = {}
for what, path in TARGETS.items():
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path).read(10)
        found[what] = "READ"
    except OSError as error:
        found[what] = type(error).__name__
print(json.dumps(found))
print("PROBE-DONE")
"""


def test_student2_submits_blank_and_cannot_read_student1(room):
    settings, course = room["settings"], room["course"]
    s1, s2 = settings.students
    student = person(room, s2)
    with step("student 2 fetches and submits the blank notebook"):
        student.login()
        student.assignments()
        student.fetch(A1)
        student.submit(A1, count=1)
    inbound = settings.course_exchange / "inbound"
    theirs = sorted(inbound.glob(f"{s1}+{A1}+*"))
    assert len(theirs) == 2, "both of student 1's submissions are in the exchange"
    targets = {
        "student 1's fetched notebook": str(home(settings, s1) / A1 / NOTEBOOK),
        "student 1's home": str(home(settings, s1)),
        "the exchange's inbound": str(inbound),
        "student 1's submission, by its exact name": str(theirs[-1] / NOTEBOOK),
        "student 1's submission folder": str(theirs[-1]),
        "the course's submitted/": str(course.path("submitted")),
        "the course's source": str(course.notebook("source", A1)),
        "the gradebook": str(course.root / "gradebook.db"),
    }
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"TARGETS = {targets!r}\n" + PROBE)])
    probe.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    with step("student 2 tries to read student 1's work from their own kernel"):
        contents(room, s2).put_notebook("probe.ipynb", json.loads(nbformat.writes(probe)))
        student.open_notebook("probe.ipynb")
        text = student.run_first_cell("TARGETS")
    found = json.loads(re.search(r"\{.*\}", text, re.S).group(0))
    assert set(found) == set(targets), text
    # What student 2's view holds (rnncourse.classroom.views): their own home and the exchange; nothing
    # of the course directory, no other home. In the exchange, inbound lets others create but not list
    # and a submission 0770, its group the instructors' (nbexchange.Submit).
    absent, refused = "FileNotFoundError", "PermissionError"
    assert found == {
        "student 1's fetched notebook": absent,
        "student 1's home": absent,
        "the exchange's inbound": refused,
        "student 1's submission, by its exact name": refused,
        "student 1's submission folder": refused,
        "the course's submitted/": absent,
        "the course's source": absent,
        "the gradebook": absent,
    }, found
    student.close()


def test_instructor_collects_grades_and_releases_feedback(room):
    settings, course = room["settings"], room["course"]
    s1, s2 = settings.students
    collected = instructor(settings, "collect", A1)
    assert collected.returncode == 0 and "2 submission(s) in submitted/" in collected.stdout, output(collected)
    graded = run(course, "rnncourse.grading.autograde", *sandbox_flags(), A1)
    assert graded.returncode == 0, output(graded)
    assert totals(course, [A1]) == {(s1, A1): 100, (s2, A1): 0}
    assert run(course, "rnncourse.grading.autograde", "--feedback", A1).returncode == 0
    released = instructor(settings, "release-feedback", A1)
    assert released.returncode == 0 and "feedback released for 2 notebook(s)" in released.stdout, output(released)


def test_hub_restart_keeps_the_course_and_stops_everything(room):
    """Stopping the hub stops every server and the proxy; started again, the way `make hub` starts it
    (the command, which prints the URL and where the passwords are), it serves the same course."""
    hub, settings, course = room["hub"], room["settings"], room["course"]
    started = descendants(hub.proc.pid)
    assert len(started) >= 3, "the hub runs the proxy and the servers as its children"
    hub.stop()
    _assert_all_gone(started)
    assert not login_page_up(settings.url)
    begin = time.perf_counter()
    command = subprocess.Popen([sys.executable, "-m", "rnncourse.classroom", "hub"], cwd=course.root, env=course.env(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    room["command"] = command
    banner = []
    while not any("Ctrl-C stops" in line for line in banner):
        line = command.stdout.readline()
        assert line, f"make hub ended: {''.join(banner)}"
        banner.append(line)
    assert login_page_up(settings.url) and time.perf_counter() - begin < 180
    text = "".join(banner)
    assert "The classroom is up (in " in text and settings.url in text and str(settings.passwords) in text, text
    assert (settings.course_exchange / "outbound" / A1 / NOTEBOOK).is_file()
    assert len(list((settings.course_exchange / "inbound").glob(f"*+{A1}+*"))) == 3
    assert len(list((settings.course_exchange / "feedback").glob("*.html"))) == 2


def _assert_all_gone(pids: list[int]) -> None:
    deadline = time.time() + 30
    while time.time() < deadline and [p for p in pids if _alive(p)]:
        time.sleep(0.5)
    alive = [p for p in pids if _alive(p)]
    assert not alive, f"left running after the hub stopped: {[_cmd(p) for p in alive]}"


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and _state(pid) != "Z"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:120]
    except OSError:
        return "?"


@pytest.mark.parametrize("index, score", [(0, "100.0 / 100.0"), (1, "0.0 / 100.0")])
def test_students_fetch_their_feedback_after_the_restart(room, index, score):
    name = room["settings"].students[index]
    student = person(room, name)
    with step(f"student {index + 1} fetches and opens the feedback"):
        student.login()
        student.assignments()
        assert student.row("fetched", A1).is_visible(), "the fetched assignment is still listed after the restart"
        student.fetch_feedback(A1)
        page = student.open_feedback(A1, "numpy_rnn")
    assert f"numpy_rnn (Score: {score})" in page, page[:1500]
    if index == 1:
        assert "NotImplementedError" in page  # the blank notebook's failing checks are shown
    student.close()


def test_each_server_runs_as_its_own_unix_account(room):
    """The servers the hub runs now (both students', after their feedback): each inside its own
    view, as its own Unix account."""
    import pwd

    settings = room["settings"]
    owners = set()
    for pid in descendants(room["command"].pid):
        if _cmd(pid).startswith("bwrap") and servers_inside(pid):
            inner = servers_inside(pid)[0]
            status = Path(f"/proc/{inner}/status").read_text().splitlines()
            uid = int(next(line for line in status if line.startswith("Uid:")).split()[1])
            owners.add(pwd.getpwuid(uid).pw_name)
    assert owners == set(settings.students), owners


def test_ctrl_c_stops_everything(room):
    """`make hub`'s Ctrl-C: the command stops JupyterHub, which stops every server and the proxy."""
    command = room["command"]
    running = descendants(command.pid)
    assert any(_cmd(p).startswith("bwrap") for p in running) and any("configurable-http-proxy" in _cmd(p) for p in running)
    command.send_signal(signal.SIGINT)
    assert command.wait(120) == 0
    assert "stopping the hub and every server it started" in command.stdout.read()
    _assert_all_gone(running)
    assert not login_page_up(room["settings"].url)
