"""Checks with messages that teach.

Every failure says what was called (and with which shapes), what was expected, what came
back, and a hint at the likely mistake. The notebooks' visible and hidden tests use these.
"""

from __future__ import annotations

import contextlib
from typing import Any, Mapping

import numpy as np

from .integrity import TamperedError, make_guard  # noqa: F401 (TamperedError is part of the API)

# Recorded when the notebook imports the checks, before any student code runs (see integrity.py).
_guard = make_guard()


class CheckFailure(AssertionError):
    """A failed check. Its message is meant for the student."""


def shape_of(value: Any) -> str:
    """``(5, 3)`` for arrays and tensors, the type name otherwise."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return str(tuple(int(s) for s in shape))
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of {len(value)}"
    return type(value).__name__


def describe_call(function: str, **arguments: Any) -> str:
    """``rnn_step_forward(xt=(27, 3), a_prev=(5, 3))``: a call with its arguments' shapes."""
    parts = []
    for name, value in arguments.items():
        if isinstance(value, (int, float, str, bool)) or value is None:
            parts.append(f"{name}={value!r}")
        elif isinstance(value, Mapping):
            parts.append(f"{name}={{" + ", ".join(f"{k}: {shape_of(v)}" for k, v in value.items()) + "}")
        else:
            parts.append(f"{name}={shape_of(value)}")
    return f"{function}({', '.join(parts)})"


def _short(value: Any, limit: int = 400) -> str:
    with np.printoptions(precision=5, suppress=True, threshold=20, edgeitems=3):
        text = repr(value) if not isinstance(value, np.ndarray) else np.array2string(value)
    return text if len(text) <= limit else text[:limit] + " ..."


def fail(call: str, what: str, expected: Any, got: Any, hint: str = "", extra: str = "") -> None:
    lines = [f"{call}: {what}", f"  expected: {_short(expected)}", f"  got:      {_short(got)}"]
    if extra:
        lines.append(f"  {extra}")
    if hint:
        lines.append(f"  Hint: {hint}")
    raise CheckFailure("\n".join(lines))


def as_array(got: Any, call: str, name: str, hint: str = "") -> np.ndarray:
    """The student's value as a float64 NumPy array (tensors accepted), or a clear failure."""
    if hasattr(got, "detach"):
        got = got.detach().cpu().numpy()
    try:
        array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        fail(call, f"{name} is not a numeric array", "an array of numbers", type(got).__name__, hint)
    if type(array) is not np.ndarray:
        fail(call, f"{name} is not a plain array", "numpy.ndarray", type(array).__name__, hint)
    return array


def check_shape(got: Any, expected_shape: tuple, call: str, name: str, hint: str = "") -> np.ndarray:
    _guard()
    array = as_array(got, call, name, hint)
    if array.shape != tuple(expected_shape):
        fail(call, f"{name} has the wrong shape", tuple(expected_shape), array.shape, hint)
    return array


def check_close(got: Any, expected: Any, call: str, name: str, hint: str = "",
                rtol: float = 1e-5, atol: float = 1e-7) -> np.ndarray:
    """Shape and values of an array against the expected one, with a tolerance."""
    _guard()
    expected = np.asarray(expected, dtype=np.float64)
    array = check_shape(got, expected.shape, call, name, hint)
    if not np.all(np.isfinite(array)):
        fail(call, f"{name} contains NaN or infinity", _short(expected), array, hint)
    if not np.allclose(array, expected, rtol=rtol, atol=atol):
        diff = np.abs(array - expected)
        where = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
        fail(call, f"{name} has wrong values", expected, array, hint,
             f"largest difference {float(diff.max()):.3g} at index {tuple(int(i) for i in where)}")
    return array


def check_equal(got: Any, expected: Any, call: str, name: str, hint: str = "") -> None:
    """Exact equality of plain Python values (ints, strings, lists, dicts)."""
    _guard()
    if type(got) in (list, tuple) and type(expected) in (list, tuple):
        got_plain = [int(g) if isinstance(g, (np.integer,)) else g for g in got]
        ok = len(got_plain) == len(expected) and all(type(g) in (int, str, float, bool) and g == e
                                                    for g, e in zip(got_plain, expected))
    elif isinstance(expected, dict):
        ok = type(got) is dict and set(got) == set(expected) and all(
            type(got[k]) is type(expected[k]) and got[k] == expected[k] for k in expected)
    else:
        ok = type(got) is type(expected) and got == expected
    if not ok:
        fail(call, f"{name} is not what was expected", expected, got, hint)


def check_true(condition: bool, call: str, what: str, hint: str = "") -> None:
    _guard()
    if not bool(condition):
        raise CheckFailure(f"{call}: {what}" + (f"\n  Hint: {hint}" if hint else ""))


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
