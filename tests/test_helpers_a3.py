"""Helpers that assignment a3_torch_rnn's lessons added to the shared package."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rnncourse.plots import plot_curves  # noqa: E402


def test_plot_curves_draws_every_model_against_steps_and_seconds():
    curves = {"rnn": {"steps": [0, 10, 20], "seconds": [0.0, 1.0, 2.0], "nll": [3.9, 2.2, 2.0]},
              "lstm": {"steps": [0, 5, 10], "seconds": [0.0, 1.5, 3.0], "nll": [3.9, 2.1, 1.9]}}
    plt.close("all")
    assert plot_curves(curves, baseline=2.3, baseline_label="bigram") is None  # no repr under a notebook cell
    ax_steps, ax_seconds = plt.gcf().axes
    assert [list(line.get_xdata()) for line in ax_steps.lines[:2]] == [[0, 10, 20], [0, 5, 10]]
    assert [list(line.get_xdata()) for line in ax_seconds.lines[:2]] == [[0.0, 1.0, 2.0], [0.0, 1.5, 3.0]]
    assert [line.get_label() for line in ax_seconds.lines] == ["rnn", "lstm", "bigram"]
    low, high = ax_steps.get_ylim()
    assert low == pytest.approx(1.85) and high == pytest.approx(2.45)  # the untrained 3.9 is cut off
    plt.close("all")


def test_plot_curves_needs_a_curve():
    with pytest.raises(ValueError):
        plot_curves({})
