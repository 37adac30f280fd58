"""The grader-side defences, unit by unit: the static audit, intake, stderr as output.

The hostile catalog (test_hostile.py) shows them working together through nbgrader; these
tests pin down each rule, and prove the audit never flags a correct solution: the reference
and every alternative and mistake of the three catalogs pass it.
"""

import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from rnncourse.grading import audit, intake
from rnncourse.grading import notebooks as nbs
from rnncourse.grading.course import Course
from rnncourse.grading.execute import STDERR_HEADER, stderr_as_output
from rnncourse.grading.variants import reference_solutions
from support import ASSIGNMENTS, COURSE, ROOT


def trusted(assignment):
    return audit.trusted_imports(intake.given_code(nbs.read(COURSE.notebook("release", assignment))))


def defined(assignment):
    return audit.test_definitions(intake.given_code(nbs.read(COURSE.notebook("source", assignment))))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_audit_passes_every_honest_solution(assignment):
    cat = COURSE.catalog(assignment)
    reference = reference_solutions(COURSE, assignment)
    allowed, helpers = trusted(assignment), defined(assignment)
    for gid, code in reference.items():
        assert audit.audit(code, allowed, helpers) == [], f"reference {gid} flagged"
    for variant in list(cat.ALTERNATIVES) + list(cat.MISTAKES):
        findings = audit.audit(variant.apply(reference[variant.cell]), allowed, helpers)
        assert findings == [], f"{variant.name}: {[str(f) for f in findings]}"


HONEST = [
    "import numpy as np\ndef f(x):\n    return np.tanh(x)\n",
    "from numpy import exp\nlayers = []\ndef g(z):\n    layers = [1]\n    return exp(z)\n",
    "%time x = 1\ndef f():\n    return getattr(np, 'tanh')\n",
    "class Cell(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.w = 1\n"
    "    def __repr__(self):\n        return 'Cell'\n",
    "def f(params):\n    params['W'] -= 1\n    cache = {}\n    cache['a'] = 2\n    return params\n",
    "def f(m):\n    m.trainable = False\n    for p in m.parameters():\n        p.grad = None\n    return m\n",
    "import os\nos.environ.get('HOME')\n",
]

TAMPER = {
    "np.allclose = lambda *a, **k: True": "changes np.allclose",
    "import numpy.testing as nt\nt = nt\nt.assert_allclose = print": "changes t.assert_allclose",
    "get_ipython().input_transformers_cleanup.append(lambda l: [])": "get_ipython",
    "class A:\n    def __eq__(self, o):\n        return True": "defines __eq__",
    "import sys\nsys.modules['numpy'] = None": "imports sys",
    "getattr(__builtins__, 'ex' + 'ec')('x')": "__builtins__",
    "globals()['check_close'] = print": "globals",
    "check_close = print": "rebinds check_close",
    "from numpy import allclose as check_close": "rebinds check_close",
    "def check_close(*a, **k):\n    pass": "redefines check_close",
    "vars(np)['allclose'] = print": "vars",
    "np.__dict__['allclose'] = print": "__dict__",
    "[np][0].allclose = print": "through an expression",
    "setattr(np, 'allclose', print)": "setattr",
    "from unittest import mock\ndef f():\n    return mock.ANY": "imports unittest",
    "type('X', (), {'__eq__': lambda s, o: True})": "three arguments",
    "%time np.allclose = print": "changes np.allclose",
    "%env X=1": "magic %env",
    "import builtins\nbuiltins.print = None": "imports builtins",
    "def f():\n    global np\n    np = None": "declares np global",
    "import ctypes": "imports ctypes",
    "def f(x):\n    e = x.__class__\n    return e": "__class__",
    "exec('np.allclose = print')": "exec",
}


@pytest.mark.parametrize("code", HONEST)
def test_audit_allows(code):
    assert audit.audit(code, trusted("a3_torch_rnn")) == []


@pytest.mark.parametrize("code", list(TAMPER))
def test_audit_flags(code):
    findings = audit.audit(code, trusted("a1_numpy_rnn"))
    assert any(TAMPER[code] in str(f) for f in findings), [str(f) for f in findings]


def test_audit_protects_the_helpers_hidden_tests_define():
    """A solution cell that redefines a helper an earlier hidden test defined, to change what a
    later hidden test computes (here: shorter sequences for the backward test), is not run."""
    helpers = defined("a1_numpy_rnn")
    assert {"_random_batch", "_ref_rnn_step_forward"} <= helpers
    cheat = ("_orig_batch = _random_batch\n"
             "def _random_batch(n_a, n_x, m, T_x, seed):\n    return _orig_batch(n_a, n_x, m, 1, seed)\n")
    findings = audit.audit(cheat + "def rnn_backward(cache, parameters):\n    pass\n", trusted("a1_numpy_rnn"), helpers)
    assert any("defines _random_batch, which the notebook's tests rely on" in str(f) for f in findings), findings
    assert audit.audit(cheat, trusted("a1_numpy_rnn")) == [], "without the test's helpers the audit cannot see it"


def test_stub_raises_with_the_findings():
    findings = audit.audit("np.allclose = print", trusted("a1_numpy_rnn"))
    namespace = {}
    with pytest.raises(RuntimeError, match="points are withheld[\\s\\S]*changes np.allclose"):
        exec(audit.stub("softmax", findings), namespace)


def test_stderr_is_output_in_graded_cells_only():
    """Warnings and a tqdm bar in a test cell become stdout under a header (full marks); an error still zeroes."""
    from nbgrader.utils import determine_grade
    bar = "\r  0%|          | 0/3 [00:00<?, ?it/s]\r100%|##########| 3/3 [00:00<00:00, 99.0it/s]\n"
    outputs = [nbformat.v4.new_output("stream", name="stdout", text="before\n"),
               nbformat.v4.new_output("stream", name="stderr", text="/x.py:3: DeprecationWarning: old\n"),
               nbformat.v4.new_output("stream", name="stderr", text=bar),
               nbformat.v4.new_output("stream", name="stdout", text="train: checks passed\n")]
    graded = nbformat.v4.new_code_cell("", outputs=outputs, metadata={"nbgrader": {
        "grade": True, "solution": False, "grade_id": "test_x", "points": 3, "schema_version": 3}})
    ungraded = nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output("stream", name="stderr", text="x\n")])
    stderr_as_output(graded)
    assert [(o.name, o.text) for o in graded.outputs] == [
        ("stdout", "before\n"),
        ("stdout", STDERR_HEADER + "/x.py:3: DeprecationWarning: old\n100%|##########| 3/3 [00:00<00:00, 99.0it/s]\n"),
        ("stdout", "train: checks passed\n")]
    assert determine_grade(graded) == (3, 3)
    assert stderr_as_output(ungraded).outputs[0].name == "stderr"  # only graded cells are scored
    graded.outputs.append(nbformat.v4.new_output("error", ename="CheckFailure", evalue="f(): wrong", traceback=[]))
    assert determine_grade(stderr_as_output(graded)) == (0, 3)


def test_an_error_reply_always_leaves_an_error_output():
    """An exception whose display failed sends no error output; the executor adds one from the kernel's reply."""
    from rnncourse.grading.execute import ResilientExecute
    cell = nbformat.v4.new_code_cell("f()", outputs=[nbformat.v4.new_output("stream", name="stderr", text="oops\n")])
    reply = {"content": {"status": "error", "ename": "Sneaky", "evalue": "wrong", "traceback": []}}
    ResilientExecute().on_cell_executed(cell=cell, cell_index=0, execute_reply=reply)
    assert [(o.output_type, o.get("ename")) for o in cell.outputs] == [("stream", None), ("error", "Sneaky")]
    ResilientExecute().on_cell_executed(cell=cell, cell_index=0, execute_reply=reply)  # once only
    assert len(cell.outputs) == 2


@pytest.fixture
def course(tmp_path):
    """A course root with the a1 release, for intake."""
    shutil.copytree(COURSE.path("release", "a1_numpy_rnn"), tmp_path / "release" / "a1_numpy_rnn")
    return Course(tmp_path)


def submit(course, nb_or_text, name="numpy_rnn.ipynb", student="s"):
    folder = course.path("submitted", "a1_numpy_rnn", student)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(nb_or_text if isinstance(nb_or_text, str) else json.dumps(nb_or_text))
    return folder


def staged(course, student="s"):
    return nbs.read(course.notebook("staged", "a1_numpy_rnn", student))


def test_intake_carries_solutions_and_drops_everything_else(course):
    nb = nbs.read(COURSE.notebook("release", "a1_numpy_rnn"))
    solutions = nbs.solution_cells(nb)
    nb.cells[solutions["softmax"]].source = "def softmax(z):\n    return z\n"
    nb.cells[solutions["clip"]].source = "np.allclose = print\n"
    nb.cells.insert(3, nbformat.v4.new_code_cell("get_ipython().input_transformers_cleanup.append(str)"))
    tests = nbs.test_cells(nb)
    first_test = min(tests.values())
    nb.cells[first_test].source = "pass"
    nb.metadata["kernelspec"]["name"] = "evil"
    submit(course, nb)
    result = intake.stage(course, "a1_numpy_rnn", "s")
    graded = staged(course)
    release = nbs.read(COURSE.notebook("release", "a1_numpy_rnn"))
    assert len(graded.cells) == len(release.cells) + 1  # + the notes
    assert graded.cells[1].id == intake.NOTES_ID
    notes = graded.cells[1].source
    for text in ("`clip` was not run", "restored from the release", "code cell(s) outside", "`evil`"):
        assert text in notes
    after = nbs.solution_cells(graded)
    assert graded.cells[after["softmax"]].source == "def softmax(z):\n    return z\n"
    assert "points are withheld" in graded.cells[after["clip"]].source
    assert result.withheld == {"clip": result.withheld["clip"]} and not result.blank
    assert not any("input_transformers" in c.source for c in graded.cells)
    assert graded.cells[nbs.test_cells(graded)[nbs.grade_id(release.cells[first_test])]].source != "pass"


@pytest.mark.parametrize("case,text,note", [
    ("corrupt", '{"cells": [', "could not be read as a notebook"),
    ("not a notebook", '{"hello": 1}', "could not be read as a notebook"),
    ("missing", None, "was not in the submission"),
])
def test_intake_grades_unreadable_submissions_as_blank(course, case, text, note):
    folder = course.path("submitted", "a1_numpy_rnn", "s")
    folder.mkdir(parents=True)
    if text is not None:
        (folder / "numpy_rnn.ipynb").write_text(text)
    result = intake.stage(course, "a1_numpy_rnn", "s")
    assert result.blank and note in staged(course).cells[1].source
    release = nbs.read(COURSE.notebook("release", "a1_numpy_rnn"))
    graded = staged(course)
    assert [c.source for c in graded.cells[2:]] == [c.source for c in release.cells[1:]]


def test_intake_takes_a_renamed_notebook_and_notes_extra_files(course):
    nb = nbs.read(COURSE.notebook("release", "a1_numpy_rnn"))
    nb.cells[nbs.solution_cells(nb)["softmax"]].source = "def softmax(z):\n    return z\n"
    folder = submit(course, nb, name="numpy_rnn-Copy1.ipynb")
    (folder / "numpy.py").write_text("allclose = None")
    intake.stage(course, "a1_numpy_rnn", "s")
    graded = staged(course)
    assert "`numpy_rnn-Copy1.ipynb` was graded in its place" in graded.cells[1].source
    assert "`numpy.py`" in graded.cells[1].source
    assert graded.cells[nbs.solution_cells(graded)["softmax"]].source == "def softmax(z):\n    return z\n"
    assert sorted(p.name for p in course.path("staged", "a1_numpy_rnn", "s").iterdir()) == ["numpy_rnn.ipynb"]


@pytest.mark.parametrize("how", ["stage", "stage_blank"])
def test_a_staged_submission_keeps_its_exchange_timestamp(course, how):
    """nbgrader's release_feedback opens the timestamp of every graded submission: a submission
    graded as blank after the grader failed on it needs it too, or the whole release stops there."""
    folder = submit(course, nbs.read(COURSE.notebook("release", "a1_numpy_rnn")))
    (folder / "timestamp.txt").write_text("2026-11-30 09:00:00.000000 UTC")
    if how == "stage":
        intake.stage(course, "a1_numpy_rnn", "s")
    else:
        intake.stage_blank(course, "a1_numpy_rnn", "s", "The grader failed on this submission.")
    out = course.path("staged", "a1_numpy_rnn", "s")
    assert sorted(p.name for p in out.iterdir()) == ["numpy_rnn.ipynb", "timestamp.txt"]
    assert (out / "timestamp.txt").read_text() == "2026-11-30 09:00:00.000000 UTC"


# The checks' integrity guard (rnncourse/integrity.py), in a fresh process: tampers change numpy.

GUARD_PROBE = """
import os, warnings
warnings.simplefilter("error")
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np, torch, keras
from rnncourse.checks import check_close, TamperedError
from rnncourse.integrity import make_guard

def outcome(guard):
    seen = []
    for attempt in range(2):  # once tampered, it stays tampered
        try:
            guard()
            seen.append("clean")
        except TamperedError as error:
            seen.append(str(error).split("(")[1].split(")")[0])
    return " / ".join(seen)

exec(LEGIT)  # legitimate use of keras, torch, numpy and matplotlib after the checks were imported
check_close(np.ones(3), np.ones(3), "f()", "x")
print("legit:", outcome(make_guard()))
modules = [np, np.testing, keras.ops]
saved = [dict(vars(m)) for m in modules]
tensor = dict(vars(torch.Tensor))
for tamper in TAMPERS:
    guard = make_guard()
    exec(tamper, {"np": np, "torch": torch, "keras": keras})
    print("tamper:", outcome(guard))
    for module, namespace in zip(modules, saved):
        vars(module).clear()
        vars(module).update(namespace)
    for name in set(vars(torch.Tensor)) - set(tensor):
        delattr(torch.Tensor, name)
exec(TAMPERS[0], {"np": np})
try:
    check_close(np.zeros(3), np.ones(3), "f()", "x")
except TamperedError:
    print("checks: tampered")
"""

LEGIT = """
model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(3)])
model.compile(optimizer="adam", loss="mse")
model.fit(np.ones((8, 4)), np.ones((8, 3)), epochs=1, verbose=0)
net = torch.nn.LSTM(3, 5)
out, _ = net(torch.ones(2, 1, 3))
out.sum().backward()
torch.optim.Adam(net.parameters()).step()
torch.compile(lambda x: torch.tanh(x) * 2, backend="eager")(torch.ones(3))  # patches nn.Module once
np.random.seed(0); torch.manual_seed(0); np.set_printoptions(precision=3)
import matplotlib.pyplot as plt
plt.plot([1, 2]); plt.close("all")
"""

# tamper -> what the guard reports; none of these is refused by the static audit's alias tracking
TAMPERS = {
    "for m in [np]:\n    m.allclose = lambda *a, **k: True": "numpy.allclose",
    "import functools\nclass L:\n    allclose = staticmethod(lambda *a, **k: True)\n"
    "functools.update_wrapper(np, L, assigned=())": "numpy.allclose",
    "class P:\n    def f(self):\n        self.isfinite = lambda x: True\nP.f(np)": "numpy.isfinite",
    "def patch(t):\n    t.numpy = lambda self: None\npatch(torch.Tensor)": "torch.Tensor.numpy",
    "for m in [keras.ops]:\n    del m.convert_to_numpy": "keras.ops.convert_to_numpy",
}


def test_integrity_guard_catches_tampers_the_audit_cannot_see():
    code = f"LEGIT = {LEGIT!r}\nTAMPERS = {list(TAMPERS)!r}\n" + GUARD_PROBE
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-2000:]
    expected = ["legit: clean / clean"] + [f"tamper: {name} / {name}" for name in TAMPERS.values()]
    assert proc.stdout.splitlines() == expected + ["checks: tampered"]
