"""The PostgreSQL gradebook, against a real PostgreSQL server started on loopback.

A copy of the course with the small fixture assignment (tests/hostile/fixture.py) is pointed
at a fresh, empty database of a throwaway server (``rnncourse.grading.pgserver``): nbgrader
creates its schema there, ``generate_assignment`` records the assignment, and
``rnncourse.grading.autograde`` grades an honest, a partial and a blank submission (sandboxed
when the sandbox works here, with 2 workers when the option exists). The scores read back from
PostgreSQL must be exactly theirs, ``nbgrader export`` must list them, and no SQLite gradebook
may appear in the course.
"""

import csv
import socket
from dataclasses import dataclass

import nbformat
import pytest
import sqlalchemy

from hostile import cases as catalog
from hostile import fixture
from rnncourse.grading import pgserver
from rnncourse.grading.course import Course
from support import fixture_course, output, run, sandbox_flags, totals

pytestmark = pytest.mark.xdist_group("postgres")
EXPECTED = {"honest": fixture.TOTAL, "partial": catalog.WITHOUT_SOFTMAX, "blank": 0}


@dataclass
class Graded:
    course: Course  # the course, with the PostgreSQL gradebook as its db_url
    grading: object  # the grading command's CompletedProcess
    export: object
    totals: dict  # student -> total score, read through nbgrader


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    # schema=False: an empty database, as a new server's; nbgrader must create its tables itself.
    with pgserver.PostgresServer(schema=False) as url:
        course = fixture_course(tmp_path_factory.mktemp("postgres") / "course", db_url=url)
        release = nbformat.read(str(course.notebook("release", fixture.ASSIGNMENT)), as_version=4)
        notebooks = {"honest": catalog.solved(release), "blank": release,
                     "partial": catalog.solved(release, softmax=catalog.WRONG_SOFTMAX)}
        for student, notebook in notebooks.items():
            catalog.write(notebook, course.path("submitted", fixture.ASSIGNMENT, student))
        # --db alone must bring the URL to nbgrader and the workers: the environment names another database
        elsewhere = course.with_gradebook(f"sqlite:///{course.root / 'elsewhere.db'}")
        grading = run(elsewhere, "rnncourse.grading.autograde", fixture.ASSIGNMENT, "--workers", "2", "--db", url,
                      *sandbox_flags(), RNNCOURSE_CELL_TIMEOUT="10")
        export = run(course, "nbgrader", "export", "--to", "grades.csv")
        scores = {student: total for (student, _), total in totals(course, [fixture.ASSIGNMENT]).items()}
        yield Graded(course, grading, export, scores)


def test_grading_succeeds(graded):
    assert graded.grading.returncode == 0, output(graded.grading)


def test_scores_in_postgres_are_exact(graded):
    assert graded.totals == EXPECTED, output(graded.grading)


def test_export_lists_the_scores(graded):
    assert graded.export.returncode == 0, output(graded.export)
    with open(graded.course.root / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == fixture.ASSIGNMENT}
    assert {student: float(row["score"]) for student, row in rows.items()} == EXPECTED
    assert {float(row["max_score"]) for row in rows.values()} == {fixture.TOTAL}


def test_no_sqlite_gradebook_in_the_course(graded):
    made = sorted(p.name for p in graded.course.root.rglob("*.db"))
    assert made == [], f"a SQLite gradebook was created beside the PostgreSQL one: {made}"


def test_rows_are_in_postgres(graded):
    """Read straight from PostgreSQL, past nbgrader: the graded cells of every student."""
    engine = sqlalchemy.create_engine(graded.course.db_url)
    try:
        with engine.connect() as db:
            assert db.dialect.name == "postgresql"
            rows = db.execute(sqlalchemy.text(
                "SELECT st.id, sum(coalesce(g.manual_score, g.auto_score)) FROM grade g"
                " JOIN submitted_notebook sn ON g.notebook_id = sn.id"
                " JOIN submitted_assignment sa ON sn.assignment_id = sa.id"
                " JOIN student st ON sa.student_id = st.id GROUP BY st.id")).all()
    finally:
        engine.dispose()
    assert {student: float(score) for student, score in rows} == EXPECTED


# --- the throwaway server itself

def test_server_authenticates_and_cleans_up():
    import psycopg2
    server = pgserver.PostgresServer(user="grader_x", database="grades_x", schema=False)
    url = server.start()
    folder, port = server.folder, server.port
    try:
        assert url == f"postgresql+psycopg2://grader_x:{server.password}@127.0.0.1:{port}/grades_x"
        with psycopg2.connect(host="127.0.0.1", port=port, user="grader_x", password=server.password,
                              dbname="grades_x") as conn, conn.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database(), inet_server_addr()::text")
            assert cursor.fetchone() == ("grader_x", "grades_x", "127.0.0.1/32")
        conn.close()
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            psycopg2.connect(host="127.0.0.1", port=port, user="grader_x", password="wrong", dbname="grades_x")
    finally:
        server.stop()
    assert not folder.exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the server still listens after stop()"


def test_missing_binaries_name_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNCOURSE_PG_BIN", str(tmp_path))
    with pytest.raises(pgserver.PostgresError, match="Debian package 'postgresql'"):
        pgserver.PostgresServer().start()
