"""Shared fixtures: one grading harness per assignment, run once per test process."""

from dataclasses import dataclass

import pytest

from rnncourse.grading.harness import Harness, Result
from support import COURSE


@dataclass
class CatalogResults:
    reference: Result  # the reference solutions' scores
    variants: dict  # (kind, exercise, name) -> Result of that catalog entry
    exercises: list  # the assignment's exercises (solution cells), in order


_results: dict[str, CatalogResults] = {}


def catalog_results(assignment: str) -> CatalogResults:
    """Harness results of the reference and of every catalog entry (computed once)."""
    if assignment not in _results:
        catalog = COURSE.catalog(assignment)
        with Harness(COURSE, assignment) as harness:
            reference = harness.reference()
            variants = {(type(v).__name__, v.cell, v.name): harness.run(v)
                        for v in catalog.MISTAKES + catalog.ALTERNATIVES}
            _results[assignment] = CatalogResults(reference, variants, list(harness.solutions))
    return _results[assignment]


@pytest.fixture
def results():
    return catalog_results
