"""Variants of a reference solution cell: the entries of the mistake catalogs.

Each assignment has a catalog, ``catalog/<assignment>.py`` in the course directory (course
content, like ``source/``; :meth:`.course.Course.catalog` imports it), defining ``MISTAKES``
(plausible student mistakes: each must lose points in its own exercise and nowhere else),
``ALTERNATIVES`` (other correct ways to write a solution: full marks) and ``DEMO`` (names of
the mistakes that the demo class's students make).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import notebooks as nbs
from .course import Course


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


def reference_solutions(course: Course, assignment: str) -> dict[str, str]:
    """grade id -> the reference solution code of every solution cell (markers removed)."""
    nb = nbs.read(course.notebook("source", assignment))
    return {nbs.grade_id(c): nbs.solution_code(c.source) for c in nb.cells if nbs.is_solution(c)}


def variant_solutions(course: Course, assignment: str, variants) -> dict[str, str]:
    """The reference solutions with each variant applied to its cell."""
    solutions = reference_solutions(course, assignment)
    for variant in variants:
        if variant.cell not in solutions:
            raise ValueError(f"{variant.name}: no solution cell {variant.cell!r} in {assignment}")
        solutions[variant.cell] = variant.apply(solutions[variant.cell])
    return solutions
