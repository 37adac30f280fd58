"""Checks with messages that teach.

Every failure says what was called (and with which shapes), what was expected, what came
back, and a hint at the likely mistake. The notebooks' visible and hidden tests use these;
``docs/checks.md`` is the guide for writing them.

- **Calling student code**: :func:`call_student` (a function) and :func:`student_code` (a
  block that runs student code indirectly, e.g. a Keras layer inside ``layers.RNN``). Any
  exception raised inside becomes a :class:`CheckFailure` that names the call, the line of
  the student's code and a hint; warnings and stderr (progress bars) written meanwhile are
  shown on stdout as a note, never counted against the student; :func:`call_student` also
  fails when the function changed one of its inputs in place.
- **Comparing**: :func:`check_close` (arrays and tensors, with tolerances, optionally naming a
  known mistake that gives the same wrong values), :func:`check_equal` (plain values; numpy
  scalars count as the Python ones), :func:`check_steps` (named intermediate values, reports
  the first that differs), :func:`check_shape`, :func:`check_true`.
- **Isolating**: :func:`substitute` gives a function the reference versions of what it calls.

Random draws, devices and train/eval mode have probes of their own in :mod:`rnncourse.probes`.

A :class:`CheckFailure` displays as its message alone in IPython (``_render_traceback_``): the
frames of these helpers are noise to a student. It is still an error output, so nbgrader
zeroes the cell.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import linecache
import os
import sys
import traceback
import warnings
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from .integrity import TamperedError, current_cell, make_guard  # noqa: F401 (TamperedError is part of the API)


class CheckFailure(AssertionError):
    """A failed check. Its message is meant for the student."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this list instead of the traceback through the helpers. It must never
        # raise: IPython would then print a fallback without an error output.
        try:
            return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]
        except Exception:
            return ["CheckFailure"]


# -- describing values and calls --------------------------------------------------------------

def shape_of(value: Any) -> str:
    """``(5, 3)`` for arrays and tensors, the type name otherwise."""
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, np.generic):
        return str(tuple(int(s) for s in shape))
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of {len(value)}"
    return type(value).__name__


def _name_of(function: Any) -> str:
    """``softmax``, ``CharRNNCell.initial_state`` (a bound method), or the type of a callable object."""
    if isinstance(function, str):
        return function
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", None)
    return name.split("<locals>.")[-1] if isinstance(name, str) else type(function).__name__


@functools.lru_cache(maxsize=256)
def _signature(function: Any) -> inspect.Signature:
    return inspect.signature(function)  # cached: a test may call the same function thousands of times


def _bound_arguments(function: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    """name -> value of every argument given, named as in the function's signature when it has one."""
    try:
        return dict(_signature(function).bind_partial(*args, **kwargs).arguments)
    except (TypeError, ValueError):  # no signature, or arguments it would refuse: it fails when called
        return {**{f"arg{i + 1}": value for i, value in enumerate(args)}, **kwargs}


def describe_call(function: Any, *args: Any, **arguments: Any) -> str:
    """``rnn_step_forward(xt=(27, 3), a_prev=(5, 3))``: a call with its arguments' shapes.

    ``function`` is a name, or the function itself (then positional arguments are named from
    its signature). Plain values are shown as such, arrays and tensors by their shapes, dicts by
    their values' shapes, other objects by their type: pass a string to describe a test model
    (``model="<model that always predicts last id + 1>"``).
    """
    named = _bound_arguments(function, args, arguments) if args else arguments
    parts = []
    for name, value in named.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, (int, float, str, bool)) or value is None:
            parts.append(f"{name}={value!r}")
        elif isinstance(value, Mapping):
            parts.append(f"{name}={{" + ", ".join(f"{k}: {shape_of(v)}" for k, v in value.items()) + "}")
        else:
            parts.append(f"{name}={shape_of(value)}")
    return f"{_name_of(function)}({', '.join(parts)})"


def _numpy(value: Any) -> Any:
    """A tensor's values as a NumPy array (anything else as it is); raises for a tensor without data."""
    return value.detach().cpu().numpy() if hasattr(value, "detach") and hasattr(value, "cpu") else value


def _short(value: Any, limit: int = 400) -> str:
    """A value as a student reads it: arrays (and tensors) printed by numpy, rounded."""
    try:
        value = _numpy(value)
    except Exception:  # a tensor without data (meta) or of an odd dtype: its repr says what it is
        pass
    with np.printoptions(precision=5, suppress=True, threshold=20, edgeitems=3):
        text = np.array2string(value) if isinstance(value, np.ndarray) else repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."


def _labelled(label: str, text: str) -> str:
    """``  expected: [[1 2]`` with the following rows aligned under the first one."""
    return f"  {label}" + text.replace("\n", "\n" + " " * (2 + len(label)))


def fail(call: str, what: str, expected: Any, got: Any, hint: str = "", extra: str = "") -> None:
    """Raise a CheckFailure: ``call: what``, the expected and the returned value, then ``extra`` and the hint."""
    lines = [f"{call}: {what}", _labelled("expected: ", _short(expected)), _labelled("got:      ", _short(got))]
    if extra:
        lines.append(f"  {extra}")
    if hint:
        lines.append(f"  Hint: {hint}")
    raise CheckFailure("\n".join(lines))


# -- comparing --------------------------------------------------------------------------------

def as_array(got: Any, call: str, name: str, hint: str = "") -> np.ndarray:
    """The student's value as a float64 NumPy array (tensors accepted), or a clear failure."""
    def plain(value):
        try:
            return _numpy(value)
        except Exception:
            fail(call, f"{name} is a tensor without values", "a tensor on the CPU or a GPU", _short(value), hint)

    got = plain(got)
    if isinstance(got, (list, tuple)):  # e.g. losses passed on as tensors that still require grad
        got = [plain(value) for value in got]
    try:
        array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError, RuntimeError):
        fail(call, f"{name} is not a numeric array", "an array of numbers", type(got).__name__, hint)
    if type(array) is not np.ndarray:
        fail(call, f"{name} is not a plain array", "numpy.ndarray", type(array).__name__, hint)
    return array


def check_shape(got: Any, expected_shape: tuple, call: str, name: str, hint: str = "") -> np.ndarray:
    """``got`` as a float64 array of shape ``expected_shape``, or a failure."""
    _guard()
    array = as_array(got, call, name, hint)
    if array.shape != tuple(expected_shape):
        fail(call, f"{name} has the wrong shape", tuple(expected_shape), array.shape, hint)
    return array


def _close_or_fail(got: Any, expected: Any, call: str, name: str, hint: str, rtol: float, atol: float,
                   known_mistakes: Mapping[str, Any] | None, context: str) -> np.ndarray:
    expected = as_array(expected, call, "the expected value")
    array = check_shape(got, expected.shape, call, name, hint)
    if not np.all(np.isfinite(array)):
        fail(call, f"{name} contains NaN or infinity", expected, array, _diagnosis(array, known_mistakes) or hint, context)
    if not np.allclose(array, expected, rtol=rtol, atol=atol):
        diff = np.abs(array - expected)
        where = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
        extra = f"largest difference {float(diff.max()):.3g} at index {tuple(int(i) for i in where)}"
        fail(call, f"{name} has wrong values", expected, array, _diagnosis(array, known_mistakes) or hint,
             f"{context}\n  {extra}" if context else extra)
    return array


def _diagnosis(array: np.ndarray, known_mistakes: Mapping[str, Any] | None) -> str:
    """The hint of the first known mistake whose result equals the student's, else ''."""
    for hint, value in (known_mistakes or {}).items():
        with np.errstate(all="ignore"):
            candidate = np.asarray(_numpy(value), dtype=np.float64)
            if candidate.shape == array.shape and np.allclose(array, candidate, rtol=1e-5, atol=1e-7, equal_nan=True):
                return hint
    return ""


def check_close(got: Any, expected: Any, call: str, name: str, hint: str = "",
                rtol: float = 1e-5, atol: float = 1e-7, known_mistakes: Mapping[str, Any] | None = None) -> np.ndarray:
    """Shape and values of an array (or tensor) against the expected one, with a tolerance.

    ``known_mistakes`` maps a hint to the value a known mistake gives (computed by the test,
    e.g. the softmax over the wrong axis): when the student's value equals one of them, that
    hint replaces ``hint``, so the message points at the mistake actually made.
    Returns the student's value as a float64 array.
    """
    _guard()
    return _close_or_fail(got, expected, call, name, hint, rtol, atol, known_mistakes, "")


def _plain(value: Any) -> Any:
    """numpy scalars as the Python values they hold (``np.str_('a')`` -> ``'a'``), inside lists and dicts too."""
    if isinstance(value, np.generic):
        return value.item()
    if type(value) in (list, tuple):
        return type(value)(_plain(v) for v in value)
    if type(value) is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value


def _same(got: Any, expected: Any) -> bool:
    """Equality that an object defining ``__eq__`` cannot fake: types are compared first."""
    if type(got) in (list, tuple) and type(expected) in (list, tuple):
        return len(got) == len(expected) and all(_same(g, e) for g, e in zip(got, expected))
    if type(expected) is dict:
        keys = lambda d: {(type(k), k) for k in d}  # noqa: E731 (typed keys: True is not 1)
        return type(got) is dict and keys(got) == keys(expected) and all(_same(got[k], expected[k]) for k in expected)
    if type(got) in (int, float) and type(expected) in (int, float):  # 2.0 is 2; True is not 1
        return got == expected
    if type(expected) is np.ndarray:
        return type(got) is np.ndarray and got.shape == expected.shape and bool(np.array_equal(got, expected))
    return type(got) is type(expected) and got == expected


def check_equal(got: Any, expected: Any, call: str, name: str, hint: str = "") -> None:
    """Exact equality of plain Python values (ints, floats, strings, lists, tuples, dicts).

    numpy scalars count as the Python values they hold (``np.unique`` gives ``numpy.str_``), a
    tuple may stand for a list, ints and floats compare by value; bools, strings and everything
    else must have the expected type.
    """
    _guard()
    if not _same(_plain(got), expected):
        fail(call, f"{name} is not what was expected", expected, got, hint)


def check_true(condition: bool, call: str, what: str, hint: str = "") -> None:
    """Fail with ``call: what`` (and the hint) unless ``condition`` holds."""
    _guard()
    if not bool(condition):
        raise CheckFailure(f"{call}: {what}" + (f"\n  Hint: {hint}" if hint else ""))


def check_steps(got: Mapping, expected: Mapping, call: str, hints: Mapping[str, str] | None = None,
                rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """Named intermediate values (a cache, gradients) against the reference's, in the reference's order.

    Fails at the first name whose value differs, saying which steps before it agree, with
    ``hints[name]``: the message then names the step that went wrong rather than the end result.
    Arrays and tensors are compared with :func:`check_close`'s tolerance, other values exactly.
    """
    _guard()
    if not isinstance(got, Mapping):
        fail(call, "should return a dict of named values", f"a dict with {list(expected)}", type(got).__name__)
    hints = hints or {}
    agreed: list[str] = []
    for name, value in expected.items():
        context = f"the first step that differs; before it, {', '.join(agreed)} agree" if agreed else "the first step"
        if name not in got:
            raise CheckFailure(f"{call}: has no {name!r} ({context})"
                               + (f"\n  Hint: {hints[name]}" if name in hints else ""))
        if hasattr(value, "shape") or isinstance(value, (float, np.floating)):
            _close_or_fail(got[name], value, call, repr(name), hints.get(name, ""), rtol, atol, None, context)
        elif not _same(_plain(got[name]), value):
            fail(call, f"{name!r} is not what was expected", value, got[name], hints.get(name, ""), context)
        agreed.append(repr(name))


@contextlib.contextmanager
def substitute(namespace: dict, **replacements: Any):
    """Temporarily replace names in a notebook's namespace (usually ``globals()``).

    Hidden tests use it so that a function is graded with the reference versions of the
    functions it calls: a mistake elsewhere then costs points only where it was made.
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


# -- calling student code -----------------------------------------------------------------------

DEVICE_HINT = ("Tensors on different devices met: create new tensors on the device of the model or of the input "
               "(device=x.device), and move data there with .to(device).")
# Hints for the library errors a student's code can raise, tried in order: (exception type,
# text the message contains or "", hint). A test's own hints come first.
DEFAULT_HINTS: list[tuple[type, str, str]] = [
    (NotImplementedError, "meta", "Part of your code needs tensor values that this test's device probe does not have."),
    (NotImplementedError, "", "Replace `raise NotImplementedError()` with your code, then run the cell again."),
    (KeyError, "", "A lookup used a key that is not there: compare it with the keys the dictionary has "
                   "(print(d.keys())); the docstring lists them."),
    (IndexError, "", "An index is past the end of an axis: compare it with the shape of what you index."),
    (ValueError, "broadcast", "Two arrays' shapes do not fit together: print both shapes and compare them with the "
                              "docstring's (keepdims=True keeps the axis you reduce over)."),
    (ValueError, "matmul", "A matrix product with shapes that do not fit: (a, b) @ (b, c). Print the shapes."),
    (ValueError, "shape", "An array has an unexpected shape: print the shapes and compare them with the docstring."),
    (RuntimeError, "device", DEVICE_HINT),
    (RuntimeError, "index out of range", "An id is too large for an embedding or an index: ids run from 0 to "
                                         "the vocabulary size - 1, and padding (-1) must be replaced first."),
    (RuntimeError, "size", "Tensor shapes do not fit together: print the shapes and compare them with the docstring."),
    (RuntimeError, "shape", "Tensor shapes do not fit together: print the shapes and compare them with the docstring."),
    (RuntimeError, "type", "A tensor has the wrong dtype: ids are torch.long (int64), values float32."),
    (ZeroDivisionError, "", "A division by zero: check what you divide by (a count or a length can be 0)."),
    (RecursionError, "", "Your function calls itself without end."),
    (NameError, "", "A name is not defined where it is used: define it inside your function, or run the cells above."),
    (AttributeError, "", "An object does not have that attribute: check its type (a list where an array is "
                         "expected? a tensor where a number is?)."),
    (TypeError, "", "A value of an unexpected type, or a call with the wrong arguments: compare with the docstring."),
    (SystemExit, "", "Your code calls exit(): return a value instead."),
]
GENERAL_HINT = "Read the error: the docstring gives the expected arguments, shapes and result."
CHANGED_INPUT_HINT = ("Leave the inputs as they are: compute new values (p = probs ** (1 / T)) instead of changing "
                      "an argument in place (probs **= 1 / T, x[...] = ..., d[key] = ..., names.sort()).")


def _error_text(error: BaseException) -> str:
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:  # a message that cannot even be printed
        text = type(error).__name__
    lines = text.strip().splitlines() or [type(error).__name__]
    text = "\n    ".join(lines[:4])
    return text if len(text) <= 500 else text[:500] + " ..."


def _own_file(filename: str) -> bool:
    """True for files of Python, installed libraries and this package: not code the student wrote."""
    here = os.path.dirname(os.path.abspath(__file__))
    roots = {os.path.abspath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, here)}
    path = os.path.abspath(filename) if filename and not filename.startswith("<") else ""
    return bool(path) and any(path.startswith(root + os.sep) for root in roots)


def _student_line(tb) -> str:
    """``in softmax, line 3: e / e.sum(axis=1)``: the innermost frame of notebook code, or ''."""
    frames = [f for f in traceback.extract_tb(tb) if not _own_file(f.filename)]
    if not frames:
        return ""
    frame = frames[-1]
    line = (frame.line or linecache.getline(frame.filename, frame.lineno)).strip()
    return f"in {frame.name}, line {frame.lineno}" + (f": {line}" if line else "")


def _pick_hint(error: BaseException, hint: str, hints: Mapping | None) -> str:
    """The test's hint for this exception (by type, or by text in ``Type: message``), else its general hint, else ours."""
    text = _error_text(error)
    for key, value in (hints or {}).items():
        if (isinstance(key, type) and isinstance(error, key)) or (isinstance(key, str) and key in text):
            return value
    if hint:
        return hint
    for kind, contains, value in DEFAULT_HINTS:
        if isinstance(error, kind) and contains in text:
            return value
    return GENERAL_HINT


def _raised(what: str, error: BaseException, hint: str, hints: Mapping | None) -> CheckFailure:
    lines = [f"{what}: your code raised {_error_text(error)}"]
    where = _student_line(error.__traceback__)
    if where:
        lines.append(f"  {where}")
    lines.append(f"  Hint: {_pick_hint(error, hint, hints)}")
    return CheckFailure("\n".join(lines))


# What this cell has noted already: a warning raised at every call is shown once, and a cell shows
# at most MAX_NOTES notes. Outside IPython (no cells) every note is shown.
MAX_NOTES = 3
_noted: dict = {"cell": None, "lines": set(), "notes": 0}


def _final_lines(text: str, limit: int = 8) -> list[str]:
    """What a terminal would show: each line as left by its last carriage return (progress bars)."""
    lines = [line.rsplit("\r", 1)[-1].rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line.strip()]
    return lines[-limit:]


def _warning_line(record: warnings.WarningMessage) -> str:
    where = ""
    if not _own_file(record.filename):
        code = linecache.getline(record.filename, record.lineno).strip()
        where = f" (line {record.lineno}{': ' + code if code else ''})"
    return f"{record.category.__name__}: {str(record.message).strip()[:300]}{where}"


@contextlib.contextmanager
def _output_noted(what: str) -> Iterator[None]:
    """Capture warnings and stderr while student code runs; afterwards show them on stdout as a note."""
    stderr = io.StringIO()
    with warnings.catch_warnings(record=True) as records:  # the notebook's filters still apply
        try:
            with contextlib.redirect_stderr(stderr):
                yield
        finally:
            lines = list(dict.fromkeys([_warning_line(r) for r in records] + _final_lines(stderr.getvalue())))
            cell = current_cell()
            if cell is None or cell != _noted["cell"]:
                _noted.update(cell=cell, lines=set(), notes=0)
            lines = [line for line in lines if line not in _noted["lines"]]
            if lines:
                _noted["lines"].update(lines)
                _noted["notes"] += 1
                if _noted["notes"] <= MAX_NOTES:
                    print(f"Note: {what} wrote warnings or progress to stderr; this is not counted against you:\n    "
                          + "\n    ".join(lines[:10]) + ("\n    ..." if len(lines) > 10 else ""))
                elif _noted["notes"] == MAX_NOTES + 1:
                    print("Note: more warnings or progress were written to stderr in this cell; not shown, not counted.")


@contextlib.contextmanager
def student_code(what: str, hint: str = "", hints: Mapping | None = None) -> Iterator[None]:
    """Run a block that calls student code indirectly, as :func:`call_student` runs a function.

    ``with student_code("CharRNNCell(8, 5) inside layers.RNN", hint="..."): rnn = layers.RNN(CharRNNCell(8, 5))``

    An exception in the block becomes a CheckFailure that names ``what``, the line of the
    student's code and a hint (``hints``, then ``hint``, then the course's hints for common
    library errors); warnings and stderr become a note on stdout. Keep the test's own checks
    outside the block: an error in them would be reported as the student's.
    """
    _guard()
    with _output_noted(what):
        try:
            yield
        except (CheckFailure, TamperedError):
            raise
        except (Exception, SystemExit) as error:
            raise _raised(what, error, hint, hints) from None


def _snapshot(value: Any) -> Any:
    """A copy of the data in ``value`` that a function must not change, or _OPAQUE for objects it may
    (models, optimizers, generators: they change by design)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        if isinstance(value, torch.nn.Parameter) or value.device.type == "meta":
            return _OPAQUE
        return value.detach().clone()
    if type(value) in (list, tuple):
        return type(value)(_snapshot(v) for v in value)
    if type(value) is dict:
        return {k: _snapshot(v) for k, v in value.items()}
    if value is None or isinstance(value, (int, float, complex, str, bytes, np.generic)):
        return value
    return _OPAQUE


class _Opaque:
    def __repr__(self) -> str:
        return "<not compared>"


_OPAQUE = _Opaque()


def _scalar(value: Any) -> str:
    value = value.item() if isinstance(value, np.generic) else value
    if not isinstance(value, float):
        return repr(value)
    text = f"{value:.6g}"
    return text if any(c in text for c in ".ein") else text + ".0"  # 1.0, not 1: the reader sees a float


def _change(before: Any, after: Any, path: str = "") -> tuple[str, str] | None:
    """Where and how ``after`` differs from the snapshot ``before``: ``("['Wax'][2, 0]", "3.0 became 20.08")``,
    or None when it does not."""
    if before is _OPAQUE:
        return None
    if isinstance(before, (list, tuple, dict)):
        if type(after) is not type(before):
            return path, f"a {type(before).__name__} became a {type(after).__name__}"
        if isinstance(before, dict) and set(after) != set(before):
            return path, f"its keys {sorted(map(repr, before))} became {sorted(map(repr, after))}"
        if len(after) != len(before):
            return path, f"{len(before)} items became {len(after)}"
        for key in (list(before) if isinstance(before, dict) else range(len(before))):
            change = _change(before[key], after[key], f"{path}[{key!r}]")
            if change:
                return change
        return None
    if isinstance(before, np.ndarray) or hasattr(before, "detach"):
        old, new = _numpy(before), np.asarray(_numpy(after))
        if old.shape != new.shape or old.dtype != new.dtype:
            return path, f"shape {old.shape} ({old.dtype}) became {new.shape} ({new.dtype})"
        same = (old == new) | (np.isnan(old) & np.isnan(new)) if old.dtype.kind in "fc" else old == new
        if np.all(same):
            return None
        index = tuple(int(i) for i in np.argwhere(~np.asarray(same))[0])
        return f"{path}[{', '.join(map(str, index))}]", f"{_scalar(old[index])} became {_scalar(new[index])}"
    if type(after) is type(before) and after == before:
        return None
    return path, f"{before!r} became {after!r}"


def call_student(function: Callable, *args: Any, hint: str = "", hints: Mapping | None = None,
                 may_change: tuple = (), label: str | None = None, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, the way a test should call a student's function.

    - an exception raised inside becomes a CheckFailure: ``label: your code raised KeyError: 'a0'``,
      the line of student code it came from, and a hint: ``hints`` (exception type or text of
      ``Type: message`` -> hint), else ``hint``, else the course's hint for that library error;
    - warnings and anything written to stderr (a tqdm bar) are shown on stdout as a note, not
      counted against the student;
    - arrays, tensors, lists and dicts among the arguments must come back unchanged, except
      the arguments named in ``may_change`` (models, optimizers and generators are never compared).

    ``label`` describes the call in messages (default: :func:`describe_call` of the arguments).
    Returns what the function returned.
    """
    _guard()
    label = label or describe_call(function, *args, **kwargs)
    arguments = _bound_arguments(function, args, kwargs)  # the same objects after the call: compared with their copies
    snapshots = {name: _snapshot(value) for name, value in arguments.items() if name not in may_change}
    with student_code(label, hint, hints):
        result = function(*args, **kwargs)
    for name, before in snapshots.items():
        change = _change(before, arguments[name])
        if change:
            where, how = change
            raise CheckFailure(f"{label}: your function changed its argument {name} in place "
                               f"({name}{where}: {how})\n  Hint: {CHANGED_INPUT_HINT}")
    return result


# Recorded when the notebook imports the checks, before any student code runs (see integrity.py).
_guard = make_guard()
