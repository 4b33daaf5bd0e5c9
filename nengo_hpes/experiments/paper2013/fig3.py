r"""
Exp. 1 / Fig. 3 of the 2013 paper: spiking BCM (S = 0) on a working channel.

A Nengo 4 transcription of ``tbekolay/cogsci2013:scripts/nengo/BCM_Testing.py``
(with Nengo 1.4's ``bcm_termination`` template of 2013-01-25 and
``BCMTermination.java``) and of the analysis ``scripts/analysis/bcm_nengo.py``:

* 3-D, 15 LIF neurons per dimension: ``pre`` and ``post`` of 45 neurons,
  Nengo 1.4 default neurons (max rates U(200, 400) Hz, intercepts U(-1, 1)),
  radius 1, no error ensemble;
* input: Nengo 1.4's pink Fourier series (`.learning.FourierSignal` with
  harmonics of 1 Hz up to 10 Hz, RMS 0.5 per dimension), input -> pre 10 ms;
* three regimes per seed, sharing input, ``pre`` and ``post``:

  - ``"control"``: decoded ``pre -> post`` (identity, 10 ms);
  - ``"random"``: ``pre.neurons -> post.neurons``, weights U(-1e-3, 1e-3)
    (10 ms): accuracy 0 by definition;
  - ``"bcm"``: ``pre.neurons -> post.neurons`` starting from the NEF weights
    :math:`\omega_{ji} = (e_j / r) \cdot d_i` (no gain: nengo applies it, as
    Nengo 1.4's neurons did), 5 ms, learning with `.HPES` at S = 0;

* the rule, variant ``"paper"``: Nengo 1.4's ``BCMTermination`` with the
  script's ``learn_rate=4e-3`` (:math:`\kappa \beta = 8 \times 10^{-14}`:
  ``learning_rate`` `.rule.convert_learning_rate` (4e-3, 45) and
  ``unsupervised_scale`` `.rule.paper_unsupervised_scale` (45)), theta
  started at U(10, 20) Hz times each post gain, ``theta_synapse``
  ``Lowpass(20)``; variant ``"auto"``: the same rule with
  ``unsupervised_scale="auto"`` (the package's zero-mean threshold
  :math:`\langle a^2 \rangle / \langle a \rangle` and
  :math:`\beta_j = 1 / (n_{pre} \hat r_j^2)`), same learning rate, theta
  start and time constant; variant ``"auto-matched"``: "auto" with the
  learning rate divided so that :math:`\kappa \beta_j` of the median post
  neuron equals the paper's (about 1/550 of the learning rate), to separate
  the threshold's zero mean from the term's size;
* logged every 0.25 s: post's decoded value (10 ms filter, decoders
  ``LstsqL2(reg=0.1)``, Nengo 1.4's decoder noise 0.1) and, for ``"bcm"``,
  the 45 x 45 weights.

Measures (``bcm_nengo.py``): SE(t) = sum over dimensions of (post_control(t) -
post_other(t))^2 for one sample (same seed); accuracy(t) = 1 - SE_bcm(t) /
mean over seeds of SE_random(t); Gini index of \|w\| over all 2025 weights
(`nengo_hpes.experiments.metrics.gini_index`). Means over seeds with 95 %
percentile-bootstrap CIs (10 000 resamples, as the paper).

One ``numpy`` RandomState per seed draws, in the same order for every regime
and variant: the input, ``pre`` and ``post`` (neuron parameters, encoders,
evaluation points, ensemble seeds), the random weights and theta(0).

Command line: ``python -m nengo_hpes.experiments.paper2013.fig3 --mode
quick|full --out DIR [--seeds N] [--workers W]`` writes ``DIR/fig3-MODE.json``.
"""

import argparse
import concurrent.futures
import json
import os
import pickle
import platform
import sys
import time

import nengo
import numpy as np
from nengo.dists import UniformHypersphere
from nengo.exceptions import ValidationError
from nengo.solvers import LstsqL2

from nengo_hpes.experiments.cache import write_atomic
from nengo_hpes.experiments.metrics import gini_index
from nengo_hpes.experiments.paper2013 import rule as paper
from nengo_hpes.experiments.paper2013.learning import FourierSignal
from nengo_hpes.experiments.paper2013.rule import check_number
from nengo_hpes.experiments.paper2013.stdp import bootstrap_ci
from nengo_hpes.learning_rules import HPES

REGIMES = ("control", "random", "bcm")
VARIANTS = ("paper", "auto", "auto-matched")
MODES = ("quick", "full")

#: Dimensions and neurons per dimension (``make(dims=3, nperd=15)``).
DIMS = 3
NPERD = 15
#: ``BCM_Testing.make``'s ``learn_rate`` (Nengo 1.4 units, "artificially large").
KAPPA_14 = 4e-3
#: Synapse of the decoded and random connections, and of the probes (s).
PSTC = 0.01
#: Decoders of ``pre`` (the NEF weights, the control) and of the probes.
SOLVER = LstsqL2(reg=0.1)
#: Sampling interval of the log (``interval=0.25``).
SAMPLE_EVERY = 0.25
#: Evaluation points per ensemble (nengo's default for 45 neurons in 3-D).
N_EVAL_POINTS = 1500
#: Nengo 1.4's ``make_fourier_input`` defaults for this script.
INPUT = dict(base=1.0, high=10.0, rms=0.5)
#: (run length in s, number of seeds) per mode.
MODE_DEFAULTS = {"quick": (2.0, 2), "full": (200.0, 10)}

#: Windows of the paper's table (docs/paper-2013.md section 3.3), in s.
WINDOWS = (
    (0.25, 5.0),
    (5.0, 20.0),
    (20.0, 40.0),
    (40.0, 60.0),
    (60.0, 80.0),
    (90.0, 110.0),
    (140.0, 160.0),
    (180.0, 200.0),
)
#: The published Fig. 3 (window averages of the plotted mean, read from the PDF).
PAPER_VALUES = {
    "accuracy": [0.976, 0.964, 0.947, 0.901, 0.821, 0.732, 0.671, 0.635],
    "gini": [0.471, 0.472, 0.473, 0.481, 0.502, 0.536, 0.568, 0.588],
    "gini_initial": 0.454,
    "gini_200s": 0.591,
}


def draw_seed(seed):
    """
    Everything random about one seed's networks, drawn from one RandomState.

    Returns a dict: ``input_seed``; for ``"pre"`` and ``"post"`` the max
    rates, intercepts, gains, biases, encoders (unit, on the sphere),
    evaluation points (in the ball) and ensemble seed; ``random_weights``
    (U(-1e-3, 1e-3), post x pre) and ``theta_seed`` (for theta(0)).
    """
    seed = check_number("seed", seed, low=0, integer=True)
    rng = np.random.RandomState(seed)
    params = dict(input_seed=rng.randint(2**31 - 1))
    n = NPERD * DIMS
    for name in ("pre", "post"):
        max_rates, intercepts, gains, biases = paper.paper_neuron_params(n, rng)
        params[name] = dict(
            max_rates=max_rates,
            intercepts=intercepts,
            gains=gains,
            biases=biases,
            encoders=UniformHypersphere(surface=True).sample(n, DIMS, rng=rng),
            eval_points=UniformHypersphere().sample(N_EVAL_POINTS, DIMS, rng=rng),
            seed=rng.randint(2**31 - 1),
        )
    params["random_weights"] = paper.random_weights(n, n, rng)
    params["theta_seed"] = rng.randint(2**31 - 1)
    return params


def decoders(ens_params, solver=SOLVER):
    """Identity decoders (neurons x dims) of an ensemble from `draw_seed`."""
    x = ens_params["eval_points"]
    activities = nengo.LIF().rates(
        x @ ens_params["encoders"].T, ens_params["gains"], ens_params["biases"]
    )
    d, _ = solver(activities, x)
    return d


def nef_weights(params):
    r"""
    The BCM connection's starting weights: :math:`(e_j / r) \cdot d_i`.

    What Nengo 1.4's ``bcm_termination.make`` computed (post encoders over
    the radius times pre's decoders, no gain): post x pre, to be used on a
    ``pre.neurons -> post.neurons`` connection, whose post gains nengo
    applies.
    """
    return params["post"]["encoders"] @ decoders(params["pre"]).T


def _ensemble(ens_params, label):
    return nengo.Ensemble(
        NPERD * DIMS,
        DIMS,
        max_rates=ens_params["max_rates"],
        intercepts=ens_params["intercepts"],
        encoders=ens_params["encoders"],
        eval_points=ens_params["eval_points"],
        seed=ens_params["seed"],
        label=label,
    )


def bcm_rule(params, variant="paper", kappa_14=KAPPA_14):
    r"""
    The BCM rule of one seed: `.HPES` with S = 0 in paper mode, or with "auto".

    ``"paper"``: `.rule.paper_hpes` with S = 0 and the BCM theta range
    (U(10, 20) Hz times each post gain, ``theta_synapse=Lowpass(20)``).
    ``"auto"``: the same parameters with ``unsupervised_scale="auto"`` (a
    wrapper: `.rule.paper_hpes` always gives the numeric scale), whose
    :math:`\beta_j = 1 / (n_{pre} \hat r_j^2)` (:math:`\hat r_j` the max
    rate) is about 550 times the paper's. ``"auto-matched"``: "auto" with
    ``learning_rate`` times ``paper_scale * n_pre * median(max_rates**2)``,
    so that the median post neuron's :math:`\kappa \beta_j` is the paper's.
    """
    _check_choice("variant", variant, VARIANTS)
    kappa_14 = check_number("kappa_14", kappa_14, low=0)
    rng = np.random.RandomState(params["theta_seed"])
    rule, theta_init = paper.paper_hpes(
        kappa_14,
        0.0,
        NPERD * DIMS,
        params["post"]["gains"],
        rng,
        theta_range=paper.THETA_RANGE_BCM,
    )
    if variant != "paper":
        learning_rate = rule.learning_rate
        if variant == "auto-matched":
            max_rates = params["post"]["max_rates"]
            learning_rate *= (
                rule.unsupervised_scale * NPERD * DIMS * np.median(max_rates**2)
            )
        rule = HPES(
            learning_rate=learning_rate,
            supervision_ratio=0.0,
            unsupervised_scale="auto",
            pre_synapse=rule.pre_synapse,
            post_synapse=rule.post_synapse,
            theta_synapse=rule.theta_synapse,
            theta_init=theta_init,
        )
    return rule


def build_network(seed, regime="bcm", variant="paper", kappa_14=KAPPA_14):
    """
    One Exp. 1 network (see the module docstring).

    Parameters
    ----------
    seed : int
        Seeds the input and the ensembles (the same for every regime), >= 0.
    regime : "control", "random" or "bcm"
    variant : "paper", "auto", "auto-matched" or None
        The BCM rule's threshold and scale (``"bcm"`` only; None allowed for
        the other regimes).
    kappa_14 : float
        Nengo 1.4 learning rate of the BCM termination, >= 0.

    Returns
    -------
    net : `nengo.Network`
        With attributes ``probe_post`` (decoded post, 10 ms filter, every
        0.25 s), ``learned`` (the connection from pre to post),
        ``initial_weights`` (its transform; None for the control),
        ``probe_weights`` and ``probe_theta`` (``"bcm"`` only, else None).
    """
    _check_choice("regime", regime, REGIMES)
    if regime == "bcm" or variant is not None:
        _check_choice("variant", variant, VARIANTS)
    params = draw_seed(seed)
    net = nengo.Network(label=f"BCM testing {regime} {variant} seed {seed}")
    with net:
        stim = nengo.Node(
            FourierSignal(seed=params["input_seed"], **INPUT), size_out=DIMS
        )
        pre = _ensemble(params["pre"], "pre")
        post = _ensemble(params["post"], "post")
        nengo.Connection(stim, pre, synapse=PSTC)
        net.probe_weights = net.probe_theta = None
        if regime == "control":
            net.learned = nengo.Connection(pre, post, synapse=PSTC, solver=SOLVER)
            net.initial_weights = None
        elif regime == "random":
            net.initial_weights = params["random_weights"]
            net.learned = nengo.Connection(
                pre.neurons, post.neurons, transform=net.initial_weights, synapse=PSTC
            )
        else:
            net.initial_weights = nef_weights(params)
            net.learned = nengo.Connection(
                pre.neurons,
                post.neurons,
                transform=net.initial_weights,
                synapse=nengo.Lowpass(paper.PSC_TAU),
                learning_rule_type=bcm_rule(params, variant, kappa_14),
            )
            net.probe_weights = nengo.Probe(
                net.learned, "weights", sample_every=SAMPLE_EVERY
            )
            net.probe_theta = nengo.Probe(
                net.learned.learning_rule, "theta", sample_every=SAMPLE_EVERY
            )
        net.probe_post = nengo.Probe(
            post, synapse=PSTC, sample_every=SAMPLE_EVERY, solver=SOLVER
        )
    return net


def run_network(seed, regime="bcm", variant="paper", length=200.0, kappa_14=KAPPA_14):
    r"""
    Build and run one network; return its log as a dict of arrays.

    Keys: ``t`` (sample times, 0.25 s apart), ``post`` (samples x 3);
    for ``"bcm"`` also ``gini`` (Gini index of \|w\| per sample),
    ``gini_initial``, ``mean_abs_w`` per sample, ``theta_median`` (median
    over post neurons of theta, Hz, per sample), ``theta_init_median`` and
    ``max_abs_dw`` (largest change of a weight over the run); ``wall_s``.
    """
    length = check_number("length", length, low=SAMPLE_EVERY)
    net = build_network(seed, regime=regime, variant=variant, kappa_14=kappa_14)
    start = time.perf_counter()
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run(length)
        out = dict(
            seed=int(seed),
            regime=regime,
            variant=variant,
            t=sim.trange(sample_every=SAMPLE_EVERY),
            post=sim.data[net.probe_post],
        )
        if regime == "bcm":
            w = sim.data[net.probe_weights]
            w0 = net.initial_weights
            theta = sim.data[net.probe_theta]
            theta0 = np.asarray(net.learned.learning_rule_type.theta_init)
            out.update(
                gini=gini_index(w.reshape(len(w), -1), axis=1),
                gini_initial=gini_index(w0),
                mean_abs_w=np.abs(w).mean(axis=(1, 2)),
                mean_abs_w_initial=float(np.abs(w0).mean()),
                theta_median=np.median(theta, axis=1),
                theta_init_median=float(np.median(theta0)),
                max_abs_dw=float(np.max(np.abs(w[-1] - w0))),
            )
    out["wall_s"] = time.perf_counter() - start
    return out


def _cache_path(cache_dir, task):
    seed, regime, variant, length, kappa_14 = task
    name = f"{regime}-{variant or 'none'}-seed{seed}-{length:g}s-kappa{kappa_14:g}.pkl"
    return os.path.join(cache_dir, name)


def _run_task(task, cache_dir=None):
    """Run one task, or load it from ``cache_dir``; returns (run, cached)."""
    path = None if cache_dir is None else _cache_path(cache_dir, task)
    if path is not None and os.path.exists(path):
        with open(path, "rb") as f:
            return pickle.load(f), True
    result = run_network(*task)
    if path is not None:
        write_atomic(path, pickle.dumps(result))
    return result, False


def _window_means(t, values, windows):
    t = np.asarray(t)
    eps = 1e-9
    return np.array(
        [
            np.mean(values[..., (t >= lo - eps) & (t <= hi + eps)], axis=-1)
            for lo, hi in windows
        ]
    ).T


def _mean_ci(per_seed, rng, n_boot=10000):
    per_seed = np.asarray(per_seed)
    lo, hi = bootstrap_ci(per_seed, rng, n_samples=n_boot, axis=0)
    return per_seed.mean(axis=0), lo, hi


def analyse(runs, windows=None, ci_seed=0, n_boot=10000):
    """
    Fig. 3's measures from the runs of `run_network`.

    ``runs``: dict mapping (regime, variant, seed) to a run (variant None
    for "control" and "random"). The seeds with a control and a random run
    define the accuracy's denominator; a variant is analysed over its seeds
    among those, if it has at least 2. Returns a dict with, per variant:
    per-seed accuracy and Gini curves, their mean and 95 %
    bootstrap CI per sample, the same per window (``windows``, default the
    paper's table where they fit in the run, else the run's two halves) and
    the `verdict`. ``n_boot`` bootstrap resamples (the paper's 10 000) from
    ``numpy.random.RandomState(ci_seed)``.
    """
    seeds = sorted(
        {k[2] for k in runs if ("control", None, k[2]) in runs}
        & {k[2] for k in runs if ("random", None, k[2]) in runs}
    )
    t = runs[("control", None, seeds[0])]["t"]
    if windows is None:
        windows = [w for w in WINDOWS if w[1] <= t[-1] + 1e-9]
        if len(windows) < 2:  # short (quick) runs: the two halves
            windows = [(SAMPLE_EVERY, t[-1] / 2), (t[-1] / 2, t[-1])]
    rng = np.random.RandomState(ci_seed)

    def se(regime, variant, s):
        diff = runs[("control", None, s)]["post"] - runs[(regime, variant, s)]["post"]
        return np.sum(diff**2, axis=1)

    se_random = np.array([se("random", None, s) for s in seeds])
    denominator = se_random.mean(axis=0)
    out = dict(
        t=t,
        seeds=seeds,
        windows=[list(w) for w in windows],
        se_random_mean=denominator,
        variants={},
    )
    for variant in VARIANTS:
        v_seeds = [s for s in seeds if ("bcm", variant, s) in runs]
        if len(v_seeds) < 2:
            continue
        bcm = [runs[("bcm", variant, s)] for s in v_seeds]
        acc = 1 - np.array([se("bcm", variant, s) for s in v_seeds]) / denominator
        gini = np.array([r["gini"] for r in bcm])
        res = dict(seeds=v_seeds, per_seed=dict(accuracy=acc, gini=gini))
        for name, values in (("accuracy", acc), ("gini", gini)):
            mean, lo, hi = _mean_ci(values, rng, n_boot)
            wvals = _window_means(t, values, windows)
            wmean, wlo, whi = _mean_ci(wvals, rng, n_boot)
            res[name] = dict(mean=mean, ci95=[lo, hi])
            res[f"{name}_windows"] = dict(per_seed=wvals, mean=wmean, ci95=[wlo, whi])
        g0 = np.array([r["gini_initial"] for r in bcm])
        g0_mean, g0_lo, g0_hi = _mean_ci(g0, rng, n_boot)
        res["gini_initial"] = dict(
            per_seed=g0, mean=float(g0_mean), ci95=[float(g0_lo), float(g0_hi)]
        )
        rise = gini[:, -1] - gini[:, 0]
        r_mean, r_lo, r_hi = _mean_ci(rise, rng, n_boot)
        res["gini_rise"] = dict(
            per_seed=rise, mean=float(r_mean), ci95=[float(r_lo), float(r_hi)]
        )
        res["diagnostics"] = dict(
            mean_abs_w_initial=[r["mean_abs_w_initial"] for r in bcm],
            mean_abs_w_final=[float(r["mean_abs_w"][-1]) for r in bcm],
            max_abs_dw=[r["max_abs_dw"] for r in bcm],
            theta_init_median=[r["theta_init_median"] for r in bcm],
            theta_median_final=[float(r["theta_median"][-1]) for r in bcm],
            wall_s=[r["wall_s"] for r in bcm],
        )
        res["verdict"] = verdict(t, res, windows)
        out["variants"][variant] = res
    return out


def verdict(t, res, windows):
    """
    Compare one variant with the paper's Fig. 3 (docs/paper-2013.md, R3).

    Checks (each True/False/None when the run is too short to tell): Gini
    rise from 0.25 s to the end of +0.12 +- 0.05 (``gini_rise``); Gini
    change < 0.01 over the first 30 s (``gini_flat_30s``); accuracy >= 0.95
    over 0.25-5 s (``accuracy_start``); accuracy in [0.50, 0.75] over
    180-200 s (``accuracy_end``); window means monotone after 40 s, Gini up
    and accuracy down (``monotone_after_40s``). "reproduced" if all hold;
    "direction only" if the Gini rose and the accuracy fell (CIs of the
    first and last window apart); else "not reproduced".
    """
    acc_w = res["accuracy_windows"]
    gini_w = res["gini_windows"]
    wins = [tuple(w) for w in windows]
    gini = np.asarray(res["gini"]["mean"])
    t = np.asarray(t)
    checks = {}
    full = t[-1] >= 200.0 - 1e-9
    checks["gini_rise"] = (
        bool(abs(res["gini_rise"]["mean"] - 0.12) <= 0.05) if full else None
    )
    first30 = gini[t <= 30.0 + 1e-9]
    checks["gini_flat_30s"] = (
        bool(np.ptp(first30) < 0.01) if t[-1] >= 30.0 - 1e-9 else None
    )
    checks["accuracy_start"] = (
        bool(acc_w["mean"][0] >= 0.95) if wins and wins[0] == WINDOWS[0] else None
    )
    checks["accuracy_end"] = (
        bool(0.5 <= acc_w["mean"][-1] <= 0.75) if wins[-1] == WINDOWS[-1] else None
    )
    late = [i for i, w in enumerate(wins) if w[0] >= 40.0]
    if len(late) >= 2:
        checks["monotone_after_40s"] = bool(
            np.all(np.diff(np.asarray(gini_w["mean"])[late]) > 0)
            and np.all(np.diff(np.asarray(acc_w["mean"])[late]) < 0)
        )
    else:
        checks["monotone_after_40s"] = None
    gini_up = gini_w["ci95"][0][-1] > gini_w["ci95"][1][0]
    acc_down = acc_w["ci95"][1][-1] < acc_w["ci95"][0][0]
    if all(checks.values()):
        word = "reproduced"
    elif full and gini_up and acc_down:
        word = "direction only"
    elif full:
        word = "not reproduced"
    else:
        word = None  # too short to judge
    return dict(
        checks=checks, gini_up=bool(gini_up), accuracy_down=bool(acc_down), verdict=word
    )


def run_fig3(
    mode="quick",
    seeds=None,
    workers=2,
    variants=VARIANTS,
    length=None,
    kappa_14=KAPPA_14,
    cache_dir=None,
    verbose=True,
):
    """
    Fig. 3: every regime and variant for every seed, then `analyse`.

    Parameters
    ----------
    mode : "quick" or "full"
        Default run length and number of seeds: quick 2 s and 2 seeds, full
        200 s and 10 seeds.
    seeds : iterable of int, optional
        Default ``range(N)`` with N from ``mode``.
    workers : int
        Worker processes (>= 1; 1 runs in this process).
    variants : sequence of "paper", "auto", "auto-matched"
    length : float, optional
        Simulated seconds per run (>= 0.25); default from ``mode``.
    kappa_14 : float
        Nengo 1.4 learning rate of the BCM termination.
    cache_dir : str, optional
        Keep every run there (one pickle per run) and load the runs found
        there instead of simulating them again (so an interrupted full run
        can be resumed, or analysed over the seeds it finished).
    """
    seeds, workers, variants, length, kappa_14 = _check_run_args(
        mode, seeds, workers, variants, length, kappa_14
    )
    if cache_dir is not None:
        os.makedirs(cache_dir, exist_ok=True)
    tasks = []
    extra = "auto-matched"
    for s in seeds:
        tasks.append((s, "control", None, length, kappa_14))
        tasks.append((s, "random", None, length, kappa_14))
        tasks.extend((s, "bcm", v, length, kappa_14) for v in variants if v != extra)
    for v in [v for v in variants if v == extra]:  # last: if interrupted, the rest
        tasks.extend((s, "bcm", v, length, kappa_14) for s in seeds)
    start = time.perf_counter()
    runs = {}
    cached = []

    def record(task, result):
        run, was_cached = result
        runs[(task[1], task[2], task[0])] = run
        cached.append(was_cached)
        if verbose:
            print(
                f"[{time.perf_counter() - start:7.1f} s] seed {task[0]} {task[1]}"
                f"{' ' + task[2] if task[2] else ''}: {run['wall_s']:.1f} s"
                f"{' (cached)' if was_cached else ''}",
                flush=True,
            )

    if workers == 1:
        for task in tasks:
            record(task, _run_task(task, cache_dir))
    else:
        with concurrent.futures.ProcessPoolExecutor(workers) as pool:
            futures = {pool.submit(_run_task, task, cache_dir): task for task in tasks}
            for fut in concurrent.futures.as_completed(futures):
                record(futures[fut], fut.result())
    result = analyse(runs)
    result.update(
        experiment="fig3",
        mode=mode,
        length=length,
        kappa_14=kappa_14,
        workers=workers,
        n_runs=len(tasks),
        n_cached_runs=int(np.sum(cached)),
        run_wall_s=dict(
            control=float(
                np.mean([r["wall_s"] for k, r in runs.items() if k[0] == "control"])
            ),
            random=float(
                np.mean([r["wall_s"] for k, r in runs.items() if k[0] == "random"])
            ),
            bcm=float(np.mean([r["wall_s"] for k, r in runs.items() if k[0] == "bcm"])),
        ),
        paper=PAPER_VALUES,
        package_params={v: _rule_params(v, kappa_14) for v in variants},
        wall_s=time.perf_counter() - start,
    )
    return result


def _check_run_args(mode, seeds, workers, variants, length, kappa_14):
    _check_choice("mode", mode, MODES)
    default_length, n_seeds = MODE_DEFAULTS[mode]
    seeds = list(range(n_seeds) if seeds is None else seeds)
    if len(seeds) < 2:
        raise ValidationError(
            f"Must be at least 2 seeds (accuracy needs a mean over seeds; got {seeds})",
            attr="seeds",
        )
    for s in seeds:
        check_number("seeds", s, low=0, integer=True)
    workers = check_number("workers", workers, low=1, integer=True)
    variants = list(variants)
    if not variants:
        raise ValidationError(
            f"Must be a non-empty subset of {VARIANTS} (got {variants})", "variants"
        )
    for v in variants:
        _check_choice("variants", v, VARIANTS)
    length = default_length if length is None else length
    length = check_number("length", length, low=SAMPLE_EVERY)
    kappa_14 = check_number("kappa_14", kappa_14, low=0)
    return seeds, workers, variants, length, kappa_14


def _rule_params(variant, kappa_14):
    rule = bcm_rule(draw_seed(0), variant, kappa_14)
    return dict(
        learning_rate=rule.learning_rate,
        supervision_ratio=rule.supervision_ratio,
        unsupervised_scale=rule.unsupervised_scale,
        theta_synapse=repr(rule.theta_synapse),
        theta_init="U(10, 20) Hz x post gain",
        note="learning_rate of seed 0 (auto-matched: one per seed)",
    )


def markdown_table(result, variant="paper"):
    """
    The paper's Fig. 3 table beside ours (one variant of `run_fig3`'s result).

    Rows: accuracy and Gini per window (mean and 95 % bootstrap CI), the
    initial Gini and the Gini rise; the paper's value where the window is
    one of the paper's. Returns a Markdown string.
    """
    res = result["variants"][variant]
    lines = [
        "| measure | window (s) | paper | ours: mean | ours: 95 % CI |",
        "|---|---|---|---|---|",
    ]
    paper_windows = [list(w) for w in WINDOWS]
    for name in ("accuracy", "gini"):
        w = res[f"{name}_windows"]
        for i, window in enumerate(result["windows"]):
            k = (
                paper_windows.index(list(window))
                if list(window) in paper_windows
                else None
            )
            ref = "" if k is None else f"{PAPER_VALUES[name][k]:.3f}"
            lines.append(
                f"| {name} | {window[0]:g}-{window[1]:g} | {ref} | "
                f"{w['mean'][i]:.3f} | {w['ci95'][0][i]:.3f}-{w['ci95'][1][i]:.3f} |"
            )
    g0, rise = res["gini_initial"], res["gini_rise"]
    lines.append(
        f"| Gini | 0 (NEF start) | {PAPER_VALUES['gini_initial']:.3f} | "
        f"{g0['mean']:.3f} | {g0['ci95'][0]:.3f}-{g0['ci95'][1]:.3f} |"
    )
    lines.append(
        f"| Gini rise | last - 0.25 s | "
        f"{PAPER_VALUES['gini_200s'] - PAPER_VALUES['gini'][0]:+.3f} | "
        f"{rise['mean']:+.3f} | {rise['ci95'][0]:+.3f}-{rise['ci95'][1]:+.3f} |"
    )
    return "\n".join(lines)


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValidationError(f"Must be one of {choices} (got {value!r})", attr=name)


def _jsonable(obj, digits=6):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v, digits) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist(), digits)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (np.floating, float)):
        return float(f"{float(obj):.{digits}g}")
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def make_parser():
    parser = argparse.ArgumentParser(
        prog="python -m nengo_hpes.experiments.paper2013.fig3",
        description="Exp. 1 / Fig. 3 of Bekolay, Kolbeck & Eliasmith (2013): "
        "spiking BCM (S = 0) on a working 3-D channel.",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="quick",
        help="quick: 2 s, 2 seeds (default); full: 200 s, 10 seeds",
    )
    parser.add_argument("--out", default=".", help="output folder (default .)")
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="number of seeds, 0..N-1 (default from --mode)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes (default 2)"
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=VARIANTS,
        default=list(VARIANTS),
        help="BCM variants (default both)",
    )
    parser.add_argument(
        "--length",
        type=float,
        default=None,
        help="simulated seconds per run (default from --mode)",
    )
    parser.add_argument(
        "--cache",
        default=None,
        help="folder keeping every run; runs found there are not simulated again",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    return parser


def main(argv=None):
    """Run Fig. 3 from the command line; write ``OUT/fig3-MODE.json``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = make_parser().parse_args(argv)
    result = run_fig3(
        mode=args.mode,
        seeds=None if args.seeds is None else range(args.seeds),
        workers=args.workers,
        variants=args.variants,
        length=args.length,
        cache_dir=args.cache,
        verbose=not args.quiet,
    )
    result["command"] = " ".join(
        ["python -m nengo_hpes.experiments.paper2013.fig3"] + argv
    )
    result["versions"] = dict(
        python=platform.python_version(), numpy=np.__version__, nengo=nengo.__version__
    )
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"fig3-{args.mode}.json")
    with open(path, "w") as f:
        json.dump(_jsonable(result), f, indent=1)
        f.write("\n")
    print(path)
    return path


if __name__ == "__main__":
    main()
