"""The classroom's part of the course's nbgrader_config.py: the exchange and its safe commands,
the late-submission policy, and nbgrader's groupshared mode when the course is shared with an
instructor account (unix mode). Every value comes from hub/classroom.toml."""

from __future__ import annotations

from pathlib import Path

from . import late
from .settings import group_shared, load


def configure(c, root: Path) -> None:
    settings = load(root)
    shared = group_shared(Path(root), settings)
    c.Exchange.root = str(settings.exchange)
    c.CourseDirectory.groupshared = shared
    c.ExchangeFactory.release_assignment = "rnncourse.classroom.exchange.ReleaseAssignment"
    c.ExchangeFactory.release_feedback = "rnncourse.classroom.exchange.ReleaseFeedback"
    c.ExchangeFactory.collect = "rnncourse.classroom.exchange.Collect"
    c.Collect.owner_must_match = shared
    late.configure(c, settings.late_penalty)
