"""
Figures for the example notebooks (matplotlib is imported lazily).

Communication channel (`.ChannelResult`): `plot_channel_runs` (signals, error
and weight sparsity over time), `plot_channel_zoom` (the signals at the start
of learning and in the test window) and `plot_weights_before_after`.
Conditioning (`.ConditioningResult`): `plot_conditioning` (the whole run),
`plot_conditioned_responses` (one presentation per pair, before and after
learning), `plot_stimuli`, `plot_gate` (how strong the inhibition must be) and
`plot_weights_before_after`.

Classifier (`.classifier.ClassifierResult`): `plot_learning_curves`,
`plot_confusion_matrix`, `plot_digits`, `plot_weight_histograms`; the spiking
CNN: `plot_training_loss`; soft-LIF: `plot_rate_curves`. Every function
returns the `matplotlib.figure.Figure` (and saves it where given a ``path``).
"""

import numpy as np

from nengo_hpes.experiments import softlif
from nengo_hpes.experiments.metrics import gini_index
from nengo_hpes.experiments.validation import check_int, check_number, fail

#: One colour per stimulus pair / dimension.
PAIR_COLORS = ("tab:blue", "tab:red", "k", "tab:green", "tab:purple", "tab:orange")


def _pyplot(path=None):
    import matplotlib

    if path is not None:  # a file: no display needed
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def _check_results(results):
    results = list(results)
    if not results:
        fail("results", "Must have at least one result (got [])")
    return results


def _check_dim(dim, n):
    check_int("dim", dim, low=0, high=n - 1)


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
    learning period is shaded. ``results`` are `.ChannelResult` objects;
    ``threshold`` (optional) is drawn dashed (the "time to RMSE" criterion).
    """
    from nengo_hpes.experiments.channel import moving_rmse

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
    """
    results = _check_results(results)
    check_number("duration", duration, low=0, low_open=True)
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
    fail(
        "results",
        f"Must be a ChannelResult or a ConditioningResult (got {type(res).__name__})",
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
    """
    cycles = check_int("cycles", cycles, low=1)
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

    ``gain`` and ``bias`` are the population's (``sim.data[ens]``);
    ``gate_strength``, the strength used, is given in the title; ``strengths``
    default to 0 to 1.2x the largest need; ``max_inputs`` are input norms in
    units of the radius.
    """
    from nengo_hpes.experiments.gate import gate_requirement, gated_max_rates

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


def plot_learning_curves(results, path=None, block=None):
    """
    Training accuracy of each `.classifier.ClassifierResult` per ``block`` of
    presentations (see `.ClassifierResult.learning_curve`).
    """
    plt = _pyplot(path)

    fig, ax = plt.subplots(figsize=(6, 4))
    for res in results:
        seen, acc = res.learning_curve(block)
        ax.plot(seen, 100 * acc, marker=".", label=f"{res.label}")
        ax.axhline(100 * res.accuracy, ls="--", lw=0.8, color=ax.lines[-1].get_color())
    ax.set_xlabel("training images presented")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Training accuracy while learning (dashed: test, learning off)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return _save(fig, path)


def plot_confusion_matrix(result, path=None):
    """
    The test confusion matrix of one `.classifier.ClassifierResult`, with counts.
    """
    plt = _pyplot(path)

    conf = result.confusion
    n = conf.shape[0]
    fig, ax = plt.subplots(figsize=(1.0 + 0.5 * n, 0.6 + 0.5 * n))
    ax.imshow(conf, cmap="Blues")
    high = conf.max() / 2 if conf.size else 0
    for (i, j), count in np.ndenumerate(conf):
        ax.text(
            j,
            i,
            str(count),
            ha="center",
            va="center",
            fontsize="x-small",
            color="white" if count > high else "black",
        )
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{result.label}\ntest accuracy {100 * result.accuracy:.2f} %")
    return _save(fig, path)


def plot_digits(images, labels, predictions=None, shape=(28, 28), n=12, path=None):
    """
    A row of images with their labels (and predictions, if given).

    ``images`` is ``(m, n_pixels)`` (any scale; each is shown with its own
    grey range), ``labels`` the true classes; with ``predictions``, only the
    misclassified images are shown. At most ``n`` images (>= 1) of ``shape``.
    """
    plt = _pyplot(path)

    n = check_int("n", n, low=1)
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 2 or images.shape[1] != int(np.prod(shape)):
        fail(
            "images",
            f"Must have shape (m, {int(np.prod(shape))}) (got {images.shape})",
        )
    if labels.shape != (len(images),):
        fail("labels", f"Must have shape ({len(images)},) (got {labels.shape})")
    index = np.arange(len(images))
    if predictions is not None:
        predictions = np.asarray(predictions)
        if predictions.shape != labels.shape:
            fail(
                "predictions",
                f"Must have shape {labels.shape} (got {predictions.shape})",
            )
        index = np.flatnonzero(predictions != labels)
    index = index[:n]
    fig, axes = plt.subplots(1, max(1, len(index)), figsize=(1.2 * max(1, n), 1.6))
    axes = np.atleast_1d(axes)
    for ax in axes:
        ax.axis("off")
    for ax, i in zip(axes, index):
        ax.imshow(images[i].reshape(shape), cmap="gray_r")
        title = (
            f"{labels[i]}"
            if predictions is None
            else (f"{labels[i]} as {predictions[i]}")
        )
        ax.set_title(title, fontsize="small")
    return _save(fig, path)


def plot_weight_histograms(results, path=None, bins=100):
    """
    Histograms of each result's learned weights, with their Gini index.

    The Gini index (`.gini_index` of the absolute weights) is 0 when all
    weights have the same magnitude and tends to 1 when a few weights carry
    all of it.
    """
    plt = _pyplot(path)

    results = list(results)
    if not results:
        fail("results", "Must have at least one result (got [])")
    fig, axes = plt.subplots(1, len(results), figsize=(4.5 * len(results), 3.2))
    for ax, res in zip(np.atleast_1d(axes), results):
        w = res.weights.ravel()
        ax.hist(w, bins=bins, log=True, color="C0")
        ax.set_title(f"{res.label}\nGini {gini_index(res.weights):.3f}", fontsize=9)
        ax.set_xlabel("weight")
    np.atleast_1d(axes)[0].set_ylabel("count (log)")
    return _save(fig, path)


def plot_training_loss(training, path=None):
    """The CNN's training loss per epoch (log scale)."""
    plt = _pyplot(path)

    fig, ax = plt.subplots(figsize=(5, 3.5))
    epochs = [h["epoch"] for h in training.history]
    ax.semilogy(epochs, [h["loss"] for h in training.history], marker="o")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cross-entropy (rates)")
    ax.set_title("Spiking CNN trained on soft-LIF rates")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_rate_curves(
    sigmas,
    tau_rc=softlif.NENGO_TAU_RC,
    tau_ref=softlif.NENGO_TAU_REF,
    j_max=3.0,
    rate_max=None,
    axes=None,
    title=None,
):
    """
    Plot rates (left) and their derivatives (right, log scale) against current.
    """
    plt = _pyplot()
    check_number("j_max", j_max, low=0, low_open=True)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    else:
        fig = axes[0].figure
    j = np.linspace(0, j_max, 3001)
    for label, (rates, slopes) in softlif.rate_curves(
        j, sigmas, tau_rc, tau_ref
    ).items():
        style = dict(color="black", lw=2.5) if label == "hard" else dict(lw=1.5)
        axes[0].plot(j, rates, label=label, **style)
        # np.inf at threshold: not drawn
        axes[1].semilogy(j, np.where(np.isfinite(slopes), slopes, np.nan), **style)
    axes[0].axvline(1, color="grey", ls=":", lw=1)
    axes[1].axvline(1, color="grey", ls=":", lw=1)
    axes[0].set(xlabel="input current j (threshold 1)", ylabel="rate (Hz)")
    axes[1].set(xlabel="input current j", ylabel="d rate / dj (Hz per unit)")
    axes[1].set_ylim(1e-1, None)
    if rate_max is not None:
        axes[0].set_ylim(0, rate_max)
    axes[0].legend(fontsize="small")
    fig.suptitle(
        title
        or f"LIF rate curves, tau_rc = {tau_rc * 1e3:g} ms, "
        f"tau_ref = {tau_ref * 1e3:g} ms"
    )
    fig.tight_layout()
    return fig
