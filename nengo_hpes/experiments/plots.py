"""
Figures for the example notebooks (matplotlib is imported lazily).

Communication channel (`.ChannelResult`): `plot_channel_runs` (signals, error
and weight sparsity over time), `plot_channel_zoom` (the signals at the start
of learning and in the test window) and `plot_weights_before_after`.
Conditioning (`.ConditioningResult`): `plot_conditioning` (the whole run),
`plot_conditioned_responses` (one presentation per pair, before and after
learning), `plot_stimuli`, `plot_gate` (how strong the inhibition must be) and
`plot_weights_before_after`.

Every function returns the `matplotlib.figure.Figure`.
"""

import numpy as np
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.metrics import gini_index

#: One colour per stimulus pair / dimension.
PAIR_COLORS = ("tab:blue", "tab:red", "k", "tab:green", "tab:purple", "tab:orange")


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _check_results(results):
    results = list(results)
    if not results:
        raise ValidationError(
            "Must have at least one result (got [])", attr="results", obj=None
        )
    return results


def _check_dim(dim, n):
    if not (isinstance(dim, (int, np.integer)) and 0 <= dim < n):
        raise ValidationError(
            f"Must be an integer in [0, {n}) (got {dim!r})", attr="dim"
        )


def _color(k):
    return PAIR_COLORS[k % len(PAIR_COLORS)]


def _shade(ax, start, end):
    ax.axvspan(start, end, color="0.92", zorder=-1, lw=0)


def plot_channel_runs(results, threshold=None, window=1.0, dim=0, title=None):
    """
    Channel runs side by side: one column per run.

    Rows: (1) input, ``pre`` and ``post`` in dimension ``dim``; (2) the error
    ``post - pre`` in every dimension, with its moving RMSE over ``window``
    seconds and the ``threshold`` line; (3) the weight Gini index. The
    learning period is shaded.

    Parameters
    ----------
    results : list of ChannelResult
        The runs.
    threshold : float, optional
        RMSE to draw as a dashed line (the "time to RMSE" criterion).
    window : float, optional
        Window of the moving RMSE, in seconds.
    dim : int, optional
        Dimension shown in the first row.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from nengo_hpes.experiments.channel_study import moving_rmse

    results = _check_results(results)
    _check_dim(dim, results[0].pre.shape[1])
    plt = _pyplot()
    fig, axes = plt.subplots(
        3,
        len(results),
        figsize=(4.2 * len(results), 7.5),
        sharex=True,
        sharey="row",
        squeeze=False,
    )
    for col, res in enumerate(results):
        ax = axes[0, col]
        ax.plot(res.t, res.stim[:, dim], color="0.6", lw=0.8, label="input")
        ax.plot(res.t, res.pre[:, dim], "k", lw=0.8, label="pre (target)")
        ax.plot(res.t, res.post[:, dim], "tab:red", lw=0.8, label="post")
        ax.set_title(f"{res.label}\ntest RMSE {res.test_rmse:.3f}")
        ax = axes[1, col]
        err = res.post - res.pre
        for d in range(err.shape[1]):
            ax.plot(res.t, err[:, d], color=_color(d), lw=0.4, alpha=0.6)
        t_rmse, rmse = moving_rmse(res, window)
        ax.plot(t_rmse, rmse, "k", lw=1.5, label=f"RMSE over {window:g} s")
        if threshold is not None:
            ax.axhline(threshold, color="k", ls="--", lw=1, label=f"{threshold:g}")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_ylim(-1, 1)
        ax = axes[2, col]
        ax.plot(res.weights_t, res.gini_t, "tab:green")
        ax.set_xlabel("time (s)")
        for ax in axes[:, col]:
            _shade(ax, 0, res.learn_time)
    axes[0, 0].set_ylabel(f"value (dimension {dim})")
    axes[0, 0].legend(loc="upper right", fontsize="small")
    axes[1, 0].set_ylabel("post - pre")
    axes[1, 0].legend(loc="lower right", fontsize="small")
    axes[2, 0].set_ylabel("weight Gini index")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_channel_zoom(results, duration=1.0, dim=0):
    """
    The channel's signals at the start of learning and at the end of the test.

    One row per run; left: the first ``duration`` seconds (the weights still
    compute their starting function), right: the last ``duration`` seconds
    (learning over).

    Parameters
    ----------
    results : list of ChannelResult
        The runs.
    duration : float, optional
        Seconds shown in each panel (> 0).
    dim : int, optional
        Dimension shown.

    Returns
    -------
    matplotlib.figure.Figure
    """
    results = _check_results(results)
    if not duration > 0:
        raise ValidationError(f"Must be > 0 (got {duration!r})", attr="duration")
    _check_dim(dim, results[0].pre.shape[1])
    plt = _pyplot()
    fig, axes = plt.subplots(
        len(results),
        2,
        figsize=(10, 2.2 * len(results) + 0.6),
        sharey=True,
        squeeze=False,
    )
    for row, res in enumerate(results):
        end = res.t[-1]
        for col, (a, b) in enumerate([(0, duration), (end - duration, end)]):
            ax = axes[row, col]
            m = (res.t >= a) & (res.t <= b)
            ax.plot(res.t[m], res.stim[m, dim], color="0.6", lw=1, label="input")
            ax.plot(res.t[m], res.pre[m, dim], "k", lw=1, label="pre (target)")
            ax.plot(res.t[m], res.post[m, dim], "tab:red", lw=1.2, label="post")
        axes[row, 0].set_ylabel(res.label)
    axes[0, 0].set_title("start of learning")
    axes[0, 1].set_title("end of the test (learning off)")
    axes[0, 1].legend(loc="upper right", fontsize="small")
    axes[-1, 0].set_xlabel("time (s)")
    axes[-1, 1].set_xlabel("time (s)")
    fig.tight_layout()
    return fig


def _weights_before_after(res):
    if hasattr(res, "weights_learn_end"):
        return res.weights_start, res.weights_learn_end, "after learning"
    if hasattr(res, "weights"):
        return res.weights[0], res.weights[-1], "end of run"
    raise ValidationError(
        "Must be a ChannelResult or a ConditioningResult (got "
        f"{type(res).__name__})",
        attr="results",
    )


def plot_weights_before_after(results):
    """
    The learned weight matrices before and after learning, and their spread.

    One row per run: the matrix as built, the matrix after learning (same
    symmetric colour scale, clipped at the 99th percentile of the magnitudes:
    red positive, blue negative; rows are post neurons, columns pre neurons)
    and the histogram of the weight magnitudes on a log scale, whose
    unevenness the Gini index measures (weights of exactly 0 are not shown).

    Parameters
    ----------
    results : list of ChannelResult or ConditioningResult
        The runs. For a conditioning run, "after" is the first weight sample
        after the learning window.

    Returns
    -------
    matplotlib.figure.Figure
    """
    results = _check_results(results)
    plt = _pyplot()
    fig, axes = plt.subplots(
        len(results),
        3,
        figsize=(13, 3.2 * len(results)),
        squeeze=False,
        constrained_layout=True,
    )
    for row, res in enumerate(results):
        before, after, when = _weights_before_after(res)
        both = np.abs(np.concatenate([before.ravel(), after.ravel()]))
        # a few large weights would wash the image out: clip at the 99th percentile
        vmax = np.percentile(both, 99) or both.max() or 1.0
        for col, (w, title) in enumerate([(before, "as built"), (after, when)]):
            ax = axes[row, col]
            im = ax.imshow(
                w,
                cmap="RdBu_r",
                vmin=-vmax,
                vmax=vmax,
                aspect="auto",
                interpolation="nearest",
            )
            ax.set_title(f"{res.label}: {title}", fontsize="medium")
            ax.set_xlabel("pre neuron")
            ax.set_ylabel("post neuron")
        fig.colorbar(im, ax=axes[row, :2], fraction=0.03, extend="both")
        ax = axes[row, 2]
        top = both.max() or 1.0
        bins = np.geomspace(top * 1e-4, top, 41)
        for w, name, color in [(before, "as built", "0.5"), (after, when, "tab:red")]:
            ax.hist(
                np.abs(w).ravel(),
                bins=bins,
                histtype="step",
                color=color,
                lw=1.5,
                label=f"{name}: Gini {gini_index(w):.3f}",
            )
        ax.set_xscale("log")
        ax.set_xlabel("|weight|")
        ax.set_ylabel("count")
        ax.legend(fontsize="small", loc="upper left")
    return fig


def plot_conditioning(results):
    """
    The whole conditioning run, as in the textbook demo: one column per run.

    Rows: (1) US stimuli and URs; (2) CS stimuli and URs; (3) CS stimuli and
    CRs; (4) the decoded error ``CR - UR``; (5) the gate (1: error population
    inhibited, learning off). Stimuli are thin lines, responses thick dotted
    ones, one colour per pair; the learning window is shaded.

    Parameters
    ----------
    results : list of ConditioningResult
        The runs.

    Returns
    -------
    matplotlib.figure.Figure
    """
    results = _check_results(results)
    plt = _pyplot()
    fig, axes = plt.subplots(
        5,
        len(results),
        figsize=(7.5 * len(results), 11),
        sharex=True,
        sharey="row",
        squeeze=False,
        gridspec_kw={"height_ratios": [1, 1, 1, 1, 0.5]},
    )
    rows = [
        ("us_stim", "ur", "US / UR"),
        ("cs_stim", "ur", "CS / UR"),
        ("cs_stim", "cr", "CS / CR"),
    ]
    for col, res in enumerate(results):
        for row, (stim, resp, name) in enumerate(rows):
            ax = axes[row, col]
            for k in range(res.stimuli.n_pairs):
                ax.plot(res.t, getattr(res, stim)[:, k], color=_color(k), lw=0.8)
                ax.plot(
                    res.t,
                    getattr(res, resp)[:, k],
                    color=_color(k),
                    ls=":",
                    lw=2,
                    label=f"{resp.upper()} #{k + 1}",
                )
            axes[row, 0].set_ylabel(name)
        axes[0, col].set_title(res.label)
        ax = axes[3, col]
        for k in range(res.stimuli.n_pairs):
            ax.plot(res.t, res.error[:, k], color=_color(k), lw=0.6)
        ax.axhline(0, color="k", lw=0.5)
        axes[4, col].plot(res.t, res.gate[:, 0], "k")
        axes[4, col].set_xlabel("time (s)")
        for ax in axes[:, col]:
            _shade(ax, *res.learn_window)
    axes[2, 0].legend(loc="upper left", fontsize="small", ncol=3)
    axes[3, 0].set_ylabel("error (CR - UR)")
    axes[4, 0].set_ylabel("gate")
    fig.tight_layout()
    return fig


def plot_conditioned_responses(results, tail=0.2, title=None):
    """
    One presentation of each pair before and after the learning window.

    One row per run, one column per pair: the CS interval (light) and the US
    interval (dark) shaded, the UR (black dotted) and the CR in the pair's
    own dimension before learning (grey) and after it (colour). The title
    gives the correlations of `.ConditioningResult.correlations`.

    Parameters
    ----------
    results : list of ConditioningResult
        The runs.
    tail : float, optional
        Seconds after CS offset included in the correlations.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    results = _check_results(results)
    plt = _pyplot()
    n_pairs = results[0].stimuli.n_pairs
    fig, axes = plt.subplots(
        len(results),
        n_pairs,
        figsize=(4 * n_pairs, 2.8 * len(results) + 0.4),
        sharey=True,
        squeeze=False,
    )
    for row, res in enumerate(results):
        stim = res.stimuli
        r_before = res.correlations("before", tail)
        r_after = res.correlations("after", tail)
        last = {}
        for phase in ("before", "after"):
            for pair, t_on, _ in stim.presentations(*res.phase_range(phase)):
                last[phase, pair] = t_on
        for k in range(n_pairs):
            ax = axes[row, k]
            cs0, cs1 = stim.cs_window
            us0, us1 = stim.us_window
            ax.axvspan(0, cs1 - cs0, color="0.9", lw=0, label="CS on")
            ax.axvspan(us0 - cs0, us1 - cs0, color="0.75", lw=0, label="US on")
            for phase, color in [("before", "0.55"), ("after", _color(k))]:
                if (phase, k) not in last:
                    continue
                t_on = last[phase, k]
                m = (res.t >= t_on - 0.1) & (res.t <= t_on + (cs1 - cs0) + 0.5)
                rel = res.t[m] - t_on
                if phase == "after":
                    ax.plot(rel, res.ur[m, k], "k:", lw=2, label="UR")
                ax.plot(rel, res.cr[m, k], color=color, lw=1.8, label=f"CR {phase}")
            ax.set_title(
                f"{res.label}, pair {k + 1}\n"
                f"r before {r_before[k]:.2f}, after {r_after[k]:.2f}",
                fontsize="medium",
            )
            ax.set_xlabel("time from CS onset (s)")
        axes[row, 0].set_ylabel("value (own dimension)")
    axes[0, -1].legend(loc="upper right", fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_stimuli(stimuli, cycles=1):
    """
    The US and CS signals over ``cycles`` cycles, one colour per pair.

    Parameters
    ----------
    stimuli : ConditioningStimuli
        The stimuli.
    cycles : int, optional
        Cycles to show (>= 1).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not (isinstance(cycles, (int, np.integer)) and cycles >= 1):
        raise ValidationError(
            f"Must be an integer >= 1 (got {cycles!r})", attr="cycles"
        )
    plt = _pyplot()
    t = np.arange(0, cycles * stimuli.cycle, 0.001) + 0.001
    us = np.array([stimuli.us(ti) for ti in t])
    cs = np.array([stimuli.cs(ti) for ti in t])
    fig, axes = plt.subplots(2, 1, figsize=(9, 4), sharex=True)
    for k in range(stimuli.n_pairs):
        axes[0].plot(t, us[:, k], color=_color(k), label=f"#{k + 1}")
        axes[1].plot(t, cs[:, k], color=_color(k))
    axes[0].set_ylabel("US")
    axes[1].set_ylabel("CS")
    axes[1].set_xlabel("time (s)")
    axes[0].legend(loc="upper left", fontsize="small", ncol=stimuli.n_pairs)
    fig.tight_layout()
    return fig


def plot_gate(
    neuron_type, gain, bias, gate_strength, strengths=None, max_inputs=(1.0, 2.0)
):
    """
    How strong the gate must be: a population's top rate against it.

    For each gate strength ``g`` (the gate connection's ``transform=-g`` into
    ``ens.neurons``) and input norm, the highest firing rate any neuron
    reaches for any input up to that norm (`.gated_max_rates`). The rate
    falls to 0 at the strength `.gate_requirement` gives (dotted lines).

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        The population's neuron type.
    gain, bias : array_like
        The population's gains and biases (``sim.data[ens].gain``, ``.bias``).
    gate_strength : float
        The strength used, given in the title (and drawn if in range).
    strengths : array_like, optional
        Gate strengths to evaluate (default: 0 to 1.2x the largest need).
    max_inputs : sequence of float, optional
        Input norms, in units of the radius.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from nengo_hpes.experiments.conditioning import gate_requirement, gated_max_rates

    needs = [gate_requirement(gain, bias, m) for m in max_inputs]
    if strengths is None:
        top = max(max(n.transform for n in needs), 0.1)
        strengths = np.linspace(0, 1.2 * top, 241)
    strengths = np.asarray(strengths, dtype=float)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for m, need, color in zip(max_inputs, needs, PAIR_COLORS):
        rates = gated_max_rates(neuron_type, gain, bias, strengths, max_input=m)
        ax.plot(strengths, rates.max(axis=1), color=color, label=f"|x| <= {m:g} r")
        ax.axvline(need.transform, color=color, ls=":", lw=1)
        ax.annotate(
            f"needed {need.transform:.2f}",
            (need.transform, 0),
            xytext=(4, 10),
            textcoords="offset points",
            color=color,
            rotation=90,
            fontsize="small",
        )
    if gate_strength <= strengths.max():
        ax.axvline(gate_strength, color="k", ls="--", label="used")
    ax.set_xlabel("gate strength g (transform -g into error.neurons)")
    ax.set_ylabel("highest rate (Hz)")
    ax.set_title(f"gate strength used: g = {gate_strength:g}")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
