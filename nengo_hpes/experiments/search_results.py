"""
The results of `nengo_hpes.experiments.search` studies: JSON, comparison, plot.
"""

from nengo.exceptions import ValidationError
from optuna.trial import TrialState

from nengo_hpes.experiments.search_study import SPEC_ATTR


def _format_params(params):
    if not params:
        return "(rule defaults)"
    return ", ".join(f"{k}={v:.4g}" for k, v in params.items())


def _trial_record(t):
    return {
        "number": t.number,
        "state": t.state.name,
        "loss": t.value,
        "params": t.params,
        "seed": t.user_attrs.get("seed"),
        "retry_of": t.system_attrs.get("failed_trial"),
        "worker": t.user_attrs.get("worker"),
        "duration_s": t.user_attrs.get("duration_s"),
        "error": t.user_attrs.get("error"),
    }


def summarize(study):
    """
    A study's results as a JSON-compatible dict.

    Returns
    -------
    dict
        ``study``, ``spec``, ``counts`` (trials per state), ``best`` (number,
        loss, params and seed of the best trial, None if none completed) and
        ``trials`` (one record per trial, in order).
    """
    trials = study.get_trials(deepcopy=False)
    counts = {}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    best = min(complete, key=lambda t: t.value) if complete else None
    return {
        "study": study.study_name,
        "spec": study.user_attrs.get(SPEC_ATTR),
        "counts": counts,
        "best": None if best is None else _trial_record(best),
        "trials": [_trial_record(t) for t in trials],
    }


def compare_studies(study_a, study_b, confidence=0.95):
    """
    Paired difference of the losses of two studies over their common seeds.

    For hPES against PES on the same seeds (two sweeps ``--seeds ...``): the
    trials are paired by seed, and `nengo_hpes.experiments.metrics.paired_difference`
    gives the mean of ``loss(a) - loss(b)`` and its Student-t interval.

    Parameters
    ----------
    study_a, study_b : `optuna.Study`
        Each with at most one complete trial per seed.
    confidence : float, optional
        Of the interval, in (0, 1).

    Returns
    -------
    dict
        ``a``, ``b`` (study names), ``seeds``, ``mean``, ``low``, ``high``,
        ``confidence``.
    """
    from nengo_hpes.experiments.metrics import paired_difference

    by_seed = []
    for study in (study_a, study_b):
        losses = {}
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            seed = t.user_attrs.get("seed")
            if seed in losses:
                raise ValidationError(
                    f"Study {study.study_name!r} has several trials with seed {seed}; "
                    f"pairing by seed needs one per seed (a sweep of one grid point)",
                    attr="compare",
                )
            losses[seed] = t.value
        by_seed.append(losses)
    seeds = sorted(set(by_seed[0]) & set(by_seed[1]))
    if len(seeds) < 2:
        raise ValidationError(
            f"Need at least 2 seeds complete in both {study_a.study_name!r} and "
            f"{study_b.study_name!r} (got {seeds})",
            attr="compare",
        )
    mean, low, high = paired_difference(
        [by_seed[0][s] for s in seeds], [by_seed[1][s] for s in seeds], confidence
    )
    return {
        "a": study_a.study_name,
        "b": study_b.study_name,
        "seeds": seeds,
        "mean": mean,
        "low": low,
        "high": high,
        "confidence": confidence,
    }


def plot_losses(summaries, path):
    """
    The loss distribution of each study (left) and loss against learning rate.

    Parameters
    ----------
    summaries : list of dict
        From `summarize`.
    path : str or pathlib.Path
        The image file.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
    rng = np.random.RandomState(0)
    labels = []
    for k, s in enumerate(summaries):
        done = [t for t in s["trials"] if t["state"] == "COMPLETE"]
        losses = [t["loss"] for t in done]
        labels.append(f"{s['study']}\n({len(losses)} trials)")
        if losses:
            ax0.boxplot([losses], positions=[k], widths=0.5, showfliers=False)
            ax0.plot(k + rng.uniform(-0.15, 0.15, len(losses)), losses, ".", alpha=0.6)
        rates = [
            (t["params"]["learning_rate"], t["loss"])
            for t in done
            if "learning_rate" in t["params"]
        ]
        if rates:
            ax1.plot(*zip(*rates), "o", alpha=0.6, label=s["study"])
    ax0.set_xticks(range(len(summaries)), labels)
    ax0.set_ylabel("loss")
    ax0.set_title("loss per study")
    ax1.set_xscale("log")
    ax1.set_xlabel("learning rate")
    ax1.set_ylabel("loss")
    ax1.set_title("loss against learning rate")
    if ax1.lines:
        ax1.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def log_summary(summary, log):
    counts = ", ".join(f"{n} {state.lower()}" for state, n in summary["counts"].items())
    log(f"study {summary['study']!r}: {counts}")
    best = summary["best"]
    if best is not None:
        log(
            f"best: trial {best['number']} {_format_params(best['params'])} "
            f"seed {best['seed']}: loss {best['loss']:.5g}"
        )
    c = summary.get("comparison")
    if c is not None:
        log(
            f"loss({c['a']}) - loss({c['b']}) over {len(c['seeds'])} paired seeds: "
            f"{c['mean']:.4g} [{c['low']:.4g}, {c['high']:.4g}] "
            f"({c['confidence']:.0%} interval)"
        )
    log("wrote " + ", ".join(summary["files"]))
