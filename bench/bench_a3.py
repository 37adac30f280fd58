"""Benchmark of assignment a3_torch_rnn: the notebook's reference models at its self-study budget.

Runs the code cells of source/a3_torch_rnn/torch_rnn.ipynb (reference solutions included, graded
tests and visible checks skipped) exactly as a student's default run would, then prints the
comparison table (held-out NLL in nats per character on the validation split, parameters,
training seconds, novelty of 200 samples) and whether the best model reaches the goal.

Every model trains for the notebook's SECONDS_PER_MODEL seconds (the number of steps adapts to the
machine); --seconds S overrides it, to see what a longer or shorter budget gives.

Usage, from the repository root: .venv/bin/python bench/bench_a3.py [--seconds S]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "a3_torch_rnn" / "torch_rnn.ipynb"
GOAL_NLL = 1.90


def code_cells(path: Path, seconds: float | None = None) -> list[str]:
    """The notebook's code cells that a self-study run executes, minus tests, checks and magics."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") or str(meta.get("grade_id", "")).startswith("check_"):
            continue
        source = "".join(cell["source"])
        if seconds is not None:
            source = re.sub(r"^SECONDS_PER_MODEL = [0-9.]+", f"SECONDS_PER_MODEL = {seconds}", source, flags=re.M)
        cells.append("\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%")))
    return cells


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=None, help="training seconds per model (default: the notebook's)")
    args = parser.parse_args(argv)
    os.environ.pop("NBGRADER_EXECUTION", None)  # the self-study budget, not the grading one
    os.environ.setdefault("MPLBACKEND", "Agg")
    import warnings
    warnings.filterwarnings("ignore", message=".*non-interactive.*")  # plt.show() under Agg
    # read the results of assignments 1 and 2, but do not overwrite the user's file
    scratch = Path(tempfile.mkdtemp(prefix="bench-a3-"))
    user_results = Path(os.environ.get("RNNCOURSE_RESULTS", Path.home() / ".cache" / "rnncourse" / "results.json"))
    if user_results.exists():
        shutil.copy(user_results, scratch / "results.json")
    os.environ["RNNCOURSE_RESULTS"] = str(scratch / "results.json")
    sys.path.insert(0, str(ROOT))

    namespace: dict = {"__name__": "__bench__"}
    log = io.StringIO()
    start = time.perf_counter()
    try:
        os.chdir(NOTEBOOK.parent)
        for source in code_cells(NOTEBOOK, args.seconds):
            with contextlib.redirect_stdout(log):
                exec(compile(source, str(NOTEBOOK), "exec"), namespace)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    total = time.perf_counter() - start

    from rnncourse.evaluate import results_table

    columns = ["model", "held-out NLL", "parameters", "train seconds", "novelty"]
    rows = [{c: row.get(c) for c in columns} for row in namespace["rows"]]
    import torch
    print(f"## a3_torch_rnn: reference models at the notebook's self-study budget "
          f"(torch {torch.__version__}, {namespace['DEVICE']}, {torch.get_num_threads()} thread(s), {os.cpu_count()} CPUs)\n")
    print(results_table(rows, columns))
    print(f"\nEvery model trained for {namespace['SECONDS_PER_MODEL']} s; the steps each fitted in that time, and the best held-out "
          "NLL along its validation curve:")
    for label, r in namespace["results"].items():
        print(f"- {label}: {r['steps']} steps, {1000 * r['seconds'] / r['steps']:.1f} ms per step, final {r['nll']:.3f}, "
              f"best along the way {min(r['curve']['nll']):.3f}")
    for line in log.getvalue().splitlines():
        if "ms per training step" in line or "largest difference" in line:
            print(line.strip())
    results = namespace["results"]
    best = min(results, key=lambda label: results[label]["nll"])
    nll = results[best]["nll"]
    verdict = "meets" if nll <= GOAL_NLL else "MISSES"
    print(f"\nbest: {best}, held-out NLL {nll:.3f} nats/char: {verdict} the goal of <= {GOAL_NLL:.2f} "
          f"(whole notebook {total:.0f} s; CPU timings are noisy when other work shares the cores)")
    return 0 if nll <= GOAL_NLL else 1


if __name__ == "__main__":
    sys.exit(main())
