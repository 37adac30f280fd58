"""The checks and probes that the notebooks' tests are written with (rnncourse/checks.py, probes.py).

Each test states what a student would see, or which correct or wrong code must pass or fail.
The last tests run a kernel: what IPython shows for a failed check, and how a cell scores
when the check calls student code that warns, prints a progress bar, or raises oddly.
"""

import ast
import inspect
import math
import os
import sys
import warnings

import nbformat
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from rnncourse import checks, probes
from rnncourse.checks import CheckFailure, call_student, check_close, check_equal, check_steps, student_code
from rnncourse.probes import check_draws, check_follows_device, check_sequences, forward_modes
from support import ASSIGNMENTS, COURSE


def failure(function, *args, **kwargs) -> str:
    with pytest.raises(CheckFailure) as info:
        function(*args, **kwargs)
    return str(info.value)


# -- messages ----------------------------------------------------------------------------------

def test_check_messages_say_call_expected_got_and_hint():
    with pytest.raises(checks.CheckFailure) as info:
        check_close(np.zeros((2, 2)), np.ones((2, 2)), "f(x=(2, 2))", "y", hint="add one")
    message = str(info.value)
    assert "f(x=(2, 2)): y has wrong values" in message and "expected" in message and "got" in message
    assert "Hint: add one" in message
    with pytest.raises(checks.CheckFailure, match="wrong shape"):
        check_close(np.zeros(3), np.zeros((3, 1)), "f()", "y")
    with pytest.raises(checks.CheckFailure, match="not a numeric array"):
        check_close("abc", np.zeros(3), "f()", "y")
    with pytest.raises(checks.CheckFailure, match="NaN"):
        check_close(np.array([np.nan]), np.zeros(1), "f()", "y")


def test_describe_call_and_substitute():
    assert checks.describe_call("f", x=np.zeros((2, 3)), n=4, p={"W": np.zeros((1, 2))}) == "f(x=(2, 3), n=4, p={W: (1, 2)})"
    namespace = {"g": 1}
    with checks.substitute(namespace, g=2, h=3):
        assert namespace == {"g": 2, "h": 3}
    assert namespace == {"g": 1}


def test_expected_is_formatted_once_and_rows_are_aligned():
    message = failure(check_close, np.array([[np.nan], [1.0]]), [[0.26894142], [0.73105858]], "softmax(z)", "the result")
    assert message.splitlines()[:5] == ["softmax(z): the result contains NaN or infinity",
                                        "  expected: [[0.26894]",
                                        "             [0.73106]]",
                                        "  got:      [[nan]",
                                        "             [ 1.]]"]


def test_a_failure_displays_as_its_message_alone():
    error = CheckFailure("f(x=(2,)): y has wrong values\n  Hint: add one")
    assert error._render_traceback_() == ["\x1b[0;31mCheckFailure\x1b[0m: f(x=(2,)): y has wrong values\n  Hint: add one"]


def test_known_mistake_picks_the_hint():
    z = np.array([[1.0, 2.0], [3.0, 5.0], [0.0, 1.0]])
    rows = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    columns = np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)
    message = failure(check_close, rows, columns, "softmax(z=(3, 2))", "the result", hint="generic",
                      known_mistakes={"You normalised the rows (axis=1); normalise the columns.": rows})
    assert message.endswith("Hint: You normalised the rows (axis=1); normalise the columns.")
    assert failure(check_close, rows * 2, columns, "softmax", "r", hint="generic",
                   known_mistakes={"rows": rows}).endswith("Hint: generic")


def test_check_equal_takes_numpy_scalars_as_python_values():
    chars = np.unique(list("banana"))  # numpy.str_ values
    check_equal(list(chars), ["a", "b", "n"], "f()", "the characters")
    check_equal({c: np.int64(i) for i, c in enumerate(chars)}, {"a": 0, "b": 1, "n": 2}, "f()", "char_to_ix")
    check_equal(np.float64(0.5), 0.5, "f()", "x")
    check_equal((1, 2.0), [1, 2], "f()", "ids")


def test_check_equal_stays_strict():
    """An object defining __eq__, a bool for an int, a key of another type: all refused."""
    check_equal([1, 2], [1, 2], "f()", "ids")

    class AlwaysEqual:
        def __eq__(self, other):
            return True
    for got, expected in [(AlwaysEqual(), [1]), ([AlwaysEqual()], [1]), ({"a": True}, {"a": 1}), ((1, 2.5), [1, 2]),
                          ({1: "a"}, {"1": "a"}), ("1", 1), ([1, 2, 3], [1, 2])]:
        with pytest.raises(CheckFailure):
            check_equal(got, expected, "f()", "x")


def test_describe_call_names_positional_arguments_from_the_signature():
    def rnn_step(xt, a_prev, parameters, scale=1.0):
        return xt
    assert (checks.describe_call(rnn_step, np.zeros((3, 2)), np.zeros((5, 2)), {"W": np.zeros((5, 3))}, scale=np.float64(2))
            == "rnn_step(xt=(3, 2), a_prev=(5, 2), parameters={W: (5, 3)}, scale=2.0)")
    assert checks.describe_call("f", x=np.zeros((2, 3)), n=4) == "f(x=(2, 3), n=4)"


def test_check_steps_names_the_first_step_that_differs():
    expected = {"dWya": np.ones(2), "dz": np.ones(3), "dWaa": np.ones(2)}
    got = {"dWya": np.ones(2), "dz": np.zeros(3), "dWaa": np.zeros(2)}
    message = failure(check_steps, got, expected, "rnn_backward(...)", hints={"dz": "multiply by 1 - a**2"})
    assert message.startswith("rnn_backward(...): 'dz' has wrong values")
    assert "the first step that differs; before it, 'dWya' agree" in message and message.endswith("Hint: multiply by 1 - a**2")
    assert "has no 'dWaa'" in failure(check_steps, {"dWya": np.ones(2), "dz": np.ones(3)}, expected, "f()")


# -- calling student code ----------------------------------------------------------------------

def test_library_errors_become_messages_with_the_line_and_a_hint():
    def sample(parameters):
        return parameters["a0"]
    message = failure(call_student, sample, {"Wax": np.zeros((2, 3))})
    assert message.splitlines() == [
        "sample(parameters={Wax: (2, 3)}): your code raised KeyError: 'a0'",
        f'  in sample, line {inspect.getsourcelines(sample)[1] + 1}: return parameters["a0"]',
        "  Hint: " + checks.DEFAULT_HINTS[2][2]]
    assert failure(call_student, sample, {}, hints={KeyError: "use Wax"}).endswith("Hint: use Wax")

    def softmax(z):
        return np.exp(z) / np.exp(z).sum(axis=1)
    message = failure(call_student, softmax, np.zeros((5, 3)), hints={"broadcast": "keepdims"})
    assert "ValueError: operands could not be broadcast together" in message and message.endswith("Hint: keepdims")
    assert "Hint: Two arrays' shapes do not fit" in failure(call_student, softmax, np.zeros((5, 3)))
    blank = failure(call_student, lambda: exec("raise NotImplementedError()"), label="train()")  # a blank solution
    assert blank.startswith("train(): your code raised NotImplementedError") and "Replace `raise NotImplementedError()`" in blank
    assert "A division by zero" in failure(call_student, lambda n: 1 / n, 0)


def test_failures_of_the_checks_pass_through_unchanged():
    def helper():
        check_equal(1, 2, "inner()", "x")
    assert failure(call_student, helper).startswith("inner(): x is not what was expected")


def test_warnings_and_stderr_become_a_note_on_stdout(capsys):
    def train(steps):
        warnings.warn("`clip_grad_norm` is now deprecated", FutureWarning)
        for step in range(steps):
            print(f"\r{step + 1}/{steps} steps", end="", file=sys.stderr)
        print(file=sys.stderr)
        return [1.0] * steps
    assert call_student(train, 3, label="train(steps=3)") == [1.0] * 3
    captured = capsys.readouterr()
    assert captured.err == ""
    line = inspect.getsourcelines(train)[1] + 1  # in a notebook, the line in the cell
    assert captured.out.splitlines() == [
        "Note: train(steps=3) wrote warnings or progress to stderr; this is not counted against you:",
        f"    FutureWarning: `clip_grad_norm` is now deprecated (line {line}: warnings.warn(\"`clip_grad_norm` is now "
        "deprecated\", FutureWarning))",
        "    3/3 steps"]


def test_student_code_block_runs_code_called_indirectly():
    class Cell:
        def __init__(self, units):
            self.state_size = units["size"]
    with pytest.raises(CheckFailure, match=r"^Cell\(8\) inside a layer: your code raised KeyError: 'size'\n  in __init__"):
        with student_code("Cell(8) inside a layer"):
            Cell({"units": 8})
    with student_code("Cell inside a layer"):
        cell = Cell({"size": 8})
    assert cell.state_size == 8


def test_inputs_changed_in_place_fail():
    def temperature(probs, T):
        probs **= 1 / T
        return probs / probs.sum()
    message = failure(call_student, temperature, np.array([0.2, 0.8]), 0.5)
    assert message.startswith("temperature(probs=(2,), T=0.5): your function changed its argument probs in place "
                              "(probs[0]: 0.2 became 0.04)")
    assert "Hint: Leave the inputs as they are" in message

    def update(parameters, gradients):
        parameters["W"] -= gradients["dW"]
        return parameters
    parameters = {"W": np.ones(2)}
    assert "changed its argument parameters in place (parameters['W'][0]: 1.0 became 0.5)" in failure(
        call_student, update, {"W": np.ones(2)}, {"dW": np.full(2, 0.5)})
    call_student(update, parameters, {"dW": np.full(2, 0.5)}, may_change=("parameters",))
    assert "(names: 2 items became 1)" in failure(call_student, lambda names: names.pop(), ["a", "b"], label="f(names)")
    assert "(x[1]: 2.0 became 0.0)" in failure(call_student, lambda x: x.mul_(torch.tensor([1.0, 0.0])),
                                              torch.tensor([1.0, 2.0]), label="f(x)")


def test_models_and_generators_may_change():
    model = nn.Linear(2, 1)
    rng = np.random.default_rng(0)

    def step(model, rng):
        with torch.no_grad():
            model.weight += 1.0
        return rng.random()
    call_student(step, model, rng)


# -- probes: random draws -------------------------------------------------------------------------

def test_chi2_sf_matches_closed_forms():
    for statistic in (0.001, 0.5, 3.84, 10.0, 80.0):
        assert probes.chi2_sf(statistic, 2) == pytest.approx(math.exp(-statistic / 2), rel=1e-10)
        assert probes.chi2_sf(statistic, 1) == pytest.approx(math.erfc(math.sqrt(statistic / 2)), rel=1e-9)
    assert probes.chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-9)
    assert probes.chi2_sf(0.0, 5) == 1.0


PROBS = np.array([0.1, 0.2, 0.3, 0.4])  # a context-free model: next id 0 (END) .. 3


def draw_with_choice(seed, max_length=4):
    rng = np.random.default_rng(seed)
    ids = []
    while len(ids) < max_length:
        ids.append(int(rng.choice(4, p=PROBS)))
        if ids[-1] == 0:
            break
    return ids


def draw_by_inverse_cdf(seed, max_length=4):
    rng = np.random.default_rng(seed)
    ids = []
    while len(ids) < max_length:
        ids.append(int(np.searchsorted(np.cumsum(PROBS), rng.random() * (1 - 1e-12))))
        if ids[-1] == 0:
            break
    return ids


def draw_reseeded(seed, max_length=4):
    ids = []
    while len(ids) < max_length:
        rng = np.random.default_rng(seed)  # the mistake: a fresh generator at every step
        ids.append(int(rng.choice(4, p=PROBS)))
        if ids[-1] == 0:
            break
    return ids


def test_check_draws_against_exact_probabilities():
    rng = np.random.default_rng(0)
    exact = dict(enumerate(PROBS))
    check_draws([int(np.searchsorted(np.cumsum(PROBS), rng.random())) for _ in range(3000)], exact, "f()", "the ids")
    squared = PROBS ** 2 / (PROBS ** 2).sum()  # a temperature of 0.5 where 1 was asked
    message = failure(check_draws, list(rng.choice(4, p=squared, size=3000)), exact, "f()", "the ids", hint="T")
    assert "the ids do not follow the right probabilities (3000 draws" in message and message.endswith("Hint: T")
    assert "drew 4 (1 of 3 draws), which has probability 0" in failure(check_draws, [0, 1, 4], exact, "f()", "the ids")


def test_check_sequences_passes_any_correct_sampler_and_fails_a_reseeded_one():
    reference = [draw_with_choice(10_000 + s) for s in range(2000)]
    for correct in (draw_with_choice, draw_by_inverse_cdf):
        check_sequences([correct(s) for s in range(2000)], reference, "sample(...)", "the ids")
    message = failure(check_sequences, [draw_reseeded(s) for s in range(2000)], reference, "sample(...)", "the ids")
    assert message.startswith("sample(...): the ids: the pairs of items at positions 0 and 1 do not follow")
    assert "re-seeding it inside the loop repeats the same draw" in message


def test_check_sequences_fails_correct_samplers_at_the_stated_rate():
    """At alpha = 0.05, about 5 % of comparisons of two correct samples fail (pooling must not inflate it)."""
    rng = np.random.default_rng(1)
    draw = lambda: [int(i) for i in rng.choice(4, p=PROBS, size=4)]  # noqa: E731
    failed = 0
    for _ in range(200):
        try:
            check_sequences([draw() for _ in range(200)], [draw() for _ in range(200)], "f", alpha=0.05)
        except CheckFailure:
            failed += 1
    assert failed <= 20  # expected at most 10 (Bonferroni); 20 is 3 standard deviations away


# -- probes: devices and modes ----------------------------------------------------------------------

class Cell(nn.Module):
    def __init__(self, state_on_weights=True):
        super().__init__()
        self.state_on_weights = state_on_weights
        self.embedding = nn.Embedding(7, 4)
        self.dropout = nn.Dropout(0.3)
        self.update = nn.Linear(4 + 5, 5)
        self.to_logits = nn.Linear(5, 7)

    def initial_state(self, batch_size):
        device = self.to_logits.weight.device if self.state_on_weights else None
        return torch.zeros(batch_size, 5, device=device)

    def forward(self, x_t, h):
        h = torch.tanh(self.update(torch.cat([self.dropout(self.embedding(x_t)), h], dim=-1)))
        return F.log_softmax(self.to_logits(h), dim=-1), h


def unroll(model, batch_ix):
    state = model.initial_state(batch_ix.shape[0])
    steps = []
    for t in range(batch_ix.shape[1]):
        log_probs, state = model(batch_ix[:, t], state)
        steps.append(log_probs)
    return torch.stack(steps, dim=1)


def train(model, batches, num_steps=2, move=True):
    """A minimal train: the batches are made from lists of ids inside, as the course's are."""
    device = next(model.parameters()).device
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for step in range(num_steps):
        batch_ix = torch.tensor(batches[step % len(batches)])
        batch_ix = batch_ix.to(device) if move else batch_ix
        loss = -unroll(model, batch_ix).gather(-1, batch_ix[..., None]).mean()
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    return losses


def test_device_probe_finds_tensors_left_on_the_cpu():
    batch_ix = torch.randint(0, 7, (3, 4))
    assert check_follows_device(lambda model: model.initial_state(3), Cell(), label="Cell.initial_state(3)") is True
    assert "returned a tensor on cpu" in failure(check_follows_device, lambda model: model.initial_state(3),
                                                  Cell(state_on_weights=False), label="Cell.initial_state(3)")
    assert check_follows_device(unroll, Cell(), batch_ix) is True
    message = failure(check_follows_device, unroll, Cell(state_on_weights=False), batch_ix)
    assert "Expected all tensors to be on the same device" in message and "Hint: Tensors on different devices" in message
    # train needs values (.item()): correct code runs until then, a batch left on the CPU fails before
    assert check_follows_device(train, Cell(), [[[1, 2, 0]]]) is False
    assert "(in embedding)" in failure(check_follows_device, lambda model, batches: train(model, batches, move=False),
                                       Cell(), [[[1, 2, 0]]], label="train(...)")

    def draw(model, generator):  # sampling on the model's device with a CPU generator fails on a GPU too
        with torch.no_grad():
            log_probs, _ = model(torch.zeros(1, dtype=torch.long, device=next(model.parameters()).device),
                                 model.initial_state(1))
            return torch.multinomial(log_probs.exp(), 1, generator=generator)
    assert "device type for generator" in failure(check_follows_device, draw, Cell(), torch.Generator())


def test_forward_modes_records_dropout_on_and_off():
    model = Cell().eval()
    with forward_modes(model) as modes:
        train(model, [[[1, 2, 0]]], num_steps=2)
        model(torch.tensor([1]), model.initial_state(1))
    assert modes == [True] * 6 + [False]


# -- the rules the notebooks follow ---------------------------------------------------------------

def test_every_check_verifies_the_integrity_guard():
    """A new check that forgot the guard would let a tamper go unnoticed until a later check."""
    helpers = {"shape_of", "describe_call", "fail", "as_array", "substitute", "chi2_sf"}  # check nothing themselves
    for module in (checks, probes):
        for name, function in vars(module).items():
            if inspect.isfunction(function) and function.__module__ == module.__name__ and not name.startswith("_") \
                    and name not in helpers:
                assert "_guard()" in inspect.getsource(function), f"{module.__name__}.{name} does not call _guard()"


def test_the_guard_watches_the_probes():
    """The probes module is imported after the checks; the guard records it all the same."""
    import subprocess
    code = ("from rnncourse.checks import check_true, TamperedError\nimport rnncourse.probes as probes\n"
            "probes.check_draws = print\ntry:\n    check_true(True, 'f()', 'x')\nexcept TamperedError as error:\n"
            "    print('rnncourse.probes.check_draws' in str(error))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.stdout == "True\n", proc.stderr[-2000:]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_passed_lines_end_their_cells(assignment):
    """A "checks passed" line is printed by a cell's last statement: after it nothing can fail the cell."""
    from IPython.core.inputtransformer2 import TransformerManager
    from rnncourse.grading import notebooks as nbs
    for cell in nbformat.read(COURSE.notebook("source", assignment), as_version=4).cells:
        if cell.cell_type != "code" or nbs.is_solution(cell) or "passed" not in cell.source:
            continue
        tree = ast.parse(TransformerManager().transform_cell(cell.source))
        passed = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and "passed" in ast.unparse(node)
                  and getattr(node.func, "id", "") == "print"]
        last = set(map(id, ast.walk(tree.body[-1])))
        assert all(id(node) in last for node in passed), f"{cell.metadata.get('nbgrader', {}).get('grade_id')}"


# -- in a kernel ----------------------------------------------------------------------------------

KERNEL_CELLS = {
    "imports": "import sys, warnings\nimport numpy as np\nfrom rnncourse.checks import call_student, check_close\n"
               "def softmax(z):\n    return np.exp(z) / np.exp(z).sum(axis=0)\n",
    "test_fails": "check_close(softmax(np.zeros((2, 1))), [[0.3], [0.7]], 'softmax(z=(2, 1))', 'the result')\n"
                  "print('softmax: checks passed')",
    "test_warns": "def noisy(x):\n    warnings.warn('this spelling is deprecated', DeprecationWarning)\n"
                  "    print('\\r1/2\\r2/2', file=sys.stderr)\n    return x\n"
                  "check_close(call_student(noisy, np.ones(2)), np.ones(2), 'noisy(x)', 'x')\nprint('noisy: checks passed')",
    "test_stderr": "print('a progress bar', file=sys.stderr)\nprint('plain: checks passed')",
    "test_repeats": "def w(i):\n    warnings.warn('same', FutureWarning)\n    warnings.warn(f'new {i}', UserWarning)\n"
                    "    return i\nfor i in range(5):\n    call_student(w, i)",
    "test_hides": "class Sneaky(Exception):\n    def _render_traceback_(self):\n        raise ValueError('no display')\n"
                  "def f():\n    raise Sneaky('wrong')\nf()",
}


@pytest.fixture(scope="module")
def kernel_cells():
    """The cells above executed as the harness executes test cells (nbclient, the grader's error rule)."""
    from nbclient import NotebookClient
    from rnncourse.grading.execute import record_error_reply
    cells = []
    for grade_id, source in KERNEL_CELLS.items():
        cell = nbformat.v4.new_code_cell(source)
        if grade_id.startswith("test_"):
            cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": grade_id,
                                         "points": 1, "schema_version": 3}
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    client = NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3", on_cell_executed=record_error_reply,
                            resources={"metadata": {"path": os.getcwd()}})
    client.execute()
    return {grade_id: cell for grade_id, cell in zip(KERNEL_CELLS, nb.cells)}


def test_kernel_shows_a_failed_check_as_its_message(kernel_cells):
    from rnncourse.grading.harness import cell_score
    cell = kernel_cells["test_fails"]
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "CheckFailure"
    assert errors[0].traceback == ["\x1b[0;31mCheckFailure\x1b[0m: " + errors[0].evalue]  # no frames of checks.py
    assert errors[0].evalue.startswith("softmax(z=(2, 1)): the result has wrong values\n  expected: [[0.3]\n")
    assert not any("passed" in o.get("text", "") for o in cell.outputs) and cell_score(cell) == 0


def test_kernel_scores_warnings_and_stderr_as_output(kernel_cells):
    from rnncourse.grading.harness import cell_score
    warned = kernel_cells["test_warns"]
    assert [o.output_type for o in warned.outputs] == ["stream"] and warned.outputs[0].name == "stdout"
    assert warned.outputs[0].text.startswith("Note: noisy(x=(2,)) wrote warnings or progress to stderr; this is not "
                                             "counted against you:\n    DeprecationWarning: this spelling is deprecated "
                                             "(line 2: warnings.warn(")
    assert "\n    2/2\nnoisy: checks passed" in warned.outputs[0].text and cell_score(warned) == 1
    plain = kernel_cells["test_stderr"]
    assert "stderr" in [o.name for o in plain.outputs] and cell_score(plain) == 1


def test_kernel_notes_each_warning_once_and_at_most_three_notes_a_cell(kernel_cells):
    text = "".join(o.text for o in kernel_cells["test_repeats"].outputs if o.output_type == "stream")
    assert text.count("FutureWarning: same") == 1 and text.count("Note: w(i=") == 3
    assert "new 2" in text and "new 3" not in text and text.count("more warnings or progress") == 1


def test_kernel_failure_that_cannot_be_displayed_still_scores_zero(kernel_cells):
    from rnncourse.grading.harness import cell_score
    cell = kernel_cells["test_hides"]
    assert [o.ename for o in cell.outputs if o.output_type == "error"] == ["Sneaky"]
    assert cell_score(cell) == 0


def test_a_list_of_tensors_that_require_grad_is_a_list_of_numbers():
    """a3's train may hand its callback the loss tensor itself: its value is what counts."""
    import torch

    weight = torch.tensor(1.5, requires_grad=True)
    got = check_close([weight * 2, weight * 3], [3.0, 4.5], "train(...)", "the losses")
    assert got.tolist() == [3.0, 4.5]
    with pytest.raises(CheckFailure, match="the losses"):
        check_close([weight * 2, weight * 3], [3.0, 4.0], "train(...)", "the losses")

