"""
Fig. 4 of the 2013 paper: the learning curves of `.learning`'s networks, paired.

`run_fig4` runs the control networks and, per rule and seed, one learning
network of `.learning` (``schedule="full"``), in worker processes and with a
cache folder that makes an interrupted run resume, and returns each network's
error per test window relative to the control mean with the paper's summary
statistics; `paired_summary` is the paired comparison hPES - PES and its
verdict. Command line: ``python -m nengo_hpes.experiments.paper2013
fig4-transmission|fig4-binding``.
"""

import concurrent.futures
import json
import math
import os
import time

import numpy as np
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.cache import write_atomic
from nengo_hpes.experiments.paper2013.learning import (
    _TASK,
    MODES,
    NPERD,
    PAPER_PARAMS,
    TASKS,
    LearningResult,
    _check_choice,
    _rule_params,
    run_learning,
)
from nengo_hpes.experiments.paper2013.rule import check_number, convert_learning_rate


def _summary(rel, learning_times):
    """Targets of docs/paper-2013.md R4 for a mean relative-error curve."""
    rel = np.asarray(rel)
    final = float(np.mean(rel[-5:]))
    ma = np.convolve(rel, np.ones(5) / 5, mode="valid")
    within = np.nonzero(np.abs(ma - final) <= 0.1 * final)[0]
    below1 = np.nonzero(rel <= 1.0)[0]
    return dict(
        first_window=float(rel[0]),
        final_last5=final,
        # learning time at the start of the first 5-window moving average
        # within 10 % of the final value
        learned_within10pct_at=(
            float(learning_times[within[0]]) if len(within) else None
        ),
        first_at_or_below_control_at=(
            float(learning_times[below1[0]]) if len(below1) else None
        ),
    )


def paired_summary(rel_hpes, rel_pes, rng):
    """
    Paired comparison of two rules' relative errors (seeds x windows, same seeds).

    Per window the mean of hPES - PES; over the last 5 windows the per-seed
    mean difference, its mean, the Student-t 95 % CI (`.metrics.paired_difference`,
    needs >= 2 seeds, else None) and the percentile-bootstrap 95 % CI; the
    number of windows where the mean of hPES is below that of PES, and the
    verdict of ``docs/paper-2013.md`` (R4b): "reproduced" if the t CI of the
    last-5 difference is below 0, "direction only" if hPES < PES at >= 15/21
    (>= 5/7 of the) windows, else "not reproduced".
    """
    from nengo_hpes.experiments.metrics import paired_difference
    from nengo_hpes.experiments.paper2013.stdp import bootstrap_ci

    rel_hpes, rel_pes = np.asarray(rel_hpes), np.asarray(rel_pes)
    diff = rel_hpes - rel_pes
    last5 = diff[:, -5:].mean(axis=1)
    lo, hi = bootstrap_ci(last5[:, None], rng, axis=0)
    t_ci = None
    if len(last5) >= 2:
        _, t_lo, t_hi = paired_difference(
            rel_hpes[:, -5:].mean(axis=1), rel_pes[:, -5:].mean(axis=1)
        )
        t_ci = [float(t_lo), float(t_hi)]
    below = int(np.sum(rel_hpes.mean(axis=0) < rel_pes.mean(axis=0)))
    n_windows = int(diff.shape[1])
    if t_ci is not None and t_ci[1] < 0:
        verdict = "reproduced"
    elif below >= math.ceil(n_windows * 15 / 21):
        verdict = "direction only"
    else:
        verdict = "not reproduced"
    return dict(
        per_window_mean=diff.mean(axis=0).tolist(),
        last5_per_seed=last5.tolist(),
        last5_mean=float(last5.mean()),
        last5_t_ci95=t_ci,
        last5_bootstrap_ci95=[float(lo[0]), float(hi[0])],
        windows_hpes_below_pes=below,
        n_windows=n_windows,
        verdict=verdict,
    )


#: Ablations of Fig. 4 (R4c), run beside the paper's two rules, by name.
VARIANTS = {
    "PES-at-kappa-S": (
        "PES with the supervised rate of the paper's hPES optimum, kappa * S "
        "(the paper's hPES also had the larger supervised rate)"
    ),
    "hPES-zero-start": "the paper's hPES, learned weights starting at zero",
    "PES-zero-start": "the paper's PES, learned weights starting at zero",
    "hPES-theta-rates": (
        "the paper's hPES with the package's default threshold: theta(0) = "
        "each post neuron's rate, time constant 1 s (the paper: U(50, 150) Hz "
        "x gain, 20 s)"
    ),
    "hPES-auto": (
        "the paper's hPES rate and S with the package's "
        'unsupervised_scale="auto" (zero-mean threshold, per-neuron scale)'
    ),
    "hPES-defaults": "HPES() with every package default, on the paper's network",
    "PES-defaults": "nengo.PES() (the package's HPES(1e-4, 1)), on the paper's network",
}
#: The learning-rate sweep of R4c: each rule at these multiples of its paper
#: optimum's rate (S unchanged), named ``RULE-rate-xM``. The paper chose its
#: rates by the loss of Fig. 5 (20 s of learning); the sweep asks where each
#: rule's *final* error (Fig. 4's last 5 windows) is lowest.
RATE_SCALES = (0.25, 0.5)
VARIANTS.update(
    {
        f"{rule}-rate-x{m:g}": (
            f"the paper's {rule} at {m:g} times its learning rate (S unchanged)"
        )
        for m in RATE_SCALES
        for rule in ("hPES", "PES")
    }
)
#: The rules `run_fig4` takes: the paper's two and the `VARIANTS`.
FIG4_RULES = ("hPES", "PES") + tuple(VARIANTS)


def variant_params(task, rule):
    """
    How to run a `FIG4_RULES` name: a dict of `.learning.run_learning` arguments.

    ``rule`` (the base rule, "hPES" or "PES"), ``learning_rate`` and
    ``supervision_ratio`` (None: the paper's optimum), ``start`` and
    ``threshold`` (see `.learning.build_network`).
    """
    _check_choice("rules", rule, FIG4_RULES)
    kw = dict(
        rule=rule.split("-")[0],
        learning_rate=None,
        supervision_ratio=None,
        start="random",
        threshold="paper",
    )
    if rule == "PES-at-kappa-S":
        h = PAPER_PARAMS[task]["hPES"]
        kw.update(learning_rate=h["learning_rate"] * h["supervision_ratio"])
        kw.update(supervision_ratio=1.0)
    elif rule.endswith("-zero-start"):
        kw.update(start="zero")
    elif rule == "hPES-theta-rates":
        kw.update(threshold="rates")
    elif rule == "hPES-auto":
        kw.update(threshold="auto")
    elif "-rate-x" in rule:
        scale = float(rule.split("-rate-x")[1])
        best = PAPER_PARAMS[task][kw["rule"]]["learning_rate"]
        kw.update(learning_rate=scale * best)
    elif rule.endswith("-defaults"):
        # the package's default rates in Nengo 1.4 units: the conversion of
        # .rule.convert_learning_rate is linear in kappa (post radius 1)
        rate, S = (1e-4 / 0.999, 0.999) if kw["rule"] == "hPES" else (1e-4, 1.0)
        n_pre = NPERD * _TASK[task]["in_d"]
        kw.update(learning_rate=rate / convert_learning_rate(1.0, n_pre))
        kw.update(supervision_ratio=S)
        if S < 1:
            kw.update(threshold="auto")
    return kw


def _run_cached(job, cache_dir=None):
    """
    Run one Fig. 4 network ``(task, rule, seed, mode)``, or load it from ``cache_dir``.

    Returns ``(LearningResult, cached)``. A run is written to
    ``cache_dir/TASK-RULE-seedSEED-MODE.json`` as soon as it ends (through a
    temporary file, so a killed run leaves nothing half-written); a cached
    file whose parameters differ from this code's (another learning rate, say)
    is an error rather than a silent mix.
    """
    task, rule, seed, mode = job
    if rule == "control":
        kw = dict(rule="control", learning_rate=None, supervision_ratio=None)
    else:
        kw = variant_params(task, rule)
    path = None
    if cache_dir is not None:
        path = os.path.join(cache_dir, f"{task}-{rule}-seed{seed}-{mode}.json")
        if os.path.exists(path):
            with open(path) as f:
                res = LearningResult(**json.load(f))
            kappa, S = _rule_params(
                task, kw["rule"], kw["learning_rate"], kw["supervision_ratio"]
            )
            same = np.allclose(
                [res.learning_rate, res.supervision_ratio], [kappa, S], equal_nan=True
            )
            # runs cached before the ablations have no start / threshold
            options = {k: kw[k] for k in ("start", "threshold") if k in kw}
            cached = {k: res.package_params.get(k, v) for k, v in options.items()}
            if not same or res.schedule != "full" or cached != options:
                raise ValidationError(
                    f"Must be a run of this code's parameters: {path} has learning "
                    f"rate {res.learning_rate}, S {res.supervision_ratio}, schedule "
                    f"{res.schedule!r}, {cached} (expected {kappa}, {S}, 'full', "
                    f"{options}); delete it or use another cache folder",
                    attr="cache_dir",
                )
            return res, True
    res = run_learning(task, seed=seed, mode=mode, **kw)
    if path is not None:
        os.makedirs(cache_dir, exist_ok=True)
        write_atomic(path, json.dumps(res.to_dict()))
    return res, False


def run_fig4(
    task,
    seeds=range(15),
    control_seeds=range(10),
    mode="full",
    rules=("hPES", "PES"),
    ci_seed=0,
    verbose=True,
    workers=1,
    cache_dir=None,
):
    """
    Fig. 4 for one task: error per test window relative to the control mean.

    Runs the control networks (``control_seeds``) and, for every rule and
    seed in ``seeds``, one learning network (same seed = same input, pre and
    post for both rules: paired). Returns a dict with the control mean per
    window, per rule the relative error of each network, its mean and 95 %
    percentile-bootstrap CI (10 000 resamples, as the paper), a summary
    (``_summary``), and, if hPES ran, the paired difference hPES - PES
    (`paired_summary`; ``paired_hpes_minus_pes``) and hPES - each ablation of
    `VARIANTS` in ``rules`` (``paired_hpes_minus_NAME``).

    The networks run in ``workers`` processes, controls first, then the
    learning networks seed by seed (both rules of a seed together, so an
    interrupted run leaves complete pairs). With ``cache_dir`` every network
    is stored there as it ends and loaded instead of rerun, so the same call
    resumes an interrupted run and extends it to more seeds (``_run_cached``).
    """
    from nengo_hpes.experiments.paper2013.stdp import bootstrap_ci

    seeds, control_seeds = list(seeds), list(control_seeds)
    if len(control_seeds) == 0 or len(seeds) == 0:
        raise ValidationError(
            f"Must be at least one seed and one control seed (got seeds={seeds}, "
            f"control_seeds={control_seeds})",
            attr="seeds",
        )
    start = time.perf_counter()

    def log(msg):
        if verbose:
            print(f"[{time.perf_counter() - start:7.1f} s] {msg}", flush=True)

    _check_choice("task", task, TASKS)
    _check_choice("mode", mode, MODES)
    for rule in rules:
        _check_choice("rules", rule, FIG4_RULES)
    workers = check_number("workers", workers, low=1, integer=True)
    jobs = [(task, "control", s, mode) for s in control_seeds]
    jobs += [(task, rule, s, mode) for s in seeds for rule in rules]
    results = {}

    def record(job, result):
        r, cached = result
        results[job[1:3]] = r
        what = "control" if job[1] == "control" else f"{job[1]}, final {r.loss:.1f}"
        log(
            f"{len(results)}/{len(jobs)} {task} {job[1]} seed {job[2]}: "
            f"{'cached' if cached else f'{what}, {r.wall_s:.1f} s'}"
        )

    if workers == 1:
        for job in jobs:
            record(job, _run_cached(job, cache_dir))
    else:
        with concurrent.futures.ProcessPoolExecutor(workers) as pool:
            futures = {pool.submit(_run_cached, job, cache_dir): job for job in jobs}
            for fut in concurrent.futures.as_completed(futures):
                record(futures[fut], fut.result())
    control = [results["control", s].window_errors for s in control_seeds]
    r = results["control", control_seeds[0]]
    control_mean = np.mean(control, axis=0)
    rng = np.random.RandomState(ci_seed)
    out = dict(
        experiment=f"fig4-{task}",
        task=task,
        mode=mode,
        seeds=seeds,
        control_seeds=control_seeds,
        learning_times=r.learning_times,
        control_mean=control_mean.tolist(),
        rules={},
    )
    rel = {}
    for rule in rules:
        runs = [results[rule, s] for s in seeds]
        rel[rule] = np.array([r.window_errors for r in runs]) / control_mean
        mean = rel[rule].mean(axis=0)
        lo, hi = bootstrap_ci(rel[rule], rng, axis=0)
        out["rules"][rule] = dict(
            params=dict(
                learning_rate=runs[0].learning_rate,
                supervision_ratio=runs[0].supervision_ratio,
                package=runs[0].package_params,
            ),
            relative=rel[rule].tolist(),
            mean=mean.tolist(),
            ci95=[lo.tolist(), hi.tolist()],
            summary=_summary(mean, r.learning_times),
        )
    for other in [r for r in rules if r != "hPES" and "hPES" in rel]:
        key = "pes" if other == "PES" else other
        out[f"paired_hpes_minus_{key}"] = paired_summary(rel["hPES"], rel[other], rng)
    out["workers"] = workers
    out["wall_s"] = time.perf_counter() - start
    return out
