"""nbgrader's exchange, made safe for a classroom: the classes the course's ``nbgrader_config.py``
selects (``ExchangeFactory``), so that the command line, ``make`` and the formgrader all use them.

- **One instructor command at a time**: release_assignment, collect and release_feedback take the
  course's exchange lock (:func:`.exchange.exclusive`); a second one waits, and says for what.
- **Releases are atomic**: an assignment is copied to a hidden folder, then renamed into place, so
  a student never fetches half of it.
- **Submissions are private** (students' side, unix mode): nbgrader leaves a submission's folder
  0777 and its files 0644, hidden only by a random name; :class:`Submit` makes them 0770 and 0640:
  the instructors' group (inherited from ``inbound``) keeps access, other students have none.
- **Collect checks owners**: a submission must belong to the Unix account of the student it is
  named after. A folder dropped in ``inbound`` under someone else's name is refused (and left there
  to look at); nbgrader itself only warns, and collects it.
- **Collect copies plain files only**: an entry of ``inbound`` that is a symbolic link or not a
  folder, or a submission holding a symbolic link (or a hard link, a pipe, a device) anywhere, is
  refused with a warning naming it, and the others are collected. nbgrader follows links, so a
  link to the course's ``source/`` would be collected as the student's work, run as root.
- **A submission changed later counts as handed in then**: a student owns their submission's folder
  and could replace its notebook after the due date, or backdate its timestamp.txt; collect takes
  the newest change time (ctime, set by the kernel) of its entries as its time when that is more
  than a minute after the time it claims, writes it in the collected timestamp.txt (so nbgrader's
  late flag and the course's late policy apply), and logs a line naming the student.
- **Feedback reaches a renamed notebook**: a student fetches feedback for the notebooks they
  submitted, by name; when they renamed it, the grader graded it in place of the expected one, and
  :class:`ReleaseFeedback` also releases that feedback under the name they used.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import stat
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

from nbgrader.exchange.default.collect import ExchangeCollect, groupby
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.utils import check_mode, ignore_patterns, notebook_hash, parse_utc
from traitlets import Bool

from .exchange import LockError, exclusive

# Seconds a submission's files may change after the time it claims (nbgrader's submit writes its files,
# timestamp.txt and the modes within a second or two) before the change time counts as its time.
CHANGE_SLACK = 60


class _Locked:
    _what = ""

    def start(self):
        with ExitStack() as held:
            try:
                held.enter_context(exclusive(self.coursedir.root, f"nbgrader {self._what} "
                                             f"{self.coursedir.assignment_id}", self.log))
            except LockError as error:
                self.fail(str(error))
            return super().start()


class ReleaseAssignment(_Locked, ExchangeReleaseAssignment):
    """nbgrader's release_assignment, one at a time, and atomic."""

    _what = "release_assignment"

    def copy_files(self):
        if os.path.isdir(self.dest_path) and not self.force:
            self.fail(f"Destination already exists, add --force to overwrite: {self.coursedir.course_id} "
                      f"{self.coursedir.assignment_id}")
        outbound = os.path.dirname(self.dest_path)
        staging = os.path.join(outbound, f".{self.coursedir.assignment_id}.releasing")
        old = os.path.join(outbound, f".{self.coursedir.assignment_id}.replaced")
        shutil.rmtree(staging, ignore_errors=True)
        self.log.info("Source: %s", self.src_path)
        self.log.info("Destination: %s", self.dest_path)
        self.do_copy(self.src_path, staging)
        shared = self.coursedir.groupshared  # nbgrader's modes (release_assignment.py, copy_files)
        self.set_perms(staging, fileperms=0o664 if shared else 0o644, dirperms=0o2775 if shared else 0o755)
        if os.path.isdir(self.dest_path):
            shutil.rmtree(old, ignore_errors=True)
            os.rename(self.dest_path, old)
        os.rename(staging, self.dest_path)
        shutil.rmtree(old, ignore_errors=True)
        self.log.info("Released as: %s %s", self.coursedir.course_id, self.coursedir.assignment_id)


class ReleaseFeedback(_Locked, ExchangeReleaseFeedback):
    """nbgrader's release_feedback, one at a time; feedback also under a renamed notebook's name."""

    _what = "release_feedback"

    def copy_files(self):
        super().copy_files()
        for feedback_dir in glob.glob(self.src_path):
            student = os.path.basename(os.path.dirname(feedback_dir))
            pages = glob.glob(os.path.join(feedback_dir, "*.html"))
            secret_file = os.path.join(feedback_dir, "submission_secret.txt")
            if len(pages) != 1 or not os.path.isfile(secret_file):
                continue
            submitted = self.coursedir.format_path(self.coursedir.submitted_directory, student,
                                                   self.coursedir.assignment_id)
            graded = os.path.splitext(os.path.basename(pages[0]))[0]
            with open(secret_file) as f:
                secret = f.read()
            for notebook in glob.glob(os.path.join(submitted, "*.ipynb")):
                name = os.path.splitext(os.path.basename(notebook))[0]
                if name != graded:
                    target = os.path.join(self.dest_path, f"{notebook_hash(secret=secret, notebook_id=name)}.html")
                    shutil.copy(pages[0], target + ".tmp")
                    os.replace(target + ".tmp", target)
                    self.log.info("Feedback for %s's %s also released as their %s.ipynb", student, graded, name)


class Submit(ExchangeSubmit):
    """nbgrader's submit; with ``private``, the submission is readable only by its student and the instructors."""

    private = Bool(False, help="Make the submission 0770/0640 (group: inbound's, the instructors')").tag(config=True)

    def copy_files(self):
        super().copy_files()
        if not self.private:
            return
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        for folder, _, files in os.walk(dest):
            for name in files:
                os.chmod(os.path.join(folder, name), 0o640)
            os.chmod(folder, 0o770)


class Collect(_Locked, ExchangeCollect):
    """nbgrader's collect, one at a time, refusing submissions not owned by the student they name."""

    _what = "collect"

    owner_must_match = Bool(False, help="Refuse a submission whose folder is not owned by the Unix account of "
                                        "the student it names (on when the course is shared with an instructor "
                                        "account: unix mode).").tag(config=True)

    def _owner(self, path: str) -> str:
        try:
            return pwd.getpwuid(os.lstat(path).st_uid).pw_name
        except KeyError:
            return "an unknown user"

    def _refuse(self, filename: str, why: str) -> None:
        self.refused.append(filename)
        self.log.error("Refused %s: %s. It was not collected and stays in the exchange for you to look at.",
                       filename, why)

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
        records, self.refused, self._changed = [], [], {}
        for path in glob.glob(pattern):
            filename = os.path.basename(path)
            try:
                record = self._path_to_record(path)
            except (ValueError, OverflowError):
                self._refuse(filename, "its name holds no readable time")
                continue
            why = unsafe(path)
            if why:
                self._refuse(filename, why)
                continue
            owner = self._owner(path)
            if self.owner_must_match and owner != record['username']:
                self._refuse(filename, f"it is named after {record['username']} but {owner} made it")
                continue
            self._changed_after(path, record)
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

    def _changed_after(self, path: str, record: dict) -> None:
        """A student owns their submission's folder: they can change a file in it after the time it
        claims (its name's, its timestamp.txt's), e.g. after the due date. The change time (ctime) of
        its entries is the kernel's, which they cannot set: when the newest is more than
        :data:`CHANGE_SLACK` seconds after the earliest claim, it is the submission's time (its
        ``timestamp``, and the collected timestamp.txt, which nbgrader's late flag reads)."""
        claims = [record['timestamp']]
        try:
            with open(os.path.join(path, 'timestamp.txt')) as f:
                claims.append(parse_utc(f.read(100).strip()))
        except (OSError, ValueError, OverflowError):
            pass
        try:
            newest = max([os.lstat(path).st_ctime] + [os.lstat(os.path.join(folder, name)).st_ctime
                                                      for folder, dirs, files in os.walk(path) for name in dirs + files])
        except OSError:  # changed under our feet: do_copy's check refuses it
            return
        changed = datetime.fromtimestamp(newest, timezone.utc).replace(tzinfo=None)
        claimed = min(claims)
        if changed > claimed + timedelta(seconds=CHANGE_SLACK):
            self.log.warning("%s's submission %s claims %s but was changed at %s UTC: collected as submitted then "
                             "(the due date and the late policy apply to that time)", record['username'],
                             record['filename'], claimed, changed)
            record['timestamp'] = changed
            self._changed[record['filename']] = changed

    def do_copy(self, src, dest, log=None):
        # nbgrader's Exchange.do_copy (0.9.6), except that a symbolic link is copied as a link, never
        # followed: one put in after init_src's check is found in the copy, which is then removed.
        size = self.get_size(src)
        if size > 1000 * self.coursedir.max_dir_size:
            self.log.error("Directory size is too big")
            raise RuntimeError(f"Directory size is too big. Size is {size}, maximum size is "
                               f"{1000 * self.coursedir.max_dir_size}")
        try:
            shutil.copytree(src, dest, symlinks=True,
                            ignore=ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                                   max_file_size=self.coursedir.max_file_size, log=self.log))
            why = unsafe(dest, links_only=True)
        except (OSError, shutil.Error) as error:
            why = f"it could not be copied ({error})"
        if why:
            shutil.rmtree(dest, ignore_errors=True)
            self._refuse(os.path.basename(src), f"{why} (changed while it was collected)")
            return
        changed = self._changed.get(os.path.basename(src))
        if changed is not None:
            stamp = os.path.join(dest, 'timestamp.txt')
            if os.path.lexists(stamp):
                os.remove(stamp)
            with open(stamp, 'w') as f:
                f.write(changed.replace(tzinfo=timezone.utc).strftime(self.timestamp_format))
        if self.coursedir.groupshared:  # nbgrader's: copytree copied the modes, the group gets rw back
            for folder, _, files in os.walk(dest):
                for path, want in [(folder, 0o2770)] + [(os.path.join(folder, f), 0o660) for f in files]:
                    mode = os.lstat(path).st_mode
                    if mode & want != want:
                        try:
                            os.chmod(path, (mode | want) & (0o2777 if want == 0o2770 else 0o777))
                        except PermissionError:
                            self.log.warning("Could not update permissions of %s to make it groupshared", path)

    def copy_files(self):
        super().copy_files()
        # nbgrader copies a submission's modes (0777 from submit): no world-writable folder in the course
        for record in self.src_records:
            dest = self.coursedir.format_path(self.coursedir.submitted_directory, record['username'],
                                              self.coursedir.assignment_id)
            for folder, _, _ in os.walk(dest):  # (a refused copy was removed: nothing to walk)
                info = os.stat(folder)
                if info.st_mode & 0o002 and os.geteuid() in (0, info.st_uid):  # copied now, by us
                    os.chmod(folder, info.st_mode & ~0o002)


def unsafe(path: str, links_only: bool = False) -> str:
    """Why the submission at ``path`` must not be copied ("" when it may): it is a symbolic link or not
    a folder, or holds a symbolic link, a hard link, or something else than files and folders (a pipe
    would hang the copy), or cannot be read. Nothing is followed."""
    try:
        return _unsafe(path, links_only)
    except OSError as error:  # changed under our feet
        return f"it cannot be read ({error})"


def _unsafe(path: str, links_only: bool) -> str:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link, not a submission"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    errors = []
    for folder, dirs, files in os.walk(path, followlinks=False, onerror=errors.append):
        for name in dirs + files:
            entry = os.path.join(folder, name)
            shown = os.path.relpath(entry, path)
            mode = os.lstat(entry)
            if stat.S_ISLNK(mode.st_mode):
                return f"it holds a symbolic link ({shown})"
            if links_only:
                continue
            if not (stat.S_ISDIR(mode.st_mode) or stat.S_ISREG(mode.st_mode)):
                return f"it holds {shown}, which is neither a file nor a folder"
            if stat.S_ISREG(mode.st_mode) and mode.st_nlink > 1:
                return f"it holds a hard link ({shown})"
    if errors:
        return f"it cannot be read ({errors[0]})"
    return ""
