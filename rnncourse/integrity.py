"""A tamper alarm for the checks: has anything replaced a function that the tests rely on?

Student code runs in the same kernel as the tests. The grader's static audit
(``rnncourse/grading/audit.py``) refuses the direct ways to patch the test machinery, but a
module can be reached in many indirect ways (a loop variable, a function argument,
``functools.update_wrapper``...). This guard watches the *effect* instead: when the checks are
imported (in a notebook's first cell, before any student code), it records every function,
class and submodule of numpy, torch, keras and this package, and the methods of
``torch.Tensor`` and ``torch.nn.Module``. Every check then first verifies that each of them
is still the very same object (once per notebook cell; about 2 ms of CPU with torch and keras
loaded, ``bench/bench_guard.py``). If one was replaced, the check fails with :class:`TamperedError`, and so does every
later check: changing the machinery can only lose points.

The guard keeps its records in a closure, which the audit's ban on dunder attributes, ``sys``,
``gc``, ``inspect`` and the course's own modules keeps out of a solution's reach.
"""

from __future__ import annotations

import sys
import types
from typing import Callable

# Whole packages (every loaded submodule), and single modules of the big frameworks: their
# public API and the internals that comparisons and conversions go through.
WATCHED_PACKAGES = ("numpy", "rnncourse")
WATCHED_MODULES = ("torch", "torch.nn", "torch.nn.functional", "torch.functional", "torch.testing", "torch._tensor",
                   "torch.nn.modules.module", "keras", "keras.ops", "keras.layers", "keras.src.ops.numpy",
                   "keras.src.ops.core", "keras.src.backend.torch.numpy", "keras.src.backend.torch.core")
WATCHED_CLASSES = (("torch", "Tensor"), ("torch.nn", "Module"), ("torch.nn", "Parameter"))
_MISSING = object()


class TamperedError(AssertionError):
    """A function the checks rely on was replaced (raised by every check from then on)."""


def _watchable(value) -> bool:
    """What a test calls or reaches through: callables and modules. Data (flags, caches,
    counters) may change legitimately and is left alone. Both tests look at the value's type
    only, so that watching never runs its code (some deprecated torch names warn when touched)."""
    return callable(value) or issubclass(type(value), (types.ModuleType, property, classmethod, staticmethod))


def current_cell() -> object:
    """The execution count of the cell running now (None outside IPython)."""
    shell = sys.modules.get("IPython")
    shell = shell.get_ipython() if shell is not None else None
    return getattr(shell, "execution_count", None)


def make_guard() -> Callable[[], None]:
    """Record the watched objects now; return the function that verifies them."""
    entries: list[tuple[str, dict, str, object]] = []
    classes: list[tuple[str, type, frozenset]] = []  # a name added to a class shadows its base's method
    seen: set[int] = set()
    tampered: list[str] = []
    last_cell: list = [object()]

    def watch_new_modules() -> None:
        for name, module in list(sys.modules.items()):
            watched = name.partition(".")[0] in WATCHED_PACKAGES or name in WATCHED_MODULES
            if module is None or id(module) in seen or not watched:
                continue
            seen.add(id(module))
            namespace = getattr(module, "__dict__", None)
            if isinstance(namespace, dict):
                entries.extend((name, namespace, key, value) for key, value in list(namespace.items())
                               if _watchable(value))
        for module_name, class_name in WATCHED_CLASSES:
            module = sys.modules.get(module_name)
            cls = getattr(module, class_name, None) if module is not None else None
            if isinstance(cls, type) and id(cls) not in seen:
                seen.add(id(cls))
                classes.append((f"{module_name}.{class_name}", cls, frozenset(cls.__dict__)))
                entries.extend((f"{module_name}.{class_name}", cls.__dict__, key, value)
                               for key, value in list(cls.__dict__.items()) if _watchable(value))

    def verify() -> None:
        if not tampered:
            here = current_cell()
            if here is not None and here == last_cell[0]:
                return
            tampered.extend(f"{owner}.{key}" for owner, namespace, key, value in entries
                            if namespace.get(key, _MISSING) is not value)
            tampered.extend(f"{owner}.{key}" for owner, cls, keys in classes for key in sorted(set(cls.__dict__) - keys))
            last_cell[0] = here
            watch_new_modules()
        if tampered:
            raise TamperedError(
                f"The grading machinery was changed before this check ran ({', '.join(tampered[:5])}"
                f"{' ...' if len(tampered) > 5 else ''}), so points are withheld from this check and every "
                "later one. Solutions must not replace functions of numpy, torch, keras or the course's checks.")

    if "torch" in sys.modules:
        # torch's compiler, imported by the first optimizer step, rewraps torch.manual_seed, and
        # the first function run through torch.compile patches nn.Module's __init__ and
        # __setstate__ once for good: do both now, so that the record holds what the notebook will
        # really use and a student's torch.compile is not taken for tampering.
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import torch._dynamo  # noqa: F401
            from torch._dynamo.mutation_guard import install_generation_tagging_init
            install_generation_tagging_init()
    watch_new_modules()
    return verify
