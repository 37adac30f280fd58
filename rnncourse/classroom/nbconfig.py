"""The classroom's part of the course's nbgrader_config.py: the exchange and its safe commands,
the late-submission policy, nbgrader's groupshared mode when the course is shared with an
instructor account (unix mode), and no unsandboxed autograding from the formgrader. Every value
comes from hub/classroom.toml."""

from __future__ import annotations

import os
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from ..grading import config
from . import late
from .settings import group_shared, load


def configure(c, root: Path) -> None:
    settings = load(root)
    shared = group_shared(Path(root), settings)
    c.Exchange.root = str(settings.exchange)
    c.CourseDirectory.groupshared = shared
    c.ExchangeFactory.release_assignment = "rnncourse.classroom.nbexchange.ReleaseAssignment"
    c.ExchangeFactory.release_feedback = "rnncourse.classroom.nbexchange.ReleaseFeedback"
    c.ExchangeFactory.collect = "rnncourse.classroom.nbexchange.Collect"
    c.Collect.owner_must_match = shared
    late.configure(c, settings.late_penalty)
    guard_autograde(c)


class RefuseUnsandboxedAutograde(NbGraderPreprocessor):
    """First of nbgrader's autograde preprocessors inside a hub server: the formgrader's Autograde
    button would run student code with the instructor's rights, next to the gradebook. ``make
    autograde`` (the sandboxed pipeline, which sets RNNCOURSE_SANDBOX) is not refused."""

    def preprocess(self, nb, resources):
        raise RuntimeError("Autograding from the formgrader is off in the classroom: it would run student code "
                           "unsandboxed, with your rights. Run `make autograde` in the course directory (a terminal), "
                           "then reload this page.")


def guard_autograde(c) -> None:
    """In a hub server (JUPYTERHUB_USER is set) and outside the grading pipeline, refuse to autograde."""
    if os.environ.get("JUPYTERHUB_USER") and not config.setting("RNNCOURSE_SANDBOX"):
        c.Autograde.autograde_preprocessors = [RefuseUnsandboxedAutograde, *c.Autograde.autograde_preprocessors]
