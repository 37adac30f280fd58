"""The grader is proved against a catalog of plausible mistakes and alternative solutions.

- the reference solutions get full marks;
- every mistake loses points in its own exercise, and nowhere else (no cascade);
- every alternative correct solution keeps full marks;
- the catalog covers every exercise with at least 3 mistakes.
"""

from collections import Counter

import pytest

from rnncourse.grading import notebooks as nbs
from rnncourse.grading.harness import Harness
from support import ASSIGNMENTS, COURSE

MIN_ALTERNATIVES = {"a1_numpy_rnn": 5}


def by_assignment(assignment, *values, id=None):
    """A test parameter grouped by assignment: with pytest-xdist, one worker runs an assignment's harness once."""
    return pytest.param(assignment, *values, id=id or assignment, marks=pytest.mark.xdist_group(assignment))


def variants():
    for assignment in ASSIGNMENTS:
        catalog = COURSE.catalog(assignment)
        for v in catalog.MISTAKES + catalog.ALTERNATIVES:
            yield by_assignment(assignment, v, id=f"{assignment}-{type(v).__name__.lower()}-{v.cell}-{v.name}")


@pytest.mark.parametrize("assignment", [by_assignment(a) for a in ASSIGNMENTS])
def test_reference_gets_full_marks(assignment, results):
    reference = results(assignment).reference
    assert reference.lost() == {}, reference.failures
    assert reference.total == 100


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_catalog_covers_every_exercise(assignment):
    catalog = COURSE.catalog(assignment)
    exercises = list(nbs.solution_cells(nbs.read(COURSE.notebook("source", assignment))))
    counts = Counter(m.cell for m in catalog.MISTAKES)
    assert {e: counts[e] for e in exercises if counts[e] < 3} == {}, "every exercise needs at least 3 mistakes"
    assert len(catalog.ALTERNATIVES) >= MIN_ALTERNATIVES.get(assignment, 4)
    names = [(type(v).__name__, v.cell, v.name) for v in catalog.MISTAKES + catalog.ALTERNATIVES]
    assert len(names) == len(set(names)), "variant names must be unique per exercise"
    assert set(catalog.DEMO) <= {m.name for m in catalog.MISTAKES} and 3 <= len(catalog.DEMO) <= 5


@pytest.mark.parametrize("assignment, variant", list(variants()))
def test_variant_scores_only_where_expected(assignment, variant, results):
    scored = results(assignment)
    result = scored.variants[(type(variant).__name__, variant.cell, variant.name)]
    lost_in = {nbs.exercise_of(test_id, scored.exercises) for test_id in result.lost()}
    if type(variant).__name__ == "Mistake":
        assert lost_in == {variant.cell}, (
            f"{variant.name} ({variant.why}) should lose points in {variant.cell} only; "
            f"lost {result.lost()}; failures: {result.failures}")
    else:
        assert result.lost() == {}, f"alternative {variant.name} lost points: {result.failures}"


def test_endless_loop_costs_only_its_exercise():
    """A cell past the timeout is interrupted: its exercise scores 0, grading goes on."""
    endless = "def clip(gradients, max_value):\n    while True:\n        pass\n"
    with Harness(COURSE, "a1_numpy_rnn", timeout=3) as harness:
        result = harness.run_code("clip", endless)
        after = harness.run_code("softmax", harness.solutions["softmax"])  # the kernel still answers
    assert set(result.lost()) == {"test_clip_small", "test_clip_hidden"}
    assert result.failures["test_clip_small"].startswith(("KeyboardInterrupt", "CellTimeoutError"))
    assert after.lost() == {}


def test_a_tamper_does_not_follow_into_the_next_variant():
    """A tamper lasts for the kernel's life, so the harness gives the next variant a fresh kernel."""
    with Harness(COURSE, "a1_numpy_rnn") as harness:
        tampered = harness.run_code("clip", "np.isfinite = lambda x: True\n" + harness.solutions["clip"])
        after = harness.run_code("softmax", harness.solutions["softmax"])
    assert any(f.startswith("TamperedError") for f in tampered.failures.values()), tampered.failures
    assert after.lost() == {}, after.failures

