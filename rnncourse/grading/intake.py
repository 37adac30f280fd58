"""Intake: turn a submission into the notebook the grader runs.

nbgrader grades the notebook a student hands in, structure and all: deleted, reordered or
duplicated test cells, edited metadata, another kernelspec, added cells that run between a
solution and its tests, extra files that shadow modules (a ``numpy.py`` beside the notebook).
Intake takes none of that. It rebuilds the notebook from the trusted release and carries over
only what a student is asked to write: the source of each solution cell, found by its grade
id. Each carried cell is audited first (:mod:`.audit`); a flagged cell is replaced by a stub
that raises with the findings.

Everything intake changed or refused is written into a "Grader's notes" cell at the top of
the graded notebook, so the student's feedback explains it. A missing, unreadable or
unparseable notebook is graded as the blank release (0 points) with a note saying why: no
student is ever silently missing from the grades.

The staged copy lives in ``.grading/staged/<student>/<assignment>/`` and is what
``nbgrader autograde`` reads (``CourseDirectory.submitted_directory``); ``submitted/`` is never
modified.
"""

from __future__ import annotations

import copy
import json
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import audit
from . import notebooks as nbs
from .course import Course

NOTES_ID = "grader-notes"
# Files nbgrader's exchange puts in a submission beside the notebooks: when it was submitted, and the
# secret that release_feedback and fetch_feedback match the feedback with. Carried into the staged copy.
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")
MAX_NOTEBOOK_BYTES = 20 * 2**20  # a bigger notebook is not read (outputs are cleared anyway)


@dataclass
class Intake:
    student: str
    assignment: str
    notes: list[str] = field(default_factory=list)
    withheld: dict[str, list[str]] = field(default_factory=dict)  # grade id -> audit findings
    blank: bool = False  # graded as the blank release

    def note(self, text: str) -> None:
        self.notes.append(text)


def _read_submission(folder: Path, expected: str, intake: Intake):
    """The student's notebook, or None with a note on why it could not be used."""
    path = folder / expected
    if not path.exists():
        others = sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []
        if len(others) == 1:
            intake.note(f"`{expected}` was missing; `{others[0]}` was graded in its place. "
                        f"Keep the notebook's name when you submit.")
            path = folder / others[0]
        else:
            found = f" (found: {', '.join(others)})" if others else ""
            intake.note(f"`{expected}` was not in the submission{found}, so there was nothing to grade.")
            return None
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        intake.note(f"`{path.name}` is over {MAX_NOTEBOOK_BYTES // 2**20} MB, so it was not read. "
                    "Clear the outputs before you submit.")
        return None
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        version = raw.get("nbformat") if isinstance(raw, dict) else None
        with warnings.catch_warnings():  # duplicate cell ids and the like are fixed on reading
            warnings.simplefilter("ignore")
            nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as error:  # corrupt JSON, not a notebook, an unknown nbformat...
        intake.note(f"`{path.name}` could not be read as a notebook ({type(error).__name__}: "
                    f"{str(error)[:200]}), so there was nothing to grade.")
        return None
    if version != 4:
        intake.note(f"`{path.name}` was in notebook format {version}; it was converted to format 4.")
    if not isinstance(nb.get("cells"), list):
        intake.note(f"`{path.name}` has no cells, so there was nothing to grade.")
        return None
    return nb


def _solution_sources(nb, wanted: set[str], intake: Intake) -> dict[str, str]:
    """grade id -> source of the student's solution cell (the first one with that id)."""
    found: dict[str, str] = {}
    for cell in nb.cells:
        try:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            gid = meta.get("grade_id")
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
        except AttributeError:
            continue
        if gid not in wanted or cell.get("cell_type") != "code" or not isinstance(source, str):
            continue
        if gid in found:
            intake.note(f"The solution cell `{gid}` appears more than once; the first copy was graded.")
            continue
        found[gid] = source
    return found


def given_code(nb) -> list[str]:
    """The sources of a notebook's code cells that are not solution cells: given code and tests."""
    return [c.source for c in nb.cells if c.cell_type == "code" and not nbs.is_solution(c)]


def canonical_notebook(student_nb, release_nb, intake: Intake, source_nb=None):
    """The release notebook with the student's solution cells (audited) put in.

    ``source_nb`` (the instructor's, with the hidden tests) tells which helpers the tests define
    for later cells; a solution cell may not rebind them."""
    graded = copy.deepcopy(release_nb)
    solutions = nbs.solution_cells(release_nb)
    trusted = audit.trusted_imports(given_code(release_nb))
    defined = audit.test_definitions(given_code(source_nb if source_nb is not None else release_nb))
    sources = _solution_sources(student_nb, set(solutions), intake) if student_nb is not None else {}
    missing = [gid for gid in solutions if gid not in sources]
    if student_nb is not None and missing:
        intake.note("These solution cells were not found, so they were graded as left blank: "
                    + ", ".join(f"`{g}`" for g in missing) + ". Do not delete or retype the solution cells' metadata.")
    for gid, index in solutions.items():
        if gid not in sources:
            continue
        findings = audit.audit(sources[gid], trusted, defined)
        if findings:
            intake.withheld[gid] = [str(f) for f in findings]
            graded.cells[index].source = audit.stub(gid, findings)
            intake.note(f"The solution cell `{gid}` was not run and its points are withheld: it reaches for "
                        "the machinery the tests use.\n" + "\n".join(f"    - {f}" for f in findings))
        else:
            graded.cells[index].source = sources[gid]
    if student_nb is not None:
        _note_changed_structure(student_nb, release_nb, intake)
        kept = {gid for gid in sources}
        release_sources = {c.source for c in release_nb.cells}
        extra = [c for c in student_nb.cells
                 if isinstance(c, dict) and c.get("cell_type") == "code"
                 and c.get("metadata", {}).get("nbgrader", {}).get("grade_id") not in kept
                 and c.get("source") not in release_sources and str(c.get("source", "")).strip()]
        if extra:
            intake.note(f"{len(extra)} code cell(s) outside the solution cells were added or changed; they were "
                        "not run. Only the solution cells (`YOUR CODE HERE`) are graded; the other cells run "
                        "as released.")
    return graded


def _note_changed_structure(student_nb, release_nb, intake: Intake) -> None:
    """Say so when the student's copy of the locked cells or the notebook's metadata differs."""
    def locked(nb):
        out = []
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
            if isinstance(meta, dict) and (meta.get("locked") or meta.get("grade")) and not meta.get("solution"):
                out.append((meta.get("grade_id"), meta.get("points"), cell.get("source")))
        return out
    theirs, ours = locked(student_nb), locked(release_nb)
    if theirs != ours:
        intake.note("The locked cells (tests, imports) were missing, changed, moved or duplicated, or their "
                    "metadata was edited; they were restored from the release, so the tests ran as written.")
    kernel = student_nb.get("metadata", {}).get("kernelspec", {})
    if isinstance(kernel, dict) and kernel.get("name") != release_nb.metadata.get("kernelspec", {}).get("name"):
        intake.note(f"The notebook asked for the kernel `{kernel.get('name')}`; it was graded with the course's kernel.")


def notes_cell(intake: Intake):
    lines = ["## Grader's notes", "", "How this submission was prepared for grading:", ""]
    lines += [f"- {n}" for n in intake.notes]
    cell = nbformat.v4.new_markdown_cell("\n".join(lines))
    cell["id"] = NOTES_ID
    return cell


def _notes_index(nb) -> int:
    """Where the notes go: after the course header."""
    return 1 if nb.cells and nb.cells[0].get("id") == "course-header" else 0


def stage(course: Course, assignment: str, student: str) -> Intake:
    """Write the graded notebook of one submission into .grading/staged/; return what was done."""
    name = course.notebook_name(assignment)
    release = course.path("release", assignment)
    release_nb = nbs.read(release / name)
    intake = Intake(student, assignment)
    folder = course.path("submitted", assignment, student)
    student_nb = _read_submission(folder, name, intake)
    if student_nb is None:
        intake.blank = True
    source = course.notebook("source", assignment)
    graded = canonical_notebook(student_nb, release_nb, intake, nbs.read(source) if source.exists() else None)
    released = {p.relative_to(release) for p in release.rglob("*")}
    extra_files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                         if p.relative_to(folder) not in released and p.name not in EXCHANGE_FILES
                         and p.suffix != ".ipynb") if folder.is_dir() else []
    if extra_files:
        shown = ", ".join(f"`{f}`" for f in extra_files[:5]) + (" ..." if len(extra_files) > 5 else "")
        intake.note(f"{len(extra_files)} extra file(s) in the submission were not used: {shown}.")
    _write_staged(course, assignment, student, graded, intake)
    return intake


def stage_blank(course: Course, assignment: str, student: str, reason: str) -> Intake:
    """Stage the blank release for a submission, with ``reason`` as the grader's note."""
    intake = Intake(student, assignment, notes=[reason], blank=True)
    _write_staged(course, assignment, student, nbs.read(course.notebook("release", assignment)), intake)
    return intake


def _write_staged(course: Course, assignment: str, student: str, graded, intake: Intake) -> Path:
    """``.grading/staged/<student>/<assignment>/``, holding only the graded notebook (with the notes)
    and the exchange's files of the submission (its timestamp: ``release_feedback`` needs it, also
    for a submission graded blank)."""
    if intake.notes:
        graded.cells.insert(_notes_index(graded), notes_cell(intake))
    out = course.path("staged", assignment, student)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    nbs.write(graded, out / course.notebook_name(assignment))
    folder = course.path("submitted", assignment, student)
    for name in EXCHANGE_FILES:
        kept = folder / name
        if kept.is_file() and not kept.is_symlink() and kept.stat().st_size < 1000:
            shutil.copy(kept, out / name)
    return out
