"""
The 2013 paper's reproduction in one table: published values, results, verdicts.

Holds, once, the published values that the experiment modules do not
(Fig. 1's key points, Fig. 2's points, Fig. 4's series, Fig. 5's boxes; read
from the figures, ``docs/paper-2013.md`` sections 3.1-3.5), and reuses those
that they do (`.fig3.PAPER_VALUES`, `.table3.PUBLISHED`,
`.learning.PAPER_PARAMS`). Loads the committed results (JSON written by the
experiments' command lines, by default from ``benchmarks/results/paper2013``
of the repository) and compares them with the paper: `verdict_table` gives
one row per reproduction target (R0-R6 of ``docs/paper-2013.md``) and
`verdict_markdown` renders it. A result that is not there gives a row "not
run yet" with the command that makes it. Figures: `.report_plots`.

The rules are stated in `verdict_table`'s docstring; every verdict is one of
`VERDICTS`.
"""

import json
import pathlib

import numpy as np

from nengo_hpes.experiments.metrics import paired_difference
from nengo_hpes.experiments.notebook import format_table
from nengo_hpes.experiments.paper2013 import fig3, fig4, table3
from nengo_hpes.experiments.paper2013.learning import TASKS
from nengo_hpes.experiments.validation import check_choice, fail

#: The verdicts, from the best.
VERDICTS = ("reproduced", "direction only", "not reproduced", "not run yet")
#: The committed results, relative to the repository.
DEFAULT_RESULTS = pathlib.Path("benchmarks") / "results" / "paper2013"
_REPO = pathlib.Path(__file__).resolve().parents[3]

# ---------------------------------------------------------------- published values
#: Fig. 1 (docs/paper-2013.md 3.1): (spike timing in ms, pre before post > 0;
#: % change), the curve normalised to +100 % at its peak.
FIG1_PUBLISHED = (
    (-29.3, -18.0),
    (-19.2, -44.0),
    (-9.1, -70.7),
    (-5.1, -45.0),
    (-3.0, -4.0),
    (-1.0, 72.0),
    (1.0, 100.0),
    (5.1, 66.0),
    (9.1, 44.0),
    (19.2, 16.0),
)
#: Fig. 1's LTD minimum (ms, %).
FIG1_LTD_MIN = (-9.1, -70.7)
#: Fig. 2 (docs/paper-2013.md 3.2), % change at `FIG2_RATES` Hz: the published
#: simulation (the script's seed 6, 25 trials) and Kirkwood et al. (1996) as
#: the script plots it (None: no point).
FIG2_RATES = (1.0, 2.0, 10.0, 20.0, 100.0)
FIG2_PUBLISHED = {
    "low": (-4.2, -2.9, 10.9, 14.4, 20.0),
    "high": (-16.0, -9.7, 3.5, 9.5, 20.0),
}
FIG2_KIRKWOOD = {
    "low": (-6.0, -2.9, 15.5, 17.7, 19.8),
    "high": (-15.9, None, 4.9, 8.3, 20.9),
}
#: Fig. 3's 95 % CI band, window averages of its edges, per `.fig3.WINDOWS`
#: (docs/paper-2013.md 3.3; None: not digitised). Means: `.fig3.PAPER_VALUES`.
FIG3_PUBLISHED_CI = {
    "accuracy": (
        (0.969, 0.981),
        None,
        None,
        (0.875, 0.924),
        None,
        (0.679, 0.783),
        (0.606, 0.731),
        (0.561, 0.700),
    ),
    "gini": (
        (0.453, 0.497),
        None,
        None,
        (0.464, 0.506),
        None,
        (0.522, 0.557),
        (0.556, 0.586),
        (0.579, 0.607),
    ),
}
#: Fig. 4 (docs/paper-2013.md 3.4): error relative to the control mean at some
#: learning times (s), the mean of the last 5 windows and 95 % CIs (learning
#: time: (low, high)).
FIG4_PUBLISHED = {
    "transmission": dict(
        learning_time=(0, 2, 4, 6, 8, 10, 12, 16, 20, 24, 28, 30),
        hPES=(6.36, 3.91, 2.61, 2.21, 1.76, 1.79, 1.46, 1.26, 1.18, 1.17, 1.10, 1.29),
        PES=(6.55, 3.94, 2.38, 2.11, 1.59, 1.76, 1.39, 1.33, 1.25, 1.21, 1.17, 1.32),
        last5=dict(hPES=1.209, PES=1.223),
        ci95=dict(
            hPES={0: (6.10, 6.64), 30: (1.22, 1.36)},
            PES={0: (6.12, 6.97), 30: (1.16, 1.49)},
        ),
    ),
    "binding": dict(
        learning_time=(0, 8, 16, 20, 32, 40, 48, 60, 64, 72, 80),
        hPES=(
            1.440,
            1.297,
            1.169,
            1.167,
            1.062,
            1.068,
            0.984,
            1.010,
            0.951,
            0.993,
            0.940,
        ),
        PES=(
            1.486,
            1.327,
            1.269,
            1.266,
            1.139,
            1.085,
            1.059,
            1.047,
            1.020,
            1.041,
            0.997,
        ),
        last5=dict(hPES=0.962, PES=1.028),
        ci95=dict(hPES={80: (0.90, 0.98)}, PES={80: (0.96, 1.04)}),
    ),
}
#: Fig. 5 (docs/paper-2013.md 3.5): each condition's box, losses / control
#: mean (whiskers 1.5 IQR, outliers hidden), keyed as the search studies'
#: ``spec`` (task, rule).
FIG5_PUBLISHED = {
    ("binding", "pes"): dict(med=1.183, q1=1.076, q3=1.328, whislo=0.987, whishi=1.488),
    ("binding", "hpes"): dict(
        med=1.083, q1=1.031, q3=1.166, whislo=0.955, whishi=1.351
    ),
    ("transmission", "pes"): dict(
        med=1.288, q1=1.140, q3=1.754, whislo=1.001, whishi=2.595
    ),
    ("transmission", "hpes"): dict(
        med=1.206, q1=1.092, q3=1.399, whislo=0.958, whishi=1.796
    ),
}
#: R0 is a unit test, not a result file: its measured values, quoted from
#: docs/paper-2013.md ("The rule in paper mode"); the report's test checks
#: that the quote is still there.
R0_FROM_TEST = "2.2e-16, 2.4e-16, 2.0e-16 and 4.4e-16"

_TABLE3_NOTE = "60 000 images, DBN features, 1 run"


# ------------------------------------------------------------------------- loading
def results_path(results_dir=None):
    """
    The results folder as a `pathlib.Path`, if it exists.

    Parameters
    ----------
    results_dir : str or path-like, optional
        Default: ``benchmarks/results/paper2013`` in the repository.
    """
    path = _REPO / DEFAULT_RESULTS if results_dir is None else results_dir
    try:
        path = pathlib.Path(path)
    except TypeError:
        fail("results_dir", f"Must be a path to a folder (got {results_dir!r})")
    if not path.is_dir():
        fail("results_dir", f"Must be an existing folder (got {str(path)!r})")
    return path


def _out(results_dir):
    """The folder as the commands should name it."""
    path = results_path(results_dir)
    if path.resolve() == (_REPO / DEFAULT_RESULTS).resolve():
        return DEFAULT_RESULTS.as_posix()
    return str(path)


def load_json(relative, results_dir=None):
    """The JSON file ``results_dir/relative`` as a dict, or None if absent."""
    path = results_path(results_dir) / relative
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    data["_source"] = pathlib.PurePath(relative).as_posix()
    return data


def load_fig4(task, results_dir=None):
    """
    Fig. 4's result for ``task``: ``fig4-TASK-full.json`` if present, else
    ``prelim-3seeds/fig4-TASK-full.json``, else None; ``_source`` names it.
    """
    check_choice("task", task, TASKS)
    for rel in (f"fig4-{task}-full.json", f"prelim-3seeds/fig4-{task}-full.json"):
        data = load_json(rel, results_dir)
        if data is not None:
            return data
    return None


def fig5_summary(path, control):
    """
    One Fig. 5 search study: ``(task, rule, n, median, q1, q3)``.

    ``path``: the study JSON written by ``python -m
    nengo_hpes.experiments.search --out``; ``control``: the mean control
    loss; the quartiles are those of the complete trials' losses / control.
    """
    with open(path, encoding="utf-8") as f:
        study = json.load(f)
    losses = np.array([t["loss"] for t in study["trials"] if t["state"] == "COMPLETE"])
    q1, med, q3 = np.percentile(losses / control, [25, 50, 75])
    spec = study["spec"]
    return spec["task"], spec["rule"], len(losses), med, q1, q3


def load_fig5(task, results_dir=None):
    """
    Fig. 5 for ``task``: normalised losses and box statistics per rule.

    Reads ``fig5/control-TASK.json`` (``losses`` of the 10 control networks)
    and ``fig5/fig5-TASK-RULE.json`` (the search studies), full mode only (a
    quick-mode file counts as missing: its networks are not the paper's).
    Returns a dict:
    ``control_mean`` (None if absent), ``rules`` (``"hpes"``, ``"pes"``: a
    dict of ``losses`` / control mean, ``n``, ``med``, ``q1``, ``q3``,
    ``iqr``, or None if absent or without a control), ``missing`` (the
    absent files, and those of another mode) and ``not_full`` (those of
    another mode).
    """
    check_choice("task", task, TASKS)
    root = results_path(results_dir)
    out = dict(task=task, control_mean=None, rules={}, missing=[], not_full=[])
    rel = f"fig5/control-{task}.json"
    control = load_json(rel, results_dir)
    if control is None or control.get("mode", "full") != "full":
        out["missing"].append(rel)
        if control is not None:
            out["not_full"].append(rel)
        control = None
    else:
        out["control_mean"] = float(np.mean(control["losses"]))
    for rule in ("hpes", "pes"):
        rel = f"fig5/fig5-{task}-{rule}.json"
        out["rules"][rule] = None
        study = load_json(rel, results_dir)
        mode = None if study is None else study["spec"]["options"].get("mode")
        if study is None or mode != "full":
            out["missing"].append(rel)
            if study is not None:
                out["not_full"].append(rel)
        elif control is not None:
            losses = [t["loss"] for t in study["trials"] if t["state"] == "COMPLETE"]
            losses = np.array(losses) / out["control_mean"]
            _, _, n, med, q1, q3 = fig5_summary(root / rel, out["control_mean"])
            out["rules"][rule] = dict(
                losses=losses, n=n, med=med, q1=q1, q3=q3, iqr=q3 - q1, source=rel
            )
    return out


def fig5_bootstrap(fig5, resamples=10000, seed=0):
    """
    Percentile-bootstrap 95 % CIs of hPES vs PES in one task's Fig. 5 searches.

    Resamples each study's normalised losses (with replacement, its own
    size) and returns a dict: ``median_difference`` (hPES - PES median) and
    ``iqr_ratio`` (hPES IQR / PES IQR), each ``(estimate, low, high)``; or
    None if a study is missing. The trials of one TPE search are not
    independent draws (each depends on those before it), so the interval
    describes the spread of the 50 losses of *these* searches, not how much
    a repeated search would move; the verdict stays "direction only".
    """
    h, p = fig5["rules"].get("hpes"), fig5["rules"].get("pes")
    if h is None or p is None:
        return None
    rng = np.random.RandomState(seed)

    def stats(losses):
        losses = np.asarray(losses)
        idx = rng.randint(len(losses), size=(resamples, len(losses)))
        q1, med, q3 = np.percentile(losses[idx], [25, 50, 75], axis=1)
        return med, q3 - q1

    (hm, hi), (pm, pi) = stats(h["losses"]), stats(p["losses"])
    out = {}
    for name, est, boot in (
        ("median_difference", h["med"] - p["med"], hm - pm),
        ("iqr_ratio", h["iqr"] / p["iqr"], hi / pi),
    ):
        lo, up = np.percentile(boot, [2.5, 97.5])
        out[name] = (float(est), float(lo), float(up))
    return out


def load_table3(results_dir=None):
    """
    Table 3's runs from every ``table3*/table3-full.json``, pooled by size.

    Only files of paired runs (both rules) with the paper's class-sorted test
    order are pooled: the adaptation check's files (one rule, or
    ``"test_order": "shuffled"``) are left out.

    Returns a dict keyed by ``(n_train, n_test)``: ``seeds`` (sorted),
    ``hPES`` and ``PES`` (accuracy per seed, in that order) and ``sources``.
    A (seed, rule) in several files is taken from the first (sorted paths).
    """
    root = results_path(results_dir)
    groups = {}
    for path in sorted(root.glob("table3*/table3-full.json")):
        rel = path.relative_to(root).as_posix()
        data = load_json(rel, results_dir)
        rules = {run["rule"] for run in data["runs"]}
        if data.get("test_order", "sorted") != "sorted" or rules != {"hPES", "PES"}:
            continue
        g = groups.setdefault((data["n_train"], data["n_test"]), dict(runs={}))
        g.setdefault("sources", []).append(rel)
        for run in data["runs"]:
            g["runs"].setdefault((run["seed"], run["rule"]), run["accuracy"])
    out = {}
    for key, g in groups.items():
        seeds = sorted({s for s, r in g["runs"] if (s, "PES") in g["runs"]})
        seeds = [s for s in seeds if (s, "hPES") in g["runs"]]
        out[key] = dict(
            seeds=seeds,
            hPES=[g["runs"][(s, "hPES")] for s in seeds],
            PES=[g["runs"][(s, "PES")] for s in seeds],
            sources=g["sources"],
        )
    return out


# ------------------------------------------------------------------------ verdicts
def table3_test_order(results_dir=None):
    """
    The same Table 3 networks tested class-sorted (the paper) and shuffled.

    Pairs every run of ``table3*/table3-full.json`` with the paper's sorted
    test with a run of the shuffled test of the same images, rule, seed and
    features (the same RBM stack file): the same network and training, up to
    the order of floating-point sums (a loaded machine can change it, and the
    training then drifts apart slowly: 0.03 % in the final weight norm of
    one 60 000-image pair). Returns a dict keyed by
    ``(n_train, n_test, rule)``: ``seeds``, ``sorted`` and ``shuffled``
    (accuracies in seed order), ``sources`` and ``difference`` (sorted -
    shuffled: mean and Student-t 95 % CI, None with one seed). The
    difference is how much the BCM term adapting during a class-sorted test
    adds to the accuracy (PES's weights do not change in the test).
    """
    root = results_path(results_dir)
    runs = {"sorted": {}, "shuffled": {}}
    for path in sorted(root.glob("table3*/table3-full.json")):
        rel = path.relative_to(root).as_posix()
        data = load_json(rel, results_dir)
        order = data.get("test_order", "sorted")
        for run in data["runs"]:
            key = (data["n_train"], data["n_test"], run["rule"], run["seed"])
            stack = pathlib.PurePath(data["rbm"]["path"]).name
            runs[order].setdefault((key, stack), (run["accuracy"], rel))
    out = {}
    for (key, stack), (acc, rel) in sorted(runs["shuffled"].items()):
        if (key, stack) not in runs["sorted"]:
            continue
        sorted_acc, sorted_rel = runs["sorted"][key, stack]
        g = out.setdefault(
            key[:3], dict(seeds=[], sorted=[], shuffled=[], sources=set())
        )
        g["seeds"].append(key[3])
        g["sorted"].append(sorted_acc)
        g["shuffled"].append(acc)
        g["sources"].update((rel, sorted_rel))
    for g in out.values():
        g["sources"] = sorted(g["sources"])
        g["difference"] = None
        if len(g["seeds"]) >= 2:
            g["difference"] = tuple(
                float(x) for x in paired_difference(g["sorted"], g["shuffled"])
            )
    return out


def verdict_fig1(result):
    """
    R1: "reproduced" if the LTD minimum is -70.7 +- 5 % at -9 +- 2 ms;
    "direction only" if the curve has its minimum at negative timing and its
    peak at positive timing (pair STDP's shape) but misses the tolerance;
    else "not reproduced".
    """
    low, peak = result["ltd_min"], result["peak"]
    if abs(low["change"] * 100 - FIG1_LTD_MIN[1]) <= 5 and abs(low["x_ms"] + 9.0) <= 2:
        return "reproduced"
    if low["x_ms"] < 0 < peak["x_ms"] and low["change"] < 0:
        return "direction only"
    return "not reproduced"


def verdict_fig2(result):
    """
    R2 (the seed-6 variant, i.e. the published points): "reproduced" if every
    published point is matched to +- 1.5 points; "direction only" if both
    curves rise with frequency and the high-theta curve is below the
    low-theta one at 1-20 Hz; else "not reproduced". Returns the verdict and
    the largest difference (points).
    """
    ours = {k: np.asarray(result["seed6"][k]) for k in FIG2_PUBLISHED}
    diff = max(np.max(np.abs(ours[k] - FIG2_PUBLISHED[k])) for k in ours)
    shape = all(np.all(np.diff(v) > 0) for v in ours.values())
    shape = shape and np.all(ours["high"][:4] < ours["low"][:4])
    if diff <= 1.5:
        return "reproduced", float(diff)
    return ("direction only" if shape else "not reproduced"), float(diff)


def fig4_paired(result, a="hPES", b="PES"):
    """
    Paired ``a - b`` (default hPES - PES) of a Fig. 4 result, last 5 windows.

    Returns a dict: ``per_seed``, ``mean``, ``ci95`` (Student-t,
    `.metrics.paired_difference`; None with one seed), ``final`` (each
    rule's mean of the last 5 windows), ``lower`` (seeds where ``a`` is
    lower) and ``n``.
    """
    rel = {r: np.asarray(result["rules"][r]["relative"]) for r in (a, b)}
    last5 = {r: v[:, -5:].mean(axis=1) for r, v in rel.items()}
    per_seed = last5[a] - last5[b]
    ci = None
    if len(per_seed) >= 2:
        _, lo, hi = paired_difference(last5[a], last5[b])
        ci = (float(lo), float(hi))
    return dict(
        per_seed=per_seed.tolist(),
        mean=float(per_seed.mean()),
        ci95=ci,
        final={r: float(v.mean()) for r, v in last5.items()},
        lower=int(np.sum(per_seed < 0)),
        n=len(per_seed),
    )


#: The R4c ablation comparisons `fig4_ablations` makes, in order: (a, b, what
#: a difference would mean).
ABLATION_PAIRS = (
    ("hPES", "PES", "the paper's comparison"),
    ("hPES", "PES-at-kappa-S", "the BCM term, at the same supervised rate"),
    ("hPES-zero-start", "PES-zero-start", "the BCM term without a random start"),
    ("hPES", "hPES-zero-start", "the random start, for hPES"),
    ("PES", "PES-zero-start", "the random start, for PES"),
    ("hPES", "hPES-theta-rates", "the paper's threshold against the package's"),
    ("hPES", "hPES-auto", 'the paper\'s BCM term against "auto"'),
    ("hPES-theta-rates", "PES", "the BCM term with the package's threshold"),
    ("hPES-auto", "PES", 'the BCM term with "auto"'),
    ("hPES-defaults", "PES-defaults", "HPES() against nengo.PES()"),
    ("PES-defaults", "PES", "nengo.PES()'s rate against the paper's PES"),
    ("hPES", "PES-defaults", "the paper's hPES against nengo.PES()"),
    ("hPES-rate-x0.5", "PES-rate-x0.5", "the BCM term, both rules at half rate"),
    ("hPES-rate-x0.25", "PES-rate-x0.25", "the BCM term, both at a quarter rate"),
    ("hPES-rate-x0.5", "hPES", "half of hPES's rate against the paper's"),
    ("hPES", "PES-rate-x0.5", "the paper's hPES against PES at half rate"),
    ("hPES", "PES-rate-x0.25", "the paper's hPES against PES at a quarter rate"),
)


def load_fig4_ablations(results_dir=None):
    """
    The binding run with the most Fig. 4 rules (``fig4-binding-full-*.json``
    whose rules include hPES and PES), or None; ``_source`` names it.
    """
    best = None
    for path in sorted(results_path(results_dir).glob("fig4-binding-full*.json")):
        data = load_json(path.name, results_dir)
        rules = data.get("rules", {})
        if {"hPES", "PES"} <= set(rules) and (
            best is None or len(rules) > len(best["rules"])
        ):
            best = data
    return best


def fig4_ablations(result):
    """
    The R4c table of a Fig. 4 result with ablation rules: a list of dicts.

    One row per pair of `ABLATION_PAIRS` whose two rules are in ``result``:
    each rule's mean of the last 5 windows (relative to control), the paired
    difference a - b with its Student-t 95 % CI, and the seeds where a is
    lower.
    """
    rows = []
    for a, b, meaning in ABLATION_PAIRS:
        if a not in result["rules"] or b not in result["rules"]:
            continue
        pr = fig4_paired(result, a, b)
        rows.append(
            {
                "a - b": f"{a} - {b}",
                "tests": meaning,
                "a": pr["final"][a],
                "b": pr["final"][b],
                "difference": pr["mean"],
                "95 % CI": "-" if pr["ci95"] is None else _ci(pr["ci95"]),
                "a lower": f"{pr['lower']} of {pr['n']}",
            }
        )
    return rows


def fig4_rate_sweep(result):
    """
    Final error against learning rate, per rule, from a Fig. 4 result.

    Takes every rule of ``result`` that is the paper's network (random start,
    the paper's threshold: `.fig4.variant_params`) at some learning rate:
    hPES, PES, the ``-rate-xM`` sweep (`.fig4.RATE_SCALES`),
    ``PES-at-kappa-S`` and ``PES-defaults``. Returns one dict per rule, sorted
    by base rule then rate: ``rule``, ``base`` ("hPES" or "PES"),
    ``learning_rate`` (Nengo 1.4 units), ``supervision_ratio``, ``final``
    (mean over seeds of the last 5 windows, relative to control) and
    ``ci95`` (its Student-t 95 % CI; None with one seed).
    """
    rows = []
    for rule, res in result["rules"].items():
        if rule not in fig4.FIG4_RULES:
            continue
        kw = fig4.variant_params(result["task"], rule)
        if (kw["start"], kw["threshold"]) != ("random", "paper"):
            continue
        last5 = np.asarray(res["relative"])[:, -5:].mean(axis=1)
        ci = None
        if len(last5) >= 2:
            _, lo, hi = paired_difference(last5, np.zeros_like(last5))
            ci = (float(lo), float(hi))
        rows.append(
            dict(
                rule=rule,
                base=kw["rule"],
                learning_rate=float(res["params"]["learning_rate"]),
                supervision_ratio=float(res["params"]["supervision_ratio"]),
                final=float(last5.mean()),
                ci95=ci,
            )
        )
    return sorted(rows, key=lambda r: (r["base"], r["learning_rate"]))


def verdict_fig4(task, paired):
    """
    R4 for one task from `fig4_paired`'s dict.

    Binding (the paper: hPES below PES): "reproduced" if the paired 95 % CI
    of hPES - PES over the last 5 windows lies below 0; "direction only" if
    its mean is below 0 but the CI reaches 0 (or there is no CI);
    else "not reproduced". Transmission (the paper: no difference, 1.209 vs
    1.223): "reproduced" if the CI contains 0 and each rule's last-5 mean
    lies in the paper's 95 % CI at 30 s of learning (hPES 1.22-1.36, PES
    1.16-1.49); else "not reproduced" (no direction to match).
    """
    check_choice("task", task, TASKS)
    ci, mean = paired["ci95"], paired["mean"]
    if task == "binding":
        if ci is not None and ci[1] < 0:
            return "reproduced"
        return "direction only" if mean < 0 else "not reproduced"
    band = FIG4_PUBLISHED["transmission"]["ci95"]
    in_band = all(band[r][30][0] <= paired["final"][r] <= band[r][30][1] for r in band)
    if ci is not None and ci[0] <= 0 <= ci[1] and in_band:
        return "reproduced"
    return "not reproduced"


def verdict_fig5(fig5):
    """
    R5 for one task from `load_fig5`'s dict: "direction only" if hPES's median
    and IQR are both below PES's (one search per condition: no interval, so
    never "reproduced"); else "not reproduced"; "not run yet" if a study or
    the control is missing.
    """
    h, p = fig5["rules"].get("hpes"), fig5["rules"].get("pes")
    if h is None or p is None:
        return "not run yet"
    if h["med"] < p["med"] and h["iqr"] < p["iqr"]:
        return "direction only"
    return "not reproduced"


def verdict_table3(hpes, pes):
    """
    R6 (as `.table3.run_table3`): "reproduced" if the paired Student-t 95 %
    CI of hPES - PES accuracy (same seeds) lies above 0, else "not
    reproduced". Returns the verdict and ``(mean, low, high)`` (None with
    fewer than 2 seeds).
    """
    if len(hpes) < 2:
        return "not reproduced", None
    mean, lo, hi = paired_difference(hpes, pes)
    return ("reproduced" if lo > 0 else "not reproduced"), (mean, lo, hi)


# ---------------------------------------------------------------------------- rows
def _row(rid, experiment, paper, ours, n, verdict, source, **details):
    if verdict not in VERDICTS:  # pragma: no cover (a bug here)
        raise AssertionError(verdict)
    return dict(
        id=rid,
        experiment=experiment,
        paper=paper,
        ours=ours,
        n=n,
        verdict=verdict,
        source=source,
        details=details,
    )


def _not_run(rid, experiment, paper, command):
    return _row(rid, experiment, paper, "not run yet", "-", "not run yet", command)


def _ci(ci, fmt="+.3f"):
    return f"{format(ci[0], fmt)} to {format(ci[1], fmt)}"


def _rows_r0():
    return [
        _row(
            "R0",
            "rule: Δω equals Nengo 1.4's hPES (from the test, no result file)",
            "the rule as implemented in Nengo 1.4",
            f"max difference / largest change {R0_FROM_TEST} (two hPES optima, "
            "PES, BCM alone), quoted from docs/paper-2013.md",
            "- (deterministic)",
            "reproduced",
            "tests/experiments/test_paper2013_rule.py (limit 1e-12)",
        )
    ]


def _rows_fig12(results_dir):
    out = _out(results_dir)
    rows = []
    fig1 = load_json("fig1-full.json", results_dir)
    paper1 = f"LTD minimum {FIG1_LTD_MIN[1]:+.1f} % at {FIG1_LTD_MIN[0]:+.1f} ms"
    if fig1 is None:
        cmd = f"python -m nengo_hpes.experiments.paper2013 fig1 --mode full --out {out}"
        rows.append(_not_run("R1", "Fig. 1: pair STDP curve", paper1, cmd))
    else:
        t = fig1["ltd_min"]
        ours = f"LTD minimum {t['change'] * 100:+.1f} % at {t['x_ms']:+.1f} ms"
        rows.append(
            _row(
                "R1",
                "Fig. 1: pair STDP curve",
                paper1,
                ours,
                "1 (deterministic)",
                verdict_fig1(fig1),
                fig1["_source"],
                ltd_min=t,
            )
        )
    fig2 = load_json("fig2-full.json", results_dir)
    paper2 = "10 points (θ 197 and 216; 1-100 Hz)"
    if fig2 is None or "seed6" not in fig2:
        cmd = f"python -m nengo_hpes.experiments.paper2013 fig2 --mode full --out {out}"
        rows.append(_not_run("R2", "Fig. 2: frequency dependence", paper2, cmd))
    else:
        verdict, diff = verdict_fig2(fig2)
        rows.append(
            _row(
                "R2",
                "Fig. 2: frequency dependence",
                paper2,
                f"largest difference {diff:.2f} points (limit 1.5)",
                "25 trials (seed 6, as the script)",
                verdict,
                fig2["_source"],
                max_diff=diff,
            )
        )
    return rows


def _rows_fig3(results_dir):
    data = load_json("fig3-full.json", results_dir)
    p = fig3.PAPER_VALUES
    paper = (
        f"accuracy {p['accuracy'][-1]:.3f} at 180-200 s; "
        f"Gini rise {p['gini_200s'] - p['gini'][0]:+.3f}"
    )
    if data is None:
        cmd = (
            "python -m nengo_hpes.experiments.paper2013.fig3 --mode full "
            f"--out {_out(results_dir)}"
        )
        return [_not_run("R3", "Fig. 3: spiking BCM on a channel", paper, cmd)]
    rows = []
    for variant in ("paper", "auto"):
        res = data["variants"].get(variant)
        if res is None:
            continue
        v = fig3.verdict(data["t"], res, data["windows"])["verdict"]
        acc, rise = res["accuracy_windows"], res["gini_rise"]
        ours = (
            f"accuracy {acc['mean'][-1]:.3f} "
            f"(95 % CI {acc['ci95'][0][-1]:.3f} to {acc['ci95'][1][-1]:.3f}); "
            f"Gini rise {rise['mean']:+.3f} (95 % CI {_ci(rise['ci95'])})"
        )
        name = "paper-mode threshold" if variant == "paper" else '"auto" threshold'
        rows.append(
            _row(
                "R3",
                f"Fig. 3: spiking BCM on a channel, {name}",
                paper,
                ours,
                str(len(res["seeds"])),
                v or "not run yet",
                data["_source"],
                variant=variant,
            )
        )
    return rows


def _rows_fig4(results_dir):
    rows = []
    for task in TASKS:
        pub = FIG4_PUBLISHED[task]["last5"]
        paper = (
            f"last 5 windows: hPES {pub['hPES']:.3f}, PES {pub['PES']:.3f} "
            f"({pub['hPES'] - pub['PES']:+.3f})"
        )
        name = f"Fig. 4: learning {task}"
        data = load_fig4(task, results_dir)
        if data is None:
            cmd = (
                f"python -m nengo_hpes.experiments.paper2013 fig4-{task} "
                f"--mode full --out {_out(results_dir)}"
            )
            rows.append(_not_run("R4", name, paper, cmd))
            continue
        pr = fig4_paired(data)
        ci = "no CI (1 seed)" if pr["ci95"] is None else f"95 % CI {_ci(pr['ci95'])}"
        ours = (
            f"hPES - PES {pr['mean']:+.3f} ({ci}); last 5 windows: "
            f"hPES {pr['final']['hPES']:.3f}, PES {pr['final']['PES']:.3f}"
        )
        n = f"{pr['n']} paired (paper 15)"
        if data["_source"].startswith("prelim"):
            n += ", preliminary"
        rows.append(
            _row(
                "R4",
                name,
                paper,
                ours,
                n,
                verdict_fig4(task, pr),
                data["_source"],
                task=task,
                paired=pr,
            )
        )
    return rows


def _fig5_commands(task, out, missing):
    cmds = []
    for rel in missing:
        if rel.startswith("fig5/control"):
            cmds.append(
                "python -m nengo_hpes.experiments.paper2013 fig5-control --task "
                f"{task} --mode full --out {out}/fig5"
            )
        else:
            rule = rel.rsplit("-", 1)[1][: -len(".json")]
            cmds.append(
                f"python -m nengo_hpes.experiments.search --task {task} --rule "
                f"{rule} --trials 50 --workers 2 --study fig5-{task}-{rule} "
                f"--storage sqlite:///{out}/fig5/fig5.db --out {out}/fig5"
            )
    return "; ".join(cmds)


def _rows_fig5(results_dir):
    rows = []
    for task in TASKS:
        pub = {r: FIG5_PUBLISHED[(task, r)] for r in ("hpes", "pes")}
        paper = "; ".join(
            f"{name} median {pub[r]['med']:.3f}, IQR {pub[r]['q3'] - pub[r]['q1']:.3f}"
            for r, name in (("hpes", "hPES"), ("pes", "PES"))
        )
        name = f"Fig. 5: parameter sensitivity, {task}"
        fig5 = load_fig5(task, results_dir)
        verdict = verdict_fig5(fig5)
        if verdict == "not run yet":
            cmd = _fig5_commands(task, _out(results_dir), fig5["missing"])
            rows.append(_not_run("R5", name, paper, cmd))
            continue
        ours = "; ".join(
            f"{label} median {fig5['rules'][r]['med']:.3f}, "
            f"IQR {fig5['rules'][r]['iqr']:.3f}"
            for r, label in (("hpes", "hPES"), ("pes", "PES"))
        )
        n = "1 search per rule ({} / {} trials)".format(
            fig5["rules"]["hpes"]["n"], fig5["rules"]["pes"]["n"]
        )
        source = ", ".join(fig5["rules"][r]["source"] for r in ("hpes", "pes"))
        rows.append(_row("R5", name, paper, ours, n, verdict, source, task=task))
    return rows


def _rows_table3(results_dir):
    pub = table3.PUBLISHED
    paper = (
        f"hPES {pub['hPES'] * 100:.2f} %, PES {pub['PES'] * 100:.2f} % "
        f"({(pub['hPES'] - pub['PES']) * 100:+.2f} points; {_TABLE3_NOTE})"
    )
    rows = []
    groups = load_table3(results_dir)
    orders = table3_test_order(results_dir)
    for (n_train, n_test), g in sorted(groups.items()):
        verdict, stats = verdict_table3(g["hPES"], g["PES"])
        h, p = np.mean(g["hPES"]), np.mean(g["PES"])
        ours = f"hPES {h * 100:.1f} %, PES {p * 100:.1f} %"
        if stats is not None:
            ours += (
                f"; hPES - PES {stats[0] * 100:+.1f} points "
                f"(95 % CI {_ci(np.multiply(stats[1:], 100), '+.1f')})"
            )
        wins = int(np.sum(np.greater(g["hPES"], g["PES"])))
        ours += f"; hPES > PES in {wins}/{len(g['seeds'])} seeds"
        order = orders.get((n_train, n_test, "hPES"))
        if order is not None:
            diff = np.subtract(order["sorted"], order["shuffled"]) * 100
            ci = order["difference"]
            ours += (
                f"; hPES networks of this size, sorted minus shuffled test "
                f"{diff.mean():+.1f} points ("
                + (
                    ""
                    if ci is None
                    else f"95 % CI {_ci(np.multiply(ci[1:], 100), '+.1f')}, "
                )
                + f"{len(diff)} seed{'s' * (len(diff) > 1)})"
            )
        rows.append(
            _row(
                "R6",
                f"Table 3: MNIST, {n_train} training / {n_test} test images",
                paper,
                ours,
                f"{len(g['seeds'])} paired",
                verdict,
                ", ".join(g["sources"]),
                n_train=n_train,
                stats=stats,
            )
        )
    if not any(n_train == 60000 for n_train, _ in groups):
        cmd = (
            "python -m nengo_hpes.experiments.paper2013.table3 --mode full "
            f"--workers 2 --out {_out(results_dir)}/table3-60k"
        )
        name = "Table 3: MNIST at the paper's size (60 000 / 10 000 images)"
        rows.append(_not_run("R6", name, paper, cmd))
    return rows


def verdict_table(results_dir=None, ids=None):
    """
    One row per reproduction target of the 2013 paper, from the committed results.

    Rules (targets of ``docs/paper-2013.md`` section 4 (3)):

    * R0 (the rule's weight change equals Nengo 1.4's to <= 1e-12 of the
      largest change) is a unit test, ``tests/experiments/
      test_paper2013_rule.py``; its row quotes the measured values of
      ``docs/paper-2013.md`` (`R0_FROM_TEST`).
    * R1 (Fig. 1): `verdict_fig1`; R2 (Fig. 2): `verdict_fig2`.
    * R3 (Fig. 3): `.fig3.verdict` on the stored result, one row for the
      paper-mode threshold and one for the package's ``"auto"``.
    * R4 (Fig. 4, per task): `verdict_fig4`; the row names the number of
      seeds and whether the result is the preliminary 3-seed run.
    * R5 (Fig. 5, per task): `verdict_fig5`.
    * R6 (Table 3, per number of training images; the seed files of one size
      are pooled): `verdict_table3`.

    A missing result gives "not run yet" and its command in ``source``.

    Parameters
    ----------
    results_dir : str or path-like, optional
        Folder of the results (default ``benchmarks/results/paper2013`` of
        the repository).
    ids : list of str, optional
        Only these targets (e.g. ``["R1", "R2"]``); default all.

    Returns
    -------
    list of dict
        Keys ``id``, ``experiment``, ``paper``, ``ours`` (mean and 95 % CI
        over seeds where there are seeds), ``n``, ``verdict`` (one of
        `VERDICTS`), ``source`` (the file, or the command that makes it) and
        ``details`` (the numbers behind the row).
    """
    all_ids = ("R0", "R1", "R2", "R3", "R4", "R5", "R6")
    ids = all_ids if ids is None else ids
    if isinstance(ids, str) or not all(i in all_ids for i in ids):
        fail("ids", f"Must be a list of values in {all_ids} (got {ids!r})")
    results_path(results_dir)
    makers = (
        (("R0",), lambda: _rows_r0()),
        (("R1", "R2"), lambda: _rows_fig12(results_dir)),
        (("R3",), lambda: _rows_fig3(results_dir)),
        (("R4",), lambda: _rows_fig4(results_dir)),
        (("R5",), lambda: _rows_fig5(results_dir)),
        (("R6",), lambda: _rows_table3(results_dir)),
    )
    rows = []
    for covers, make in makers:
        if any(i in ids for i in covers):
            rows += [r for r in make() if r["id"] in ids]
    return rows


def verdict_markdown(rows):
    """The rows of `verdict_table` as a Markdown table (`.notebook.format_table`)."""
    columns = ("id", "experiment", "paper", "ours", "n", "verdict", "source")
    return format_table(
        [dict(r, source=f"`{r['source']}`") for r in rows], columns=columns
    )
