"""``make hub``: JupyterHub for the course, in its state folder, until it is stopped.

    hub = Hub(settings, course)
    seconds = hub.start()     # provision (accounts, exchange, shared course, students' package), start, wait for the login page
    hub.stop()                # JupyterHub stops every server and the proxy; anything left of its session is killed

The command line is ``python -m rnncourse.classroom hub`` (:mod:`rnncourse.classroom.__main__`).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..grading.course import Course
from ..grading.pgserver import free_port
from . import hubconfig
from .provision import ProvisionError, provision
from .settings import Settings

HUB_CONFIG = Path(__file__).resolve().parents[2] / "hub" / "jupyterhub_config.py"


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
        self.info = info = {"course": str(self.settings.root), "override": str(self.settings.sources[1])
                if len(self.settings.sources) > 1 else "", "hub_port": free_port(), "proxy_api_port": free_port(),
                "service_token": service_token(self.settings)}
        fd = os.open(state / hubconfig.RUNTIME, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
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
        proxy_api = f"--api-port {self.info['proxy_api_port']}" if hasattr(self, "info") else None
        _kill_from(self.settings.state / "proxy.pid", proxy_api)  # a proxy JupyterHub could not stop
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()


def _kill_from(pid_file: Path, must_contain: str | None) -> None:
    """Kill the process of a pid file, only if its command line is the one we started (a stale pid
    file may name a pid the system has given to someone else since)."""
    if not must_contain:
        return
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
        if must_contain in cmdline:
            os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass


def descendants(pid: int, into=None) -> list[int]:
    """Every process started by ``pid``, its children's children included (from /proc); with ``into``,
    only the children of the processes for which ``into(child)`` is true are walked into."""
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += [child for child in children if into is None or into(child)]
    return found


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
    return pwd.getpwuid(os.geteuid()).pw_name
