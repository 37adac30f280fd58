"""Normalise the source notebooks, so that an edit in Jupyter leaves a clean diff.

    python -m rnncourse.grading.normalise [--check] [NOTEBOOK ...]   # default: every notebook in source/

``make release`` applies it to ``source/`` first. A normalised notebook has:

- no outputs and no execution counts;
- only the cell metadata the course uses (``nbgrader``, ``tags``), and only the kernelspec
  and language in the notebook's metadata;
- fixed cell ids: a graded cell's id is its grade id; any other cell keeps a name it was given
  (``cell-012``, ``course-header``), and a cell with a random id (which Jupyter gives every new
  cell) gets one made from its content. The id then stays, whatever the cell becomes.

``--check`` changes nothing and exits 1 when a notebook is not normalised.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from pathlib import Path

import nbformat

from .course import Course

KEPT_CELL_METADATA = ("nbgrader", "tags")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# What Jupyter and nbformat give a new cell: 8 hex digits, or a whole uuid.
RANDOM_ID = re.compile(r"[0-9a-f]{8}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _content_id(cell) -> str:
    return "cell-" + hashlib.sha1((cell.cell_type + "\n" + cell.source).encode()).hexdigest()[:8]


def normalised(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A normalised copy of ``nb`` (see the module's docstring)."""
    nb = nbformat.from_dict(nbformat.v4.upgrade(nb) if nb.nbformat < 4 else nb)
    nb.nbformat, nb.nbformat_minor = 4, max(nb.nbformat_minor, 5)
    nb.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}})
    used: set[str] = set()
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k in KEPT_CELL_METADATA})
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        elif "outputs" in cell or "execution_count" in cell:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell_id = cell.get("id") or ""
        if grade_id:
            cell_id = grade_id
        elif not cell_id or RANDOM_ID.fullmatch(cell_id):
            cell_id = _content_id(cell)
        base, n = cell_id, 2
        while cell_id in used:
            cell_id, n = f"{base}-{n}", n + 1
        used.add(cell_id)
        cell.id = cell_id
    return nb


def text(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


class ChangedMeanwhile(RuntimeError):
    """The notebook was saved (in Jupyter, say) while a command was rewriting it."""


def replace_text(path: Path, before: str, after: str) -> None:
    """Write ``after`` over ``path``, which must still hold ``before`` (else nothing is written and
    :class:`ChangedMeanwhile` says so): through a temporary file and a rename, so that a reader or
    an editor never sees half a notebook. The file keeps its mode and, where allowed, its owner."""
    if path.read_text(encoding="utf-8") != before:
        raise ChangedMeanwhile(f"{path} was saved while this command ran; nothing was written: run it again")
    stat = path.stat()
    temporary = path.with_name(f".{path.name}.rewriting")
    temporary.write_text(after, encoding="utf-8")
    os.chmod(temporary, stat.st_mode & 0o7777)
    try:
        os.chown(temporary, stat.st_uid, stat.st_gid)
    except PermissionError:
        pass
    os.replace(temporary, path)


def normalise_file(path: Path, check: bool = False) -> bool:
    """Normalise one notebook file in place (or only look, with ``check``); True if it changed."""
    before = path.read_text(encoding="utf-8")
    after = text(normalised(nbformat.reads(before, as_version=4)))
    if after == before:
        return False
    if not check:
        replace_text(path, before, after)
    return True


def source_notebooks(course: Course) -> list[Path]:
    return sorted(p for p in course.path("source").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook is not normalised")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or source_notebooks(Course.find())
    changed = [p for p in paths if normalise_file(p, check=args.check)]
    for path in changed:
        print(f"{'not normalised' if args.check else 'normalised'}: {path}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
