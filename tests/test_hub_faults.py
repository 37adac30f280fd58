"""The classroom's exchange under bad input and faults, with real Unix accounts (no browser).

A fixture course (``h1_fixture``, 10 points, and a second small assignment ``h2_other``) is
handed out through nbgrader's exchange to six students, each a Unix account working in their own
view (:mod:`rnncourse.classroom.views`), with nbgrader's own student commands, as the Assignments
panel runs them. One class then goes through collect, ``make autograde``'s pipeline (sandboxed),
feedback and its release, and every student fetches their feedback:

======  ==============================================================  ========
student what they hand in                                                total
======  ==============================================================  ========
s1      a blank notebook, then the solved one (the latest counts)        10
s2      the solved notebook after the due date (late: 10% per day)       9
s3      the solved notebook, renamed                                      10
s4      a corrupt notebook                                                0
s5      the notebook of another assignment                                0
s6      a naive softmax (the feedback shows the hint); and a blank notebook   6
        dropped by hand in the exchange under s1's name (refused)
======  ==============================================================  ========

Then the faults: a re-release never touches a fetched copy, the exchange missing or with wrong
permissions (a clear error naming the fix, nothing lost), two instructor commands at once, and
no student can rename the course's folder in the exchange.
"""

from __future__ import annotations

import html
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest

from classroom import as_user, classroom, home, instructor, panel, python_as, remove_classroom
from hostile import cases as catalog
from hostile import fixture
from rnncourse.classroom import exchange
from rnncourse.classroom.provision import provision
from support import fixture_course, output, run, sandbox_flags, totals

pytestmark = pytest.mark.xdist_group("hub_faults")

H1, H2 = fixture.ASSIGNMENT, "h2_other"
# Right on small logits (the visible check passes), overflows on large ones: the hidden check's hint says why.
NAIVE_SOFTMAX = "def softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=0)\n"


def other_assignment(course_root: Path) -> None:
    """``h2_other``: one 2-point exercise, ``double`` (a different notebook and grade ids)."""
    cells = [nbformat.v4.new_markdown_cell("# Another assignment"),
             nbformat.v4.new_code_cell("### BEGIN SOLUTION\ndef double(x):\n    return 2 * x\n### END SOLUTION\n"),
             nbformat.v4.new_code_cell("assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-1) == -2\n"
                                       "### END HIDDEN TESTS\n")]
    cells[1].metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": True, "locked": False,
                                     "grade_id": "double"}
    cells[2].metadata["nbgrader"] = {"schema_version": 3, "grade": True, "solution": False, "locked": True,
                                     "grade_id": "test_double_values", "points": 2}
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (course_root / "source" / H2).mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(course_root / "source" / H2 / "other.ipynb"))


def page_text(page: str) -> str:
    """The text of a feedback page, as a person reads it (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def ok(proc, what: str):
    assert proc.returncode == 0, f"{what} failed: {output(proc)}"
    return proc


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    course = fixture_course(tmp / "course")
    other_assignment(course.root)
    made = run(course, "nbgrader", "generate_assignment", H2, "--force")
    assert made.returncode == 0, made.stdout + made.stderr
    settings = classroom(course, tmp, "f", students=6, late="0.1")
    try:
        provision(settings, course)
        for assignment in (H1, H2):
            ok(instructor(settings, "release-assignment", assignment), f"releasing {assignment}")
        yield settings
    finally:
        remove_classroom(settings)


@pytest.fixture(scope="module")
def graded(room):
    """The class of the module's docstring, collected, graded, its feedback released and fetched."""
    settings = room
    s = {f"s{i}": name for i, name in enumerate(settings.students, start=1)}
    release = nbformat.read(str(settings.root / "release" / H1 / fixture.NOTEBOOK), as_version=4)
    solved = catalog.solved(release)
    nb = lambda key: str(home(settings, s[key]) / H1 / fixture.NOTEBOOK)  # noqa: E731
    fetch, submit = ("fetch_assignment", H1), ("submit_assignment", H1)
    text = nbformat.writes
    panel(settings, s["s1"], fetch, submit, ("sleep", 1.1), ("write", nb("s1"), text(solved)), submit)
    panel(settings, s["s2"], fetch)
    renamed = str(home(settings, s["s3"]) / H1 / "my_work.ipynb")
    panel(settings, s["s3"], fetch, ("write", renamed, text(solved)), ("python", f"os.remove({nb('s3')!r})"), submit)
    panel(settings, s["s4"], fetch, ("write", nb("s4"), '{"cells": [ {"cell_type": "code", "sour'), submit)
    other = str(home(settings, s["s5"]) / H2 / "other.ipynb")
    panel(settings, s["s5"], fetch, ("fetch_assignment", H2),
          ("python", f"import shutil; os.remove({nb('s5')!r}); shutil.copy({other!r}, {str(Path(nb('s5')).parent)!r})"),
          submit)
    # s6 submits a naive softmax, then drops a blank notebook in the exchange by hand, named as s1's and
    # later than s1's last submission
    later = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    forged = str(settings.course_exchange / "inbound" / f"{s['s1']}+{H1}+{later}+forged")
    blank = str(settings.course_exchange / "outbound" / H1 / fixture.NOTEBOOK)
    panel(settings, s["s6"], fetch, ("write", nb("s6"), text(catalog.solved(release, softmax=NAIVE_SOFTMAX))), submit,
          ("python", f"import shutil; os.mkdir({forged!r}); shutil.copy({blank!r}, {forged!r}); "
                     f"open(os.path.join({forged!r}, 'timestamp.txt'), 'w').write({later!r})"))
    # the due date passes; s2 submits after it. The due date is written to the second, so wait
    # out the second of the others' last submission: within it, they would count as late.
    time.sleep(1.1)
    due = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    ok(run(settings_course(settings), "nbgrader", "db", "assignment", "add", H1, f"--duedate={due}"), "setting the due date")
    panel(settings, s["s2"], ("sleep", 1.1), ("write", nb("s2"), text(solved)), submit)

    collected = ok(instructor(settings, "collect", H1), "collect")
    course = settings_course(settings)
    grading = run(course, "rnncourse.grading.autograde", *sandbox_flags(), "--workers", "2", H1)
    assert grading.returncode == 0, output(grading)
    ok(run(course, "rnncourse.grading.autograde", "--feedback", H1), "generating feedback")
    released = ok(instructor(settings, "release-feedback", H1), "release-feedback")
    fetched = {}
    for key, name in s.items():
        panel(settings, name, ("fetch_feedback", H1))
        pages = sorted((home(settings, name) / H1 / "feedback").glob("*/*.html"))
        fetched[key] = [page_text(p.read_text()) for p in pages]
    return {"s": s, "collect": collected.stdout + collected.stderr, "totals": totals(course, [H1]),
            "feedback": fetched, "released": released.stdout, "course": course, "later": later,
            "blank": Path(blank).read_bytes()}


def settings_course(settings):
    from rnncourse.grading.course import Course

    return Course(settings.root)


def total(graded, key):
    return graded["totals"].get((graded["s"][key], H1))


def test_submit_twice_latest_counts(graded):
    assert total(graded, "s1") == fixture.TOTAL, graded["totals"]
    submitted = graded["course"].path("submitted", H1, graded["s"]["s1"])
    stamp = (submitted / "timestamp.txt").read_text().strip()
    assert stamp != graded["later"], "s6's forged submission (timestamped later) was collected as s1's"
    assert (submitted / fixture.NOTEBOOK).read_bytes() != graded["blank"], \
        "the collected notebook is a blank one (s1's first submission, or s6's forged one), not s1's latest"


def test_late_submission_flagged_and_penalised(graded):
    with graded["course"].gradebook() as gb:
        late = gb.find_submission(H1, graded["s"]["s2"])
        assert late.total_seconds_late > 0 and late.late_submission_penalty == pytest.approx(1.0)
        on_time = gb.find_submission(H1, graded["s"]["s1"])
        assert on_time.total_seconds_late == 0 and not on_time.late_submission_penalty
    assert total(graded, "s2") == fixture.TOTAL, "totals before the penalty"
    page = graded["feedback"]["s2"][-1]
    assert "Late submission penalty (Score: -1.0)" in page and "(Score: 9.0 / 10.0)" in page


def test_renamed_notebook_graded_with_a_note(graded):
    assert total(graded, "s3") == fixture.TOTAL
    assert "fixture.ipynb was missing; my_work.ipynb was graded in its place" in graded["feedback"]["s3"][-1]


def test_corrupt_notebook_graded_zero_with_a_note(graded):
    assert total(graded, "s4") == 0
    assert "could not be read as a notebook" in graded["feedback"]["s4"][-1]


def test_notebook_of_another_assignment_scores_zero_with_a_note(graded):
    assert total(graded, "s5") == 0
    page = graded["feedback"]["s5"][-1]
    assert "other.ipynb was graded in its place" in page and "solution cells were not found" in page


def test_submission_dropped_under_someone_elses_name_is_refused(graded, room):
    s1, s6 = graded["s"]["s1"], graded["s"]["s6"]
    assert f"Refused {s1}+{H1}+" in graded["collect"] and f"{s6} made it" in graded["collect"], graded["collect"]
    assert "1 refused" in graded["collect"]
    left = list((room.course_exchange / "inbound").glob(f"{s1}+{H1}+*forged"))
    assert len(left) == 1, "the refused submission stays in the exchange for the instructor"
    assert total(graded, "s1") == fixture.TOTAL


def test_feedback_shows_score_and_hints(graded):
    pages = graded["feedback"]
    assert "(Score: 10.0 / 10.0)" in pages["s1"][-1]
    wrong = pages["s6"][-1]
    shown = re.findall(r"\(Score: [^)]*\)", wrong)
    assert f"(Score: {fixture.TOTAL - fixture.POINTS['softmax']:.1f} / 10.0)" in wrong, (shown, graded["totals"])
    assert "Hint: subtract the column maximum before exp" in wrong  # the hidden check's hint, in its output
    assert total(graded, "s6") == fixture.TOTAL - fixture.POINTS["softmax"]
    assert "feedback released for 6 notebook(s)" in graded["released"]


def test_submissions_are_private_to_their_student(graded, room):
    """Even a student who knew the exact name of another's submission could not read it."""
    s1, s2 = graded["s"]["s1"], graded["s"]["s2"]
    inbound = room.course_exchange / "inbound"
    mine = next(p for p in inbound.glob(f"{s1}+{H1}+*") if not p.name.endswith("forged"))
    probe = python_as(room, s2, "import os, glob\n"
                      f"for path in ({str(inbound)!r}, {str(mine)!r}, {str(mine / fixture.NOTEBOOK)!r}):\n"
                      "    try:\n"
                      "        (os.listdir if os.path.isdir(path) else open)(path); print('READ', path)\n"
                      "    except OSError as e: print('DENIED', type(e).__name__)\n"
                      f"print('GLOB', glob.glob({str(inbound)!r} + '/*'))")
    assert probe.returncode == 0 and "READ" not in probe.stdout and probe.stdout.count("DENIED") == 3, output(probe)
    assert "GLOB []" in probe.stdout
    assert stat.S_IMODE(mine.stat().st_mode) == 0o770


def test_rerelease_never_touches_a_fetched_copy(room):
    """A student's fetched copy is theirs: a forced re-release (a changed notebook) and fetching
    again leave it as it is; only a missing file is restored."""
    student = room.students[-1]
    folder = home(room, student) / H2
    work = "# my own work\n"
    steps = [] if folder.exists() else [("fetch_assignment", H2)]
    panel(room, student, *steps, ("write", str(folder / "other.ipynb"), work))
    ok(instructor(room, "release-assignment", H2, "--force"), "re-releasing h2_other")
    [(_, success, message)] = panel(room, student, ("fetch_assignment", H2), check=False)
    assert not success and "already have a copy" in message, message
    assert (folder / "other.ipynb").read_text() == work
    refused = instructor(room, "release-assignment", H2)  # without --force: refused, nothing replaced
    assert refused.returncode != 0 and "--force" in refused.stdout + refused.stderr, output(refused)


def test_missing_exchange_names_the_fix_and_loses_nothing(room):
    course = settings_course(room)
    before = sorted(p.name for p in course.path("submitted").iterdir())
    moved = room.exchange.with_name("exchange-away")
    room.exchange.rename(moved)
    try:
        student = room.students[0]
        mine = home(room, student) / H1 / fixture.NOTEBOOK
        kept = mine.read_bytes()
        for command in ("collect", "release-feedback", "release-assignment"):
            refused = instructor(room, command, H1)
            text = refused.stdout + refused.stderr
            assert refused.returncode != 0 and "does not exist" in text and "make hub" in text, output(refused)
            assert f"install -d -m 1777 {room.exchange}" in text and "nothing was changed" in text
        [(_, success, message)] = panel(room, student, ("submit_assignment", H1), check=False)
        assert not success and "contact your instructor" in message, message
        assert mine.read_bytes() == kept
        assert sorted(p.name for p in course.path("submitted").iterdir()) == before
    finally:
        moved.rename(room.exchange)
    assert instructor(room, "collect", H1).returncode == 0


def test_wrong_exchange_permissions_name_the_fix(room):
    student = room.students[0]
    os.chmod(room.exchange, 0o755)
    try:
        refused = instructor(room, "collect", H1)
        assert refused.returncode != 0 and f"chmod 1777 {room.exchange}" in refused.stdout + refused.stderr, \
            output(refused)
        [(_, success, message)] = panel(room, student, ("submit_assignment", H1), check=False)
        assert not success and f"Unwritable directory, please contact your instructor: {room.exchange}" in message, \
            message
        inbound = room.course_exchange / "inbound"
        os.chmod(inbound, 0o777)
        refused = instructor(room, "collect", H1)
        assert f"chmod {exchange.MODES['inbound'][1]:04o} {inbound}" in refused.stdout + refused.stderr
    finally:
        kept = instructor(room, "setup")  # the exchange's root is the admin's: setup names the fix, changes nothing
        left = stat.S_IMODE(room.exchange.stat().st_mode)
        os.chmod(room.exchange, 0o1777)  # the admin applies it
        fixed = instructor(room, "setup")  # then make hub's setup repairs the course's folders
    assert kept.returncode != 0 and f"chmod 1777 {room.exchange}" in kept.stdout + kept.stderr, output(kept)
    assert left == 0o755
    assert fixed.returncode == 0, output(fixed)
    assert exchange.check(room.exchange, room.course_id, shared=True) == []
    panel(room, student, ("submit_assignment", H1))  # works again, as before


def test_two_instructor_commands_at_once(room, graded):
    """The exchange commands take turns: while one holds the course's exchange lock, two collects
    and a release_feedback wait (each says for what), then all three run, one at a time."""
    course = settings_course(room)
    held, release = threading.Event(), threading.Event()

    def hold():
        with exchange.exclusive(course.root, "a test holding the lock"):
            held.set()
            release.wait(300)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    procs = [subprocess.Popen([sys.executable, "-m", "rnncourse.classroom", command, H1], cwd=course.root,
                              env=course.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for command in ("collect", "collect", "release-feedback")]
    outputs = [[] for _ in procs]
    readers = [threading.Thread(target=lambda p=p, out=out: out.extend(p.stdout)) for p, out in zip(procs, outputs)]
    for reader in readers:
        reader.start()
    waiting = "waiting for a test holding the lock"
    deadline = time.time() + 300
    while time.time() < deadline and not all(any(waiting in line for line in out) for out in outputs):
        time.sleep(0.2)
    release.set()
    holder.join()
    for proc, reader in zip(procs, readers):
        proc.wait(300)
        reader.join()
    texts = ["".join(out) for out in outputs]
    assert all(p.returncode == 0 for p in procs), texts
    assert all(waiting in text for text in texts), texts
    for student in course.submitted_students(H1):
        if student == room.students[3]:  # s4 handed in a corrupt notebook on purpose
            continue
        for notebook in course.path("submitted", H1, student).glob("*.ipynb"):
            json.loads(notebook.read_text())  # every collected notebook is whole


def test_no_student_can_rename_the_course_folder(room):
    """The sticky bit on the exchange's root: it is everyone's to write, no one's to rename."""
    course_folder = room.course_exchange
    attempt = python_as(room, room.students[1], f"import os\ntry:\n    os.rename({str(course_folder)!r}, "
                        f"{str(course_folder) + '-gone'!r}); print('RENAMED')\nexcept OSError as e: print('REFUSED', e.errno)")
    assert "REFUSED" in attempt.stdout and course_folder.is_dir(), output(attempt)
    assert stat.S_IMODE(room.exchange.stat().st_mode) == 0o1777
    own = as_user(room, room.students[1], "/bin/ls", str(home(room, room.students[1])))
    assert own.returncode == 0, f"the view did not start (positive control): {output(own)}"
    assert as_user(room, room.students[1], "/bin/ls", str(room.root)).returncode != 0, \
        "the course directory does not exist in a student's view"


def test_the_instructor_runs_the_exchange_commands_from_their_own_terminal(room, graded):
    """What the instructor's terminal in the hub runs: their view, their Unix account, the course
    shared through the instructors' group (nbgrader's groupshared)."""
    collect = as_user(room, room.instructor, sys.executable, "-m", "rnncourse.classroom", "collect", H1,
                      role="instructor")
    assert collect.returncode == 0 and "submission(s) in submitted/" in collect.stdout, output(collect)
    grading = as_user(room, room.instructor, sys.executable, "-m", "rnncourse.grading.autograde", H1,
                      role="instructor")
    assert grading.returncode != 0 and "Refusing to grade" in grading.stdout + grading.stderr, \
        "grading needs root's sandbox: it refuses in the instructor's view rather than grade unsandboxed"
