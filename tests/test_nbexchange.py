"""The classroom's nbgrader exchange classes (rnncourse/classroom/nbexchange.py), run directly on a
scratch course and exchange: what collect refuses, and what it must never copy."""

from __future__ import annotations

import logging
import os
import pwd
import shutil
from pathlib import Path

import pytest
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory

from rnncourse.classroom.nbexchange import Collect

A = "h1"
EARLY, LATER = "2024-01-01 10:00:00.000000 UTC", "2024-01-02 10:00:00.000000 UTC"


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory) -> Path:
    """An empty gradebook, made once (nbgrader makes one with alembic, in seconds)."""
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}", "c"):
        pass
    return path


@pytest.fixture
def place(tmp_path, gradebook):
    """(course root, inbound): a course with ``source/h1/fixture.ipynb`` and an empty exchange."""
    course, inbound = tmp_path / "course", tmp_path / "exchange" / "c" / "inbound"
    (course / "source" / A).mkdir(parents=True)
    shutil.copy(gradebook, course / "gradebook.db")
    (course / "source" / A / "fixture.ipynb").write_text("SOLUTIONS AND HIDDEN TESTS")
    inbound.mkdir(parents=True)
    return course, inbound


def submission(inbound: Path, student: str, when: str, text: str = "my work") -> Path:
    folder = inbound / f"{student}+{A}+{when}+r{len(list(inbound.iterdir()))}"
    folder.mkdir()
    (folder / "timestamp.txt").write_text(when)
    (folder / "fixture.ipynb").write_text(text)
    return folder


def collect(place, caplog, **traits) -> Collect:
    course, inbound = place
    coursedir = CourseDirectory(root=str(course), course_id="c", assignment_id=A)
    app = Collect(coursedir=coursedir, authenticator=Authenticator(), root=str(inbound.parent.parent), update=True,
                  **traits)
    with caplog.at_level(logging.INFO):
        app.start()
    return app


def collected(place, student: str) -> Path:
    return place[0] / "submitted" / student / A


def test_a_symlinked_submission_never_replaces_a_collected_one(place, caplog):
    """A link named after a student, to a folder they own, is refused: owner taken without following."""
    course, inbound = place
    student = "nobody"
    submission(inbound, student, EARLY, "genuine")
    collect(place, caplog, owner_must_match=False)
    elsewhere = course.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "timestamp.txt").write_text(LATER)
    (elsewhere / "fixture.ipynb").write_text("forged")
    uid = pwd.getpwnam(student).pw_uid
    for path in (elsewhere, elsewhere / "timestamp.txt", elsewhere / "fixture.ipynb"):
        os.chown(path, uid, -1)
    link = inbound / f"{student}+{A}+{LATER}+link"
    link.symlink_to(elsewhere)
    app = collect(place, caplog, owner_must_match=True)
    assert (collected(place, student) / "fixture.ipynb").read_text() == "genuine"
    assert link.name in app.refused and f"Refused {link.name}: it is a symbolic link" in caplog.text


def test_a_link_inside_a_submission_is_refused_and_nothing_of_it_copied(place, caplog):
    course, inbound = place
    folder = submission(inbound, "s1", EARLY)
    (folder / "fixture.ipynb").unlink()
    (folder / "fixture.ipynb").symlink_to(course / "source" / A / "fixture.ipynb")
    submission(inbound, "s2", EARLY)
    app = collect(place, caplog)
    assert not collected(place, "s1").exists(), "the source notebook was collected as s1's work"
    assert (collected(place, "s2") / "fixture.ipynb").read_text() == "my work", "the others are collected"
    assert f"Refused {folder.name}: it holds a symbolic link (fixture.ipynb)" in caplog.text
    assert app.refused == [folder.name]


def test_a_link_deeper_in_a_submission_is_refused(place, caplog):
    course, inbound = place
    folder = submission(inbound, "s1", EARLY)
    (folder / "data").mkdir()
    (folder / "data" / "source").symlink_to(course / "source")
    collect(place, caplog)
    assert not collected(place, "s1").exists()
    assert f"it holds a symbolic link ({os.path.join('data', 'source')})" in caplog.text


@pytest.mark.parametrize("what", ["dangling link", "file", "fifo", "hard link", "bad time"])
def test_a_strange_entry_is_refused_and_the_others_collected(place, caplog, what):
    course, inbound = place
    name = inbound / f"s1+{A}+{EARLY if what != 'bad time' else 'never'}"
    if what == "dangling link":
        name.symlink_to(course / "gone")
    elif what == "file":
        name.write_text("x")
    elif what == "bad time":
        name.mkdir()
    else:
        name = submission(inbound, "s1", EARLY)
        if what == "fifo":
            os.mkfifo(name / "pipe")
        else:
            os.link(course / "source" / A / "fixture.ipynb", name / "copy.ipynb")
    submission(inbound, "s2", EARLY)
    app = collect(place, caplog)
    assert app.refused == [name.name], caplog.text
    assert not collected(place, "s1").exists()
    assert (collected(place, "s2") / "fixture.ipynb").read_text() == "my work"


def test_a_submission_changed_after_the_time_it_claims_counts_as_handed_in_then(place, caplog):
    """s1's folder name and timestamp.txt claim a day long gone, but its files were written now (their
    ctime, which no student can set): collected as submitted now. s2's honest claim is kept as is."""
    from datetime import datetime, timezone

    from nbgrader.utils import parse_utc

    course, inbound = place
    now = datetime.now(timezone.utc)
    honest = now.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    submission(inbound, "s1", EARLY)
    submission(inbound, "s2", honest)
    collect(place, caplog)
    stamp = (collected(place, "s1") / "timestamp.txt").read_text()
    assert abs(parse_utc(stamp) - now.replace(tzinfo=None)).total_seconds() < 30, stamp
    assert stamp.endswith(" UTC") and parse_utc(stamp) > parse_utc(EARLY)
    assert f"s1's submission s1+{A}+{EARLY}" in caplog.text and "was changed at" in caplog.text
    assert (collected(place, "s2") / "timestamp.txt").read_text() == honest
    assert "s2's submission" not in caplog.text
