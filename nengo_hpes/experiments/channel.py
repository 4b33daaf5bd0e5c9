"""
Ready-made networks for demonstrations, tests and notebooks.

`communication_channel` builds the classic learning task: ``post`` must learn,
through a learned full weight matrix from ``pre``, to represent what ``pre``
represents. An error population computes ``post - pre`` and drives the rule
until ``learn_time``; then it is inhibited, learning stops (up to the rule's
unsupervised term, which needs no error) and the test window begins.
`run_channel` simulates it and returns the numbers a reader wants.

For studies over several rules and seeds: `run_rules` runs `run_channel` for
each rule and seed (keeping only what the tables and plots need), `StartFrom`
makes the learned connection start from another function (for instance from
the NEF's own weights for the identity, as in the paper's BCM-only
experiment), `moving_rmse` gives the error curve behind
`ChannelResult.time_to_rmse`, and `channel_table` gathers the numbers.
"""

import dataclasses

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.metrics import gini_index, rmse
from nengo_hpes.experiments.notebook import mean_sd
from nengo_hpes.experiments.validation import check_int, check_number


def communication_channel(
    learning_rule_type,
    dimensions=1,
    n_neurons=100,
    learn_time=10.0,
    input_process=None,
    seed=None,
    weights_sample_every=0.1,
    max_rates=None,
):
    """
    Build a communication channel whose ``pre -> post`` weights are learned.

    The learned connection is ``Ensemble -> Ensemble`` with a weight solver,
    initialised to compute a random constant function (so the weights start
    as a full matrix that does the wrong thing). The error ``post - pre``
    (actual - target, nengo's sign) is represented by an ``error`` ensemble
    and connected to the rule; after ``learn_time`` a large negative current
    (-10 per neuron, far below any LIF threshold) silences ``error``.

    Parameters
    ----------
    learning_rule_type : LearningRuleType or None
        The rule on the ``pre -> post`` connection (None: no learning).
    dimensions : int, optional
        Dimensionality of the channel.
    n_neurons : int, optional
        Neurons per dimension in ``pre``, ``post`` and ``error``.
    learn_time : float, optional
        Seconds with learning on (error population active).
    input_process : `~nengo.Process`, optional
        The input signal; default band-limited white noise (5 Hz, rms 0.3 per
        dimension, 10 s period).
    seed : int, optional
        Network seed.
    weights_sample_every : float, optional
        Sampling period of the weight probe, in seconds.
    max_rates : `~nengo.dists.Distribution`, optional
        Maximum firing rates of every ensemble (default: nengo's, 200-400 Hz).

    Returns
    -------
    `nengo.Network`
        With attributes ``stim``, ``pre``, ``post``, ``error``, ``conn``,
        ``learn_time`` and the probes ``p_stim``, ``p_pre``, ``p_post``,
        ``p_error``, ``p_weights``.
    """
    check_int("dimensions", dimensions, low=1)
    check_int("n_neurons", n_neurons, low=1)
    check_number("learn_time", learn_time, low=0)
    check_number("weights_sample_every", weights_sample_every, low=0, low_open=True)
    if input_process is None:
        input_process = nengo.processes.WhiteSignal(period=10.0, high=5, rms=0.3)

    n = n_neurons * dimensions
    ens_kw = {} if max_rates is None else {"max_rates": max_rates}
    with nengo.Network(seed=seed, label="communication channel") as net:
        net.learn_time = learn_time
        net.stim = nengo.Node(input_process, size_out=dimensions, label="stim")
        net.pre = nengo.Ensemble(n, dimensions, label="pre", **ens_kw)
        net.post = nengo.Ensemble(n, dimensions, label="post", **ens_kw)
        net.error = nengo.Ensemble(n, dimensions, label="error", **ens_kw)
        nengo.Connection(net.stim, net.pre)

        start = np.random.RandomState(seed).uniform(-0.5, 0.5, size=dimensions)
        net.conn = nengo.Connection(
            net.pre,
            net.post,
            function=lambda x, start=start: start,
            solver=nengo.solvers.LstsqL2(weights=True),
            learning_rule_type=learning_rule_type,
        )
        nengo.Connection(net.post, net.error)
        nengo.Connection(net.pre, net.error, transform=-1)
        # without a rule the error still goes somewhere, so that the object graph
        # (and with it every seed nengo derives) is the same for every rule
        sink = nengo.Node(size_in=dimensions, label="error sink")
        target = sink if learning_rule_type is None else net.conn.learning_rule
        nengo.Connection(net.error, target)

        net.gate = nengo.Node(lambda t: 0.0 if t < learn_time else 1.0, label="gate")
        nengo.Connection(
            net.gate, net.error.neurons, transform=-10 * np.ones((n, 1)), synapse=None
        )

        net.p_stim = nengo.Probe(net.stim, synapse=0.01)
        net.p_pre = nengo.Probe(net.pre, synapse=0.01)
        net.p_post = nengo.Probe(net.post, synapse=0.01)
        net.p_error = nengo.Probe(net.error, synapse=0.01)
        net.p_weights = nengo.Probe(
            net.conn, "weights", sample_every=weights_sample_every
        )
    return net


@dataclasses.dataclass
class ChannelResult:
    """What `run_channel` measured (times in seconds; RMSE over dimensions)."""

    label: str
    t: np.ndarray
    stim: np.ndarray
    pre: np.ndarray
    post: np.ndarray
    error: np.ndarray
    weights_t: np.ndarray
    weights: np.ndarray
    learn_time: float
    test_rmse: float
    gini_start: float
    gini_end: float
    gini_t: np.ndarray
    wall_time: float

    def time_to_rmse(self, threshold, window=1.0):
        """
        First time at which the RMSE of ``post - pre`` over the preceding
        ``window`` seconds falls below ``threshold``; NaN if it never does.
        """
        if not 0 < window <= self.t[-1]:
            raise ValidationError(
                f"Must be in (0, {self.t[-1]:g}] s, the run's length (got {window!r})",
                attr="window",
            )
        t, moving = moving_rmse(self, window)
        below = np.flatnonzero(moving < threshold)
        return float(t[below[0]]) if below.size else float("nan")

    def summary(self):
        """One dictionary of the headline numbers."""
        return {
            "rule": self.label,
            "test_rmse": self.test_rmse,
            "gini_start": self.gini_start,
            "gini_end": self.gini_end,
            "wall_time_s": self.wall_time,
        }


def run_channel(
    learning_rule_type,
    label=None,
    test_time=5.0,
    simulator=nengo.Simulator,
    progress_bar=False,
    **kwargs,
):
    """
    Build and run `communication_channel`; return a `ChannelResult`.

    The test RMSE is that of ``post - pre`` (filtered 10 ms) over the test
    window, after learning stopped.

    Parameters
    ----------
    learning_rule_type : LearningRuleType or None
        The rule to learn with.
    label : str, optional
        Name for tables and plots (default: ``repr`` of the rule).
    test_time : float, optional
        Seconds of testing after ``learn_time``.
    simulator : callable, optional
        Simulator class (``nengo.Simulator`` or a compatible one).
    progress_bar : bool, optional
        Show nengo's progress bar.
    **kwargs
        Passed to `communication_channel`.
    """
    import time

    check_number("test_time", test_time, low=0, low_open=True)
    net = communication_channel(learning_rule_type, **kwargs)
    with simulator(net, progress_bar=progress_bar) as sim:
        t0 = time.perf_counter()
        sim.run(net.learn_time + test_time)
        wall = time.perf_counter() - t0
    t = sim.trange()
    test = t > net.learn_time
    # the probe's first sample is after learning began: prepend the built weights
    w0 = np.asarray(sim.data[net.conn].weights)
    weights = np.concatenate([w0[None], sim.data[net.p_weights]])
    weights_t = np.concatenate(
        [[0.0], sim.trange(sample_every=net.p_weights.sample_every)]
    )
    gini_t = np.array([gini_index(w) for w in weights])
    return ChannelResult(
        label=repr(learning_rule_type) if label is None else label,
        t=t,
        stim=sim.data[net.p_stim],
        pre=sim.data[net.p_pre],
        post=sim.data[net.p_post],
        error=sim.data[net.p_error],
        weights_t=weights_t,
        weights=weights,
        learn_time=net.learn_time,
        test_rmse=float(rmse(sim.data[net.p_post][test], sim.data[net.p_pre][test])),
        gini_start=float(gini_t[0]),
        gini_end=float(gini_t[-1]),
        gini_t=gini_t,
        wall_time=wall,
    )


def identity(x):
    """The identity function (a picklable ``lambda x: x``)."""
    return x


class StartFrom:
    """
    A simulator factory that first sets the learned connection's function.

    `communication_channel` always starts the learned connection from a
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
    Run `run_channel` for every rule and seed.

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
        Passed to `run_channel` (and so to `communication_channel`).

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

    The curve whose first crossing `ChannelResult.time_to_rmse` reports.

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
    check_number("window", window, low=0, low_open=True)
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
    check_number("threshold", threshold, low=0, low_open=True, optional=True)
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
