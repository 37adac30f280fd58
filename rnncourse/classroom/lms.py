"""A course without a shared hub: submissions downloaded from the LMS, grades back into it.

    python -m rnncourse.classroom lms-collect a1_numpy_rnn submissions.zip [--lms moodle] [--roster gradebook.csv]
    python -m rnncourse.classroom lms-grades [--roster gradebook.csv] [--out canvas_grades.csv]

**In**: the zip an LMS gives for "download all submissions" goes to
``downloaded/<assignment>/archive/`` (an earlier one there is moved to ``earlier/``, never deleted);
``nbgrader zip_collect`` extracts it and files each notebook
under ``submitted/<student>/<assignment>/``, the student found from the file's name by
:class:`LmsCollector`:

- Canvas: ``<sortable name>_[late_]<user id>_<submission id>_<file name>[-<n>].ipynb``
  (``-<n>`` when a student uploaded again);
- Moodle: ``<full name>_<participant id>_assignsubmission_file_[/]<file name>.ipynb``.

The student id is the LMS's user id, or, with ``--roster`` (the LMS's gradebook export, a CSV
with ``ID`` and ``SIS Login ID`` columns), the student's login. A renamed notebook is still graded
(intake grades the one notebook in place of the expected one, with a note). A student who already
has a submission in ``submitted/`` makes the command refuse, naming them, before anything changes;
with ``--force`` (``FORCE=1``) their submission is replaced, and the command says whose.

**Out**: the gradebook as a CSV in Canvas's gradebook import format: ``Student``, ``ID``, ``SIS User
ID``, ``SIS Login ID``, ``Section``, then one column per assignment (``<name> (<Canvas id>)`` when the
roster has that column, else the bare name, which Canvas offers to create), after a ``Points
Possible`` row. Scores are nbgrader's; an LMS submission is never late for nbgrader (Canvas's
``late_`` marker is dropped and no timestamp kept), so the LMS's own late policy applies. A student
without a submission gets an empty cell (Canvas leaves it unchanged).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import zipfile
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins.zipcollect import FileNameCollectorPlugin
from traitlets import Enum, Unicode

from ..grading.course import Course

PATTERNS = {
    "canvas": r"^.*/(?P<name>[^/_]+)_(?:late_|LATE_)?(?P<lms_id>\d+)_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$",
    "moodle": r"^.*/(?P<name>[^/]+?)_(?P<lms_id>\d+)_assignsubmission_file_/?(?P<file_id>[^/]+?)\.ipynb$",
}
CANVAS_ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def read_roster(path: str | os.PathLike | None) -> list[dict]:
    """The rows of an LMS gradebook export (Canvas: a ``Points Possible`` row and blank rows skipped)."""
    if not path:
        return []
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    return [r for r in rows if (r.get("Student") or "").strip() not in ("", "Points Possible")]


def login_of(roster: list[dict], lms_id: str) -> str:
    """The student id for an LMS user id: their ``SIS Login ID`` from the roster, else the LMS id."""
    for row in roster:
        if (row.get("ID") or "").strip() == lms_id:
            login = (row.get("SIS Login ID") or "").strip()
            if login and "+" not in login:
                return login
    return lms_id


class LmsCollector(FileNameCollectorPlugin):
    """nbgrader's file-name collector for Canvas's and Moodle's submission downloads."""

    lms = Enum(list(PATTERNS), default_value="canvas", help="the LMS whose naming the download uses").tag(config=True)
    roster = Unicode("", help="the LMS's gradebook export (CSV) to map user ids to logins").tag(config=True)

    def collect(self, submitted_file: str):
        self.named_regexp = PATTERNS[self.lms]
        info = super().collect(submitted_file)
        if not info:
            return info
        info["student_id"] = login_of(read_roster(self.roster), info.pop("lms_id"))
        info.pop("name", None)
        return info


def targets(course: Course, assignment: str, archive: Path, lms: str, roster: str | None) -> dict[str, Path]:
    """student id -> ``submitted/<student>/<assignment>``, for each student with a notebook in ``archive``
    (found by their file names, as :class:`LmsCollector` will)."""
    collector = LmsCollector(lms=lms, roster=str(Path(roster).resolve()) if roster else "")
    found = {}
    with zipfile.ZipFile(archive) as z:
        for member in z.namelist():
            info = collector.collect(f"/extracted/{member}")
            if info:
                found[info["student_id"]] = course.path("submitted", assignment, info["student_id"])
    return found


def existing(found: dict[str, Path]) -> list[str]:
    """The students of ``found`` who already have a submission in ``submitted/``."""
    return sorted(student for student, folder in found.items() if folder.is_dir() and any(folder.iterdir()))


def stage_download(course: Course, assignment: str, archive: Path) -> Path:
    """Copy an LMS download into ``downloaded/<assignment>/archive/`` (nbgrader's zip_collect layout).
    Earlier downloads there are moved to ``downloaded/<assignment>/earlier/`` (nbgrader would collect
    them again, and refuse two files of one student); ``extracted/``, regenerated from the archive, is emptied."""
    top = course.root / "downloaded" / assignment
    folder = top / "archive"
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.iterdir()):
        if old.resolve() == Path(archive).resolve():  # the download given is this one
            continue
        kept = top / "earlier" / old.name
        kept.parent.mkdir(exist_ok=True)
        n = 1
        while kept.exists():
            kept, n = top / "earlier" / f"{old.stem}.{n}{old.suffix}", n + 1
        old.rename(kept)
    shutil.rmtree(top / "extracted", ignore_errors=True)
    target = folder / Path(archive).name
    if target.resolve() != Path(archive).resolve():
        shutil.copy(archive, target)
    return target


def zip_collect_args(assignment: str, lms: str, roster: str | None, force: bool = False) -> list[str]:
    """nbgrader zip_collect; with ``force``, it replaces the existing submissions of the download's students."""
    args = ["zip_collect", assignment, *(["--force"] if force else []),
            "--ZipCollectApp.collector_plugin=rnncourse.classroom.lms.LmsCollector", f"--LmsCollector.lms={lms}"]
    if roster:
        args.append(f"--LmsCollector.roster={Path(roster).resolve()}")
    return args


def canvas_rows(course: Course, roster: list[dict]) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of Canvas's gradebook import CSV for every assignment in the gradebook."""
    with course.gradebook() as gb:
        assignments = [a for a in gb.assignments if a.name in course.assignments or a.submissions]
        students = sorted(s.id for s in gb.students)
        scores: dict[tuple[str, str], float] = {}
        for assignment in assignments:
            for student in students:
                try:
                    scores[(assignment.name, student)] = gb.find_submission(assignment.name, student).score
                except MissingEntry:
                    pass
        points = {a.name: a.max_score for a in assignments}
        names = {s.id: (f"{s.last_name}, {s.first_name}" if s.last_name and s.first_name else s.id)
                 for s in gb.students}
    columns = []
    for assignment in assignments:
        existing = [k for k in (roster[0].keys() if roster else ()) if re.fullmatch(
            rf"{re.escape(assignment.name)} \(\d+\)", k or "")]
        columns.append((assignment.name, existing[0] if existing else assignment.name))
    header = list(CANVAS_ID_COLUMNS) + [title for _, title in columns]
    rows = [["Points Possible", "", "", "", ""] + [f"{points[name]:g}" for name, _ in columns]]
    by_login = {(r.get("SIS Login ID") or "").strip(): r for r in roster}
    by_id = {(r.get("ID") or "").strip(): r for r in roster}
    listed = set()
    for row in roster:
        student = next((k for k in ((row.get("SIS Login ID") or "").strip(), (row.get("ID") or "").strip())
                        if k in students), None)
        listed.add(student)
        rows.append([row.get(k, "") for k in CANVAS_ID_COLUMNS]
                    + [_score(scores.get((name, student))) for name, _ in columns])
    for student in students:
        if student in listed or student in by_login or student in by_id:
            continue
        lms_id = student if student.isdigit() else ""
        rows.append([names[student], lms_id, "", "" if lms_id else student, ""]
                    + [_score(scores.get((name, student))) for name, _ in columns])
    return header, rows


def _score(value) -> str:
    return "" if value is None else f"{value:g}"


def write_canvas_csv(course: Course, target: Path, roster_path: str | None = None) -> int:
    """Write the grades for Canvas's gradebook import; the number of students written."""
    header, rows = canvas_rows(course, read_roster(roster_path))
    with open(target, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows) - 1
