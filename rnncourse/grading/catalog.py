"""Mistake catalogs and alternative solutions: variants of a reference solution cell.

Each assignment has ``tests/catalog/<assignment>.py`` defining ``MISTAKES`` (plausible student
mistakes: each must lose points in its own exercise and nowhere else), ``ALTERNATIVES``
(other correct ways to write a solution: full marks) and ``DEMO`` (names of the mistakes that
the demo class's students make).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field

from . import notebooks as nbs
from .settings import ROOT


@dataclass(frozen=True)
class Variant:
    """A changed solution cell.

    name -- short id, e.g. ``"no_tanh"``
    cell -- grade id of the solution cell (the exercise), e.g. ``"rnn_step_forward"``
    replace -- ``(old, new)`` text replacements in the reference solution; each ``old`` must occur exactly once
    code -- the whole cell instead (for rewrites); exclusive with ``replace``
    why -- what the student did, in words
    """

    name: str
    cell: str
    replace: tuple = field(default_factory=tuple)
    code: str | None = None
    why: str = ""

    def apply(self, reference_code: str) -> str:
        if self.code is not None:
            if self.replace:
                raise ValueError(f"{self.name}: give either replace or code")
            return self.code
        if not self.replace:
            raise ValueError(f"{self.name}: nothing to change")
        text = reference_code
        for old, new in self.replace:
            count = text.count(old)
            if count != 1:
                raise ValueError(f"{self.name}: {old!r} occurs {count} times in the solution of {self.cell!r}")
            text = text.replace(old, new)
        return text


class Mistake(Variant):
    """A plausible mistake: it must lose points in its own exercise only."""


class Alternative(Variant):
    """Another correct solution: it must keep full marks."""


def load(assignment: str):
    """The catalog module of an assignment (``tests/catalog/<assignment>.py``)."""
    path = ROOT / "tests" / "catalog" / f"{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"catalog_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_solutions(assignment: str) -> dict[str, str]:
    """grade id -> the reference solution code of every solution cell (markers removed)."""
    nb = nbs.read(nbs.source_path(assignment))
    return {nbs.grade_id(c): nbs.solution_code(c.source) for c in nb.cells if nbs.is_solution(c)}


def variant_solutions(assignment: str, variants) -> dict[str, str]:
    """The reference solutions with each variant applied to its cell."""
    solutions = reference_solutions(assignment)
    for variant in variants:
        if variant.cell not in solutions:
            raise ValueError(f"{variant.name}: no solution cell {variant.cell!r} in {assignment}")
        solutions[variant.cell] = variant.apply(solutions[variant.cell])
    return solutions
