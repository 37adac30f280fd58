"""Regenerate the expected values of the visible checks from the reference solutions.

    python -m rnncourse.grading.expected [--check] [ASSIGNMENT ...]   # make expected [A=assignment]

A visible check shows a student concrete numbers, so its expected values are literals in the
test cell. Each such literal is marked with the expression that computes it, in a comment at
the end of its assignment statement::

    expected_da_prev = np.array([[-1.43030541e-03,  1.36059978e+00],
                                 [-9.00859697e-02,  2.64510233e+00]])  # from the reference: rnn_step_backward(dy, da_next, xt, a_next, a_prev, parameters)[1]

The script executes the source notebook with the reference solutions, in grading mode, in one
kernel (the fast harness's, :class:`.harness.Harness`), up to the last cell with a marker. A
marked cell runs with each marked right-hand side replaced by its expression, so its checks
compare the reference with itself, and the values are written back as literals. Nothing else
in the cell changes, byte for byte.

Literals: NumPy arrays as ``np.array([...])`` (a ``dtype`` when not float64 or int64) with 8
digits after the point, or 9 significant digits where NumPy prints an array in scientific
notation; torch tensors likewise as ``torch.tensor([...])``; Python and NumPy scalars, strings,
lists, tuples and dicts exactly (floats by ``repr``).

``--check`` changes nothing and exits 1 when a literal is stale: its structure (type, shape,
dtype, keys) differs from the expression's value, or a number differs from it by more than
``1e-8 + 1e-8 * |value|`` (the literals' 8 decimals; ``check_close`` itself tolerates
``1e-7 + 1e-5 * |value|``). It compares values, not text, so that a last printed digit that
rounds the other way on another machine is not stale. Without ``--check`` every marked literal is
rewritten in the canonical form above (a new marker may hold any placeholder, e.g. ``None``).
Exit status 2: a marker is malformed or the reference run failed.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import pickle
import re
import sys
import tokenize
from dataclasses import dataclass

import nbformat
import numpy as np

from . import notebooks as nbs
from .course import Course
from .harness import Harness
from .normalise import replace_text
from .normalise import text as notebook_text

MARKER = "# from the reference:"
_MARKER = re.compile(r"#\s*from the reference:\s*(?P<expression>.*?)\s*$")
# Printed precision of floating-point arrays (NumPy's "fixed" mode), and what --check tolerates.
DECIMALS = 8
RTOL = ATOL = 1e-8
_CAPTURE = "_rnncourse_expected"  # the kernel-side recorder of the marked expressions' values
_VALUES_FILE = "expected-values.pickle"


class MarkerError(ValueError):
    """A marker that cannot be used: not at the end of an assignment, an empty expression..."""


@dataclass(frozen=True)
class Marked:
    """One marked literal of a cell: ``target = <literal>  # from the reference: <expression>``.

    start, end -- character offsets of the literal in the cell's source
    column -- the literal's column on its first line (continuation lines align to it)
    """

    target: str
    literal: str
    expression: str
    start: int
    end: int
    column: int


def find_marked(source: str, where: str = "cell") -> list[Marked]:
    """Every marked literal of a cell, in order. Raises :class:`MarkerError` for a misplaced marker."""
    if MARKER not in source:
        return []
    try:
        tree = ast.parse(source)
        comments = {tok.start[0]: tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                    if tok.type == tokenize.COMMENT and _MARKER.match(tok.string)}
    except (SyntaxError, tokenize.TokenError) as error:
        raise MarkerError(f"{where}: cannot parse a cell with markers: {error}") from error
    lines = source.splitlines(keepends=True)
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line))

    def offset(lineno: int, col_bytes: int) -> tuple[int, int]:  # ast columns count UTF-8 bytes
        column = len(lines[lineno - 1].encode()[:col_bytes].decode())
        return line_starts[lineno - 1] + column, column

    found = []
    for node in tree.body:
        if node.end_lineno not in comments:
            continue
        comment = comments.pop(node.end_lineno)
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            raise MarkerError(f"{where}, line {node.end_lineno}: {MARKER!r} must end a top-level assignment "
                             "`name = <literal>`")
        expression = _MARKER.match(comment)["expression"]
        try:
            ast.parse(expression, mode="eval")
        except SyntaxError as error:
            raise MarkerError(f"{where}, line {node.end_lineno}: {expression!r} is not a Python expression") from error
        start, column = offset(node.value.lineno, node.value.col_offset)
        end, _ = offset(node.value.end_lineno, node.value.end_col_offset)
        found.append(Marked(ast.unparse(node.targets[0]), source[start:end], expression, start, end, column))
    if comments:
        line = min(comments)
        raise MarkerError(f"{where}, line {line}: {MARKER!r} must be on the last line of a top-level assignment "
                         "`name = <literal>`")
    return found


def with_expressions(source: str, marked: list[Marked], capture: str = _CAPTURE, key: str = "") -> str:
    """The cell with every marked literal replaced by ``capture((key, i), (<expression>))``."""
    for i, item in reversed(list(enumerate(marked))):
        source = f"{source[:item.start]}{capture}({(key, i)!r}, ({item.expression})){source[item.end:]}"
    return source


def with_literals(source: str, marked: list[Marked], literals: list[str]) -> str:
    """The cell with every marked literal replaced by the given text (all else unchanged)."""
    for item, literal in reversed(list(zip(marked, literals))):
        source = source[:item.start] + literal + source[item.end:]
    return source


# --- literals ---------------------------------------------------------------------------------
def _array_body(array: np.ndarray, indent: int) -> str:
    return np.array2string(array, precision=DECIMALS, floatmode="fixed", separator=", ",
                           max_line_width=10**6, threshold=10**9, prefix=" " * indent)


def literal(value, column: int = 0) -> str:
    """``value`` as Python source, its continuation lines aligned for a literal starting at ``column``."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return repr(None if value is None else bool(value))
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid Python string literal, in double quotes
    if isinstance(value, np.ndarray):
        dtype = "" if value.dtype in (np.float64, np.int64, np.bool_) else f", dtype=np.{value.dtype.name}"
        return f"np.array({_array_body(value, column + len('np.array('))}{dtype})"
    if type(value).__module__ == "torch" and type(value).__name__ == "Tensor":
        array = value.detach().cpu().numpy()
        dtype = "" if str(value.dtype) in ("torch.float32", "torch.int64", "torch.bool") else f", dtype={value.dtype}"
        return f"torch.tensor({_array_body(array, column + len('torch.tensor('))}{dtype})"
    if isinstance(value, (list, tuple, dict)):
        return _container(value, column)
    raise TypeError(f"no literal for a value of type {type(value).__name__}; mark something this script can write")


def _container(value, column: int) -> str:
    opening, closing = {list: "[]", tuple: "()", dict: "{}"}[type(value)]
    if isinstance(value, dict):
        items = [(literal(k), k) for k in value]
        parts = [f"{key}: {literal(value[k], column + 1 + len(key) + 2)}" for key, k in items]
    else:
        parts = [literal(v, column + 1) for v in value]
    if isinstance(value, tuple) and len(value) == 1:
        parts[0] += ","
    one_line = opening + ", ".join(parts) + closing
    if "\n" not in one_line and column + len(one_line) <= 100:
        return one_line
    # one item per line, aligned after the opening bracket (items re-rendered for their own column)
    return opening + (",\n" + " " * (column + 1)).join(parts) + closing


def evaluate(text: str):
    """The value of a literal written by :func:`literal` (or by hand in the same forms)."""
    namespace = {"__builtins__": {}, "np": np}
    if "torch." in text:
        import torch

        namespace["torch"] = torch
    return eval(text, namespace)  # the course's own source notebook: trusted text


def difference(old, new) -> str | None:
    """Why literal value ``old`` is stale against ``new`` (None: up to date within the printed precision)."""
    if hasattr(new, "detach") and hasattr(old, "detach"):
        if old.dtype != new.dtype:
            return f"dtype {old.dtype}, now {new.dtype}"
        old, new = old.detach().cpu().numpy(), new.detach().cpu().numpy()
    if isinstance(new, np.ndarray) or isinstance(old, np.ndarray):
        if type(old) is not type(new):
            return f"a {type(old).__name__}, now a {type(new).__name__}"
        if old.shape != new.shape or old.dtype != new.dtype:
            return f"shape {old.shape} {old.dtype}, now {new.shape} {new.dtype}"
        return _numbers_differ(old, new)
    if isinstance(new, (float, np.floating)) and isinstance(old, (float, int, np.floating)) \
            and not isinstance(old, bool):
        return _numbers_differ(np.float64(old), np.float64(new))
    if isinstance(new, (list, tuple)):
        if type(old) is not type(new) or len(old) != len(new):
            return f"{literal(old)[:60]}, now {type(new).__name__} of {len(new)}"
        return next((f"[{i}]: {why}" for i, (a, b) in enumerate(zip(old, new)) if (why := difference(a, b))), None)
    if isinstance(new, dict):
        if type(old) is not dict or list(old) != list(new):
            return f"keys {list(old) if isinstance(old, dict) else type(old).__name__}, now {list(new)}"
        return next((f"[{k!r}]: {why}" for k in new if (why := difference(old[k], new[k]))), None)
    if type(old) is not type(new) or old != new:
        return f"{old!r}, now {new!r}"
    return None


def _numbers_differ(old, new) -> str | None:
    if np.allclose(old, new, rtol=RTOL, atol=ATOL, equal_nan=True):
        return None
    gap = np.abs(np.asarray(old, dtype=np.float64) - np.asarray(new, dtype=np.float64))
    return f"values differ by up to {float(np.nanmax(gap)):.3g}"


# --- the reference run ------------------------------------------------------------------------
class ReferenceRun(Harness):
    """The harness's kernel (reference solutions, grading mode), running cells with marked
    literals replaced by their expressions and recording the expressions' values."""

    def values(self, marked: dict[int, list[Marked]]) -> dict[int, list]:
        """cell index -> the values of that cell's marked expressions, in order."""
        code = [i for i, cell in enumerate(self.nb.cells) if cell.cell_type == "code"]
        self._run(code[0], f"{_CAPTURE}_values = {{}}\n"
                           f"def {_CAPTURE}(key, value):\n"
                           f"    import copy\n"
                           f"    {_CAPTURE}_values[key] = copy.deepcopy(value)\n"
                           f"    return value\n")
        for index in code:
            if index > max(marked):
                break
            source = with_expressions(self.nb.cells[index].source, marked[index], key=str(index)) \
                if index in marked else None
            self._run(index, source)
        self._run(code[0], f"import pickle\nwith open({_VALUES_FILE!r}, 'wb') as f:\n"
                           f"    pickle.dump({_CAPTURE}_values, f)\n")
        with open(self.workdir / _VALUES_FILE, "rb") as f:
            recorded = pickle.load(f)
        return {index: [recorded[(str(index), i)] for i in range(len(items))] for index, items in marked.items()}

    def _run(self, index: int, source: str | None = None) -> None:
        executed = self._execute(index, source)
        for output in executed.outputs:
            if output.output_type == "error":
                where = nbs.grade_id(self.nb.cells[index]) or self.nb.cells[index].get("id", f"cell {index}")
                raise RuntimeError(f"{where} failed in the reference run: {output.ename}: {output.evalue}")


@dataclass
class Outcome:
    cell: str  # grade id or cell id
    target: str
    stale: str | None  # why the literal is stale, or None
    rewritten: bool


def regenerate(course: Course, assignment: str, check: bool = False) -> list[Outcome]:
    """Compare (and unless ``check``, rewrite) every marked literal of an assignment's source notebook."""
    path = course.notebook("source", assignment)
    original = path.read_text(encoding="utf-8")
    nb = nbformat.reads(original, as_version=4)
    marked = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            where = f"{assignment} {nbs.grade_id(cell) or cell.get('id', index)}"
            if found := find_marked(cell.source, where):
                marked[index] = found
    if not marked:
        return []
    with ReferenceRun(course, assignment) as run:
        values = run.values(marked)
    outcomes = []
    for index, items in marked.items():
        cell = nb.cells[index]
        new_literals = [literal(value, item.column) for item, value in zip(items, values[index])]
        for item, value, new in zip(items, values[index], new_literals):
            try:
                stale = difference(evaluate(item.literal), value)
            except Exception as error:  # a placeholder or a hand-edited literal that no longer evaluates
                stale = f"the literal does not evaluate ({type(error).__name__}: {error})"
            outcomes.append(Outcome(nbs.grade_id(cell) or cell.id, item.target, stale, not check and new != item.literal))
        if not check:
            cell.source = with_literals(cell.source, items, new_literals)
    if not check and any(o.rewritten for o in outcomes):
        replace_text(path, original, notebook_text(nb))  # unless it was saved meanwhile (the reference ran ~10 s)
    return outcomes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a literal is stale")
    parser.add_argument("assignments", nargs="*", help="default: every assignment of the course")
    args = parser.parse_args(argv)
    course = Course.find()
    stale = 0
    for assignment in args.assignments or course.assignments:
        if assignment not in course.assignments:
            parser.error(f"unknown assignment {assignment!r}; the course has {', '.join(course.assignments)}")
        try:
            outcomes = regenerate(course, assignment, check=args.check)
        except (MarkerError, RuntimeError, TypeError) as error:
            print(f"{assignment}: {error}", file=sys.stderr)
            return 2
        for o in outcomes:
            state = f"STALE ({o.stale})" if o.stale else "up to date"
            if o.rewritten:
                state += ", rewritten" if o.stale else ", reformatted"
            print(f"{assignment} {o.cell}: {o.target}: {state}")
        if not outcomes:
            print(f"{assignment}: no marked literals")
        stale += sum(bool(o.stale) for o in outcomes)
    if args.check and stale:
        print(f"{stale} stale literal(s): run `make expected A=<assignment>`, then `make release A=<assignment>`",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
