"""Helpers of the classroom tests (tests/test_hub_*.py): a classroom around a scratch course, with
Unix accounts of its own, its hub, and commands run as a student (in their view) or the instructor.

Account names carry the test process's id (``t<pid><tag>-s1``), so that two test runs on one
machine never share an account; accounts left by a run that was killed are removed by the next.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import subprocess
import sys
from pathlib import Path

from rnncourse.classroom import accounts, views
from rnncourse.classroom.settings import Settings, load
from rnncourse.grading.course import Course
from rnncourse.grading.pgserver import free_port
from support import output

TEMPLATE = """\
[hub]
ip = "127.0.0.1"
port = {port}
state = "{tmp}/state"
proxy = "node_modules/.bin/configurable-http-proxy"
extra_config = ""

[accounts]
mode = "unix"
instructor = "{prefix}-ins"
students = [{students}]
instructors_group = "{prefix}-instructors"
home = "{tmp}/home"

[exchange]
root = "{tmp}/exchange"

[grading]
late_penalty = "{late}"

[servers]
tmp_size = "256M"
"""
TEST_ACCOUNT = re.compile(r"^t(\d+)[a-z]+-")


def reap_stale_accounts() -> None:
    """Remove test accounts (and groups) whose test process is gone."""
    for entry in pwd.getpwall():
        found = TEST_ACCOUNT.match(entry.pw_name)
        if found and entry.pw_gecos == accounts.MARKER and not Path(f"/proc/{found.group(1)}").exists():
            subprocess.run(["userdel", "--remove", entry.pw_name], capture_output=True)
    for group in grp.getgrall():
        found = TEST_ACCOUNT.match(group.gr_name)
        if found and group.gr_name.endswith("-instructors") and not Path(f"/proc/{found.group(1)}").exists():
            subprocess.run(["groupdel", group.gr_name], capture_output=True)


def classroom(course: Course, tmp: Path, tag: str, students: int = 2, late: str = "none") -> Settings:
    """Write the course's hub/classroom.toml for a classroom of its own in ``tmp``; its settings."""
    assert os.geteuid() == 0, "the classroom tests make Unix accounts: run them as root (as CI does)"
    reap_stale_accounts()
    prefix = f"t{os.getpid()}{tag}"
    names = ", ".join(f'"{prefix}-s{i}"' for i in range(1, students + 1))
    (course.root / "hub").mkdir(exist_ok=True)
    (course.root / "hub" / "classroom.toml").write_text(
        TEMPLATE.format(port=free_port(), tmp=tmp, prefix=prefix, students=names, late=late))
    return load(course.root)


def remove_classroom(settings: Settings) -> None:
    for name in settings.users:
        accounts.remove_account(name)
    subprocess.run(["groupdel", settings.instructors_group], capture_output=True)


def instructor(settings: Settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m rnncourse.classroom <args>`` at the shell, as root, in the course directory."""
    return subprocess.run([sys.executable, "-m", "rnncourse.classroom", *args], cwd=settings.root,
                          env=Course(settings.root).env(), capture_output=True, text=True, timeout=timeout)


def as_user(settings: Settings, user: str, *argv: str, role: str = "student",
            timeout: float = 120) -> subprocess.CompletedProcess:
    """``argv`` run as ``user`` in their view (their home is the working directory)."""
    home = settings.student_home(user)
    return subprocess.run(views.command(settings, role, user, list(argv)), env=views.environment(settings, role, user, home),
                          capture_output=True, text=True, timeout=timeout)


def python_as(settings: Settings, user: str, code: str) -> subprocess.CompletedProcess:
    return as_user(settings, user, sys.executable, "-c", code)


def home(settings: Settings, user: str) -> Path:
    return settings.student_home(user)


# What the Assignments panel runs on the student's server (nbgrader's assignment_list server extension,
# in-process): several steps in one process, in the student's view, as the student.
PANEL = r'''
import json, os, sys, time
from nbgrader.server_extensions.assignment_list.handlers import AssignmentList
panel = AssignmentList()
panel.root_dir = os.environ["HOME"]
results = []
for kind, *args in json.loads(sys.argv[2]):
    if kind in ("fetch_assignment", "submit_assignment", "fetch_feedback"):
        result = getattr(panel, kind)(sys.argv[1], *args)
    elif kind == "write":
        with open(args[0], "w") as f:
            f.write(args[1])
        result = {"success": True}
    elif kind == "sleep":
        time.sleep(args[0])
        result = {"success": True}
    elif kind == "python":
        exec(args[0])
        result = {"success": True}
    results.append([kind, result.get("success"), str(result.get("value", ""))[-2000:]])
print("PANEL " + json.dumps(results))
'''


def panel(settings: Settings, user: str, *steps, check: bool = True) -> list:
    """Run ``steps`` as the Assignments panel of ``user``'s server would, in one process of their view:
    ``("fetch_assignment", a)``, ``("submit_assignment", a)``, ``("fetch_feedback", a)``,
    ``("write", path, text)``, ``("sleep", seconds)``, ``("python", code)``. [kind, success, message] per step."""
    import json

    proc = as_user(settings, user, sys.executable, "-c", PANEL, settings.course_id, json.dumps(list(steps)))
    lines = [line for line in proc.stdout.splitlines() if line.startswith("PANEL ")]
    assert proc.returncode == 0 and lines, f"{user}'s panel steps {steps} failed: {output(proc)}"
    results = json.loads(lines[-1][len("PANEL "):])
    if check:
        failed = [r for r in results if not r[1]]
        assert not failed, f"{user}: {failed}"
    return results
