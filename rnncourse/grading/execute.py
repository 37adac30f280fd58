"""nbgrader preprocessors that make a notebook's execution survive its student.

:class:`ResilientExecute` replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``:

- **A dying kernel costs only the cell that killed it.** Plain nbgrader fails the whole
  notebook when the kernel dies (``os._exit``, a signal, the memory limit): the submission is
  dropped from ``autograded/`` and the points earned before are lost. Here the cell gets an
  error output that says what happened, the kernel is restarted, the cells that had run are
  replayed silently (so the notebook's state is back), and grading goes on after the cell.
  After ``max_restarts`` deaths the remaining cells are marked "not run" instead: the points
  earned so far are kept.
- **A cell that ignores the interrupt is not waited on forever.** nbclient interrupts a cell
  after ``Execute.timeout``; a kernel that ignores SIGINT (or is stuck in C code) then never
  answers, and every later cell would time out in turn. It is treated like a dead kernel.
- **Output is capped while it arrives**, so 50 MB of prints neither bloat the grader's memory
  nor the feedback (``max_output_chars`` per cell).

:class:`QuietWarnings` replaces ``IgnorePattern``: it removes from stderr only the warning
records that are known to be harmless (deprecations and a short list of library notices, see
:data:`HARMLESS_WARNINGS`), and keeps everything else, so a correct solution that happens to
call a deprecated function is not zeroed while any other stderr still counts.
"""

from __future__ import annotations

import re

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer

from .config import MAX_OUTPUT_CHARS

# Warning categories and messages that never say anything about a solution's correctness.
# A RuntimeWarning (overflow in exp, invalid value) is deliberately not here: it is the symptom
# of an unstable softmax, which the tests must see.
HARMLESS_WARNINGS = [
    r"(?:Pending)?DeprecationWarning: ",
    r"FutureWarning: ",
    r"UserWarning: Do not pass an `input_shape`/`input_dim` argument to a layer",
    r"UserWarning: Argument `input_length` is deprecated",
    r"UserWarning: enable_nested_tensor is True",
    r"UserWarning: To copy construct from a tensor",
]
_HARMLESS = re.compile("|".join(HARMLESS_WARNINGS))
# "path:line: Category: message" and, when Python found it, the offending source line indented below.
_WARNING_RECORD = re.compile(r"^[^\n]*?:\d+: (?P<what>\w*(?:Warning|Deprecation)\w*: [^\n]*)\n(?:  [^\n]*\n)?", re.M)


def quiet_stderr(text: str) -> str:
    """``text`` without the warning records known to be harmless."""
    return _WARNING_RECORD.sub(lambda m: "" if _HARMLESS.match(m.group("what")) else m.group(0), text)


class QuietWarnings(NbGraderPreprocessor):
    """Drop harmless warning records from stderr outputs (and stderr outputs left empty)."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            kept = []
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.text = quiet_stderr(output.text)
                    if not output.text:
                        continue
                kept.append(output)
            cell.outputs = kept
        return cell, resources


def _error(ename: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message,
                        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {message}"])


class ResilientExecute(Execute):
    """nbgrader's Execute that restarts a dead or unresponsive kernel and goes on."""

    max_restarts = Integer(3, help="Kernel restarts per notebook before the remaining cells are not run").tag(config=True)
    max_output_chars = Integer(MAX_OUTPUT_CHARS, help="Output characters kept per cell").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._ran: list[int] = []  # code cells that completed, replayed after a restart
        self._restarts = 0
        self._stopped: str | None = None  # why the remaining cells are not run
        self._output_chars: dict[int, int] = {}
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._stopped:
            cell.outputs = [_error("NotRunError", f"This cell was not run: {self._stopped}")]
            return cell, resources
        try:
            cell = self.execute_cell(cell, index, store_history=True)
            if not any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
                self._ran.append(index)  # a cell that had to be interrupted is not replayed
        except (DeadKernelError, CellTimeoutError) as error:
            what = ("the kernel died (the process exited, was killed, or ran out of memory)"
                    if isinstance(error, DeadKernelError) else
                    f"the cell ran past {self.timeout} s and did not stop when interrupted")
            cell.outputs.append(_error("KernelDiedError", f"While running this cell, {what}. "
                                       "The grader restarted the kernel and went on with the next cell."))
            self._recover(what)
        return cell, self.resources

    def _recover(self, what: str) -> None:
        if self._restarts >= self.max_restarts:
            self._stopped = f"the kernel died {self._restarts + 1} times; the last time {what}."
            return
        self._restarts += 1
        try:
            run_sync(self.km.restart_kernel)(now=True)
            run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
            for index in self._ran:  # silently bring the state back
                original = self.nb.cells[index]
                replay = NotebookNode(cell_type="code", source=original.source, metadata={},
                                      outputs=[], execution_count=None, id=f"replay-{index}")
                try:
                    self.execute_cell(replay, index, store_history=False)
                finally:
                    self.nb.cells[index] = original  # nbclient stores the executed cell in the notebook
        except Exception as error:  # the kernel cannot be brought back: keep what was earned
            self._stopped = (f"the kernel could not be restarted after {what} "
                             f"({type(error).__name__}); the points earned before are kept.")

    def output(self, outs, msg, display_id, cell_index):
        size = len(str(msg.get("content", "")))
        used = self._output_chars.get(cell_index, 0)
        self._output_chars[cell_index] = used + size
        if used + size <= self.max_output_chars:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.max_output_chars:
            outs.append(NotebookNode(output_type="stream", name="stdout",
                                     text=f"\n[output truncated by the grader after {self.max_output_chars} characters]\n"))
        return None
