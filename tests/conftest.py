"""Shared fixtures: one grading harness per assignment, run once per test session."""

import pytest

from rnncourse.grading.catalog import load
from rnncourse.grading.harness import Harness

_results = {}


def catalog_results(assignment):
    """Harness results of the reference and of every catalog variant (computed once)."""
    if assignment not in _results:
        catalog = load(assignment)
        with Harness(assignment) as harness:
            reference = harness.reference()
            variants = {(type(v).__name__, v.cell, v.name): harness.run(v)
                        for v in catalog.MISTAKES + catalog.ALTERNATIVES}
            exercises = list(harness.solutions)
        _results[assignment] = (reference, variants, exercises)
    return _results[assignment]


@pytest.fixture
def results():
    return catalog_results

