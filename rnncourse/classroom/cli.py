"""The classroom's commands (``python -m rnncourse.classroom <command>``; the Makefile wraps each).

    hub [--config FILE]                      JupyterHub for the course, until Ctrl-C   (make hub)
    setup [--config FILE]                    accounts, exchange, shared course; no hub  (make hub-setup)
    release-assignment A [--due WHEN] [--force]   nbgrader release_assignment        (make release-assignment)
    collect A                                nbgrader collect --update                  (make collect)
    release-feedback A                       nbgrader release_feedback                  (make release-feedback)
    lms-collect A ZIP [--lms canvas|moodle] [--roster CSV]   nbgrader zip_collect     (make lms-collect)
    lms-grades [--roster CSV] [--out FILE]   grades for Canvas's gradebook import      (make lms-grades)

The instructor's commands work as root at the shell or as the instructor in the hub's terminal.
Each checks the exchange first and, when something is wrong with it, says what and how to fix
it, and changes nothing.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..grading.course import Course
from ..grading.runner import quiet
from . import exchange, hubconfig
from .provision import ProvisionError, provision
from .settings import Settings, SettingsError, group_shared, load

HUB_CONFIG = Path(__file__).resolve().parents[2] / "hub" / "jupyterhub_config.py"


# --- make hub ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_token(settings: Settings) -> str:
    """The API token of the course's own tools (tests, bench), kept in the private state folder."""
    path = settings.state / "service-token"
    if not path.is_file():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def login_page_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/hub/login", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Hub:
    """JupyterHub for the course, started in the state folder; ``stop()`` ends it and all it started."""

    def __init__(self, settings: Settings, course: Course):
        self.settings, self.course = settings, course
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> float:
        """Provision, start, wait for the login page; the seconds it took."""
        start = time.perf_counter()
        self.provisioned = provision(self.settings, self.course)
        state = self.settings.state
        info = {"course": str(self.settings.root), "override": str(self.settings.sources[1])
                if len(self.settings.sources) > 1 else "", "hub_port": free_port(), "proxy_api_port": free_port(),
                "service_token": service_token(self.settings)}
        fd = os.open(state / hubconfig.RUNTIME, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            import json
            json.dump(info, f)
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])
        self.log_path = state / "jupyterhub.log"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG)], cwd=state, env=env,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        while not login_page_up(self.settings.url):
            if self.proc.poll() is not None:
                raise ProvisionError(f"JupyterHub stopped (exit code {self.proc.returncode}); its log, "
                                     f"{self.log_path}, ends with:\n{self.log_tail()}")
            if time.perf_counter() - start > timeout:
                self.stop()
                raise ProvisionError(f"the login page did not answer within {timeout:.0f} s; see {self.log_path}:\n"
                                     f"{self.log_tail()}")
            time.sleep(0.2)
        return time.perf_counter() - start

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 60) -> None:
        """Stop JupyterHub (it stops every server and the proxy), then anything left of its session."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        for pid_file in ("proxy.pid", "jupyterhub.pid"):
            _kill_from(self.settings.state / pid_file)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()


def _kill_from(pid_file: Path) -> None:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass


def banner(settings: Settings, seconds: float) -> str:
    lines = [f"The classroom is up (in {seconds:.1f} s): {settings.url}",
             f"  course {settings.course_id} in {settings.root}; exchange {settings.exchange}",
             f"  accounts: {settings.instructor} (instructor), {', '.join(settings.students)}",
             f"  their passwords: {settings.passwords} (readable only by {_me()}; hand each person their line)",
             f"  log: {settings.state / 'jupyterhub.log'}"]
    if settings.mode == "unix":
        lines.append("  unix mode: one Unix account each; a student's server sees only their home, the exchange, "
                     "the course's environment")
    else:
        lines += ["  SINGLE MODE: every server runs as " + _me() + ". Nothing separates the people on this hub:",
                  "  any of them can read and change the course directory (solutions, hidden tests, the gradebook),",
                  "  the other students' folders and submissions, and anything else this user can. Use it alone or",
                  "  with people you trust; run `make hub` as root for one Unix account each."]
    lines.append("Ctrl-C stops the hub and every server it started.")
    return "\n".join(lines)


def _me() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def cmd_hub(args) -> int:
    course = Course.find()
    settings = load(course.root, args.config)
    hub = Hub(settings, course)
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        seconds = hub.start()
        for line in hub.provisioned.done:
            print(f"  {line}")
        print(banner(settings, seconds), flush=True)
        hub.proc.wait()
        print(f"JupyterHub stopped by itself (exit code {hub.proc.returncode}); see {hub.log_path}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping the hub and every server it started...", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the shutdown short
        hub.stop()


def cmd_setup(args) -> int:
    course = Course.find()
    settings = load(course.root, args.config)
    done = provision(settings, course).done
    print("\n".join(done) or "everything was already in place")
    print(f"passwords: {settings.passwords}")
    return 0


# --- the instructor's exchange commands -------------------------------------------------------------------

def _instructor_uid(settings: Settings, shared: bool) -> int | None:
    if not shared:
        return None
    import pwd

    try:
        return pwd.getpwnam(settings.instructor).pw_uid
    except KeyError:
        return None


def require_exchange(settings: Settings, course: Course) -> None:
    """Exit with every problem of the exchange and its fix; nothing is changed."""
    shared = group_shared(course.root, settings)
    problems = exchange.check(settings.exchange, settings.course_id, shared, _instructor_uid(settings, shared))
    if problems:
        raise SystemExit("The exchange is not usable, so nothing was done (nothing was changed or lost):\n"
                         + "\n".join(f"  - {p}" for p in problems))


def _course_and_settings(args) -> tuple[Course, Settings]:
    course = Course.find()
    settings = load(course.root, getattr(args, "config", None))
    if getattr(args, "assignment", None) and args.assignment not in _known(course):
        raise SystemExit(f"unknown assignment {args.assignment!r}; the course has {', '.join(_known(course))}")
    return course, settings


def _known(course: Course) -> list[str]:
    return sorted({*course.assignments, *(p.name for p in course.path("source").iterdir() if p.is_dir())})


def _env(settings: Settings, course: Course) -> dict:
    env = course.env()
    if len(settings.sources) > 1:
        env["RNNCOURSE_CLASSROOM"] = str(settings.sources[1])
    return env


def _nbgrader(course: Course, settings: Settings, *args: str) -> str:
    """Run an nbgrader command; its (filtered) output. Exits on failure with nbgrader's message.
    A wait for the exchange lock is shown as it happens."""
    proc = subprocess.Popen([sys.executable, "-m", "nbgrader", *args, "--log-level=INFO"], cwd=course.root,
                            env=_env(settings, course), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        if "waiting for" in line:
            print(line.rstrip(), flush=True)
        else:
            lines.append(line)
    proc.wait()
    shown = quiet("".join(lines))
    if proc.returncode != 0:
        raise SystemExit(f"{shown}\nnbgrader {args[0]} failed (exit code {proc.returncode}); nothing else was done")
    return shown


def cmd_release_assignment(args) -> int:
    course, settings = _course_and_settings(args)
    require_exchange(settings, course)
    if not course.path("release", args.assignment).is_dir():
        raise SystemExit(f"release/{args.assignment}/ does not exist: run `make release A={args.assignment}` first")
    if args.due:
        _nbgrader(course, settings, "db", "assignment", "add", args.assignment, f"--duedate={args.due}")
    out = _nbgrader(course, settings, "release_assignment", args.assignment, *(["--force"] if args.force else []))
    print("\n".join(line for line in out.splitlines() if "Released as" in line or "WARNING" in line or "ERROR" in line))
    print(f"released {args.assignment} to {settings.course_exchange / 'outbound' / args.assignment}"
          + (f", due {args.due}" if args.due else ""))
    return 0


def cmd_collect(args) -> int:
    course, settings = _course_and_settings(args)
    require_exchange(settings, course)
    out = _nbgrader(course, settings, "collect", args.assignment, "--update")
    shown = [line for line in out.splitlines() if any(k in line for k in
             ("Collecting submission", "Updating submission", "No newer", "Refused", "No submissions", "claims",
              "cheating"))]
    print("\n".join(shown))
    refused = sum("Refused" in line for line in shown)
    students = course.submitted_students(args.assignment)
    print(f"{args.assignment}: {len(students)} submission(s) in submitted/ ({', '.join(students) or 'none'})"
          + (f"; {refused} refused (see above)" if refused else ""))
    return 0


def cmd_release_feedback(args) -> int:
    course, settings = _course_and_settings(args)
    require_exchange(settings, course)
    if not any(course.path("feedback").glob(f"*/{args.assignment}/*.html")):
        raise SystemExit(f"no feedback for {args.assignment} in feedback/: run `make feedback A={args.assignment}` first")
    out = _nbgrader(course, settings, "release_feedback", args.assignment)
    released = [line for line in out.splitlines() if "Releasing feedback" in line]
    print("\n".join(released))
    print(f"{args.assignment}: feedback released for {len(released)} notebook(s)")
    return 0


def cmd_lms_collect(args) -> int:
    from . import lms

    course, settings = _course_and_settings(args)
    archive = Path(args.zip)
    if not archive.is_file():
        raise SystemExit(f"{archive} does not exist")
    lms.stage_download(course, args.assignment, archive)
    out = _nbgrader(course, settings, *lms.zip_collect_args(args.assignment, args.lms, args.roster))
    skipped = [line for line in out.splitlines() if "Skipped" in line or "did not match" in line]
    print("\n".join(skipped))
    students = course.submitted_students(args.assignment)
    print(f"{args.assignment}: {len(students)} submission(s) in submitted/ ({', '.join(students)})")
    return 0


def cmd_lms_grades(args) -> int:
    from . import lms

    course, _ = _course_and_settings(args)
    target = Path(args.out)
    count = lms.write_canvas_csv(course, target, args.roster)
    print(f"wrote {target} ({count} student(s)), for Canvas: Grades > Import")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rnncourse.classroom", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for name, func, extra in (("hub", cmd_hub, ()), ("setup", cmd_setup, ())):
        s = sub.add_parser(name)
        s.add_argument("--config", help="a settings file read after hub/classroom.toml (RNNCOURSE_CLASSROOM)")
        s.set_defaults(func=func)
    s = sub.add_parser("release-assignment")
    s.add_argument("assignment")
    s.add_argument("--due", help='due date, e.g. "2026-03-01 17:00:00 Europe/Paris" (nbgrader db assignment add)')
    s.add_argument("--force", action="store_true", help="replace a release students may already have fetched")
    s.set_defaults(func=cmd_release_assignment)
    for name, func in (("collect", cmd_collect), ("release-feedback", cmd_release_feedback)):
        s = sub.add_parser(name)
        s.add_argument("assignment")
        s.set_defaults(func=func)
    s = sub.add_parser("lms-collect")
    s.add_argument("assignment")
    s.add_argument("zip")
    s.add_argument("--lms", choices=("canvas", "moodle"), default="canvas")
    s.add_argument("--roster", help="the LMS's gradebook export (CSV): student ids become logins")
    s.set_defaults(func=cmd_lms_collect)
    s = sub.add_parser("lms-grades")
    s.add_argument("--roster", help="the LMS's gradebook export (CSV): its students, sections and column ids")
    s.add_argument("--out", default="canvas_grades.csv")
    s.set_defaults(func=cmd_lms_grades)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (SettingsError, ProvisionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
