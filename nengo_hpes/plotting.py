"""Plotting helpers (matplotlib is imported lazily, so the rule needs no matplotlib)."""


def plot_channel(results, path=None, title=None):
    """
    Plot `.ChannelResult` objects side by side: one column per rule.

    Rows: input and ``post`` output over time (learning period shaded);
    ``post - pre`` error over time; weight Gini index over time.

    Parameters
    ----------
    results : list of ChannelResult
        The runs to show.
    path : str or Path, optional
        Where to save the figure (PNG); if None, the figure is only returned.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        3, len(results), figsize=(4.5 * len(results), 7), sharex=True, squeeze=False
    )
    for col, res in enumerate(results):
        ax = axes[0, col]
        ax.plot(res.t, res.pre[:, 0], "k", lw=1, label="pre (target)")
        ax.plot(res.t, res.post[:, 0], "tab:red", lw=1, label="post")
        ax.set_title(f"{res.label}\ntest RMSE {res.test_rmse:.3f}")
        ax = axes[1, col]
        err = res.post - res.pre
        ax.plot(res.t, err, lw=0.8)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_ylim(-1, 1)
        ax = axes[2, col]
        ax.plot(res.weights_t, res.gini_t, "tab:green")
        ax.set_xlabel("time (s)")
        for ax in axes[:, col]:
            ax.axvspan(0, res.learn_time, color="0.9", zorder=-1)
    axes[0, 0].set_ylabel("value (dim 0)")
    axes[0, 0].legend(loc="upper right", fontsize="small")
    axes[1, 0].set_ylabel("post - pre")
    axes[2, 0].set_ylabel("weight Gini index")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
