"""Courses without a shared hub: an LMS's "download all submissions" zip into submitted/, grades back.

A Canvas download is generated in Canvas's naming (``<name>_[late_]<user id>_<submission id>_<file>``,
``-1`` for an upload made again) with three students (solved, a wrong ``add`` uploaded late and
renamed by Canvas, blank) and a stray file; with the gradebook export as roster, ``make lms-collect``
files each under its login, ``make autograde`` grades them, and ``make lms-grades`` writes the CSV
Canvas imports. A Moodle download (folders per submission) is collected by participant id.
"""

from __future__ import annotations

import csv
import zipfile

import nbformat
import pytest

from hostile import cases as catalog
from hostile import fixture
from support import fixture_course, output, run, sandbox_flags, totals

pytestmark = pytest.mark.xdist_group("lms")

H1 = fixture.ASSIGNMENT
WRONG_ADD = "def add(a, b):\n    return a - b\n"
ROSTER = [
    ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{H1} (5555)"],
    ["    Points Possible", "", "", "", "", "10"],
    ["Doe, Jane", "1001", "S1001", "jdoe", "Section A", ""],
    ["Roe, Sam", "1002", "S1002", "sroe", "Section A", ""],
    ["Bloggs, Joe", "1003", "S1003", "jbloggs", "Section B", ""],
    ["Absent, Al", "1004", "S1004", "aabsent", "Section B", ""],
]


def classroom_cli(course, *args):
    return run(course, "rnncourse.classroom", *args)


@pytest.fixture(scope="module")
def canvas(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lms")
    course = fixture_course(tmp / "course")
    release = nbformat.read(str(course.notebook("release", H1)), as_version=4)
    download = tmp / "submissions.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.writestr("doejane_1001_9001_fixture.ipynb", nbformat.writes(catalog.solved(release)))
        z.writestr("roesam_late_1002_9002_fixture-1.ipynb", nbformat.writes(catalog.solved(release, add=WRONG_ADD)))
        z.writestr("bloggsjoe_1003_9003_fixture.ipynb", nbformat.writes(release))
        z.writestr("bloggsjoe_1003_9003_notes.txt", "my notes")
    roster = tmp / "gradebook_export.csv"
    with open(roster, "w", newline="") as f:
        csv.writer(f).writerows(ROSTER)
    collected = classroom_cli(course, "lms-collect", H1, str(download), "--roster", str(roster))
    graded = run(course, "rnncourse.grading.autograde", *sandbox_flags(), H1)
    exported = classroom_cli(course, "lms-grades", "--roster", str(roster), "--out", str(tmp / "canvas.csv"))
    rows = list(csv.reader(open(tmp / "canvas.csv", newline=""))) if exported.returncode == 0 else []
    return {"course": course, "collected": collected, "graded": graded, "exported": exported, "rows": rows}


def test_canvas_download_is_filed_under_each_login(canvas):
    assert canvas["collected"].returncode == 0, output(canvas["collected"])
    course = canvas["course"]
    assert course.submitted_students(H1) == ["jbloggs", "jdoe", "sroe"]
    assert (course.path("submitted", H1, "sroe") / fixture.NOTEBOOK).is_file(), "fixture-1.ipynb filed as fixture.ipynb"
    assert not list(course.path("submitted", H1, "jbloggs").glob("*.txt")), "only notebooks are collected"


def test_canvas_download_is_graded(canvas):
    assert canvas["graded"].returncode == 0, output(canvas["graded"])
    assert totals(canvas["course"], [H1]) == {("jdoe", H1): 10, ("sroe", H1): 10 - fixture.POINTS["add"],
                                              ("jbloggs", H1): 0}


def test_grades_csv_in_canvas_import_format(canvas):
    assert canvas["exported"].returncode == 0, output(canvas["exported"])
    header, points, *students = canvas["rows"]
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{H1} (5555)"]
    assert points == ["Points Possible", "", "", "", "", "10"]
    assert students == [
        ["Doe, Jane", "1001", "S1001", "jdoe", "Section A", "10"],
        ["Roe, Sam", "1002", "S1002", "sroe", "Section A", str(10 - fixture.POINTS["add"])],
        ["Bloggs, Joe", "1003", "S1003", "jbloggs", "Section B", "0"],
        ["Absent, Al", "1004", "S1004", "aabsent", "Section B", ""],  # no submission: left unchanged in Canvas
    ]


def test_moodle_download_is_filed_by_participant(tmp_path):
    course = fixture_course(tmp_path / "course")
    release = nbformat.read(str(course.notebook("release", H1)), as_version=4)
    download = tmp_path / "moodle.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.writestr("Jane Doe_2001_assignsubmission_file_/fixture.ipynb", nbformat.writes(release))
        z.writestr("Sam Roe_2002_assignsubmission_file_fixture.ipynb", nbformat.writes(release))
    collected = classroom_cli(course, "lms-collect", H1, str(download), "--lms", "moodle")
    assert collected.returncode == 0, output(collected)
    assert course.submitted_students(H1) == ["2001", "2002"]


def test_a_second_download_never_replaces_submissions_silently(tmp_path):
    """Collecting again refuses while a student of the download already has a submission, naming
    them; FORCE=1 replaces it and says whose. Earlier downloads are kept aside, not collected again."""
    course = fixture_course(tmp_path / "course")
    release = nbformat.writes(nbformat.read(str(course.notebook("release", H1)), as_version=4))
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    with zipfile.ZipFile(first, "w") as z:
        z.writestr("Jane Doe_2001_assignsubmission_file_fixture.ipynb", release)
    with zipfile.ZipFile(second, "w") as z:
        z.writestr("Jane Doe_2001_assignsubmission_file_fixture.ipynb", release.replace("course-header", "second"))
        z.writestr("Sam Roe_2002_assignsubmission_file_fixture.ipynb", release)
    assert classroom_cli(course, "lms-collect", H1, str(first), "--lms", "moodle").returncode == 0
    mine = course.path("submitted", H1, "2001") / "fixture.ipynb"
    kept = mine.read_text()
    refused = classroom_cli(course, "lms-collect", H1, str(second), "--lms", "moodle")
    assert refused.returncode != 0 and "already have a submission" in refused.stderr and "2001" in refused.stderr, \
        output(refused)
    assert mine.read_text() == kept and course.submitted_students(H1) == ["2001"]
    forced = classroom_cli(course, "lms-collect", H1, str(second), "--lms", "moodle", "--force")
    assert forced.returncode == 0, output(forced)
    assert "replaced the earlier submission(s) of: 2001" in forced.stdout and "Clearing" in forced.stdout
    assert mine.read_text() != kept and course.submitted_students(H1) == ["2001", "2002"]
    downloaded = course.root / "downloaded" / H1
    assert [p.name for p in (downloaded / "archive").iterdir()] == ["second.zip"]
    assert [p.name for p in (downloaded / "earlier").iterdir()] == ["first.zip"]
