"""
Several learning rules on the communication channel, over several seeds.

Builds on `nengo_hpes.experiments.channel`: `run_rules` runs `.run_channel` for each
rule and seed (keeping only what the tables and plots need), `StartFrom`
makes the learned connection start from another function (for instance from
the NEF's own weights for the identity, as in the paper's BCM-only
experiment), `moving_rmse` gives the error curve behind
`.ChannelResult.time_to_rmse`, and `channel_table` gathers the numbers.
"""

import dataclasses

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.channel import run_channel
from nengo_hpes.experiments.notebook import mean_sd


def identity(x):
    """The identity function (a picklable ``lambda x: x``)."""
    return x


class StartFrom:
    """
    A simulator factory that first sets the learned connection's function.

    `.communication_channel` always starts the learned connection from a
    random constant function. ``run_channel(..., simulator=StartFrom(f))``
    sets ``net.conn.function = f`` before building, so the weight solver
    starts the weights from ``f`` instead; with `identity` they start as the
    NEF's weights for a working channel.

    Parameters
    ----------
    function : callable
        The new function of ``net.conn``.
    simulator : callable, optional
        The simulator class to build with.
    """

    def __init__(self, function, simulator=nengo.Simulator):
        if not callable(function):
            raise ValidationError(
                f"Must be callable (got {function!r})", attr="function"
            )
        self.function = function
        self.simulator = simulator

    def __call__(self, net, **kwargs):
        net.conn.function = self.function
        return self.simulator(net, **kwargs)


def run_rules(rules, seeds=(0,), keep_weights="ends", **kwargs):
    """
    Run `.run_channel` for every rule and seed.

    Parameters
    ----------
    rules : dict
        ``{label: learning_rule_type}`` (None: no learning).
    seeds : sequence of int, optional
        Network seeds; every rule runs on the same networks.
    keep_weights : "ends" or "all", optional
        ``"ends"`` keeps only the first and last weight matrices of each
        result, so that many runs of large channels fit in memory; ``weights_t``
        and ``gini_t`` (the Gini index over time) are kept in full.
    **kwargs
        Passed to `.run_channel` (and so to `.communication_channel`).

    Returns
    -------
    dict
        ``{label: [ChannelResult, one per seed]}``, in the order of ``rules``.
    """
    if keep_weights not in ("ends", "all"):
        raise ValidationError(
            f"Must be 'ends' or 'all' (got {keep_weights!r})", attr="keep_weights"
        )
    seeds = list(seeds)
    if not rules or not seeds:
        raise ValidationError(
            f"Must have at least one rule and one seed (got {len(rules)} rules, "
            f"{len(seeds)} seeds)",
            attr="rules",
        )
    out = {}
    for label, rule in rules.items():
        out[label] = []
        for seed in seeds:
            res = run_channel(rule, label=label, seed=seed, **kwargs)
            if keep_weights == "ends":
                res = dataclasses.replace(res, weights=res.weights[[0, -1]])
            out[label].append(res)
    return out


def moving_rmse(result, window=1.0):
    """
    RMSE of ``post - pre`` over the preceding ``window`` seconds, at each time.

    The curve whose first crossing `.ChannelResult.time_to_rmse` reports.

    Parameters
    ----------
    result : ChannelResult
        A run.
    window : float, optional
        Averaging window in seconds (> 0).

    Returns
    -------
    t, rmse : ndarray
        Times (the end of each window) and the RMSE there; empty if the run
        is shorter than one window.
    """
    if not window > 0:
        raise ValidationError(f"Must be > 0 (got {window!r})", attr="window")
    dt = result.t[1] - result.t[0]
    k = max(1, int(round(window / dt)))
    sq = np.mean((result.post - result.pre) ** 2, axis=1)
    if k > len(sq):  # the run is shorter than one window
        return result.t[:0], np.zeros(0)
    rmse = np.sqrt(np.convolve(sq, np.ones(k) / k, mode="valid"))
    return result.t[k - 1 :], rmse


def channel_table(results, threshold, control=None, window=1.0):
    """
    One row of headline numbers per rule, as mean ± sd over seeds.

    Parameters
    ----------
    results : dict
        ``{label: [ChannelResult, ...]}`` as returned by `run_rules`.
    threshold : float or None
        The stated RMSE for the "time to RMSE" column (> 0); None leaves the
        column out (e.g. for runs that start from working weights).
    control : list of ChannelResult, optional
        Runs that set the reference error (e.g. the NEF's weights without
        learning, one per seed, same seeds in the same order); adds the column
        "test RMSE / control".
    window : float, optional
        Window of the moving RMSE, in seconds.

    Returns
    -------
    list of dict
        Keys: ``rule``, ``test RMSE``, (``test RMSE / control``),
        (``t to RMSE <= threshold (s)``), ``Gini start``, ``Gini end``.
    """
    if threshold is not None and not threshold > 0:
        raise ValidationError(f"Must be > 0 (got {threshold!r})", attr="threshold")
    rows = []
    for label, runs in results.items():
        rmse = np.array([r.test_rmse for r in runs])
        row = {"rule": label, "test RMSE": mean_sd(rmse)}
        if control is not None:
            if len(control) != len(runs):
                raise ValidationError(
                    f"Must have one run per seed ({len(runs)}; got {len(control)})",
                    attr="control",
                )
            ref = np.array([c.test_rmse for c in control])
            row["test RMSE / control"] = mean_sd(rmse / ref, ".2f")
        if threshold is not None:
            t_hit = [r.time_to_rmse(threshold, window=window) for r in runs]
            row[f"t to RMSE <= {threshold:g} (s)"] = mean_sd(t_hit, ".1f")
        row["Gini start"] = mean_sd([r.gini_start for r in runs])
        row["Gini end"] = mean_sd([r.gini_end for r in runs])
        rows.append(row)
    return rows
