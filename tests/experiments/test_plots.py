"""The notebooks' figures: each draws what it says, and refuses bad input."""

import matplotlib.pyplot as plt
import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments import plots
from nengo_hpes.experiments.channel import run_channel
from nengo_hpes.experiments.conditioning import ConditioningStimuli, run_conditioning


@pytest.fixture(scope="module")
def channel_runs():
    return [
        run_channel(
            rule, label=label, seed=0, dimensions=2, learn_time=0.3, test_time=0.2
        )
        for label, rule in [("PES", nengo.PES()), ("none", None)]
    ]


@pytest.fixture(scope="module")
def conditioning_runs():
    return [
        run_conditioning(
            nengo.PES(3e-4),
            label="PES",
            seed=0,
            n_per_dim=10,
            pre_cycles=1,
            learn_cycles=1,
            test_cycles=1,
        )
    ]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_channel_runs(channel_runs):
    fig = plots.plot_channel_runs(
        channel_runs, threshold=0.1, window=0.2, dim=1, title="two runs"
    )
    assert fig._suptitle.get_text() == "two runs"
    assert len(fig.axes) == 6
    top, middle = fig.axes[0], fig.axes[2]
    assert top.get_title().startswith("PES\ntest RMSE")
    # input, pre and post in the top row; one error line per dimension, the
    # moving RMSE, the threshold and the zero line in the middle row
    assert len(top.lines) == 3
    assert np.array_equal(top.lines[2].get_ydata(), channel_runs[0].post[:, 1])
    assert len(middle.lines) == 2 + 3
    # a window longer than the run: no RMSE line, no error
    fig = plots.plot_channel_runs(channel_runs, window=1.0)
    assert len(fig.axes[2].lines) == 2 + 1 + 1
    with pytest.raises(
        ValidationError, match=r"dim: Must be an integer in \[0, 1\] \(got 2\)"
    ):
        plots.plot_channel_runs(channel_runs, dim=2)
    with pytest.raises(ValidationError, match="results: Must have at least one"):
        plots.plot_channel_runs([])


def test_plot_channel_zoom(channel_runs):
    fig = plots.plot_channel_zoom(channel_runs, duration=0.1)
    assert len(fig.axes) == 4
    t_end = fig.axes[1].lines[0].get_xdata()
    assert t_end.min() >= channel_runs[0].t[-1] - 0.1 - 1e-9
    with pytest.raises(
        ValidationError, match=r"duration: Must be a finite number > 0 \(got 0\)"
    ):
        plots.plot_channel_zoom(channel_runs, duration=0)


def test_plot_weights_before_after(channel_runs, conditioning_runs):
    fig = plots.plot_weights_before_after(channel_runs + conditioning_runs)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 6
    res = channel_runs[0]
    assert np.array_equal(images[1].images[0].get_array(), res.weights[-1])
    cond = conditioning_runs[0]
    assert np.array_equal(images[5].images[0].get_array(), cond.weights_learn_end)
    assert "after learning" in images[5].get_title()
    with pytest.raises(ValidationError, match="results: Must be a ChannelResult"):
        plots.plot_weights_before_after([object()])


def test_plot_conditioning(conditioning_runs):
    fig = plots.plot_conditioning(conditioning_runs)
    assert len(fig.axes) == 5
    res = conditioning_runs[0]
    # stimulus and response per pair in the first three rows
    assert len(fig.axes[0].lines) == 6
    assert np.array_equal(fig.axes[2].lines[1].get_ydata(), res.cr[:, 0])
    assert np.array_equal(fig.axes[4].lines[0].get_ydata(), res.gate[:, 0])


def test_plot_conditioned_responses(conditioning_runs):
    fig = plots.plot_conditioned_responses(conditioning_runs, title="t")
    assert len(fig.axes) == 3 and fig._suptitle.get_text() == "t"
    r = conditioning_runs[0].correlations("after")
    assert f"after {r[0]:.2f}" in fig.axes[0].get_title()
    # CR before, UR and CR after
    assert len(fig.axes[0].lines) == 3


def test_plot_stimuli():
    stim = ConditioningStimuli()
    fig = plots.plot_stimuli(stim, cycles=2)
    assert len(fig.axes) == 2
    assert fig.axes[0].lines[0].get_xdata().max() == pytest.approx(6.0)
    assert np.max(fig.axes[1].lines[2].get_ydata()) == pytest.approx(0.6)
    with pytest.raises(
        ValidationError, match=r"cycles: Must be an integer >= 1 \(got 0\)"
    ):
        plots.plot_stimuli(stim, cycles=0)


def test_plot_gate():
    gain = np.array([2.0, 10.0, 30.0])
    bias = 1 - gain * np.array([-0.8, 0.0, 0.5])
    fig = plots.plot_gate(nengo.LIF(), gain, bias, gate_strength=2.5)
    ax = fig.axes[0]
    g, top_rate = ax.lines[0].get_data()  # |x| <= 1 radius
    assert top_rate[0] > 0
    assert np.all(top_rate[g > 1.8 + 1e-9] == 0)  # needed: 1 - (-0.8)
    assert np.all(top_rate[g < 1.8 - 1e-2] > 0)
    assert "g = 2.5" in ax.get_title()


def test_plot_rate_curves():
    fig = plots.plot_rate_curves([0.05, 0.2], rate_max=100, title="t")
    rates, slopes = fig.axes
    assert [line.get_label() for line in rates.lines[:3]] == [
        "hard",
        "sigma = 0.05",
        "sigma = 0.2",
    ]
    assert rates.get_ylim() == (0, 100) and fig._suptitle.get_text() == "t"
    assert slopes.get_yscale() == "log"
    plt.close("all")
    with pytest.raises(ValidationError, match=r"j_max: .* > 0 \(got 0\)"):
        plots.plot_rate_curves([0.05], j_max=0)
