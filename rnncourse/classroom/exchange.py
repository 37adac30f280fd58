"""nbgrader's exchange for the classroom: its permissions, a check that names the fix, one
instructor command at a time. (The exchange classes nbgrader runs are in :mod:`.nbexchange`; this
module imports nothing of nbgrader, so the commands can check the exchange quickly.)

Layout and modes are nbgrader's own (``nbgrader/exchange/default/release_assignment.py``),
with its ``groupshared`` variant when an instructor account shares the course with root::

    <root>                      1777  everyone may create (nbgrader checks it is writable);
                                      +t so that no one can rename or delete another's entry
    <root>/rnn-names            0755  (groupshared 2775)  owner: the instructor
    <root>/rnn-names/outbound   0755  (2775)  released assignments: everyone reads
    <root>/rnn-names/inbound    2733  (2773)  submissions: everyone creates, only instructors list
    <root>/rnn-names/feedback   0711  (2771)  feedback: found by a hash only its student knows

nbgrader documents 0777 for the root; the sticky bit is ours (nbgrader accepts it): without it a
student could rename the course's folder away and put up a fake ``outbound``.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import stat
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


ROOT_MODE = 0o1777
# folder -> (mode, mode with groupshared), as nbgrader's release_assignment/release_feedback make them
MODES = {"": (0o755, 0o2775), "outbound": (0o755, 0o2775), "inbound": (0o2733, 0o2773), "feedback": (0o711, 0o2771)}
LOCK = ".grading/classroom.lock"


# --- permissions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    path: Path
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what}. Fix: {self.fix}"


def check(root: Path, course_id: str, shared: bool, owner: int | None = None) -> list[Problem]:
    """What is wrong with the exchange at ``root`` for the course ``course_id`` (empty: nothing),
    each with the command that fixes it. Nothing is changed."""
    problems = []
    remake = "run `make hub` once as root (it makes the exchange with nbgrader's permissions; nothing in it is lost)"
    if not root.is_dir():
        return [Problem(root, "the exchange folder does not exist", f"{remake}, or: install -d -m 1777 {root}")]
    problem = _root_problem(root)
    if problem:
        problems.append(problem)
    for name, modes in MODES.items():
        folder = root / course_id / name
        want = modes[1] if shared else modes[0]
        if not folder.is_dir():
            problems.append(Problem(folder, "missing", f"{remake}, or release an assignment (nbgrader makes it)"))
            continue
        info = folder.stat()
        have = stat.S_IMODE(info.st_mode)
        if have != want:
            problems.append(Problem(folder, f"mode {have:04o}, nbgrader's is {want:04o}", f"chmod {want:04o} {folder}"))
        if owner is not None and info.st_uid != owner:
            name_of = _user(info.st_uid)
            problems.append(Problem(folder, f"owned by {name_of}, not by the instructor ({_user(owner)})",
                                    f"chown {_user(owner)} {folder}"))
    return problems


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _root_problem(root: Path) -> Problem | None:
    """The exchange's root must let everyone write (nbgrader's requirement: every student creates their
    submission there) and be sticky (no one renames or removes another's entry): mode 1777."""
    mode = stat.S_IMODE(root.stat().st_mode)
    if mode & ROOT_MODE != ROOT_MODE:
        return Problem(root, f"mode {mode:04o}; nbgrader needs everyone to write here, and the classroom the "
                             "sticky bit so that no one can rename another's entry (1777)", f"chmod 1777 {root}")
    return None


class ExchangeError(RuntimeError):
    pass


def prepare(root: Path, course_id: str, shared: bool, uid: int | None = None, gid: int | None = None) -> list[str]:
    """Make (or repair) the course's folders of the exchange with nbgrader's modes; what was done.
    Never deletes anything. The root is made 1777 when it is made here; an existing root is the
    admin's (it may serve other courses): it is checked, never changed (:class:`ExchangeError` names
    the fix). A course folder that is a symbolic link, or owned by someone else than root or the
    instructor (``uid``; this user without one), is refused rather than followed or taken over."""
    done = []
    if not root.is_dir():
        root.mkdir(parents=True)
        os.chmod(root, ROOT_MODE)
        done.append(f"made {root} (mode 1777)")
    problem = _root_problem(root)
    if problem:
        raise ExchangeError(f"{problem} (the exchange's root was left as it is)")
    owners = {0, os.geteuid() if uid is None else uid}
    for name, modes in MODES.items():
        folder = root / course_id / name
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            folder.mkdir(parents=True)
            done.append(f"made {folder}")
            info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode):
            raise ExchangeError(f"{folder}: {'a symbolic link' if stat.S_ISLNK(info.st_mode) else 'not a folder'}, "
                                "not the course's folder of the exchange: it was left as it is. Move it away and run "
                                "`make hub` again")
        if info.st_uid not in owners:
            raise ExchangeError(f"{folder}: owned by {_user(info.st_uid)}, not by root or the instructor: it was left "
                                "as it is. Move it away (or chown it) and run `make hub` again")
        if uid is not None:
            if (info.st_uid, info.st_gid) != (uid, gid if gid is not None else info.st_gid):
                os.chown(folder, uid, gid if gid is not None else -1, follow_symlinks=False)
        want = modes[1] if shared else modes[0]
        if stat.S_IMODE(os.lstat(folder).st_mode) != want:
            os.chmod(folder, want)
    return done


# --- one instructor command at a time ---------------------------------------------------------------

class LockError(RuntimeError):
    pass


def _open_lock(course_root: str | os.PathLike) -> int:
    """The lock file's descriptor, opened without following a link (root opens it, and the instructor's
    group may write in ``.grading``): refused when it or ``.grading`` is a link, or it is not a plain file."""
    folder = (Path(course_root) / LOCK).parent
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        pass
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as error:
        raise LockError(f"{folder} is not a folder ({error.strerror}); a link there is refused: remove it") from None
    try:
        fd = os.open(os.path.basename(LOCK), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o664,
                     dir_fd=dir_fd)
    except OSError as error:
        raise LockError(f"cannot open the exchange lock {folder / os.path.basename(LOCK)} ({error.strerror}); "
                        "a link there is refused: remove it") from None
    finally:
        os.close(dir_fd)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise LockError(f"the exchange lock {Path(course_root) / LOCK} is not a plain file of its own "
                        "(a hard link, a pipe...): remove it")
    return fd


@contextmanager
def exclusive(course_root: str | os.PathLike, what: str, log=None):
    """Hold the course's exchange lock for ``what``; wait (saying for what) while someone else holds it."""
    fd = _open_lock(course_root)
    try:
        if os.fstat(fd).st_uid == os.geteuid():
            os.fchmod(fd, 0o664)  # root's and the instructor's commands share it (umask would leave 0644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another instructor command"
            message = f"waiting for {holder} to finish (one exchange command at a time)"
            (log.warning if log else lambda m: print(m, file=sys.stderr))(message)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what} (pid {os.getpid()}, since {time.strftime('%H:%M:%S')})".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
