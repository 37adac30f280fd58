"""The course directory: one object builds every path, opens the gradebook, and sets up subprocesses.

In the spirit of nbgrader's ``CourseDirectory.format_path(step, student, assignment)``::

    course = Course.find()                       # the course around the current directory
    course.path("submitted", "a1_numpy_rnn", "alice")   # <root>/submitted/alice/a1_numpy_rnn
    course.notebook("release", "a1_numpy_rnn")          # <root>/release/a1_numpy_rnn/numpy_rnn.ipynb
    with course.gradebook() as gb: ...           # with the course id nbgrader_config.py uses
    demo = course.scratch_copy(tmp)              # a course of its own: no student work, own gradebook

Every job of the tooling (release, the per-submission pipeline, the class grader, the
harness, the demo, the benches) takes a ``Course``, so it can be pointed at a scratch copy;
that is how ``make demo`` stays away from an instructor's collected work.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import config

# nbgrader's steps, and the grader's own staging area, as folders of the course directory.
STEPS = {"source": "source", "release": "release", "submitted": "submitted", "autograded": "autograded",
         "feedback": "feedback", "staged": ".grading/staged", "selfstudy": "notebooks"}
# Per student (submitted/<student>/<assignment>), or per assignment (source/<assignment>).
STUDENT_STEPS = {"submitted", "autograded", "feedback", "staged"}
# What a scratch copy takes: the course's content, never its students' work.
CONTENT = ("nbgrader_config.py", "source", "release", "catalog")
CONFIG_FILE = "nbgrader_config.py"


@dataclass(frozen=True)
class Course:
    """A course directory (nbgrader's ``CourseDirectory.root``) and its gradebook.

    root -- the folder that holds ``nbgrader_config.py``, ``source/``, ``release/``...
    db_url -- the gradebook's database URL; None: ``gradebook.db`` in ``root``
    """

    root: Path
    db_url: str | None = None
    course_id: str = config.COURSE_ID
    assignments: tuple[str, ...] = field(default=tuple(config.ASSIGNMENTS))

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root).resolve())

    # --- finding the course ----------------------------------------------------------------
    @classmethod
    def find(cls, start: Path | None = None, db_url: str | None = None) -> "Course":
        """The course around ``start`` (default: the working directory), else this checkout's.

        The gradebook is ``db_url``, else ``RNNCOURSE_DB_URL``, else the course's SQLite file.
        """
        here = Path(start or os.getcwd()).resolve()
        for folder in (here, *here.parents, Path(__file__).resolve().parents[2]):
            if (folder / CONFIG_FILE).is_file() and (folder / "source").is_dir():
                return cls(folder, db_url or config.setting("RNNCOURSE_DB_URL") or None)
        raise SystemExit(f"no course directory (a folder with {CONFIG_FILE} and source/) at or above {here}")

    def with_gradebook(self, db_url: str | None) -> "Course":
        return replace(self, db_url=db_url)

    # --- paths -----------------------------------------------------------------------------
    def path(self, step: str, assignment: str = "", student: str = "") -> Path:
        """``<root>/<step>/<assignment>`` or, for a student's step, ``<root>/<step>/<student>/<assignment>``."""
        folder = self.root / STEPS[step]
        if step in STUDENT_STEPS:
            folder = folder / student if student else folder
        return folder / assignment if assignment else folder

    def notebook(self, step: str, assignment: str, student: str = "") -> Path:
        if step == "selfstudy":
            return self.path(step) / self.notebook_name(assignment)
        return self.path(step, assignment, student) / self.notebook_name(assignment)

    def notebook_name(self, assignment: str) -> str:
        """The notebook file of an assignment: ``config.ASSIGNMENTS``, or the one notebook in its source folder."""
        if assignment in config.ASSIGNMENTS:
            return config.ASSIGNMENTS[assignment]
        found = sorted(p.name for p in self.path("source", assignment).glob("*.ipynb"))
        if len(found) != 1:
            raise ValueError(f"source/{assignment}/ should hold exactly one notebook, found {found}")
        return found[0]

    @property
    def header(self) -> Path:
        return self.root / config.HEADER

    def submitted_students(self, assignment: str) -> list[str]:
        folder = self.path("submitted")
        return sorted(p.parent.name for p in folder.glob(f"*/{assignment}") if p.is_dir()) if folder.exists() else []

    # --- the gradebook ---------------------------------------------------------------------
    @property
    def gradebook_url(self) -> str:
        """``db_url``, else the course's SQLite file. SQLite waits up to two minutes for a lock
        instead of failing with "database is locked" when several workers write at once."""
        return self.db_url or sqlite_url(self.root)

    @contextmanager
    def gradebook(self):
        """nbgrader's ``Gradebook`` of this course, with the course id nbgrader_config.py gives it."""
        from nbgrader.api import Gradebook

        if shutil.which("alembic") is None:  # nbgrader runs this venv's `alembic` to create a new gradebook
            os.environ["PATH"] = venv_first(os.environ.get("PATH", ""))
        with Gradebook(self.gradebook_url, course_id=self.course_id) as gb:
            yield gb

    # --- subprocesses ----------------------------------------------------------------------
    def env(self, **extra: str) -> dict:
        """Environment of a tool run in this course (nbgrader, a grading run): this venv's
        scripts first on PATH (nbgrader runs ``alembic``), the gradebook's URL (which
        nbgrader_config.py reads), Keras on torch, one BLAS thread per kernel."""
        env = dict(os.environ)
        env["PATH"] = venv_first(env.get("PATH", ""))
        env.setdefault("KERAS_BACKEND", "torch")
        env["PYTHONSAFEPATH"] = "1"  # `python -m` run in the course directory: nothing imported from it by accident
        env.update(config.KERNEL_THREADS)
        env["RNNCOURSE_DB_URL"] = self.gradebook_url
        env.update(extra)
        return env

    # --- copies and content ----------------------------------------------------------------
    def scratch_copy(self, dest: Path) -> "Course":
        """A copy of this course's content (config, source, release, catalogs) in ``dest``, with
        a SQLite gradebook of its own there. No student work comes along, and nothing done in
        the copy can reach this course's submissions, feedback or gradebook."""
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        for item in CONTENT:
            source = self.root / item
            if source.is_dir():
                shutil.copytree(source, dest / item, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
            elif source.is_file():
                shutil.copy(source, dest / item)
        return Course(dest, None, self.course_id, self.assignments)

    def catalog(self, assignment: str):
        """The mistake catalog of an assignment: the module ``catalog/<assignment>.py``."""
        if str(self.root) not in sys.path:
            sys.path.append(str(self.root))
        return importlib.import_module(f"catalog.{assignment}")


def venv_first(path: str) -> str:
    """``path`` (a PATH) with this venv's scripts first: nbgrader runs ``alembic`` from it."""
    return os.pathsep.join([str(Path(sys.executable).parent), path])


def sqlite_url(root: Path) -> str:
    return f"sqlite:///{Path(root) / 'gradebook.db'}?timeout=120"
