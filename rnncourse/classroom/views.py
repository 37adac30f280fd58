"""What each person's server can see: a bubblewrap view of the machine, entered as their own Unix user.

In unix mode every Jupyter server (and every command run for a person, e.g. the tests'
``nbgrader submit``) is started by root as::

    bwrap <the view> -- setpriv --reuid=<user> --regid=<group> --init-groups --no-new-privs ... -- <command>

A **student's** view holds only: the system (``/usr``, a few ``/etc`` files), the Python
installation and the course's environment, read-only; the ``rnncourse`` package with its
data, installed as a wheel (no course directory needed); the student's own home; nbgrader's
exchange; a private ``/tmp``. Nothing of the course directory exists in it (``source/``,
``tests/``, ``catalog/``, ``submitted/``, the gradebook), nor any other home. The
**instructor's** view adds the course directory (read-write, as the group allows) and the
package the course's environment imports.

Why bubblewrap: Python here may live under a private folder (pyenv under ``/root``, mode 0700),
which a student's uid cannot reach; the view binds it in read-only instead of opening it up. And
a view is also the strongest way to say "a student can read nothing of the course": the course
is not there. The file permissions still matter where views overlap: the exchange, where
nbgrader's permissions (and the owner check of :mod:`.exchange`) separate students.

Each view has its own PID, IPC and UTS namespaces and dies with the hub (``--die-with-parent``);
it shares the network namespace, since the hub's proxy reaches the server on 127.0.0.1.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
from pathlib import Path

from ..grading.sandbox import system_binds
from .settings import Settings

# Inside every view: the course's package (a wheel, for students) and the role's Jupyter config.
VIEW_SITE = "/opt/rnn-names/site"
VIEW_CONFIG = "/opt/rnn-names/jupyter"
# Files of /etc that servers, kernels and terminals need and that hold nothing private.
ETC = ("passwd", "group", "nsswitch.conf", "hosts", "host.conf", "resolv.conf", "localtime", "timezone",
       "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "mime.types", "ssl", "ca-certificates",
       "fonts", "terminfo", "bash.bashrc", "profile", "inputrc", "login.defs", "shells")
ROLES = ("student", "instructor")


def state_site(settings: Settings) -> Path:
    """The host folder of the students' wheel of ``rnncourse`` (inside the private state folder)."""
    return settings.state / "site"


def state_config(settings: Settings, role: str) -> Path:
    return settings.state / "jupyter" / role


def package_dir() -> Path:
    """The ``rnncourse`` package the course's environment imports (an editable install: the checkout's)."""
    return Path(__file__).resolve().parents[1]


def site_path(settings: Settings) -> str:
    """Where a server finds the students' wheel: inside the view (unix mode), or on the host (single)."""
    return VIEW_SITE if settings.mode == "unix" else str(state_site(settings))


def config_path(settings: Settings, role: str) -> str:
    return VIEW_CONFIG if settings.mode == "unix" else str(state_config(settings, role))


def environment(settings: Settings, role: str, user: str, home: Path) -> dict[str, str]:
    """The environment of a person's server (and of commands run for them)."""
    env = {
        "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home), "USER": user, "LOGNAME": user, "SHELL": "/bin/bash",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        # The role's Jupyter settings (which nbgrader extensions, which exchange), under the person's own
        # ~/.jupyter (still theirs, for JupyterLab's settings).
        "JUPYTER_CONFIG_PATH": config_path(settings, role),
        "KERAS_BACKEND": "torch",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if role == "student":
        env["PYTHONPATH"] = site_path(settings)  # found before the environment's editable install of the checkout
    else:
        if len(settings.sources) > 1:  # the machine's own settings file: the course's nbgrader_config.py reads it
            env["RNNCOURSE_CLASSROOM"] = str(settings.sources[1])
    return env


def _system() -> list[str]:
    return system_binds(ETC)


def _with_parents(args: list[str]) -> list[str]:
    """Create the parents of every mount point first, mode 0755: bubblewrap would otherwise copy
    the host's modes (``/root`` is 0700) and the user could not reach what is bound inside."""
    targets = [args[i + 2] for i, a in enumerate(args) if a in ("--bind", "--ro-bind", "--bind-try")]
    parents = sorted({str(p) for t in targets for p in Path(t).parents if str(p) != "/"},
                     key=lambda p: (p.count("/"), p))
    made = [x for p in parents if not p.startswith(("/usr", "/proc", "/dev"))
            for x in ("--perms", "0755", "--dir", p)]
    first = next(i for i, a in enumerate(args) if a in ("--bind", "--ro-bind", "--bind-try", "--symlink"))
    return args[:first] + made + args[first:]


def view(settings: Settings, role: str, user: str, home: Path) -> list[str]:
    """The bubblewrap command, up to ``--``, of a person's view (see the module's docstring)."""
    if role not in ROLES:
        raise ValueError(f"role {role!r}: use one of {ROLES}")
    args = ["bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--hostname", settings.course_id,
            # root starts bubblewrap; setpriv inside needs these to become the user, then drops them all
            "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP",
            "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(_bytes(settings.tmp_size)),
            "--tmpfs", "/tmp"]
    args += _system()
    if role == "instructor":
        args += ["--bind", str(settings.root), str(settings.root)]
        args += ["--ro-bind", str(package_dir()), str(package_dir())]
        for source in settings.sources:  # hub/classroom.toml (the checkout's, for a course without one) and the machine's
            args += ["--ro-bind", str(source), str(source)]
    else:
        args += ["--ro-bind", str(state_site(settings)), VIEW_SITE]
    args += ["--ro-bind", str(state_config(settings, role)), VIEW_CONFIG]
    # --bind-try: a server starts even while the exchange is missing (nbgrader then says to ask the instructor)
    args += ["--bind-try", str(settings.exchange), str(settings.exchange)]
    args += ["--bind", str(home), str(home), "--chdir", str(settings.root if role == "instructor" else home)]
    return _with_parents(args) + ["--"]


def become(user: str) -> list[str]:
    """``setpriv``: become ``user`` (their groups included), with no capabilities and no way back."""
    entry = pwd.getpwnam(user)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs", "--"]


def command(settings: Settings, role: str, user: str, inner: list[str]) -> list[str]:
    """``inner`` run for ``user`` in their view (unix mode), or as is (single mode)."""
    if settings.mode != "unix":
        return inner
    home = settings.student_home(user)
    return view(settings, role, user, home) + become(user) + inner


def check_tools() -> str | None:
    """None when bubblewrap and setpriv are here, else what to install."""
    for tool, package in (("bwrap", "bubblewrap"), ("setpriv", "util-linux")):
        if not shutil.which(tool):
            return f"`{tool}` is missing: apt-get install {package} (or run `make sysdeps` as root)"
    return None


def _bytes(size: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    size = size.strip().upper()
    return int(float(size[:-1]) * units[size[-1]]) if size[-1:] in units else int(size)
