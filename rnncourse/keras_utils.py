"""Keras helpers for the Keras assignment: a progress bar for ``fit`` and model summaries.

Import it after choosing the backend (the notebook sets ``KERAS_BACKEND=torch`` first); on its
own it defaults to the torch backend. Nothing here is a reference solution to an exercise.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402

from .plots import progress  # noqa: E402


class TrainingProgress(keras.callbacks.Callback):
    """A progress bar over every training step of ``fit``, that also keeps each minibatch loss.

    Use it with ``fit(..., verbose=0, callbacks=[TrainingProgress()])``: Keras's own bar would
    write to stderr, which reads as trouble in the feedback. The bar writes to stdout (a widget in
    JupyterLab) and is silent while nbgrader grades.

    Keras reports the running mean of the loss over the epoch; ``losses`` turns it back into
    the loss of each minibatch (exact when the minibatches have equal size), so that
    ``plot_losses(callback.losses)`` draws the same kind of curve as the NumPy assignment.
    """

    def __init__(self, desc: str = "training"):
        super().__init__()
        self.desc = desc
        self.losses: list[float] = []
        self._bar = None
        self._epoch_mean = 0.0

    def on_train_begin(self, logs=None):
        steps = self.params.get("steps") or 0
        self._bar = progress(total=steps * self.params.get("epochs", 1), desc=self.desc)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        mean = float((logs or {}).get("loss", float("nan")))
        self.losses.append(mean * (batch + 1) - self._epoch_mean * batch)
        self._epoch_mean = mean
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(loss=f"{mean:.3f}", refresh=False)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def count_parameters(model) -> int:
    """Number of trainable parameters of a built Keras model or layer."""
    return int(sum(int(keras.ops.size(w)) for w in model.trainable_weights))


class TimeBudget(TrainingProgress):
    """:class:`TrainingProgress` with a budget in seconds: ``fit`` stops at the first step that ends past it.

    ``fit(..., epochs=many, verbose=0, callbacks=[TimeBudget(60)])`` trains for about 60 s
    whatever the machine's speed or load: a slow machine gives a shorter run, not a longer
    wait. The bar counts seconds; ``losses`` holds every minibatch loss, as with
    :class:`TrainingProgress`, and ``epoch_ends`` the number of steps done at the end of each
    epoch (the last one possibly cut short), ``seconds`` the time training took.
    """

    def __init__(self, seconds: float, desc: str = "training"):
        super().__init__(desc=desc)
        self.budget = float(seconds)
        self.epoch_ends: list[int] = []
        self.seconds = 0.0
        self._start = None
        self._shown = 0

    def on_train_begin(self, logs=None):
        import time
        self._start = time.perf_counter()
        self._bar = progress(total=max(1, round(self.budget)), desc=self.desc, unit="s")

    def elapsed(self) -> float:
        import time
        return 0.0 if self._start is None else time.perf_counter() - self._start

    def on_train_batch_end(self, batch, logs=None):
        mean = float((logs or {}).get("loss", float("nan")))
        self.losses.append(mean * (batch + 1) - self._epoch_mean * batch)
        self._epoch_mean = mean
        elapsed = self.elapsed()
        if self._bar is not None:
            shown = min(int(elapsed), max(1, round(self.budget)))
            self._bar.update(shown - self._shown)
            self._shown = shown
            self._bar.set_postfix(loss=f"{mean:.3f}", refresh=False)
        if elapsed >= self.budget:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_ends.append(len(self.losses))

    def on_train_end(self, logs=None):
        self.seconds = self.elapsed()
        super().on_train_end(logs)


def reset_states(model) -> None:
    """Reset the state of every stateful layer of ``model`` (Keras 3 models have no ``reset_states``).

    A stateful recurrent layer (``LSTM(..., stateful=True)``) starts each call from the state
    where the previous call ended; this puts every such layer back to zeros, e.g. before a new
    text or a new epoch.
    """
    for layer in model.layers:
        if hasattr(layer, "layers"):
            reset_states(layer)
        elif getattr(layer, "stateful", False) and hasattr(layer, "reset_state"):
            layer.reset_state()
