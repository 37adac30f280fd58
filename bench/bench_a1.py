#!/usr/bin/env python3
"""a1 benchmark: the classic per-example NumPy RNN loop against the reference minibatch training.

    python bench/bench_a1.py [--seconds 15]

The baseline is the loop of the popular tutorials: one name per SGD step, n_a = 50, learning
rate 0.01, clip 5, float64. The reference is the notebook's own code (rnn_forward, rnn_backward,
clip, Adam) on minibatches of 256 names of similar length (`minibatches(..., bucket=8)`),
n_a = 64, float32. Both train on the same split and
are scored with the same held-out NLL (nats per character, END counted). Evaluation time is
not counted as training time. Prints Markdown tables.
"""

from __future__ import annotations

import os

# One BLAS thread: for these small matrices a second thread costs more than it gives
# (measured here: about 240k against 215k characters per second). Set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_code import load_namespace  # noqa: E402

from rnncourse.data import Vocabulary, load_lines, minibatches, one_hot, train_val_split  # noqa: E402
from rnncourse.evaluate import bigram_nll, dataset_nll, results_table  # noqa: E402


# ---- the classic per-example loop (written as the tutorials do, here only as a baseline) ----
def baseline_train(train_names, vocab, seconds, checkpoints, evaluate, n_a=50, lr=0.01, clip=5.0, seed=0):
    rng = np.random.default_rng(seed)
    n_x = len(vocab)
    Wax = rng.standard_normal((n_a, n_x)) * 0.01
    Waa = rng.standard_normal((n_a, n_a)) * 0.01
    Wya = rng.standard_normal((n_x, n_a)) * 0.01
    ba, by = np.zeros((n_a, 1)), np.zeros((n_x, 1))
    chars, trained, marks, order, k = 0, 0.0, {}, rng.permutation(len(train_names)), 0
    pending = sorted(checkpoints)
    while pending:
        start = time.perf_counter()
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
        trained += time.perf_counter() - start
        while pending and trained >= pending[0]:
            marks[pending.pop(0)] = evaluate(dict(Wax=Wax, Waa=Waa, Wya=Wya, ba=ba, by=by))
    return chars / trained, marks


def reference_train(ns, train_names, vocab, checkpoints, evaluate, n_a=64, batch_size=256, lr=0.01, seed=0, bucket=8):
    dtype = np.float32
    n_x = len(vocab)
    parameters = {k: v.astype(dtype) for k, v in ns["initialize_parameters"](n_a, n_x, n_x, seed).items()}
    adam = ns["Adam"]()
    batches = minibatches(train_names, vocab, batch_size, np.random.default_rng(seed), bucket=bucket)
    chars, trained, marks, pending = 0, 0.0, {}, sorted(checkpoints)
    while pending:
        start = time.perf_counter()
        for _ in range(10):
            inputs, targets, mask = next(batches)
            _, _, parameters, _ = ns["optimize"](one_hot(inputs, n_x, dtype), targets, mask.astype(dtype),
                                                 np.zeros((n_a, len(inputs)), dtype), parameters, lr, 5.0, adam)
            chars += int(mask.sum())
        trained += time.perf_counter() - start
        while pending and trained >= pending[0]:
            marks[pending.pop(0)] = evaluate(parameters)
    return chars / trained, marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="training time of each run")
    args = parser.parse_args()
    ns = load_namespace("a1_numpy_rnn", stop_at="## 5 · Train it")
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

    marks = [s for s in (3.0, 5.0, 10.0, 15.0, 30.0, 70.0) if s <= args.seconds] or [args.seconds]
    base_speed, base_marks = baseline_train(train_names, vocab, args.seconds, marks, evaluate)
    ref_speed, ref_marks = reference_train(ns, train_names, vocab, marks, evaluate)
    rows = [
        {"training": "bigram counts (no training)", "chars/s": None, **{f"NLL @ {s:g} s": bigram_nll(train_names, val_names, vocab) for s in marks}},
        {"training": "baseline: 1 name/step SGD, n_a=50, float64", "chars/s": f"{base_speed:,.0f}",
         **{f"NLL @ {s:g} s": v for s, v in base_marks.items()}},
        {"training": "reference: 256 names/step Adam, n_a=64, float32, length buckets", "chars/s": f"{ref_speed:,.0f}",
         **{f"NLL @ {s:g} s": v for s, v in ref_marks.items()}},
    ]
    print(results_table(rows))
    ratio = ref_speed / base_speed
    best = min(v for s, v in ref_marks.items() if s <= 15.0) if any(s <= 15.0 for s in ref_marks) else float("nan")
    print(f"\nspeed ratio reference/baseline: {ratio:.1f}x (goal >= 30x)")
    print(f"reference held-out NLL within 15 s: {best:.3f} (goal <= 2.03)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
