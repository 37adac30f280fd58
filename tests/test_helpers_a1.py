"""Helpers added for a1's lessons (rnncourse.plots.plot_hidden_states)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnncourse.plots import plot_hidden_states  # noqa: E402


def test_plot_hidden_states_draws_units_against_characters():
    states = np.array([[0.5, -1.0, np.nan, 0.2], [1.0, 0.0, np.nan, -0.3]])
    fig, ax = plt.subplots()
    returned = plot_hidden_states(states, ["END", "a", "", "b"], ["unit 3", "unit 7"], title="t", ax=ax)
    assert returned is ax
    assert [t.get_text() for t in ax.get_xticklabels()] == ["END", "a", "", "b"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["unit 3", "unit 7"]
    image = ax.get_images()[0]
    drawn = image.get_array()
    assert drawn.shape == (2, 4) and drawn.mask[:, 2].all() and not drawn.mask[:, [0, 1, 3]].any()
    assert image.get_clim() == (-1, 1)
    plt.close(fig)


def test_plot_hidden_states_default_labels_and_own_figure():
    ax = plot_hidden_states(np.zeros((3, 2)), ["x", "y"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["unit 0", "unit 1", "unit 2"]
    plt.close(ax.figure)


@pytest.mark.parametrize("states, labels, units", [(np.zeros((2, 3)), ["a", "b"], None),
                                                   (np.zeros(3), ["a", "b", "c"], None),
                                                   (np.zeros((2, 2)), ["a", "b"], ["only one"])])
def test_plot_hidden_states_refuses_mismatched_shapes(states, labels, units):
    with pytest.raises(ValueError):
        plot_hidden_states(states, labels, units)
