"""nbgrader configuration for the course. The repository root is the course directory."""

import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rnncourse.grading.settings import CELL_TIMEOUT_S, gradebook_url  # noqa: E402

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "rnn-names"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# SQLite in the course directory by default; RNNCOURSE_DB_URL selects another database
# (postgresql://...) for several graders at once.
c.CourseDirectory.db_url = gradebook_url(Path(c.CourseDirectory.root))

# A shared header (how to work, how you are graded) is prepended to every notebook.
c.IncludeHeaderFooter.header = "source/header.ipynb"

# The stub a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# An endless cell costs only its own exercise: it is interrupted and grading goes on.
c.Execute.timeout = CELL_TIMEOUT_S
c.Execute.interrupt_on_timeout = True

# Autograding: a kernel that dies or ignores the interrupt costs only its cell (ResilientExecute),
# and known harmless warnings never zero a correct cell (QuietWarnings; nbgrader zeroes any test
# cell with stderr). Both are in rnncourse/grading/execute.py.
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, LimitOutput, SaveAutoGrades  # noqa: E402

from rnncourse.grading.execute import QuietWarnings, ResilientExecute  # noqa: E402

c.Autograde.autograde_preprocessors = [ResilientExecute, QuietWarnings, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# `make autograde` (rnncourse.grading.autograde) gives every submission a folder of its own
# for the kernel's unix sockets (RNNCOURSE_IPC_DIR): no TCP ports to race for when several
# submissions are graded at once. With RNNCOURSE_SANDBOX=1 (the default) every student kernel
# also runs in the bubblewrap sandbox (rnncourse/grading/sandbox.py), interrupted by message.
if os.environ.get("RNNCOURSE_IPC_DIR"):
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = os.path.join(os.environ["RNNCOURSE_IPC_DIR"], "kernel")
if os.environ.get("RNNCOURSE_SANDBOX") == "1":
    from rnncourse.grading.sandbox import KERNEL_NAME  # noqa: E402

    c.Execute.kernel_name = KERNEL_NAME

# Outputs are capped so that a chatty submission cannot bloat the gradebook or the feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 100
