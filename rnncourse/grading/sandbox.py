"""The sandbox that every student kernel runs in while it is graded (bubblewrap + rlimits).

    python -m rnncourse.grading.sandbox check     # does the sandbox work here? (exit 0 = yes)
    python -m rnncourse.grading.sandbox install   # (re)install the kernelspec into this venv

nbgrader starts kernels through jupyter_client. With ``RNNCOURSE_SANDBOX=1`` (set by
``make autograde``), ``nbgrader_config.py`` selects the kernelspec ``rnncourse-sandbox``,
whose ``argv`` is this module's ``launch`` command, and the unix-socket (``ipc``) transport
in a fresh folder per submission. ``launch`` then replaces itself with `bubblewrap`_, which
runs ``ipykernel`` with:

- **no network**: new network namespace (only a loopback device that nothing listens on);
- **its own view of the files**, read-only: the system (``/usr``, a few ``/etc`` files), the
  Python installation and the venv, and the ``rnncourse`` package with its datasets. Nothing
  of the course directory exists inside: not ``submitted/``, ``autograded/``, ``source/``,
  ``catalog/``, the gradebook, nor other students' files;
- **writable scratch only**: the notebook's folder is a private copy (thrown away
  afterwards), ``/tmp`` is a small tmpfs, ``HOME`` is in the scratch;
- **a user of its own**: when grading as root, the kernel drops to an unprivileged uid that
  no other kernel shares, with no capabilities and ``no_new_privs``; otherwise an
  unprivileged user namespace keeps the grader's uid;
- **resource limits** (``prlimit``): address space, CPU seconds, processes, file size, open
  files, no core dumps; its own PID namespace, killed with its parent.

The kernel is interrupted by message (``interrupt_mode: message``), since the grader cannot
signal a process in another PID namespace, so nbgrader's cell timeouts still work.

.. _bubblewrap: https://github.com/containers/bubblewrap
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .config import setting

KERNEL_NAME = "rnncourse-sandbox"

# Limits of one kernel. The address-space limit caps virtual memory: with one thread per
# kernel, importing torch and keras takes under 1 GiB of it and the largest grading-mode
# notebook stays well below 4 GiB, so a memory bomb stops there, long before a laptop running
# one kernel per core suffers. RNNCOURSE_SANDBOX_MEMORY (bytes) changes it.
LIMITS = {
    "as": int(setting("RNNCOURSE_SANDBOX_MEMORY")),  # bytes of address space
    "cpu": 900,  # CPU seconds per process (a whole grading run needs about 60)
    "nproc": 512,  # processes and threads of the kernel's own uid
    "fsize": 256 << 20,  # largest file it may write
    "nofile": 4096,
    "core": 0,
}
TMPFS_BYTES = 512 << 20  # /tmp inside the sandbox

# Files of /etc that programs need and that hold nothing private.
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group", "hosts",
       "alternatives", "mime.types")

# The grader's environment variables that reach the kernel; everything else is cleared
# (JPY_PARENT_PID in particular, which would make the kernel watch a process it cannot see).
PASSED_ENV = ("NBGRADER_", "KERAS_BACKEND", "OMP_", "MKL_", "OPENBLAS_", "MPLBACKEND", "PYTHONHASHSEED", "LANG",
              "LC_", "TZ", "RNNCOURSE_CELL_TIMEOUT")


def package_dir() -> Path:
    """The ``rnncourse`` package the grader runs, with its datasets: the one the kernel sees."""
    return Path(__file__).resolve().parents[1]


def kernel_dir() -> Path:
    return Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME


def kernelspec() -> dict:
    return {
        "argv": [sys.executable, "-m", "rnncourse.grading.sandbox", "launch", "{connection_file}"],
        "display_name": "Python 3 (rnncourse grading sandbox)",
        "language": "python",
        "interrupt_mode": "message",
        "metadata": {"debugger": False},
    }


def install_kernelspec() -> Path:
    """Write the kernelspec into this venv (idempotent, safe when several graders start at once)."""
    folder = kernel_dir()
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(kernelspec(), indent=1) + "\n"
    target = folder / "kernel.json"
    if not target.exists() or target.read_text() != text:
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    return folder


def system_binds(etc=ETC) -> list[str]:
    """bubblewrap arguments for a read-only system: /usr and its links, the files of /etc named
    in ``etc``, the Python installation and the venv (the classroom's views use it too)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in etc:
        path = Path("/etc") / name
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    prefixes = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.prefix)}
    for prefix in sorted(prefixes):
        if not str(prefix).startswith("/usr/"):
            args += ["--ro-bind", str(prefix), str(prefix)]
    return args


def _limits() -> list[str]:
    return ["prlimit"] + [f"--{name}={value}" for name, value in LIMITS.items()] + ["--"]


def _env(home: str, package: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k.startswith(PASSED_ENV)}
    env.update({
        "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home, "TMPDIR": "/tmp", "MPLCONFIGDIR": f"{home}/.matplotlib", "KERAS_HOME": f"{home}/.keras",
        "XDG_CACHE_HOME": f"{home}/.cache", "IPYTHONDIR": f"{home}/.ipython", "TORCH_HOME": f"{home}/.torch",
        "PYTHONPATH": str(package.parent), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
    })
    env.setdefault("LANG", "C.UTF-8")
    args = ["--clearenv"]
    for key, value in sorted(env.items()):
        args += ["--setenv", key, value]
    return args


def _chown_tree(path: Path, uid: int) -> None:
    os.chown(path, uid, uid, follow_symlinks=False)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def command(inner: list[str], workdir: Path, scratch: Path, extra_rw: tuple[Path, ...] = (),
            package: Path | None = None) -> list[str]:
    """The bubblewrap command that runs ``inner`` in the sandbox.

    ``workdir`` is the folder the kernel should see as its working directory; it gets a
    private copy of it made in ``scratch`` (which also holds ``HOME``). ``extra_rw`` are folders
    bound writable at their own path (the kernel's socket folder). ``package`` is the
    ``rnncourse`` folder the kernel imports (default: the grader's own, :func:`package_dir`).
    """
    package = package or package_dir()
    uid = 200_000 + os.getpid() % 100_000  # a uid of its own: process limits are per uid
    copy = scratch / "work"
    home = scratch / "home"
    inside = lambda folder, names: [n for n in names if scratch.is_relative_to(Path(folder, n))]  # noqa: E731
    shutil.copytree(workdir, copy, symlinks=True, dirs_exist_ok=True, ignore=inside)
    home.mkdir(exist_ok=True)
    _warm_matplotlib(home)
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid", "--unshare-net",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    switch = []
    if os.geteuid() == 0:
        for path in (copy, home, *extra_rw):
            _chown_tree(path, uid)
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
        switch = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                  "--bounding-set=-all", "--no-new-privs", "--"]
    else:
        args += ["--unshare-user", "--disable-userns"]
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]
    args += system_binds()
    args += ["--ro-bind", str(package), str(package)]
    args += ["--bind", str(copy), str(workdir), "--bind", str(home), str(home)]
    for path in extra_rw:
        args += ["--bind", str(path), str(path)]
    args += ["--chdir", str(workdir)] + _env(str(home), package)
    return _with_parents(args) + ["--"] + switch + _limits() + inner


def _with_parents(args: list[str]) -> list[str]:
    """Create the parent folders of every mount point first, world-readable: bubblewrap would
    otherwise copy the host's modes (``/root`` is 0700) and the kernel could not reach its files."""
    targets = [args[i + 2] for i, a in enumerate(args) if a in ("--bind", "--ro-bind")]
    parents = sorted({str(p) for t in targets for p in Path(t).parents if str(p) != "/"},
                     key=lambda p: p.count("/"))
    made = [x for p in parents if not p.startswith(("/usr", "/etc")) for x in ("--perms", "0755", "--dir", p)]
    head = args.index("--clearenv")  # options before the mounts, then the folders, then the mounts
    first = next(i for i, a in enumerate(args) if a in ("--bind", "--ro-bind", "--symlink"))
    return args[:first] + made + args[first:head] + args[head:]


def _warm_matplotlib(home: Path) -> None:
    """Give the kernel a built font cache, so that importing pyplot takes no extra seconds."""
    cache = kernel_dir() / "matplotlib"
    if not cache.exists():
        kernel_dir().mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=kernel_dir()))
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env={**os.environ,
                       "MPLCONFIGDIR": str(tmp)}, capture_output=True, check=False)
        try:
            tmp.rename(cache)
        except OSError:  # another grader built it first
            shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(cache, home / ".matplotlib", dirs_exist_ok=True)


def launch(connection_file: str) -> None:
    """The kernelspec's argv: start ipykernel in the sandbox (replaces this process)."""
    info = json.loads(Path(connection_file).read_text())
    if info.get("transport") != "ipc" or not os.path.isabs(info.get("ip", "")):
        sys.exit("rnncourse-sandbox: the kernel needs the ipc transport with an absolute socket path "
                 "(RNNCOURSE_SANDBOX=1 and RNNCOURSE_IPC_DIR, as `make autograde` sets them)")
    sockets = Path(info["ip"]).parent
    scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=sockets))
    conn = scratch / "connection.json"
    conn.write_text(json.dumps(info))
    inner = [sys.executable, "-m", "ipykernel_launcher", "-f", str(conn)]
    args = command(inner, Path.cwd(), scratch, extra_rw=(sockets,))
    sys.stdout.flush()
    os.execvp(args[0], args)


def check() -> str | None:
    """None when the sandbox works here, else why not."""
    for tool, package in (("bwrap", "bubblewrap"), ("prlimit", "util-linux"), ("setpriv", "util-linux")):
        if not shutil.which(tool):
            return f"`{tool}` is missing (Debian/Ubuntu: apt-get install {package})"
    with tempfile.TemporaryDirectory() as tmp:
        work, scratch, secret = Path(tmp) / "work", Path(tmp) / "scratch", Path(tmp) / "gradebook.db"
        work.mkdir()
        scratch.mkdir()
        secret.write_text("scores")
        probe = ("import os, socket, sys, rnncourse.data; s = socket.socket(); s.settimeout(1)\n"
                 "try: s.connect(('1.1.1.1', 53)); print('network')\nexcept OSError: pass\n"
                 "rnncourse.data.load_lines('names.txt')\n"
                 f"print('gradebook' if os.path.exists({str(secret)!r}) else 'ok')")
        try:
            proc = subprocess.run(command([sys.executable, "-c", probe], work, scratch),
                                  capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap could not run: {exc}"
    if proc.returncode != 0 or proc.stdout.strip() != "ok":
        return f"a test kernel did not run as expected: {(proc.stdout + proc.stderr).strip()[-500:]}"
    return None


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["launch"] and len(argv) == 2:
        launch(argv[1])
    elif argv == ["check"]:
        reason = check()
        print(reason or "the sandbox works")
        return 1 if reason else 0
    elif argv == ["install"]:
        print(install_kernelspec())
    else:
        print(__doc__.split("\n\n")[1])
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
