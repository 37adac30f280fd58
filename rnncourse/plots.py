"""Plots and progress bars used by every assignment."""

from __future__ import annotations

import os
import sys
from typing import Iterable, Sequence

import numpy as np


def grading() -> bool:
    """True while nbgrader executes the notebook (``validate`` or ``autograde``)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def progress(iterable: Iterable | None = None, total: int | None = None, desc: str = "training", **kwargs):
    """A tqdm progress bar: a widget in JupyterLab, text on stdout elsewhere.

    It never writes to stderr (stderr is for warnings, and reads as trouble), and it is
    silent while nbgrader grades.
    """
    if grading():
        from tqdm import tqdm
        return tqdm(iterable, total=total, desc=desc, disable=True, **kwargs)
    try:
        from tqdm.auto import tqdm
        return tqdm(iterable, total=total, desc=desc, file=sys.stdout, **kwargs)
    except Exception:  # no widget support: plain text bar on stdout
        from tqdm.std import tqdm
        return tqdm(iterable, total=total, desc=desc, file=sys.stdout, **kwargs)


def smooth(values: Sequence[float], weight: float = 0.9) -> np.ndarray:
    """Exponential moving average, the smoothing used for noisy minibatch losses."""
    out, running = [], None
    for v in values:
        running = v if running is None else weight * running + (1 - weight) * v
        out.append(running)
    return np.asarray(out)


def plot_losses(losses: Sequence[float], title: str = "training loss", val_losses: dict | None = None,
                ylabel: str = "NLL (nats / character)", ax=None):
    """Raw and smoothed minibatch losses, optionally with validation points ``{step: loss}``."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    steps = np.arange(1, len(losses) + 1)
    ax.plot(steps, losses, alpha=0.3, label="minibatch")
    ax.plot(steps, smooth(losses), label="smoothed")
    if val_losses:
        ax.plot(list(val_losses), list(val_losses.values()), "o-", label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    plt.show()
    return ax


def plot_length_histogram(names: Sequence[str], title: str = "name lengths", ax=None):
    """Histogram of item lengths, to choose a maximum length and to see what the model must learn."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    lengths = np.array([len(n) for n in names])
    ax.hist(lengths, bins=np.arange(lengths.min(), lengths.max() + 2) - 0.5, edgecolor="white")
    ax.set_xlabel("characters")
    ax.set_ylabel("count")
    ax.set_title(f"{title} (mean {lengths.mean():.1f}, max {lengths.max()})")
    plt.show()
    return ax


def plot_hidden_states(states: np.ndarray, labels: Sequence[str], unit_labels: Sequence[str] | None = None,
                       title: str = "hidden units over the characters read", ax=None):
    """Heatmap of hidden-state values: one row per unit, one column per character read.

    states: ``(units, columns)`` values in [-1, 1] (tanh units); a column of NaN is drawn blank,
    to separate one name from the next. labels: one per column, the character just read.
    unit_labels: one per row (default ``unit 0``, ``unit 1``, ...). Blue is -1, red +1.
    Shows the figure when it creates it; returns the Axes.
    """
    import matplotlib.pyplot as plt
    states = np.asarray(states, dtype=float)
    if states.ndim != 2 or states.shape[1] != len(labels):
        raise ValueError(f"states must be (units, {len(labels)} columns), got {states.shape}")
    unit_labels = list(unit_labels) if unit_labels is not None else [f"unit {i}" for i in range(states.shape[0])]
    if len(unit_labels) != states.shape[0]:
        raise ValueError(f"{len(unit_labels)} unit labels for {states.shape[0]} rows")
    own_figure = ax is None
    if own_figure:
        _, ax = plt.subplots(figsize=(max(6.0, 0.28 * states.shape[1] + 2.5), 0.45 * states.shape[0] + 1.2))
    image = ax.imshow(np.ma.masked_invalid(states), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_yticks(range(len(unit_labels)), unit_labels, fontsize=8)
    ax.set_xlabel("character just read")
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    if own_figure:
        plt.show()
    return ax


def plot_curves(curves: dict, baseline: float | None = None, baseline_label: str = "baseline",
                ylabel: str = "held-out NLL (nats / character)") -> None:
    """Validation curves of several models, against training steps (left) and training seconds (right).

    curves -- ``{label: {"steps": [...], "seconds": [...], "nll": [...]}}``, one point per evaluation
    baseline -- the value of a reference model (e.g. the bigram's NLL), drawn as a dashed line

    The y-axis starts just below the best value and stops a little above the baseline (or the
    worst final value), so that untrained starting points do not squash the interesting part.
    Returns nothing, so that a notebook cell ending with this call prints no object's repr.
    """
    import matplotlib.pyplot as plt
    if not curves:
        raise ValueError("no curves to plot")
    _, (ax_steps, ax_seconds) = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
    for label, curve in curves.items():
        ax_steps.plot(curve["steps"], curve["nll"], "o-", markersize=3, label=label)
        ax_seconds.plot(curve["seconds"], curve["nll"], "o-", markersize=3, label=label)
    best = min(min(c["nll"]) for c in curves.values())
    top = max(c["nll"][-1] for c in curves.values())
    if baseline is not None:
        top = max(top, baseline)
        for ax in (ax_steps, ax_seconds):
            ax.axhline(baseline, color="grey", linestyle="--", label=baseline_label)
    ax_steps.set_ylim(best - 0.05, top + 0.15)
    ax_steps.set_xlabel("training steps")
    ax_seconds.set_xlabel("training seconds")
    ax_steps.set_ylabel(ylabel)
    for ax in (ax_steps, ax_seconds):
        ax.grid(alpha=0.3)
    ax_seconds.legend(fontsize=8)
    plt.tight_layout()
    plt.show()
