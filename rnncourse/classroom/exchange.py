"""nbgrader's exchange for the classroom: its permissions, a check that names the fix, and the
instructor's exchange commands made safe.

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

The exchange classes below are what the course's ``nbgrader_config.py`` selects
(``ExchangeFactory``), so they serve the command line, ``make`` and the formgrader alike:

- **one instructor command at a time**: release, collect and release_feedback take an exclusive
  lock in the course directory; a second one waits, and says what it waits for;
- **releases are atomic**: an assignment is copied to a hidden folder, then renamed into place,
  so a student never fetches half of it;
- **collect checks owners**: a submission must belong to the Unix account of the student it is
  named after. A folder dropped in ``inbound`` under someone else's name is refused (and left
  there to look at); nbgrader itself only warns and collects it.
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import shutil
import stat
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect, groupby
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import check_mode
from traitlets import Bool

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
    mode = stat.S_IMODE(root.stat().st_mode)
    if mode & 0o777 != 0o777:
        problems.append(Problem(root, f"mode {mode:04o}, nbgrader needs everyone to write here (1777)",
                                f"chmod 1777 {root}"))
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


def prepare(root: Path, course_id: str, shared: bool, uid: int | None = None, gid: int | None = None) -> list[str]:
    """Make (or repair) the exchange with nbgrader's modes; what was done. Never deletes anything."""
    done = []
    if not root.is_dir():
        root.mkdir(parents=True)
        done.append(f"made {root}")
    if stat.S_IMODE(root.stat().st_mode) != ROOT_MODE:
        os.chmod(root, ROOT_MODE)
        done.append(f"chmod 1777 {root}")
    for name, modes in MODES.items():
        folder = root / course_id / name
        if not folder.is_dir():
            folder.mkdir(parents=True)
            done.append(f"made {folder}")
        if uid is not None:
            info = folder.stat()
            if (info.st_uid, info.st_gid) != (uid, gid if gid is not None else info.st_gid):
                os.chown(folder, uid, gid if gid is not None else -1)
        want = modes[1] if shared else modes[0]
        if stat.S_IMODE(folder.stat().st_mode) != want:
            os.chmod(folder, want)
    return done


# --- one instructor command at a time ---------------------------------------------------------------

@contextmanager
def exclusive(course_root: str | os.PathLike, what: str, log=None):
    """Hold the course's exchange lock for ``what``; wait (saying for what) while someone else holds it."""
    path = Path(course_root) / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
    try:
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


class _Locked:
    def start(self):
        with exclusive(self.coursedir.root, f"nbgrader {self._what} {self.coursedir.assignment_id}", self.log):
            return super().start()


# --- the exchange classes nbgrader_config.py selects --------------------------------------------------

class ReleaseAssignment(_Locked, ExchangeReleaseAssignment):
    """nbgrader's release_assignment, one at a time, and atomic: students never fetch half a release."""

    _what = "release_assignment"

    def copy_files(self):
        if os.path.isdir(self.dest_path) and not self.force:
            self.fail(f"Destination already exists, add --force to overwrite: {self.coursedir.course_id} "
                      f"{self.coursedir.assignment_id}")
        outbound = os.path.dirname(self.dest_path)
        staging = os.path.join(outbound, f".{self.coursedir.assignment_id}.releasing")
        shutil.rmtree(staging, ignore_errors=True)
        self.log.info("Source: %s", self.src_path)
        self.log.info("Destination: %s", self.dest_path)
        self.do_copy(self.src_path, staging)
        perms = self.dest_perms()
        self.set_perms(staging, fileperms=perms[0], dirperms=perms[1])
        old = os.path.join(outbound, f".{self.coursedir.assignment_id}.replaced")
        if os.path.isdir(self.dest_path):
            shutil.rmtree(old, ignore_errors=True)
            os.rename(self.dest_path, old)
        os.rename(staging, self.dest_path)
        shutil.rmtree(old, ignore_errors=True)
        self.log.info("Released as: %s %s", self.coursedir.course_id, self.coursedir.assignment_id)

    def dest_perms(self) -> tuple[int, int]:
        """(file mode, folder mode) of a release: nbgrader's (release_assignment.py, copy_files)."""
        if self.coursedir.groupshared:
            return 0o664, 0o2775
        return 0o644, 0o755


class ReleaseFeedback(_Locked, ExchangeReleaseFeedback):
    _what = "release_feedback"


class Collect(_Locked, ExchangeCollect):
    """nbgrader's collect, one at a time, refusing submissions not owned by the student they name."""

    _what = "collect"

    owner_must_match = Bool(False, help="Refuse a submission whose folder is not owned by the Unix account of "
                                        "the student it names (on when the course is shared with an instructor "
                                        "account: unix mode).").tag(config=True)

    def _owner(self, path: str) -> str:
        try:
            return pwd.getpwuid(os.stat(path).st_uid).pw_name
        except KeyError:
            return "an unknown user"

    def init_src(self):
        # nbgrader's ExchangeCollect.init_src (0.9.6), with the refused submissions left out
        # before the latest one of each student is chosen.
        from nbgrader.api import Gradebook, MissingEntry

        if self.coursedir.course_id == '':
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, 'inbound')
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}. The exchange is missing or incomplete: run "
                      "`make hub` once as root to make it with nbgrader's permissions (nothing is lost).")
        if not check_mode(self.inbound_path, read=True, execute=True):
            self.fail(f"You don't have read permissions for the directory: {self.inbound_path}")
        student_id = self.coursedir.student_id if self.coursedir.student_id else '*'
        pattern = os.path.join(self.inbound_path, '{}+{}+*'.format(student_id, self.coursedir.assignment_id))
        records, self.refused = [], []
        for path in glob.glob(pattern):
            record = self._path_to_record(path)
            owner = self._owner(path)
            if self.owner_must_match and owner != record['username']:
                self.refused.append((record['filename'], record['username'], owner))
                self.log.error("Refused %s: it is named after %s but %s made it. It was not collected and stays "
                               "in the exchange for you to look at.", record['filename'], record['username'], owner)
                continue
            records.append(record)
        usergroups = groupby(records, lambda item: item['username'])
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        if self.duedate is None or not self.before_duedate:
            self.src_records = [self._sort_by_timestamp(v)[0] for v in usergroups.values()]
        else:
            self.src_records = []
            for v in usergroups.values():
                ordered = self._sort_by_timestamp(v)
                before = [r for r in ordered if r['timestamp'] <= self.duedate]
                self.src_records.append(before[0] if before else ordered[0])
