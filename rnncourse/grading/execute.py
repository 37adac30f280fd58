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
  nor the feedback (``max_output_chars`` per cell); an error output is always kept.
- **An error is never lost** (:func:`record_error_reply`, as nbgrader's own ``Execute`` does):
  when the kernel's reply says a cell failed but no error output arrived (an exception whose
  display raised), one is added from the reply, so the cell scores 0 as it must.

:class:`StderrAsOutput` comes right after it: in a graded cell, what was written to stderr
(warnings, a tqdm bar) is moved to stdout under a header, so it is shown in the feedback but
does not zero the cell as nbgrader would. Every failure in this course is an exception, and an
exception is an error output, which always zeroes the cell. The harness scores cells with the
same two functions, so both agree.
"""

from __future__ import annotations

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from nbgrader.utils import is_grade
from traitlets import Integer

from .config import MAX_OUTPUT_CHARS

STDERR_HEADER = "[written to stderr: shown here, not counted; only an error fails a check]\n"


def _terminal_text(text: str) -> str:
    """Each line as a terminal leaves it after its carriage returns: a progress bar's last state."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.replace("\r\n", "\n").split("\n"))


def stderr_as_output(cell: NotebookNode) -> NotebookNode:
    """In a graded code cell, each run of stderr outputs becomes one stdout output under STDERR_HEADER.

    nbgrader zeroes a graded cell with any stderr output; in this course only an exception (an
    error output) fails a check. Changes ``cell`` in place and returns it.
    """
    if cell.cell_type != "code" or not is_grade(cell):
        return cell
    outputs, stderr = [], None  # stderr: the stdout output collecting the current run of stderr
    for output in cell.outputs:
        if output.output_type == "stream" and output.name == "stderr":
            if stderr is None:
                stderr = NotebookNode(output_type="stream", name="stdout", text="")
                outputs.append(stderr)
            stderr.text += output.text if isinstance(output.text, str) else "".join(output.text)
            continue
        if stderr is not None:
            stderr.text = STDERR_HEADER + _terminal_text(stderr.text)
            stderr = None
        outputs.append(output)
    if stderr is not None:
        stderr.text = STDERR_HEADER + _terminal_text(stderr.text)
    cell.outputs = outputs
    return cell


class StderrAsOutput(NbGraderPreprocessor):
    """Move stderr in graded cells to stdout under a header (see :func:`stderr_as_output`)."""

    def preprocess_cell(self, cell, resources, cell_index):
        return stderr_as_output(cell), resources


def record_error_reply(cell: NotebookNode, execute_reply: dict, **_) -> None:
    """nbclient's ``on_cell_executed`` hook: a cell whose execution failed gets an error output.

    The rule of nbgrader's ``Execute.on_cell_executed``, shared with the harness so that both
    score alike: when the reply says "error" and no error output of that name arrived, one is
    built from the reply.
    """
    content = execute_reply["content"]
    if content["status"] != "error" or any(o.output_type == "error" and o.ename == content["ename"]
                                           for o in cell.outputs):
        return
    cell.outputs.append(NotebookNode(output_type="error", ename=content["ename"], evalue=content["evalue"],
                                     traceback=content["traceback"] or ["ERROR: An error occurred while showtraceback "
                                                                        "was disabled"]))


def _error(ename: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message,
                        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {message}"])


class ResilientExecute(Execute):
    """nbgrader's Execute that restarts a dead or unresponsive kernel and goes on."""

    max_restarts = Integer(3, help="Kernel restarts per notebook before the remaining cells are not run").tag(config=True)
    max_output_chars = Integer(MAX_OUTPUT_CHARS, help="Output characters kept per cell").tag(config=True)

    def on_cell_executed(self, **kwargs):
        record_error_reply(**kwargs)

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
        if used + size <= self.max_output_chars or msg.get("msg_type") == "error":  # an error always counts
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.max_output_chars:
            outs.append(NotebookNode(output_type="stream", name="stdout",
                                     text=f"\n[output truncated by the grader after {self.max_output_chars} characters]\n"))
        return None
