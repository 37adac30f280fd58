"""What ``make hub`` sets up before JupyterHub starts: everything in the state folder, the
accounts, the course directory shared with the instructor, the exchange, the students' package.

Idempotent: every start checks and repairs, and never deletes a person's work.
"""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..grading.course import Course
from . import accounts, exchange, views
from .settings import Settings

# The folders of the course directory the instructor's account works in (nbgrader's steps, the
# grader's staging and the self-study edition), shared with it through the instructors' group.
SHARED = ("source", "release", "notebooks", "submitted", "autograded", "feedback", ".grading")
GRADEBOOK_FILES = ("gradebook.db", "gradebook.db-wal", "gradebook.db-shm", "gradebook.db-journal")
# nbgrader extensions a student's server does without (nbgrader's table for students:
# docs/source/configuration/jupyterhub_config.rst): the formgrader, the course list and Create Assignment.
STUDENT_LAB_OFF = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                   "@jupyter/nbgrader:create-assignment")
STUDENT_SERVER_OFF = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")
# For everyone: JupyterLab's news pop-up (it asks to fetch news from the internet) and its extension
# manager (the course's environment is read-only in every view; the course chooses the extensions).
LAB_OFF = ("@jupyterlab/apputils-extension:announcements", "@jupyterlab/extensionmanager-extension:plugin")


class ProvisionError(RuntimeError):
    pass


@dataclass
class Provisioned:
    passwords: dict[str, str]
    done: list[str]


def provision(settings: Settings, course: Course) -> Provisioned:
    done: list[str] = []
    settings.state.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.state, 0o700)  # the hub's database, cookie secret and the passwords
    if settings.mode == "unix":
        if os.geteuid() != 0:
            raise ProvisionError("unix mode makes Unix accounts and needs root: run `make hub` as root, or set "
                                 "[accounts] mode = \"single\" (one Unix user for everyone, no isolation)")
        reason = views.check_tools()
        if reason:
            raise ProvisionError(reason)
        passwords = accounts.ensure_accounts(settings)
        gid = grp.getgrnam(settings.instructors_group).gr_gid
        uid = pwd.getpwnam(settings.instructor).pw_uid
        done += share_course(course, gid)
        try:
            done += exchange.prepare(settings.exchange, settings.course_id, shared=True, uid=uid, gid=gid)
        except exchange.ExchangeError as error:
            raise ProvisionError(str(error)) from None
    else:
        passwords = accounts.ensure_single(settings)
        try:
            done += exchange.prepare(settings.exchange, settings.course_id, shared=False)
        except PermissionError:
            raise ProvisionError(
                f"cannot make the exchange {settings.exchange} as {pwd.getpwuid(os.geteuid()).pw_name}: ask root to run "
                f"`install -d -m 1777 {settings.exchange}`, or set [exchange] root to a folder of yours in a file "
                "named by RNNCOURSE_CLASSROOM") from None
        except exchange.ExchangeError as error:
            raise ProvisionError(str(error)) from None
    done += student_site(settings)
    write_role_configs(settings)
    return Provisioned(passwords, done)


# --- the course directory, shared with the instructor's account ---------------------------------

def _share(path: Path, gid: int) -> None:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return
    if info.st_gid != gid:
        os.chown(path, -1, gid, follow_symlinks=False)
    mode = stat.S_IMODE(info.st_mode)
    want = mode | (0o2070 if stat.S_ISDIR(info.st_mode) else 0o060)
    if want != mode:
        os.chmod(path, want)


def share_course(course: Course, gid: int) -> list[str]:
    """nbgrader's groupshared layout: the instructors' group owns the course folder, the gradebook and
    the folders in :data:`SHARED`, group-writable (folders setgid). The course folder is also
    sticky: the group creates files there (the gradebook's journal), but cannot rename or replace
    one of root's (``nbgrader_config.py``, ``rnncourse/``); and closed to others. Git sees no change (it records only the
    executable bit); nothing else of the checkout is touched."""
    root = course.root
    for name in ("submitted", "autograded", "feedback", ".grading"):
        (root / name).mkdir(exist_ok=True)
    with course.gradebook():  # the gradebook exists before anyone's first write, with the group's rights
        pass
    _share(root, gid)
    mode = stat.S_IMODE(root.stat().st_mode)
    # +t: the group may create in the root, but not rename or replace root's files; o-rwx: no student
    # reaches the course (answers, gradebook) even past the view (views bind nothing of it)
    want = (mode | stat.S_ISVTX) & ~0o007
    if want != mode:
        os.chmod(root, want)
    for name in GRADEBOOK_FILES:
        if (root / name).exists():
            _share(root / name, gid)
    for name in SHARED:
        top = root / name
        if not top.exists():
            continue
        _share(top, gid)
        for folder, dirs, files in os.walk(top):
            for entry in dirs + files:
                _share(Path(folder, entry), gid)
    return [f"shared {root} with the group {grp.getgrgid(gid).gr_name} (nbgrader's groupshared)"]


# --- the students' package: a wheel of rnncourse, with its data ----------------------------------

def _package_hash() -> str:
    package = views.package_dir()
    digest = hashlib.sha256((package.parent / "pyproject.toml").read_bytes())
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def student_site(settings: Settings) -> list[str]:
    """Install the course's package, non-editable with its datasets, into the students' folder
    (``<state>/site``, bound read-only into their views). Rebuilt only when the package changed."""
    site = views.state_site(settings)
    stamp = site / ".rnncourse-hash"
    want = _package_hash()
    if stamp.is_file() and stamp.read_text() == want:
        return []
    package = views.package_dir()
    with tempfile.TemporaryDirectory() as tmp:  # built from a copy: no build/ or egg-info in the checkout
        src = Path(tmp) / "src"
        src.mkdir()
        shutil.copy(package.parent / "pyproject.toml", src)
        shutil.copytree(package, src / "rnncourse", ignore=shutil.ignore_patterns("__pycache__"))
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
        built = subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", str(src), "-w", tmp],
                               capture_output=True, text=True)
        if built.returncode != 0:
            raise ProvisionError(f"building the course package's wheel failed: {built.stderr[-1500:]}")
        wheel = next(Path(tmp).glob("rnncourse-*.whl"))
        shutil.rmtree(site, ignore_errors=True)
        installed = subprocess.run(pip + ["install", "--no-deps", "--target", str(site), str(wheel)],
                                   capture_output=True, text=True)
        if installed.returncode != 0:
            raise ProvisionError(f"installing the course package for students failed: {installed.stderr[-1500:]}")
    stamp.write_text(want)
    for folder, dirs, files in os.walk(site):  # readable by every student uid
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    return [f"installed {wheel.name} for students in {site}"]


# --- each role's Jupyter settings -----------------------------------------------------------------

def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, 0o644)


def write_role_configs(settings: Settings) -> None:
    """``<state>/jupyter/<role>/``: on the servers' JUPYTER_CONFIG_PATH, read-only in their views."""
    nbgrader_common = ("# Written by `make hub` from hub/classroom.toml; rewritten at every start.\n"
                       "c = get_config()  # noqa: F821\n"
                       f"c.CourseDirectory.course_id = {settings.course_id!r}\n"
                       f"c.Exchange.root = {str(settings.exchange)!r}\n")
    student = views.state_config(settings, "student")
    single = ("# One Unix user for everyone: nbgrader would name every submission after it, so the hub's\n"
              "# user name is the student id.\nimport os\n"
              "c.CourseDirectory.student_id = os.environ['JUPYTERHUB_USER']\n") if settings.mode == "single" else ""
    private = ("# Submissions readable only by their student and the instructors' group (rnncourse/classroom/nbexchange.py).\n"
               "c.ExchangeFactory.submit = 'rnncourse.classroom.nbexchange.Submit'\n"
               "c.Submit.private = True\n") if settings.mode == "unix" else ""
    _write(student / "nbgrader_config.py", nbgrader_common + single + private)
    _write(student / "jupyter_server_config.json", json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: False for name in STUDENT_SERVER_OFF}}}, indent=1))
    _write(student / "labconfig" / "page_config.json", json.dumps(
        {"disabledExtensions": {name: True for name in STUDENT_LAB_OFF + LAB_OFF}}, indent=1))
    instructor = views.state_config(settings, "instructor")
    _write(instructor / "nbgrader_config.py",
           nbgrader_common + f"c.CourseDirectory.root = {str(settings.root)!r}\n")
    # The formgrader is an iframe in JupyterLab; JupyterHub's default `frame-ancestors 'none'` blanks it
    # (nbgrader#1870). Only the instructor's server allows framing by its own origin: students' servers
    # keep JupyterHub's default, and no student page can be loaded by the instructor's browser session.
    _write(instructor / "labconfig" / "page_config.json", json.dumps(
        {"disabledExtensions": {name: True for name in LAB_OFF}}, indent=1))
    _write(instructor / "jupyter_server_config.json", json.dumps(
        {"ServerApp": {"tornado_settings": {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}}},
        indent=1))
    for folder in (student, instructor):
        for path in (folder, *folder.rglob("*")):
            if path.is_dir():
                os.chmod(path, 0o755)
