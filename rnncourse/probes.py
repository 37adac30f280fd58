"""Probes for what one call and one comparison cannot show: random draws, devices, train/eval mode.

- :func:`check_draws`: many draws against exact probabilities or against the reference's
  draws (a chi-square test whose false-failure rate is ``alpha``, one in a million by
  default). Any correct use of the given generator passes, whatever order it draws in.
- :func:`check_sequences`: sampled sequences against the reference's, as sequences: their
  lengths, the item at each position, each pair of neighbours and the whole sequence. A
  generator re-created or re-seeded inside the sampling loop repeats its first draw, which
  the pairs show even when every position alone looks right.
- :func:`check_follows_device`: runs a torch function with its model and tensors on PyTorch's
  ``meta`` device, with CUDA's rules on mixing devices, so that a state created on the CPU
  or a batch left there fails without a GPU.
- :func:`forward_modes`: records ``model.training`` at every forward call (dropout on or off).

Like every check, each verifies the integrity guard first (:mod:`rnncourse.integrity`).
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections import Counter
from typing import Any, Callable, Hashable, Iterator, Mapping, Sequence

from . import checks
from .checks import CheckFailure, call_student, describe_call

# -- statistics --------------------------------------------------------------------------------

MIN_EXPECTED = 5.0  # categories expected fewer times are pooled, so that the chi-square law holds


def chi2_sf(statistic: float, dof: int) -> float:
    """P(X >= statistic) for X ~ chi-square with ``dof`` degrees of freedom (the test's p-value).

    The regularized upper incomplete gamma function Q(dof/2, statistic/2): a series below the
    mean, a continued fraction above it (Numerical Recipes, 6.2); exact to ~1e-12.
    """
    if dof <= 0 or statistic <= 0:
        return 1.0
    a, x = dof / 2.0, statistic / 2.0
    log_prefactor = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:  # P(a, x) by its series; Q = 1 - P
        term = total = 1.0 / a
        for n in range(1, 1000):
            term *= x / (a + n)
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - math.exp(log_prefactor) * total)
    b, c, d = x + 1.0 - a, 1.0 / 1e-300, 1.0 / (x + 1.0 - a)  # Q(a, x) by Lentz's continued fraction
    h = d
    for n in range(1, 1000):
        an = -n * (n - a)
        b += 2.0
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1.0 / d
        h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return math.exp(log_prefactor) * h


def _pooled(categories: list, expected_counts: list[float]) -> list[list]:
    """Groups of categories, each expected at least MIN_EXPECTED times: the rarest are merged into one group.

    Ties are broken by the categories' text, never by which sample a category was seen in first:
    grouping the categories seen only in one sample together would inflate the statistic.
    """
    order = sorted(range(len(categories)), key=lambda i: (expected_counts[i], repr(categories[i])))
    groups, pending, pending_count = [], [], 0.0
    for i in order:
        if pending or expected_counts[i] < MIN_EXPECTED:
            pending.append(categories[i])
            pending_count += expected_counts[i]
            if pending_count >= MIN_EXPECTED:
                groups.append(pending)
                pending, pending_count = [], 0.0
        else:
            groups.append([categories[i]])
    if pending:  # what is left is too rare on its own: merge it into the last group
        if groups:
            groups[-1] = groups[-1] + pending
        else:
            groups.append(pending)
    return groups


def _fit_test(got: Counter, probabilities: Mapping) -> tuple[float, Any, float, float]:
    """Goodness of fit: (p-value, the category furthest off, its observed and expected frequency)."""
    n = sum(got.values())
    categories = list(probabilities)
    groups = _pooled(categories, [n * probabilities[c] for c in categories])
    statistic, worst, worst_residual = 0.0, (None, 0.0, 0.0), -1.0
    for group in groups:
        observed = sum(got[c] for c in group)
        expected = n * sum(probabilities[c] for c in group)
        if expected > 0:
            statistic += (observed - expected) ** 2 / expected
            residual = abs(observed - expected) / math.sqrt(expected)
            if residual > worst_residual:
                worst_residual, worst = residual, (group[0] if len(group) == 1 else group, observed / n, expected / n)
    return (chi2_sf(statistic, len(groups) - 1), *worst)


def _homogeneity_test(got: Counter, reference: Counter) -> tuple[float, Any, float, float]:
    """Two samples from one law? (p-value, the category furthest off, its frequency in each sample)."""
    n, m = sum(got.values()), sum(reference.values())
    categories = list(dict.fromkeys([*reference, *got]))
    pooled_counts = [got[c] + reference[c] for c in categories]
    groups = _pooled(categories, [count * min(n, m) / (n + m) for count in pooled_counts])
    statistic, worst, worst_residual = 0.0, (None, 0.0, 0.0), -1.0
    for group in groups:
        a, b = sum(got[c] for c in group), sum(reference[c] for c in group)
        expected_a, expected_b = (a + b) * n / (n + m), (a + b) * m / (n + m)
        statistic += (a - expected_a) ** 2 / expected_a + (b - expected_b) ** 2 / expected_b
        residual = abs(a - expected_a) / math.sqrt(expected_a)
        if residual > worst_residual:
            worst_residual, worst = residual, (group[0] if len(group) == 1 else group, a / n, b / m)
    return (chi2_sf(statistic, len(groups) - 1), *worst)


def _outcome(value: Any) -> Hashable:
    """A draw as a hashable outcome: numpy scalars as Python values, sequences as tuples."""
    value = checks._plain(value)
    if isinstance(value, list):
        return tuple(_outcome(v) for v in value)
    return value


def _draws_differ(got: Sequence, expected: Mapping | Sequence, call: str, what: str, hint: str,
                  alpha: float, alpha_in_all: float | None = None) -> tuple[float, str] | None:
    """(p-value, failure message) when the draws do not follow the law (p < alpha), else None.

    ``alpha_in_all``: the false-failure rate of the whole check this test is one of, for the message.
    """
    counts = Counter(_outcome(g) for g in got)
    hint_line = f"\n  Hint: {hint}" if hint else ""
    if isinstance(expected, Mapping):
        probabilities = {_outcome(k): float(v) for k, v in expected.items()}
        impossible = [o for o in counts if probabilities.get(o, 0.0) <= 0.0]
        if impossible:
            return 0.0, (f"{call}: {what}: drew {impossible[0]!r} ({counts[impossible[0]]} of {len(got)} draws), "
                         f"which has probability 0{hint_line}")
        p_value, worst, observed, reference = _fit_test(counts, probabilities)
        versus = "expected"
    else:
        p_value, worst, observed, reference = _homogeneity_test(counts, Counter(_outcome(e) for e in expected))
        versus = "in the reference's draws"
    if p_value >= alpha:
        return None
    return p_value, (f"{call}: {what} do not follow the right probabilities ({len(got)} draws, chi-square "
                     f"p = {p_value:.1e}; a correct sampler fails this check with probability "
                     f"{alpha_in_all or alpha:.0e})\n"
                     f"  most different: {worst!r}: {observed:.1%} of your draws, {reference:.1%} {versus}{hint_line}")


def check_draws(got: Sequence, expected: Mapping | Sequence, call: str, what: str, hint: str = "",
                alpha: float = 1e-6) -> None:
    """Many random draws (``got``: hashable outcomes, e.g. ids or strings) follow the right law.

    ``expected`` is either the exact probabilities (outcome -> probability) or the reference's
    own draws on the same inputs (any number of them). A chi-square test fails with p < ``alpha``:
    a correct sampler fails with probability ``alpha`` (one in a million by default), whichever
    way it uses its generator. Use a few thousand draws: a wrong law is then found even when
    it differs by a few percent. Outcomes with probability 0 must never be drawn.
    """
    checks._guard()
    failure = _draws_differ(got, expected, call, what, hint, alpha)
    if failure:
        raise CheckFailure(failure[1])


# What check_sequences compares, in the order its failures are reported when several fail at once.
SEQUENCE_FEATURES = ("pairs", "lengths", "positions", "whole")
SEQUENCE_HINTS = {
    "pairs": "Neighbouring draws depend on each other in a way the reference's do not. Create the generator once, "
             "before the loop, and take every draw from it: re-creating or re-seeding it inside the loop repeats "
             "the same draw.",
    "lengths": "The sequences stop at the wrong time: stop right after drawing END (or at the maximum length).",
    "positions": "The draws at one position do not follow the model's probabilities at that step.",
    "whole": "The sequences as a whole do not follow the model's probabilities.",
}
_ENDED = "(ended)"


def check_sequences(got: Sequence[Sequence], reference: Sequence[Sequence], call: str, what: str = "the sequences",
                    hint: str = "", hints: Mapping[str, str] | None = None, alpha: float = 1e-6,
                    positions: int = 8) -> None:
    """Sampled sequences against the reference's samples from the same model, as sequences.

    Compares (chi-square, :func:`check_draws`) the lengths, the item at each of the first
    ``positions`` positions, each pair of neighbours there, and the whole sequences; the
    chance that a correct sampler fails any of them is at most ``alpha`` in total. The failure
    names the feature that differs most, with ``hints[feature]`` (features: "pairs", "lengths",
    "positions", "whole"; defaults in :data:`SEQUENCE_HINTS`), else ``hint``.

    Use a test model whose next-item probabilities do not depend on what came before to test
    the generator: any dependence between neighbours is then the sampler's own doing.
    """
    checks._guard()
    got = [tuple(_outcome(list(s))) for s in got]
    reference = [tuple(_outcome(list(s))) for s in reference]
    longest = min(positions, max(len(s) for s in [*got, *reference]))
    features: list[tuple[str, str, Callable]] = []
    for t in range(longest - 1):
        features.append(("pairs", f"the pairs of items at positions {t} and {t + 1}",
                         lambda s, t=t: (s[t], s[t + 1]) if len(s) > t + 1 else _ENDED))
    features.append(("lengths", "the lengths", len))
    for t in range(longest):
        features.append(("positions", f"the items at position {t}", lambda s, t=t: s[t] if len(s) > t else _ENDED))
    features.append(("whole", "the whole sequences", lambda s: s))
    hints = {**SEQUENCE_HINTS, **(hints or {})}
    failures = [_draws_differ([feature(s) for s in got], [feature(s) for s in reference], call,
                              f"{what}: {description}", hints.get(kind) or hint, alpha / len(features), alpha)
                for kind, description, feature in features]  # Bonferroni: alpha shared by all the tests
    failures = [f for f in failures if f]
    if failures:
        raise CheckFailure(min(failures, key=lambda f: f[0])[1])  # the first of the most significant


# -- torch: devices and modes --------------------------------------------------------------------

# Error messages of a real device mistake (ours, below, and torch's own).
_MISMATCH = ("not on the expected device", "on the same device", "not at the same device",
             "device type for generator")
# Calls that may legitimately mix devices on CUDA: indexing with a CPU index, copies and moves.
_MIXING_ALLOWED = {"__getitem__", "__setitem__", "copy_", "to", "cpu", "cuda", "type_as", "tensor", "as_tensor",
                   "new_tensor", "__get__", "__set__", "__repr__", "__format__", "__str__"}


def _tensors(value: Any) -> Iterator:
    import torch
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def _strict_devices():
    """A torch function mode that mixes devices as CUDA does (the meta device alone is lenient)."""
    from torch.overrides import TorchFunctionMode

    class StrictDevices(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            name = getattr(func, "__name__", "")
            if name not in _MIXING_ALLOWED:
                tensors = [t for t in _tensors([args, kwargs]) if t.dim() > 0]  # 0-dim CPU tensors mix everywhere
                devices = list(dict.fromkeys(str(t.device) for t in tensors))
                if len(devices) > 1:
                    raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two "
                                       f"devices, {devices[0]} and {devices[1]}! (in {name})")
                generator = kwargs.get("generator")
                if generator is not None and devices and generator.device.type != devices[0].split(":")[0]:
                    raise RuntimeError(f"Expected a '{devices[0]}' device type for generator but found "
                                       f"'{generator.device}' (in {name})")
            return func(*args, **kwargs)

    return StrictDevices()


def _on_meta(value: Any) -> Any:
    """A copy of ``value`` with its modules and tensors on the meta device (other values as they are)."""
    import torch
    if isinstance(value, torch.nn.Module):
        return copy.deepcopy(value).to("meta")
    if isinstance(value, torch.Tensor):
        return value.detach().to("meta").requires_grad_(value.requires_grad)
    if type(value) in (list, tuple):
        return type(value)(_on_meta(v) for v in value)
    if type(value) is dict:
        return {k: _on_meta(v) for k, v in value.items()}
    return value


def check_follows_device(function: Callable, *args: Any, hint: str = "", label: str | None = None,
                         **kwargs: Any) -> bool:
    """Does ``function`` keep its work on the device of its model and inputs? A probe that needs no GPU.

    Calls ``function`` with copies of its module and tensor arguments on PyTorch's ``meta``
    device (shapes without values), refusing any mix of devices as CUDA would. A tensor the
    function creates without ``device=...`` (a state of zeros, a batch not moved with
    ``.to(device)``) is on the CPU and fails, as would every tensor it returns that is not on
    meta. Code that needs values (``.item()``, ``.cpu()``, sampling) cannot run on meta: the
    probe stops there, and what ran until then was checked; any other error is left to the
    tests that run on real values. Returns True when the function ran to the end (then its
    results were checked too), False when it stopped before.
    """
    checks._guard()
    import torch
    label = label or describe_call(function, *args, **kwargs)
    moved_args, moved_kwargs = _on_meta(list(args)), _on_meta(kwargs)
    try:
        with _strict_devices():
            result = call_student(function, *moved_args, label=f"{label} on another device", **moved_kwargs)
    except CheckFailure as failure:
        message = str(failure)
        if any(text in message for text in _MISMATCH):
            raise CheckFailure(message.split("\n  Hint:")[0] + "\n  Hint: " + (hint or checks.DEVICE_HINT)) \
                from None
        return False  # it needed values (.item(), .cpu(), ...), or failed in a way the other tests report
    values = [result] + ([*result.parameters()] if isinstance(result, torch.nn.Module) else [])
    off = [str(t.device) for t in _tensors(values) if t.device.type != "meta"]
    if off:
        raise CheckFailure(f"{label}, with the model and inputs on another device: returned a tensor on {off[0]}\n"
                           f"  Hint: {hint or checks.DEVICE_HINT}")
    return True


@contextlib.contextmanager
def forward_modes(model: Any) -> Iterator[list[bool]]:
    """Record ``model.training`` at every call of the model while the block runs.

    ``with forward_modes(model) as modes: call_student(train, model, ...)``, then e.g.
    ``check_true(modes and all(modes), ...)``: dropout was on at every training step. Pair it
    with a model that has dropout and with the reference's losses on the same seed, so that
    forgetting ``model.train()`` or the seed also changes the numbers.
    """
    checks._guard()
    modes: list[bool] = []
    handle = model.register_forward_pre_hook(lambda module, inputs: modes.append(bool(module.training)))
    try:
        yield modes
    finally:
        handle.remove()


# The notebook imports this module right after the checks, before any student code runs: verifying the
# guard now also records this module's functions, which every later check then watches.
checks._guard()
