"""nbgrader configuration for the course. The repository root is the course directory."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rnncourse.grading.settings import CELL_TIMEOUT_S, IGNORED_STDERR  # noqa: E402

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "rnn-names"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# A shared header (how to work, how you are graded) is prepended to every notebook.
c.IncludeHeaderFooter.header = "source/header.ipynb"

# The stub a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# An endless cell costs only its own exercise: it is interrupted and grading goes on.
c.Execute.timeout = CELL_TIMEOUT_S
c.Execute.interrupt_on_timeout = True

# Known harmless warnings never zero a correct cell (nbgrader zeroes any test cell with stderr).
c.IgnorePattern.pattern = IGNORED_STDERR
c.IgnorePattern.enabled = True

# Outputs are capped so that a chatty submission cannot bloat the gradebook or the feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 100
