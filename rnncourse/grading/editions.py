"""The self-study editions of an assignment, generated from its source notebook by ``make release``.

For a learner working alone, in ``notebooks/`` (the course's ``selfstudy`` step)::

    <name>.ipynb              the exercise edition: stubs, and every check of the course visible
    solutions/<name>.ipynb    the solutions edition: the same notebook with the reference solutions
    references/<name>.py      the reference code the checks compare with, out of the learner's sight
    <asset>, solutions/<asset>   every other file of source/<assignment>/ (pictures), beside each edition

Both editions open with ``source/header_selfstudy.ipynb`` (not the graded course's header), and
differ only in their solution cells. The hidden tests of the course are ordinary checks there;
their comments lose what only the graded course says ("run when your notebook is graded").

**The reference-code convention.** A hidden test defines the reference it compares with as a
top-level ``def _ref_<name>`` or ``class _Ref<Name>`` (or ``class _ref_<Name>``) inside its
``### BEGIN HIDDEN TESTS`` block. Every such definition is cut out of the check cell into the
cell's section of ``references/<name>.py``, and replaced by a call that defines it again, in the
notebook's namespace, when the cell runs (:func:`rnncourse.selfstudy.define_references`). Any
other code of a hidden test (helpers that build inputs, the checks themselves) stays visible.
``tests/test_editions.py`` fails if reference code is defined in an exercise notebook any other way.

Validate (nbgrader's JupyterLab button) works in both editions: every check keeps its nbgrader
grade metadata (the visible ``check_<function>`` cells with their 0 points), so a blank notebook
fails and a solved one passes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from . import notebooks as nbs
from .config import CODE_STUB
from .course import Course
from .normalise import normalised

HEADER = "source/header_selfstudy.ipynb"
SOLUTIONS = "solutions"    # folder of the solutions edition, inside notebooks/
REFERENCES = "references"  # folder of the checks' reference code, inside notebooks/
# Files of a source folder that are not assets of the notebook.
NOT_ASSETS = re.compile(r"(^|/)(\.|__pycache__/)|\.ipynb$")

SOLUTIONS_NOTE_ID = "solutions-note"  # fixed, so that the generated file is the same on every run
SOLUTIONS_NOTE = (
    "> **Solutions edition.** Every exercise of this notebook is solved here with the course's reference "
    "solution, and every check passes: it runs top to bottom. The exercise edition is `../{name}`; try it "
    "first, and come here to compare once your checks pass, or when you are stuck.\n"
)


def is_reference_name(name: str) -> bool:
    """A hidden test's reference implementation: ``_ref_softmax``, ``_RefLSTM``, ``_ref_CharRNNCell``."""
    return name.startswith(("_ref_", "_Ref"))


# --- cutting the reference code out of a check cell ------------------------------------------
def hidden_lines(source: str) -> set[int]:
    """Line numbers (1-based) inside the cell's hidden-test blocks, the marker lines excluded."""
    inside, found = False, set()
    for number, line in enumerate(source.split("\n"), start=1):
        if line.strip() == nbs.BEGIN_HIDDEN:
            inside = True
        elif line.strip() == nbs.END_HIDDEN:
            inside = False
        elif inside:
            found.add(number)
    return found


def reference_spans(source: str) -> list[tuple[str, int, int]]:
    """(name, first line, last line) of each top-level reference definition in a hidden block."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ValueError(f"a check cell does not parse as Python ({error}); the self-study edition "
                         "cannot separate its reference code") from error
    hidden = hidden_lines(source)
    spans = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and is_reference_name(node.name):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if set(range(first, node.end_lineno + 1)) <= hidden:
                spans.append((node.name, first, node.end_lineno))
    return spans


def split_references(source: str, loader: str) -> tuple[str, str, list[str]]:
    """``source`` with its reference definitions replaced by ``loader`` (at the first one's place),
    the definitions' code, and their names. Without definitions, ``source`` comes back unchanged."""
    spans = reference_spans(source)
    if not spans:
        return source, "", []
    lines = source.split("\n")
    moved, kept, cut = [], [], set()
    for _, first, last in spans:
        moved.append("\n".join(lines[first - 1:last]))
        cut.update(range(first, last + 1))
    for number, line in enumerate(lines, start=1):
        if number == spans[0][1]:
            kept.extend(loader.split("\n"))
        if number not in cut:
            kept.append(line)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept))  # the blank lines around a cut definition
    return text, "\n\n".join(moved), [name for name, _, _ in spans]


def loader_code(references: str, check: str, names: list[str]) -> str:
    """What a check cell runs instead of its reference definitions."""
    return (f"# The reference code ({', '.join(names)}) is kept out of sight, in {references}.\n"
            "from rnncourse.selfstudy import define_references\n"
            f'define_references(globals(), "{references}", "{check}")\n')


# --- what only the graded course says -------------------------------------------------------
# (pattern, replacement), applied in order to every cell of a self-study edition.
GRADED_COURSE_PHRASES = [
    (re.compile(r"Hidden tests? \((\S+) points?\), run when your notebook is graded:"),
     lambda m: f"More checks ({_points(m.group(1))} in the graded course):"),
    (re.compile(r"Hidden tests? \((\S+) points?\)"), lambda m: f"More checks ({_points(m.group(1))} in the graded course)"),
    (re.compile(r" ?Each failure explains itself in your feedback\."), lambda m: " Each failure explains itself."),
    (re.compile(r"hidden checks( of [\w ]+)? passed"), lambda m: f"more checks{m.group(1) or ''} passed"),
    # in the lesson's text, above the exercise's checks
    (re.compile(r"\bThe hidden test checks\b"), lambda m: "The *More checks* below check"),
    (re.compile(r"\b([Tt])he hidden tests\b"), lambda m: f"{m.group(1)}he *More checks* below"),
    (re.compile(r"\b([Hh])idden (test|check)"), lambda m: ("M" if m.group(1) == "H" else "m") + "ore " + m.group(2)),
]
# What must not be left in a self-study edition (tests/test_editions.py checks it).
GRADED_COURSE_WORDS = re.compile(r"(?i)\bvalidate\b|sandbox|\bsubmi(t|ssion)|when your notebook is graded|"
                                 r"your feedback|hidden (test|check)|graded (test|check)")


def _points(count: str) -> str:
    """``1 point``, ``2 points``, ``0.5 points``."""
    return f"{count} point{'' if count == '1' else 's'}"


def without_graded_course_phrases(text: str) -> str:
    for pattern, replacement in GRADED_COURSE_PHRASES:
        text = pattern.sub(replacement, text)
    return text


def check_preamble(source: str, points: float, exercise: str) -> str:
    """A check cell that carried points in the course says so, and what it checks."""
    if re.search(r"\bpoints? in the graded course", source):
        return source
    return f"# More checks of `{exercise}` ({_points(f'{points:g}')} in the graded course).\n" + source


# --- the editions ----------------------------------------------------------------------------
def selfstudy_metadata(cell) -> dict:
    """Plain cells, except that every check (a grade cell: a test with points, or a visible
    ``check_<function>`` of 0 points) keeps nbgrader's grade metadata, unlocked, so that Validate
    reports a failing check instead of a hollow success."""
    meta = nbs.nbgrader_meta(cell)
    kept = {k: v for k, v in cell.metadata.items() if k == "tags"}
    if meta.get("grade") and cell.cell_type == "code":
        kept["nbgrader"] = {"grade": True, "grade_id": meta["grade_id"], "locked": False, "points": meta["points"],
                            "schema_version": 3, "solution": False, "task": False}
    return kept


def edition(course: Course, assignment: str, solutions: bool) -> tuple[nbformat.NotebookNode, str]:
    """The exercise edition (``solutions=False``) or the solutions edition of an assignment, and
    the text of its references file (the same for both; empty when no check defines a reference)."""
    from nbconvert.exporters.exporter import ResourcesDict
    from nbgrader.preprocessors import ClearSolutions, IncludeHeaderFooter

    name = course.notebook_name(assignment)
    references = f"{'../' if solutions else ''}{REFERENCES}/{Path(name).stem}.py"
    nb = nbs.read(course.notebook("source", assignment))
    exercises = nbs.solution_cells(nb)
    nb, _ = IncludeHeaderFooter(header=str(course.root / HEADER)).preprocess(nb, ResourcesDict())
    if solutions:
        for cell in nb.cells:
            if nbs.is_solution(cell):
                cell.source = nbs.solution_code(cell.source)
    else:
        nb, _ = ClearSolutions(code_stub={"python": CODE_STUB}, enforce_metadata=True).preprocess(nb, ResourcesDict())
    sections = []
    for cell in nb.cells:
        if nbs.is_test(cell) and nbs.BEGIN_HIDDEN in cell.source:
            check = nbs.grade_id(cell)
            names = [name for name, _, _ in reference_spans(cell.source)]
            source, code, _ = split_references(cell.source, loader_code(references, check, names))
            if code:
                sections.append(f"# %% {check}\n{code}\n")
            source = nbs.strip_lines(source, nbs.BEGIN_HIDDEN, nbs.END_HIDDEN)
            exercise = nbs.exercise_of(check, exercises)
            cell.source = check_preamble(without_graded_course_phrases(source), float(nbs.nbgrader_meta(cell)["points"]),
                                         exercise)
        cell.source = without_graded_course_phrases(cell.source)
        cell.metadata = nbformat.from_dict(selfstudy_metadata(cell))
    if solutions:
        note = nbformat.v4.new_markdown_cell(SOLUTIONS_NOTE.format(name=name))
        note["id"] = SOLUTIONS_NOTE_ID
        nb.cells.insert(len(nbs.read(course.root / HEADER).cells), note)
    return normalised(nbs.clear_outputs(nb)), references_file(name, sections)


def references_file(name: str, sections: list[str]) -> str:
    if not sections:
        return ""
    return (f'"""The reference code that the checks of {name} compare your functions with.\n\n'
            "Generated by `make release` from the course's hidden tests: do not edit. It gives the answers\n"
            "away, so try each exercise and its checks first. Each section (`# %% <check>`) is run by that\n"
            "check cell, in the notebook's namespace (rnncourse.selfstudy.define_references): it uses the\n"
            'notebook\'s imports, and the references of the checks before it.\n"""\n\n' + "\n".join(sections))


def assets(course: Course, assignment: str) -> dict[str, bytes]:
    """Every file of the assignment's source folder but its notebook: relative path -> content."""
    folder = course.path("source", assignment)
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and not NOT_ASSETS.search(relative):
            found[relative] = path.read_bytes()
    return found


def shared_assets(course: Course, assignments) -> dict[str, bytes]:
    """The assets of all ``assignments``, which share the notebooks/ folder: a name two of them
    use for different files is an error, since one would overwrite the other."""
    merged, owner = {}, {}
    for assignment in assignments:
        for relative, content in assets(course, assignment).items():
            if relative in merged and merged[relative] != content:
                raise ValueError(f"source/{owner[relative]}/{relative} and source/{assignment}/{relative} differ, "
                                 "but both would be notebooks/" + relative + ": rename one")
            merged[relative], owner[relative] = content, assignment
    return merged


def write_selfstudy(course: Course, assignment: str) -> list[Path]:
    """Write both editions of ``assignment``, its references file and its assets; the paths written."""
    folder = course.path("selfstudy")
    name = course.notebook_name(assignment)
    exercise, references = edition(course, assignment, solutions=False)
    solved, solved_references = edition(course, assignment, solutions=True)
    if references != solved_references:  # the two editions must run the same checks
        raise AssertionError(f"{name}: the editions disagree on their reference code")
    written = [folder / name, folder / SOLUTIONS / name]
    nbs.write(exercise, written[0])
    nbs.write(solved, written[1])
    reference_path = folder / REFERENCES / f"{Path(name).stem}.py"
    if references:
        reference_path.parent.mkdir(parents=True, exist_ok=True)
        reference_path.write_text(references, encoding="utf-8")
        written.append(reference_path)
    elif reference_path.exists():
        reference_path.unlink()
    for relative, content in shared_assets(course, [assignment]).items():
        for edition_folder in (folder, folder / SOLUTIONS):
            target = edition_folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            written.append(target)
    return written


# --- links ---------------------------------------------------------------------------------
LINK = re.compile(r"""!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+["'][^)]*["'])?\s*\)|<(?:img|a|source)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""",
                  re.IGNORECASE)


def relative_links(nb) -> list[str]:
    """Targets of the relative links and images in a notebook's markdown cells (no URLs, no anchors)."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for match in LINK.finditer(cell.source):
            target = (match.group(1) or match.group(2)).split("#")[0].split("?")[0]
            if target and not re.match(r"^[a-z][a-z0-9+.-]*:|^//|^/", target, re.IGNORECASE):
                found.append(target)
    return found


def broken_links(path: Path) -> list[str]:
    """The relative links and images of the notebook at ``path`` whose target does not exist."""
    nb = nbs.read(path)
    return [t for t in relative_links(nb) if not (path.parent / t).exists()]

