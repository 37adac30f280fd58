"""JupyterHub's LocalProcessSpawner, starting each server in its person's view (:mod:`.views`).

In unix mode root starts ``bwrap <view> -- setpriv <become the user> -- jupyterhub-singleuser``
(instead of LocalProcessSpawner's own setuid, which could not reach a Python under /root); the
instructor's server starts in the course directory, a student's in their home. In single mode
each server runs as the hub's own user, in the person's folder of the state.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Unicode

from . import views
from .hub import descendants
from .settings import load


def _bwrap(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "bwrap"
    except OSError:
        return False


def servers_inside(pid: int) -> list[int]:
    """The first processes below ``pid`` that are not bubblewrap: the server inside a view."""
    return [p for p in descendants(pid, into=_bwrap) if not _bwrap(p)]


class ClassroomSpawner(LocalProcessSpawner):
    course_root = Unicode(help="the course directory (hub/classroom.toml is read from it)").tag(config=True)
    override = Unicode("", help="the machine's own settings file, read after the course's").tag(config=True)

    @property
    def settings(self):
        return load(Path(self.course_root), self.override or None)

    @property
    def role(self) -> str:
        return "instructor" if self.user.name == self.settings.instructor else "student"

    def home(self) -> Path:
        return self.settings.student_home(self.user.name)

    def user_env(self, env):
        env.update(views.environment(self.settings, self.role, self.user.name, self.home()))
        return env

    def make_preexec_fn(self, name):
        return None  # the view's setpriv becomes the user (unix mode); single mode keeps the hub's user

    async def start(self):
        settings = self.settings
        singleuser = str(Path(sys.prefix) / "bin" / "jupyterhub-singleuser")
        self.cmd = views.command(settings, self.role, self.user.name, [singleuser])
        self.notebook_dir = str(settings.root if self.role == "instructor" else self.home())
        if settings.mode == "single":
            self.popen_kwargs = {"cwd": self.notebook_dir}
            if os.geteuid() == 0:
                self.args = ["--allow-root"]
        return await super().start()

    async def _signal(self, sig):
        """bubblewrap does not pass signals on: send them to the server inside the view too."""
        if sig != 0 and self.settings.mode == "unix" and self.pid:
            for pid in servers_inside(self.pid):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            if sig != signal.SIGKILL:
                return await super()._signal(0)
        return await super()._signal(sig)
