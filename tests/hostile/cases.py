"""The public catalog of bad submissions, graded against the fixture assignment.

Each case builds one submission folder from the released fixture notebook. ``honest`` is the
most the submission deserves: the points of the exercises it really solves. Grading must
finish, give it at most ``honest`` (exactly ``honest`` where ``exact``), leave every other
student's scores alone, leak nothing, and explain in the feedback what happened (``explain``:
a regular expression that what the graded notebook shows — its cells' outputs and the grader's
notes — must contain; the student's own code does not count).

The cases follow the issue's list (crashes, hangs, structure and metadata edits, broken files,
reaching outside the sandbox, the three cheats, a correct solution that warns) plus variants
built on the same ideas that no list names (obfuscated tampering, a deaf endless loop, ...).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat

from .fixture import ASSIGNMENT, NOTEBOOK, POINTS, SOLUTIONS, TOTAL

SECRET = "SECRET-7f3a9c-other-students-work"
WRONG_SOFTMAX = "def softmax(z):\n    return z\n"
WITHOUT_SOFTMAX = TOTAL - POINTS["softmax"]
WITHHELD = r"points are withheld"
DIED = r"KernelDiedError|the kernel died"
GUARD = r"grading machinery was changed"


@dataclass(frozen=True)
class Case:
    name: str
    honest: int
    explain: str
    build: Callable  # (release notebook, submission folder) -> None
    exact: bool = True
    why: str = ""


def solved(release, **overrides):
    """The release with every solution filled in (``overrides``: grade id -> code)."""
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = overrides.get(gid, SOLUTIONS[gid])
    return nb


def write(nb, folder: Path, name: str = NOTEBOOK) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / name))


def with_softmax(code: str):
    return lambda release, folder: write(solved(release, softmax=code), folder)


def edit_cells(edit: Callable, **overrides):
    """A submission whose cell list is edited by ``edit(cells)`` (in place)."""
    def build(release, folder):
        nb = solved(release, **overrides)
        edit(nb.cells)
        write(nb, folder)
    return build


def _index(cells, grade_id):
    return next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _delete_test(cells):
    del cells[_index(cells, "test_softmax_values")]


def _edit_test(cells):
    cells[_index(cells, "test_softmax_values")].source = "pass"


def _reorder_test(cells):
    cells.insert(0, cells.pop(_index(cells, "test_softmax_values")))


def _duplicate_test(cells):
    i = _index(cells, "test_add_values")
    cells[i + 1:i + 1] = [copy.deepcopy(cells[i]) for _ in range(5)]


def _points(cells):
    cells[_index(cells, "test_softmax_values")].metadata["nbgrader"]["points"] = 100


def _grade_id(cells):
    cells[_index(cells, "test_softmax_values")].metadata["nbgrader"]["grade_id"] = "test_add_values"


def _unlock(cells):
    meta = cells[_index(cells, "test_softmax_values")].metadata["nbgrader"]
    meta.update(locked=False, solution=True, grade=False, grade_id="softmax_tests")
    cells[_index(cells, "softmax_tests")].source = "pass"


def _add_cell(code: str):
    def edit(cells):
        cells.insert(_index(cells, "imports") + 1, nbformat.v4.new_code_cell(code))
    return edit


def kernelspec(release, folder):
    nb = solved(release)
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    write(nb, folder)


def missing(release, folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("forgot the notebook")


def renamed(release, folder):
    write(solved(release), folder, "fixture (1).ipynb")


def corrupt(release, folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NOTEBOOK).write_text('{"cells": [ {"cell_type": "code", "source": "oops"')


def old_format(release, folder):
    folder.mkdir(parents=True, exist_ok=True)
    v3 = nbformat.convert(solved(release), 3)
    (folder / NOTEBOOK).write_text(json.dumps(v3))


def extra_files(release, folder):
    write(solved(release, softmax=WRONG_SOFTMAX), folder)
    # a module that would shadow numpy for a kernel started in this folder, and some junk
    (folder / "numpy.py").write_text("def allclose(*a, **k):\n    return True\n")
    (folder / "rnncourse").mkdir()
    (folder / "rnncourse" / "checks.py").write_text("def check_close(*a, **k):\n    pass\n")
    (folder / "blob.bin").write_bytes(b"\0" * 2**20)


READ_OTHERS = f"""import glob, os
found = []
for pattern in ["../../*/{ASSIGNMENT}/*.ipynb", "../../../submitted/*/*/*.ipynb", "../../../.grading/*/*/*/*.ipynb",
                "../../../*.db", "../../../source/*/*.ipynb", "/tmp/*/*/*/*.ipynb", "/*/*/gradebook.db",
                "/*/*/*/gradebook.db", "/root/*", "/home/*/*"]:
    for path in glob.glob(pattern)[:50]:
        try:
            text = open(path, errors="replace").read()
        except OSError:
            continue
        found.append(path)
        key = "SECRET-" + "7f3a9c"  # split, so that this cell's own source does not match
        if key in text:
            print("LEAKED", text[text.index(key):][:40])
print("files seen:", found)
""" + SOLUTIONS["softmax"]

WRITE_GRADEBOOK = """import glob, sqlite3
for path in ["../../../gradebook.db"] + glob.glob("/*/*/gradebook.db") + glob.glob("/*/*/*/gradebook.db"):
    try:
        db = sqlite3.connect(path)
        db.execute("UPDATE grade SET auto_score = 1000")
        db.execute("DELETE FROM student")
        db.commit()
        print("WROTE", path)
    except Exception as error:
        print("could not write", path, error)
""" + WRONG_SOFTMAX


def network(port: int) -> str:
    """Try the grader's loopback (a server the test listens on) and the outside world."""
    return f"""import socket
for host, port in [("127.0.0.1", {port}), ("10.0.0.1", 80), ("pypi.org", 443)]:
    try:
        socket.create_connection((host, port), timeout=2).close()
        print("CONNECTED", host)
    except OSError as error:
        print("no network:", host, error)
""" + SOLUTIONS["softmax"]


NOOP_TESTING = """np.testing.assert_allclose = lambda *args, **kwargs: None
np.allclose = lambda *args, **kwargs: True
""" + WRONG_SOFTMAX

ALWAYS_EQUAL = """class Anything(float):
    def __eq__(self, other):
        return True
    def __array__(self, dtype=None, copy=None):
        return np.ones((5, 3))

def softmax(z):
    return Anything()
"""

TRANSFORMER = "get_ipython().input_transformers_cleanup.append(lambda lines: [])\n"

OBFUSCATED = """def softmax(z):
    getattr(__builtins__, "ex" + "ec")("import numpy; numpy.allclose = lambda *a, **k: True")
    return z
"""

VIA_GLOBALS = """def softmax(z):
    globals()["check_close"] = lambda *args, **kwargs: None
    return z
"""

ALIASED = """import numpy.testing as nt
t = nt
t.assert_allclose = lambda *a, **k: None
def softmax(z):
    return z
"""

SHOWTRACEBACK = """ip = get_ipython()
ip.showtraceback = lambda *a, **k: None
""" + WRONG_SOFTMAX

# Tampers that the static audit lets through, caught by the checks' integrity guard
# (rnncourse/integrity.py): the change itself is detected, however it was made.
LOOP_ALIAS = """for module in [np.testing, np]:
    module.assert_allclose = module.allclose = lambda *args, **kwargs: True
""" + WRONG_SOFTMAX

UPDATE_WRAPPER = """import functools

class Lenient:
    allclose = staticmethod(lambda *args, **kwargs: True)
    isfinite = staticmethod(lambda x: np.ones(np.shape(x), dtype=bool))

functools.update_wrapper(np, Lenient, assigned=())  # copies Lenient's attributes onto numpy
""" + WRONG_SOFTMAX

FOREIGN_RECEIVER = """class Patch:
    def apply(self):
        self.allclose = lambda *args, **kwargs: True

Patch.apply(np)
""" + WRONG_SOFTMAX

OS_SYS_MODULES = """import os
os.sys.modules["rnncourse.checks"].check_close = lambda *args, **kwargs: None
""" + WRONG_SOFTMAX

WARNS = """import warnings
def softmax(z):
    warnings.warn("softmax: this spelling is deprecated", DeprecationWarning)
    warnings.warn("a future default will change", FutureWarning)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
"""


def cases(port: int) -> list[Case]:
    crash = lambda body: with_softmax(f"def softmax(z):\n{body}\n")  # noqa: E731
    return [
        Case("syntax_error", WITHOUT_SOFTMAX, "SyntaxError", with_softmax("def softmax(z):\n    return (z\n")),
        Case("name_error", WITHOUT_SOFTMAX, "NameError", with_softmax("def softmax(z):\n    return npp.exp(z)\n")),
        Case("endless_silent", WITHOUT_SOFTMAX, "CellTimeoutError", crash("    while True:\n        pass")),
        Case("endless_printing", WITHOUT_SOFTMAX, "CellTimeoutError", crash("    while True:\n        print('spam')")),
        Case("endless_deaf", WITHOUT_SOFTMAX, "did not stop when interrupted",
             crash("    import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n        pass"),
             why="ignores SIGINT, so the timeout's interrupt does nothing"),
        Case("memory_bomb", WITHOUT_SOFTMAX, "MemoryError|" + DIED,
             crash("    hog = []\n    while True:\n        hog.append(np.empty(2**27))  # 1 GiB at a time")),
        Case("fork_bomb", WITHOUT_SOFTMAX, "BlockingIOError|Resource temporarily unavailable|" + DIED,
             crash("    import os\n    while True:\n        os.fork()"), exact=False),
        Case("os_exit", WITHOUT_SOFTMAX, DIED, crash("    import os\n    os._exit(1)")),
        Case("sys_exit", WITHOUT_SOFTMAX, WITHHELD, with_softmax("import sys\nsys.exit(3)\n" + SOLUTIONS["softmax"]),
             why="import sys is refused by the audit"),
        Case("raise_systemexit", WITHOUT_SOFTMAX, "SystemExit", crash("    raise SystemExit(1)")),
        Case("sigkill_self", WITHOUT_SOFTMAX, DIED, crash("    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)")),
        Case("output_50mb", TOTAL, "output truncated by the grader",
             with_softmax("print('x' * 50_000_000)\n" + SOLUTIONS["softmax"])),
        Case("tests_deleted", WITHOUT_SOFTMAX, "restored from the release",
             edit_cells(_delete_test, softmax=WRONG_SOFTMAX)),
        Case("tests_edited", WITHOUT_SOFTMAX, "restored from the release", edit_cells(_edit_test, softmax=WRONG_SOFTMAX)),
        Case("tests_reordered", WITHOUT_SOFTMAX, "restored from the release",
             edit_cells(_reorder_test, softmax=WRONG_SOFTMAX)),
        Case("tests_duplicated", WITHOUT_SOFTMAX, "restored from the release",
             edit_cells(_duplicate_test, softmax=WRONG_SOFTMAX)),
        Case("metadata_points", TOTAL, "restored from the release", edit_cells(_points)),
        Case("metadata_grade_id", WITHOUT_SOFTMAX, "restored from the release",
             edit_cells(_grade_id, softmax=WRONG_SOFTMAX)),
        Case("metadata_locked", WITHOUT_SOFTMAX, "restored from the release", edit_cells(_unlock, softmax=WRONG_SOFTMAX)),
        Case("kernelspec", TOTAL, "graded with the course's kernel", kernelspec),
        Case("missing", 0, "was not in the submission", missing),
        Case("renamed", TOTAL, "was graded in its place", renamed),
        Case("corrupt_json", 0, "could not be read as a notebook", corrupt),
        Case("old_nbformat", TOTAL, "converted to format 4", old_format),
        Case("extra_files", WITHOUT_SOFTMAX, "extra file", extra_files),
        Case("read_others", TOTAL, r"files seen: \[", with_softmax(READ_OTHERS)),
        Case("write_gradebook", WITHOUT_SOFTMAX, r"could not write \.\./\.\./\.\./gradebook\.db",
             with_softmax(WRITE_GRADEBOOK), why="the gradebook is not in the sandbox"),
        Case("network", TOTAL, r"no network: 127\.0\.0\.1", with_softmax(network(port))),
        Case("noop_numpy_testing", WITHOUT_SOFTMAX, WITHHELD, with_softmax(NOOP_TESTING)),
        Case("always_equal", WITHOUT_SOFTMAX, WITHHELD, with_softmax(ALWAYS_EQUAL)),
        Case("transformer_added_cell", 0, "were not run",
             edit_cells(_add_cell(TRANSFORMER), add="def add(a, b):\n    return 0\n", softmax=WRONG_SOFTMAX,
                        vowels="def vowels(text):\n    return -1\n")),
        Case("transformer_in_solution", 0, WITHHELD,
             lambda release, folder: write(solved(release, add=TRANSFORMER + "def add(a, b):\n    return 0\n",
                                                  softmax=WRONG_SOFTMAX, vowels="def vowels(text):\n    return -1\n"),
                                           folder)),
        Case("obfuscated_exec", WITHOUT_SOFTMAX, WITHHELD, with_softmax(OBFUSCATED)),
        Case("via_globals", WITHOUT_SOFTMAX, WITHHELD, with_softmax(VIA_GLOBALS)),
        Case("aliased_module", WITHOUT_SOFTMAX, WITHHELD, with_softmax(ALIASED)),
        Case("showtraceback", WITHOUT_SOFTMAX, WITHHELD, with_softmax(SHOWTRACEBACK)),
        Case("correct_but_warns", TOTAL, r"DeprecationWarning: softmax: this spelling is deprecated",
             with_softmax(WARNS), why="the warnings are shown in the feedback, and cost nothing"),
        Case("loop_alias", WITHOUT_SOFTMAX, GUARD, with_softmax(LOOP_ALIAS), exact=False),
        Case("update_wrapper", WITHOUT_SOFTMAX, GUARD, with_softmax(UPDATE_WRAPPER), exact=False),
        Case("foreign_receiver", WITHOUT_SOFTMAX, GUARD, with_softmax(FOREIGN_RECEIVER), exact=False),
        Case("os_sys_modules", WITHOUT_SOFTMAX, WITHHELD, with_softmax(OS_SYS_MODULES)),
    ]
