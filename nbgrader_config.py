"""nbgrader configuration for the course. The repository root is the course directory.

Every value comes from rnncourse/grading/config.py (see docs/configuration.md).
"""

import os
import sys

# After the standard library and the installed packages: nothing in the course directory shadows them.
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, LimitOutput, SaveAutoGrades  # noqa: E402

from rnncourse.grading import config  # noqa: E402
from rnncourse.grading.course import Course  # noqa: E402
from rnncourse.grading.execute import ResilientExecute, StderrAsOutput  # noqa: E402

c = get_config()  # noqa: F821 (provided by nbgrader)
course = Course(os.path.dirname(os.path.abspath(__file__)), config.setting("RNNCOURSE_DB_URL") or None)

c.CourseDirectory.course_id = course.course_id
c.CourseDirectory.root = str(course.root)
# SQLite in the course directory by default; RNNCOURSE_DB_URL selects another database
# (postgresql://...) for several graders at once.
c.CourseDirectory.db_url = course.gradebook_url

# A shared header (how to work, how you are graded) is prepended to every notebook.
c.IncludeHeaderFooter.header = config.HEADER

# The stub a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": config.CODE_STUB}

# An endless cell costs only its own exercise: it is interrupted and grading goes on.
c.Execute.timeout = config.CELL_TIMEOUT_S
c.Execute.interrupt_on_timeout = True

# Autograding: a kernel that dies or ignores the interrupt costs only its cell (ResilientExecute),
# and stderr (warnings, progress bars) is shown but never zeroes a cell: only an error fails a
# check (StderrAsOutput; nbgrader alone zeroes any graded cell with stderr). Both are in
# rnncourse/grading/execute.py.
c.Autograde.autograde_preprocessors = [ResilientExecute, StderrAsOutput, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# `make autograde` (rnncourse.grading.pipeline) gives every submission a folder of its own
# for the kernel's unix sockets (RNNCOURSE_IPC_DIR): no TCP ports to race for when several
# submissions are graded at once. With RNNCOURSE_SANDBOX=1 (the default) every student kernel
# also runs in the bubblewrap sandbox (rnncourse/grading/sandbox.py), interrupted by message.
if config.setting("RNNCOURSE_IPC_DIR"):
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = os.path.join(config.setting("RNNCOURSE_IPC_DIR"), "kernel")
if config.setting("RNNCOURSE_SANDBOX") == "1":
    from rnncourse.grading.sandbox import KERNEL_NAME  # noqa: E402

    c.Execute.kernel_name = KERNEL_NAME

# The classroom (`make hub`, hub/classroom.toml): nbgrader's exchange and its commands made safe (one
# at a time, atomic releases, collect refuses submissions not owned by their student), the late
# policy, and nbgrader's groupshared mode when an instructor account shares the course (unix mode).
from rnncourse.classroom.nbconfig import configure as classroom  # noqa: E402

classroom(c, course.root)

# Outputs are capped so that a chatty submission cannot bloat the gradebook or the feedback.
c.LimitOutput.max_lines = config.MAX_OUTPUT_LINES
c.LimitOutput.max_traceback = config.MAX_TRACEBACK_LINES
