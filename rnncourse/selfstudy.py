"""The self-study edition's checks: their reference code, kept out of the exercise notebooks.

In the graded course, a hidden test defines the reference it compares a student's function
with (``_ref_softmax``...) inside the test cell. The self-study edition shows those checks, but
not the reference: ``make release`` moves each cell's reference definitions into a file beside
the notebook (``references/numpy_rnn.py``), one section per check cell (``# %% <check id>``),
and the check cell asks for its section::

    define_references(globals(), "references/numpy_rnn.py", "test_softmax_hidden")

The section runs in the notebook's namespace, exactly as the definitions did in the test cell,
so it uses the notebook's imports and the references of earlier checks.
"""

from __future__ import annotations

import re
from pathlib import Path

SECTION = re.compile(r"^# %% (\S+)\s*$")


def sections(text: str) -> dict[str, tuple[int, str]]:
    """check id -> (line number of its first line, code) of every section of a references file."""
    found: dict[str, tuple[int, list[str]]] = {}
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = SECTION.match(line)
        if match:
            current = match.group(1)
            found[current] = (number + 1, [])
        elif current is not None:
            found[current][1].append(line)
    return {check: (start, "\n".join(lines)) for check, (start, lines) in found.items()}


def define_references(namespace: dict, path: str | Path, check: str) -> None:
    """Run the reference definitions of the check cell ``check`` from ``path`` in ``namespace``.

    ``path`` is relative to the notebook's folder (the kernel's working directory in Jupyter).
    Tracebacks through a reference point at its line in that file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not in {Path.cwd()}: run this notebook from its own folder, "
                                f"next to the references/ folder that comes with it")
    found = sections(path.read_text(encoding="utf-8"))
    if check not in found:
        raise KeyError(f"{path} has no section '# %% {check}': regenerate the notebooks with `make release`")
    start, code = found[check]
    # Blank lines before the code keep its line numbers those of the file.
    exec(compile("\n" * (start - 1) + code, str(path.resolve()), "exec"), namespace)
