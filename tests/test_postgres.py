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
import subprocess
import sys

import nbformat
import pytest
import sqlalchemy
from nbgrader.api import Gradebook

from hostile import cases as catalog
from hostile import fixture
from rnncourse.grading import pgserver
from rnncourse.grading.settings import tool_env

pytestmark = pytest.mark.xdist_group("postgres")
EXPECTED = {"honest": fixture.TOTAL, "partial": catalog.WITHOUT_SOFTMAX, "blank": 0}


def run(course, *args, **env):
    base = tool_env()
    base.pop("RNNCOURSE_DB_URL", None)  # only what each call passes
    return subprocess.run([sys.executable, "-m", *args], cwd=course, env={**base, **env},
                          capture_output=True, text=True)


def make_course(root):
    return fixture.course_copy(root / "course")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("postgres"))
    # schema=False: an empty database, as a new server's; nbgrader must create its tables itself.
    with pgserver.PostgresServer(schema=False) as url:
        made = run(course, "nbgrader", "generate_assignment", fixture.ASSIGNMENT, "--force", RNNCOURSE_DB_URL=url)
        assert made.returncode == 0, made.stdout + made.stderr
        release = nbformat.read(str(course / "release" / fixture.ASSIGNMENT / fixture.NOTEBOOK), as_version=4)
        notebooks = {"honest": catalog.solved(release), "blank": release,
                     "partial": catalog.solved(release, softmax=catalog.WRONG_SOFTMAX)}
        for student, notebook in notebooks.items():
            catalog.write(notebook, course / "submitted" / student / fixture.ASSIGNMENT)

        usage = run(course, "rnncourse.grading.autograde", "--help").stdout
        args = ["rnncourse.grading.autograde", fixture.ASSIGNMENT]
        if "--workers" in usage:
            args += ["--workers", "2"]
        sandboxed = run(course, "rnncourse.grading.sandbox", "check").returncode == 0
        if not sandboxed:
            args.append("--unsandboxed")
        # --db when the grader has it (then nbgrader and the workers must get the URL from it alone),
        # else the environment, as nbgrader_config.py reads it.
        env = {} if "--db" in usage else {"RNNCOURSE_DB_URL": url}
        if "--db" in usage:
            args += ["--db", url]
        grading = run(course, *args, RNNCOURSE_CELL_TIMEOUT="10", **env)
        export = run(course, "nbgrader", "export", "--to", "grades.csv", RNNCOURSE_DB_URL=url)
        totals = {}
        with Gradebook(url) as gb:
            for submission in gb.assignment_submissions(fixture.ASSIGNMENT):
                totals[submission.student.id] = float(submission.score)
        yield {"course": course, "url": url, "grading": grading, "export": export, "totals": totals,
               "args": args, "sandboxed": sandboxed}


def test_grading_succeeds(graded):
    proc = graded["grading"]
    assert proc.returncode == 0, f"{graded['args']}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"


def test_scores_in_postgres_are_exact(graded):
    assert graded["totals"] == EXPECTED, graded["grading"].stdout[-3000:]


def test_export_lists_the_scores(graded):
    export = graded["export"]
    assert export.returncode == 0, export.stdout + export.stderr
    with open(graded["course"] / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == fixture.ASSIGNMENT}
    assert {student: float(row["score"]) for student, row in rows.items()} == EXPECTED
    assert {float(row["max_score"]) for row in rows.values()} == {fixture.TOTAL}


def test_no_sqlite_gradebook_in_the_course(graded):
    assert not list(graded["course"].rglob("gradebook.db")), "a SQLite gradebook was created beside the PostgreSQL one"


def test_rows_are_in_postgres(graded):
    """Read straight from PostgreSQL, past nbgrader: the graded cells of every student."""
    engine = sqlalchemy.create_engine(graded["url"])
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
