"""Benchmark of assignment 2's models at the self-study budget.

    .venv/bin/python bench/bench_a2.py

Runs the code of source/a2_keras_lstm/keras_lstm.ipynb with the reference solutions (the notebook
is the one source of truth: nothing is copied here), training cells included, and prints a
Markdown table: model, held-out NLL (nats per character), trainable parameters and training
seconds, for the two names models (held-out names) and the sonnets' stateful LSTM (held-out
sonnets). The training budgets are the notebook's, in seconds: on a slower or busier machine the
models train for the same time and end with a higher NLL. Check and test cells are skipped;
results are recorded in a temporary copy of the results file, so the course's own comparison
table is left as it was.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.pop("NBGRADER_EXECUTION", None)  # the self-study budget
os.environ["KERAS_BACKEND"] = "torch"
os.environ["MPLBACKEND"] = "Agg"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_code import load_namespace  # noqa: E402

from rnncourse.evaluate import results_path, results_table  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.json"
        if results_path().exists():
            shutil.copy(results_path(), results)
        os.environ["RNNCOURSE_RESULTS"] = str(results)
        import matplotlib.pyplot as plt
        plt.show = lambda *args, **kwargs: plt.close("all")
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the notebook's own prints and progress bars
            ns = load_namespace("a2_keras_lstm", stop_at="## What you built")
        total = time.perf_counter() - start
    rows = [
        {"model": "bigram counts (names)", "held-out NLL": ns["bigram_nll"](ns["train_names"], ns["val_names"], ns["vocab"]),
         "params": len(ns["vocab"]) ** 2, "train seconds": None},
        {"model": f"char RNN: Embedding({ns['emb_size']}) + RNN(CharRNNCell({ns['hidden_size']})), {ns['char_epochs']} epochs",
         "held-out NLL": ns["char_rnn_nll"], "params": ns["count_parameters"](ns["char_rnn"]), "train seconds": ns["char_seconds"]},
        {"model": f"LSTM(128) over windows of {ns['Tx_names']}, {ns['lstm_epochs']} epochs",
         "held-out NLL": ns["lstm_nll"], "params": ns["count_parameters"](ns["names_lstm"]), "train seconds": ns["lstm_seconds"]},
        {"model": "bigram counts (sonnets)", "held-out NLL": ns["poem_bigram_nll"], "params": len(ns["poem_vocab"]) ** 2, "train seconds": None},
        {"model": f"sonnets: stateful LSTM(256), truncated BPTT over {ns['poem_batch']} streams x {ns['poem_seq_len']}, "
                  f"{len(ns['poem_losses'])} steps ({len(ns['poem_val'])} passes)",
         "held-out NLL": ns["poem_nll"], "params": ns["count_parameters"](ns["poem_lstm"]), "train seconds": ns["poem_seconds"]},
    ]
    import torch
    print(f"a2_keras_lstm models, self-study budget; keras {ns['keras'].__version__}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s), {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f} at the end; "
          f"{total:.0f} s in all\n")
    print(results_table(rows, ["model", "held-out NLL", "params", "train seconds"]))


if __name__ == "__main__":
    main()
