#!/usr/bin/env python3
"""a1 benchmark: the classic per-example NumPy RNN loop against the reference minibatch training.

    python bench/bench_a1.py [--seconds 15] [--runs 1] [--batch-size 512] [--learning-rate 0.02] [--default-malloc]

The baseline is the loop of the popular tutorials: one name per SGD step, n_a = 50, learning
rate 0.01, clip 5, float64. The reference is the notebook's own code (rnn_forward, rnn_backward,
clip, Adam) on minibatches of names of similar length (`minibatches(..., bucket=8)`),
n_a = 64, float32. Both train on the same split and are scored with the same held-out NLL
(nats per character, END counted). Evaluation time is not counted as training time.

The two trainings take turns, a slice of about 25 ms each, the one with less training time
first: on a shared machine both then see the same load, and their ratio is far less noisy
than when one runs after the other. With --runs N the race is run N times, and the speeds
and their ratio are reported as the median and the range. Prints Markdown tables.

The process runs with one BLAS thread and, unless --default-malloc, with glibc's malloc told
to keep freed memory (see keep_freed_memory): both are settings of the process, not of the
code, and neither changes the baseline.
"""

from __future__ import annotations

import os

# One BLAS thread: for these small matrices a second thread costs more than it gives
# (measured here: about 240k against 215k characters per second). Set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import ctypes
import statistics
import sys
import time

import numpy as np

from rnncourse.data import Vocabulary, load_lines, minibatches, one_hot, train_val_split  # noqa: E402
from rnncourse.evaluate import bigram_nll, dataset_nll, results_table  # noqa: E402

CHECKPOINTS = (1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0, 70.0)


def load_functions() -> dict:
    """The notebook's imports, its reference solutions and its Adam, and nothing else.

    Not bench/notebook_code.load_namespace: that also runs the lessons' cells (plots, a gradient
    check), and the race then starts from a fragmented heap, where the reference's big
    temporaries cost about 10% more under load.
    """
    from rnncourse.grading import notebooks as nbs
    from rnncourse.grading.course import Course

    namespace: dict = {"__name__": "bench_a1"}
    cells = [c for c in nbs.read(Course.find().notebook("source", "a1_numpy_rnn")).cells if c.cell_type == "code"]
    for index, cell in enumerate(cells):
        if index == 0 or nbs.is_solution(cell) or cell.source.lstrip().startswith("class Adam"):
            code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            exec(compile(code, "<a1 cell>", "exec"), namespace)
    return namespace


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse rather than hand it back to the system.

    NumPy takes its big temporaries (0.3 to 1 MB each, a few per training step) from malloc, and by
    default glibc returns such blocks to the system as soon as they are freed: the next step then
    pays a page fault for every 4 KiB it touches again, a quarter of the reference's time on this
    machine. This is the same as running with MALLOC_TRIM_THRESHOLD_ and MALLOC_MMAP_THRESHOLD_
    set; the baseline, whose arrays are tiny, does not change. False where there is no glibc.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    return bool(mallopt(M_TRIM_THRESHOLD, 256 << 20)) and bool(mallopt(M_MMAP_THRESHOLD, 32 << 20))


# ---- the classic per-example loop (written as the tutorials do, here only as a baseline) ----
def baseline_trainer(train_names, vocab, n_a=50, lr=0.01, clip=5.0, seed=0):
    """Trains 50 names at a time; yields (characters trained on, parameters) after each slice."""
    rng = np.random.default_rng(seed)
    n_x = len(vocab)
    Wax = rng.standard_normal((n_a, n_x)) * 0.01
    Waa = rng.standard_normal((n_a, n_a)) * 0.01
    Wya = rng.standard_normal((n_x, n_a)) * 0.01
    ba, by = np.zeros((n_a, 1)), np.zeros((n_x, 1))
    order, k = rng.permutation(len(train_names)), 0
    while True:
        chars = 0
        for _ in range(50):
            ids = vocab.encode(train_names[order[k % len(order)]])
            k += 1
            xs, hs, ps = {}, {-1: np.zeros((n_a, 1))}, {}
            inputs = [vocab.end_id] + ids[:-1]
            for t, i in enumerate(inputs):
                xs[t] = np.zeros((n_x, 1)); xs[t][i] = 1
                hs[t] = np.tanh(Wax @ xs[t] + Waa @ hs[t - 1] + ba)
                e = np.exp(Wya @ hs[t] + by - np.max(Wya @ hs[t] + by))
                ps[t] = e / e.sum()
            dWax, dWaa, dWya = np.zeros_like(Wax), np.zeros_like(Waa), np.zeros_like(Wya)
            dba, dby, dh_next = np.zeros_like(ba), np.zeros_like(by), np.zeros((n_a, 1))
            for t in reversed(range(len(inputs))):
                dy = ps[t].copy(); dy[ids[t]] -= 1
                dWya += dy @ hs[t].T; dby += dy
                dh = Wya.T @ dy + dh_next
                dz = (1 - hs[t] ** 2) * dh
                dba += dz; dWax += dz @ xs[t].T; dWaa += dz @ hs[t - 1].T
                dh_next = Waa.T @ dz
            for g in (dWax, dWaa, dWya, dba, dby):
                np.clip(g, -clip, clip, out=g)
            Wax -= lr * dWax; Waa -= lr * dWaa; Wya -= lr * dWya; ba -= lr * dba; by -= lr * dby
            chars += len(ids)
        yield chars, dict(Wax=Wax, Waa=Waa, Wya=Wya, ba=ba, by=by)


# ---- the notebook's own code ----
def reference_trainer(ns, train_names, vocab, n_a=64, batch_size=512, lr=0.02, seed=0, bucket=8):
    """Trains on about 12,000 characters at a time; yields (characters, parameters) after each slice."""
    dtype = np.float32
    n_x = len(vocab)
    parameters = {k: v.astype(dtype) for k, v in ns["initialize_parameters"](n_a, n_x, n_x, seed).items()}
    adam = ns["Adam"]()
    batches = minibatches(train_names, vocab, batch_size, np.random.default_rng(seed), bucket=bucket)
    steps = max(1, 2560 // batch_size)
    while True:
        chars = 0
        for _ in range(steps):
            inputs, targets, mask = next(batches)
            _, _, parameters, _ = ns["optimize"](one_hot(inputs, n_x, dtype), targets, mask.astype(dtype),
                                                 np.zeros((n_a, len(inputs)), dtype), parameters, lr, 5.0, adam)
            chars += int(mask.sum())
        yield chars, parameters


def race(trainers, checkpoints, evaluate):
    """Runs the trainers in turns, always the one with the least training time so far, until each
    has trained for the last checkpoint. Returns {name: (characters per second, {checkpoint: NLL})}."""
    state = {name: {"trained": 0.0, "chars": 0, "marks": {}, "pending": sorted(checkpoints)} for name in trainers}
    while any(s["pending"] for s in state.values()):
        name = min((n for n, s in state.items() if s["pending"]), key=lambda n: state[n]["trained"])
        s = state[name]
        start = time.perf_counter()
        chars, parameters = next(trainers[name])
        s["trained"] += time.perf_counter() - start
        s["chars"] += chars
        while s["pending"] and s["trained"] >= s["pending"][0]:
            s["marks"][s["pending"].pop(0)] = evaluate(parameters)
    return {name: (s["chars"] / s["trained"], s["marks"]) for name, s in state.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="training time of each training, per run")
    parser.add_argument("--runs", type=int, default=1, help="how many times to run the race")
    parser.add_argument("--batch-size", type=int, default=512, help="names per step of the reference")
    parser.add_argument("--learning-rate", type=float, default=0.02, help="Adam's learning rate in the reference")
    parser.add_argument("--default-malloc", action="store_true", help="leave glibc's malloc settings as they are")
    args = parser.parse_args()
    malloc_tuned = not args.default_malloc and keep_freed_memory()
    ns = load_functions()
    names = load_lines("names.txt")
    vocab = Vocabulary(sorted(set("".join(names))))
    train_names, val_names = train_val_split(names, 0.1, seed=0)

    def evaluate(parameters):
        def log_probs(inputs):
            X = one_hot(inputs, len(vocab), np.float64)
            p = {k: v.astype(np.float64) for k, v in parameters.items()}
            a = np.zeros((p["Waa"].shape[0], inputs.shape[0]))
            out = []
            for t in range(inputs.shape[1]):
                a, y_hat = ns["rnn_step_forward"](X[:, :, t], a, p)
                out.append(np.log(np.maximum(y_hat.T, 1e-30)))
            return np.stack(out, axis=1)
        return dataset_nll(log_probs, val_names, vocab)

    marks = [s for s in CHECKPOINTS if s <= args.seconds] or [args.seconds]
    reference_name = (f"reference: {args.batch_size} names/step Adam (lr {args.learning_rate:g}), n_a=64, "
                      f"float32, length buckets")
    runs = []
    for run in range(args.runs):
        trainers = {"baseline": baseline_trainer(train_names, vocab),
                    "reference": reference_trainer(ns, train_names, vocab, batch_size=args.batch_size,
                                                   lr=args.learning_rate)}
        results = race(trainers, marks, evaluate)
        runs.append(results)
        ratio = results["reference"][0] / results["baseline"][0]
        print(f"run {run + 1}: baseline {results['baseline'][0]:,.0f} chars/s, reference "
              f"{results['reference'][0]:,.0f} chars/s, ratio {ratio:.1f}x", file=sys.stderr, flush=True)

    def median_and_range(values, fmt):
        if len(values) == 1:
            return fmt.format(values[0])
        return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))} to {fmt.format(max(values))})"

    bigram = bigram_nll(train_names, val_names, vocab)
    middle = sorted(runs, key=lambda r: r["reference"][0] / r["baseline"][0])[(len(runs) - 1) // 2]
    rows = [{"training": "bigram counts (no training)", "chars/s": None, **{f"NLL @ {s:g} s": bigram for s in marks}}]
    for name, label in (("baseline", "baseline: 1 name/step SGD, n_a=50, float64"), ("reference", reference_name)):
        rows.append({"training": label, "chars/s": median_and_range([r[name][0] for r in runs], "{:,.0f}"),
                     **{f"NLL @ {s:g} s": v for s, v in middle[name][1].items()}})
    print(results_table(rows))
    ratios = [r["reference"][0] / r["baseline"][0] for r in runs]
    bests = [min((v for s, v in r["reference"][1].items() if s <= 15.0), default=float("nan")) for r in runs]
    print(f"\nspeed ratio reference/baseline: {median_and_range(ratios, '{:.1f}x')} over {len(runs)} run(s) (goal >= 30x)")
    print(f"reference held-out NLL within 15 s: {median_and_range(bests, '{:.3f}')} (goal <= 2.03)")
    print(f"malloc keeps freed memory: {'yes' if malloc_tuned else 'no (glibc defaults)'}")
    if len(runs) > 1:
        print("NLL columns: the run with the median speed ratio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
