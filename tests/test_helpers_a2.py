"""The helpers that assignment 2's lessons added to the package: TimeBudget, reset_states, split_sonnets."""

import os
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers, ops  # noqa: E402

from rnncourse.data import load_text, split_sonnets  # noqa: E402
from rnncourse.keras_utils import TimeBudget, reset_states  # noqa: E402


def _tiny_model():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


class _Slow(keras.callbacks.Callback):
    """Makes every training step take at least `seconds`, so that a budget is reached whatever the machine."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.seconds)


def test_time_budget_stops_fit_and_keeps_every_loss():
    x, y = np.zeros((40, 3), "float32"), np.zeros((40, 2), "float32")
    budget = TimeBudget(0.3, desc="test")
    start = time.perf_counter()
    _tiny_model().fit(x, y, batch_size=4, epochs=1000, verbose=0, callbacks=[_Slow(0.02), budget])
    took = time.perf_counter() - start
    assert 0.3 <= budget.seconds <= took < 5  # stopped soon after the budget, far before 1000 epochs
    steps = len(budget.losses)
    assert 2 <= steps <= 0.3 / 0.02 + 1  # each step takes 0.02 s or more: it stops at the first step past the budget
    # epoch ends are counted in steps (10 per epoch), the last one possibly cut short
    assert budget.epoch_ends == sorted(budget.epoch_ends) and budget.epoch_ends[-1] == steps
    assert all(e % 10 == 0 for e in budget.epoch_ends[:-1])
    assert np.all(np.isfinite(budget.losses))


def test_time_budget_losses_are_per_minibatch():
    """Keras reports the running mean over the epoch; losses holds each minibatch's own loss."""
    x = np.zeros((8, 3), "float32")
    y = np.concatenate([np.zeros((4, 2)), np.ones((4, 2))]).astype("float32")
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")  # no learning: fixed losses
    budget = TimeBudget(60)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[budget])
    np.testing.assert_allclose(budget.losses, [0.0, 1.0], atol=1e-6)


def test_reset_states_resets_every_stateful_layer():
    keras.utils.set_random_seed(0)
    inner = keras.Sequential([keras.Input(batch_shape=(2, None, 4)), layers.LSTM(3, return_sequences=True, stateful=True, use_cudnn=False)])
    model = keras.Sequential([keras.Input(batch_shape=(2, None), dtype="int32"), layers.Embedding(5, 4), inner,
                              layers.GRU(3, stateful=True), layers.Dense(5)])
    ids = np.array([[1, 2, 3], [4, 0, 1]])
    first = ops.convert_to_numpy(model(ids))
    assert not np.allclose(ops.convert_to_numpy(model(ids)), first)  # the state was carried
    reset_states(model)
    np.testing.assert_allclose(ops.convert_to_numpy(model(ids)), first, atol=1e-6)


def test_split_sonnets():
    sonnets = split_sonnets(load_text("sonnets.txt"))
    assert len(sonnets) == 154
    assert sonnets[0].startswith("From fairest creatures we desire increase,")
    assert sonnets[-1].endswith("Love's fire heats water, water cools not love.")
    lengths = [len(s.splitlines()) for s in sonnets]
    assert lengths.count(14) == 152 and sorted(set(lengths)) == [12, 14, 15]  # sonnets 99 and 126 are the odd ones
    assert not any(line.strip() in {"I", "II", "CLIV"} for s in sonnets for line in s.splitlines())
    assert split_sonnets("I\n\nab\ncd\n\nII\n\nef\n") == ["ab\ncd", "ef"]
