"""
Figures of the 2013 reproduction: our results with the published values overlaid.

Each function draws one of the paper's figures from a result as the
experiment wrote it (or as `.report` loads it), with the paper's values
(`.report`'s ``*_PUBLISHED``, `.fig3.PAPER_VALUES`, `.table3.PUBLISHED`) as
black open markers labelled "paper", and returns the
`matplotlib.figure.Figure` (saved where given a ``path``): `plot_fig1`,
`plot_fig2`, `plot_fig3`, `plot_fig4`, `plot_fig4_rates`, `plot_fig5`,
`plot_table3`.
"""

import numpy as np

from nengo_hpes.experiments.paper2013 import fig3, report, table3
from nengo_hpes.experiments.plots import _pyplot, _save
from nengo_hpes.experiments.validation import check_choice, fail

#: Colour per rule, as in the paper's Fig. 4 (hPES blue, PES green).
RULE_COLORS = {"hPES": "tab:blue", "PES": "tab:green"}
#: Style of the published values.
PAPER_STYLE = dict(color="k", marker="s", mfc="none", ls="none", ms=6)


def _check_result(name, result, keys):
    if not isinstance(result, dict) or any(k not in result for k in keys):
        got = sorted(result) if isinstance(result, dict) else result
        fail(
            name,
            f"Must be a result dict with the keys {list(keys)} (got {got!r}); "
            "load it with nengo_hpes.experiments.paper2013.report",
        )


def box_stats(values, reach=1.5):
    """
    A box as ``matplotlib.axes.Axes.bxp`` draws it: median, quartiles and whiskers.

    The whiskers end at the most extreme values within ``reach`` IQRs of the
    quartiles (the paper's 1.5; quartiles as ``numpy.percentile``).
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        fail(
            "values",
            f"Must be a non-empty 1-D array of finite numbers (got {values!r})",
        )
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    iqr = q3 - q1
    inside = values[(values >= q1 - reach * iqr) & (values <= q3 + reach * iqr)]
    return dict(med=med, q1=q1, q3=q3, whislo=inside.min(), whishi=inside.max())


def plot_fig1(result, path=None):
    """
    Fig. 1: weight change against spike timing, ours (line) and the paper's points.

    Parameters
    ----------
    result : dict
        `.stdp.stdp_curve`'s result (``x_ms``, ``change``), e.g.
        ``report.load_json("fig1-full.json")``.
    path : str, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_result("result", result, ("x_ms", "change"))
    plt = _pyplot(path)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(result["x_ms"], np.asarray(result["change"]) * 100, "tab:red", label="ours")
    x, y = np.transpose(report.FIG1_PUBLISHED)
    ax.plot(x, y, label="paper", **PAPER_STYLE)
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("spike timing (ms; pre before post > 0)")
    ax.set_ylabel("weight change (% of peak)")
    ax.set_title("Fig. 1: pair STDP from hPES with S = 0")
    ax.legend()
    return _save(fig, path)


def plot_fig2(result, path=None):
    """
    Fig. 2: weight change against pairing frequency, two thresholds.

    Ours: the seed-6 trials' mean with its bootstrap 95 % CI (the published
    variant) if ``result`` has it, else the deterministic curves; the paper's
    simulation points and, as crosses, Kirkwood et al. (1996).

    Parameters
    ----------
    result : dict
        `.stdp.frequency_curves`'s result (``pulse_rates``, ``deterministic``,
        optionally ``seed6`` and ``seed6_ci95``).
    path : str, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_result("result", result, ("pulse_rates", "deterministic"))
    variant = "seed6" if "seed6" in result else "deterministic"
    plt = _pyplot(path)
    fig, ax = plt.subplots(figsize=(6, 4))
    rates = np.asarray(result["pulse_rates"])
    colors = {"low": "tab:blue", "high": "tab:red"}
    for k, theta in (("low", 197), ("high", 216)):
        y = np.asarray(result[variant][k])
        if variant == "seed6":
            lo, hi = np.asarray(result["seed6_ci95"][k]).T
            ax.errorbar(
                rates,
                y,
                yerr=[y - lo, hi - y],
                color=colors[k],
                capsize=3,
                label=f"ours, θ = {theta} ({variant})",
            )
        else:
            ax.plot(rates, y, color=colors[k], label=f"ours, θ = {theta} ({variant})")
        ax.plot(
            report.FIG2_RATES,
            report.FIG2_PUBLISHED[k],
            **PAPER_STYLE,
            label="paper" if k == "low" else None,
        )
        kirk = [(r, v) for r, v in zip(report.FIG2_RATES, report.FIG2_KIRKWOOD[k])]
        kx, ky = np.transpose([p for p in kirk if p[1] is not None])
        ax.plot(
            kx,
            ky,
            "x",
            color=colors[k],
            ms=7,
            label=f"Kirkwood 1996 ({'dark' if k == 'low' else 'light'}-reared)",
        )
    ax.set_xscale("log")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("pairing frequency (Hz)")
    ax.set_ylabel("weight change (%)")
    ax.set_title("Fig. 2: frequency dependence")
    ax.legend(fontsize="small")
    return _save(fig, path)


def plot_fig3(result, variants=("paper", "auto"), path=None):
    """
    Fig. 3: accuracy and weight sparsity (Gini) over time, with the paper's windows.

    Ours: mean over seeds and 95 % bootstrap CI per sample, one colour per
    variant; the paper: its window means (`.fig3.PAPER_VALUES`) as segments
    over each window, with the digitised CI band (`.report.FIG3_PUBLISHED_CI`)
    as error bars at the window's middle.

    Parameters
    ----------
    result : dict
        `.fig3.run_fig3`'s result (``t``, ``windows``, ``variants``).
    variants : tuple of str
        Which of the result's variants (``"paper"``, ``"auto"``,
        ``"auto-matched"``) to draw.
    path : str, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_result("result", result, ("t", "windows", "variants"))
    for v in variants:
        check_choice("variants", v, tuple(result["variants"]))
    plt = _pyplot(path)
    fig, axes = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    t = np.asarray(result["t"])
    colors = dict(zip(fig3.VARIANTS, ("tab:red", "tab:purple", "tab:orange")))
    for ax, name in zip(axes, ("accuracy", "gini")):
        for v in variants:
            res = result["variants"][v][name]
            ax.plot(
                t, res["mean"], color=colors.get(v), lw=1, label=f"ours, {v} variant"
            )
            ax.fill_between(t, *res["ci95"], color=colors.get(v), alpha=0.2, lw=0)
        for k, (w0, w1) in enumerate(fig3.WINDOWS):
            y = fig3.PAPER_VALUES[name][k]
            ax.plot([w0, w1], [y, y], "k", lw=2)
            ci = report.FIG3_PUBLISHED_CI[name][k]
            yerr = None if ci is None else [[y - ci[0]], [ci[1] - y]]
            ax.errorbar(
                [(w0 + w1) / 2],
                [y],
                yerr=yerr,
                capsize=3,
                **PAPER_STYLE,
                label="paper" if k == 0 else None,
            )
        ax.set_ylabel("accuracy" if name == "accuracy" else "weight Gini index")
        ax.legend(fontsize="small")
    axes[0].set_title("Fig. 3: spiking BCM (S = 0) on a channel")
    axes[1].set_xlabel("time (s)")
    return _save(fig, path)


def plot_fig4(result, path=None):
    """
    Fig. 4: error per test window relative to the control mean, per rule.

    Ours: mean over networks with the 95 % bootstrap CI band; the paper's
    series (`.report.FIG4_PUBLISHED`) as open markers in the rule's colour,
    with its published CIs as error bars.

    Parameters
    ----------
    result : dict
        `.fig4.run_fig4`'s result (``task``, ``learning_times``,
        ``rules``), e.g. `.report.load_fig4`.
    path : str, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_result("result", result, ("task", "learning_times", "rules", "seeds"))
    pub = report.FIG4_PUBLISHED[result["task"]]
    plt = _pyplot(path)
    fig, ax = plt.subplots(figsize=(7, 4))
    t = np.asarray(result["learning_times"])
    for rule, res in result["rules"].items():
        c = RULE_COLORS.get(rule)
        ax.plot(t, res["mean"], color=c, label=f"ours, {rule}")
        ax.fill_between(t, *res["ci95"], color=c, alpha=0.2, lw=0)
        if rule in RULE_COLORS:
            style = dict(PAPER_STYLE, color=c)
            ax.plot(pub["learning_time"], pub[rule], label=f"paper, {rule}", **style)
            for when, (lo, hi) in pub["ci95"][rule].items():
                ax.plot([when, when], [lo, hi], color=c, lw=2, alpha=0.6)
    ax.axhline(1, color="k", lw=0.5, ls="--")
    ax.set_xlabel("learning time (s)")
    ax.set_ylabel("error / control mean")
    ax.set_yscale("log")
    ax.set_title(
        f"Fig. 4: learning {result['task']} ({len(result['seeds'])} networks per rule)"
    )
    ax.legend(fontsize="small")
    return _save(fig, path)


def plot_fig4_rates(result, path=None):
    """
    Fig. 4's final error against each rule's learning rate (R4c's sweep).

    One line per base rule through `.report.fig4_rate_sweep`'s points (mean
    of the last 5 windows relative to control, with Student-t 95 % CIs),
    the paper's optimum rates marked with a larger symbol.

    Parameters
    ----------
    result : dict
        A `.fig4.run_fig4` result with rate variants, e.g.
        `.report.load_fig4_ablations`.
    path : str, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_result("result", result, ("task", "rules", "seeds"))
    rows = report.fig4_rate_sweep(result)
    plt = _pyplot(path)
    fig, ax = plt.subplots(figsize=(6, 4))
    for base in ("hPES", "PES"):
        pts = [r for r in rows if r["base"] == base]
        if not pts:
            continue
        c = RULE_COLORS[base]
        x = np.array([r["learning_rate"] for r in pts])
        y = np.array([r["final"] for r in pts])
        ax.plot(x, y, "o-", color=c, label=base)
        for r in pts:
            if r["ci95"] is not None:
                ax.plot([r["learning_rate"]] * 2, r["ci95"], color=c, lw=2, alpha=0.5)
            if r["rule"] == base:
                ax.plot(r["learning_rate"], r["final"], "*", color=c, ms=14)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate kappa (Nengo 1.4 units; star: the paper's)")
    ax.set_ylabel("error / control mean, last 5 windows")
    ax.set_title(
        f"Fig. 4 {result['task']}: final error against learning rate "
        f"({len(result['seeds'])} networks per point)"
    )
    ax.legend(fontsize="small")
    return _save(fig, path)


def plot_fig5(fig5s, path=None):
    """
    Fig. 5: box plots of the search losses / control mean, ours beside the paper's.

    Boxes: median and quartiles, whiskers at 1.5 IQR, outliers hidden (as the
    paper). Ours (filled) from the trials' normalised losses, with the trials
    as dots; the paper's (hatched) drawn from its published statistics with
    ``matplotlib.axes.Axes.bxp``. A task without results shows "not run yet".

    Parameters
    ----------
    fig5s : list of dict
        `.report.load_fig5`'s results, one panel each.
    path : str, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig5s = [fig5s] if isinstance(fig5s, dict) else list(fig5s)
    if not fig5s:
        fail("fig5s", "Must be at least one report.load_fig5 result (got [])")
    for f5 in fig5s:
        _check_result("fig5s", f5, ("task", "rules"))
    plt = _pyplot(path)
    fig, axes = plt.subplots(
        1, len(fig5s), figsize=(5 * len(fig5s), 4), sharey=True, squeeze=False
    )
    for ax, f5 in zip(axes[0], fig5s):
        for k, (rule, name) in enumerate((("hpes", "hPES"), ("pes", "PES"))):
            c = RULE_COLORS[name]
            ours = f5["rules"].get(rule)
            if ours is None:
                ax.text(k, 1.0, "not run yet", ha="center", rotation=90, va="bottom")
            else:
                box = ax.bxp(
                    [box_stats(ours["losses"])],
                    positions=[k],
                    showfliers=False,
                    patch_artist=True,
                    widths=0.5,
                )
                box["boxes"][0].set(facecolor=c, alpha=0.4)
                jitter = np.linspace(-0.15, 0.15, len(ours["losses"]))
                ax.plot(k + jitter, ours["losses"], ".", color=c, ms=3)
            stats = dict(report.FIG5_PUBLISHED[(f5["task"], rule)], label=name)
            art = ax.bxp(
                [stats],
                positions=[k + 2],
                showfliers=False,
                widths=0.5,
                patch_artist=True,
            )
            art["boxes"][0].set(facecolor="none", hatch="//", edgecolor="k")
        ax.plot([], [], "s", color="0.6", label="ours")
        ax.plot([], [], "s", mfc="none", color="k", label="paper (hatched)")
        ax.set_xticks([0, 1, 2, 3], ["hPES", "PES", "paper\nhPES", "paper\nPES"])
        ax.set_xlim(-0.6, 3.6)
        ax.set_title(f"Fig. 5: {f5['task']}")
        ax.legend(fontsize="small")
    axes[0, 0].set_ylabel("loss / control mean (log scale)")
    axes[0, 0].set_yscale("log")
    return _save(fig, path)


def plot_table3(groups, path=None):
    """
    Table 3: test accuracy per seed and rule beside the published accuracies.

    One group of points per training size (hPES and PES of a seed joined by a
    line: they are paired); the published accuracies (`.table3.PUBLISHED`,
    other features and 60 000 training images) as horizontal lines.

    Parameters
    ----------
    groups : dict
        `.report.load_table3`'s result.
    path : str, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(groups, dict) or not groups:
        fail(
            "groups", f"Must be a non-empty report.load_table3 result (got {groups!r})"
        )
    plt = _pyplot(path)
    fig, ax = plt.subplots(figsize=(8, 4))
    labels = []
    for k, ((n_train, n_test), g) in enumerate(sorted(groups.items())):
        labels.append(f"{n_train} / {n_test}")
        acc = np.array([g["hPES"], g["PES"]]) * 100
        ax.plot([k - 0.15, k + 0.15], acc, color="0.7", lw=0.8)
        for dx, rule, y in ((-0.15, "hPES", acc[0]), (0.15, "PES", acc[1])):
            ax.plot(
                np.full(len(y), k + dx),
                y,
                "o",
                color=RULE_COLORS[rule],
                label=f"ours, {rule}" if k == 0 else None,
            )
    styles = {"hPES": "-", "PES": "--", "cleanup memory": ":"}
    for name, value in table3.PUBLISHED.items():
        ax.axhline(
            value * 100,
            color="k",
            ls=styles[name],
            label=f"paper, {name} ({value * 100:.2f} %)",
        )
    ax.axhline(10, color="0.5", lw=0.8, label="chance")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_xlabel("training / test images")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Table 3: MNIST (our RBM features; the paper's DBN)")
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _save(fig, path)
