"""Late submissions: nbgrader flags them (the submission's time after the due date, plus any
extension); the course's policy, ``[grading] late_penalty`` in hub/classroom.toml, says what
they cost. ``"none"`` and ``"zero"`` are nbgrader's own; a number is :class:`DailyPenalty`.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float


class DailyPenalty(LateSubmissionPlugin):
    """A fraction of the notebook's score per started day late (0.1: a day late keeps 90%,
    three days 70%), never more than the score."""

    fraction_per_day = Float(0.1, help="fraction of the score lost per started day late").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        days = math.ceil(total_seconds_late / 86400) if total_seconds_late > 0 else 0
        penalty = min(score, score * self.fraction_per_day * days)
        self.log.info("%s is %d day(s) late: penalty %.2f of %.2f", student_id, days, penalty, score)
        return penalty


def configure(c, policy: str) -> None:
    """Set nbgrader's late-submission plugin in an nbgrader config ``c`` for ``policy``."""
    if policy in ("none", "zero"):
        c.LateSubmissionPlugin.penalty_method = policy
    else:
        c.AssignLatePenalties.plugin_class = DailyPenalty
        c.DailyPenalty.fraction_per_day = float(policy)
