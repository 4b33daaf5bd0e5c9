"""
Measure candidate defaults of `nengo_hpes.HPES` against `nengo.PES`.

Experiments (see ``defaults_results.md`` for the numbers and the reasoning):

a. 1-D channel, nengo's default ensembles (200-400 Hz), S sweep x theta settings.
b. the same channel with every ensemble at ``max_rates=Uniform(20, 60)``; and a
   3-D channel (100 neurons per dimension) for the candidate settings.
c. a high-rate synthetic classifier (the online-MNIST failure case): 1000 pre
   neurons (<= 100 Hz, sparse) -> 250 post neurons (200-400 Hz), full learned
   weights, 10 classes.
d. the unsupervised term's measurable effect: weight Gini vs S (from a and b).
cand. PES and one candidate S (``--cand-s``; theta 1 s and 20 s, from "rates")
   on the networks of a, b, b3 and c.

Every run also records why it came out as it did: mean post rate, mean theta,
the mean BCM factor a_j (a_j - theta_j) (Hz^2) and its "auto"-normalised form
(a_j / r_j)((a_j - theta_j) / r_j), next to the mean |e_j . E| / radius that
the supervised term sees.

Usage::

    python benchmarks/defaults_study.py --quick
    python benchmarks/defaults_study.py --experiments a b --seeds 0 1 2 --json out.json

Runs use two worker processes (``--procs``) with single-threaded BLAS, so that
the two processes do not compete for the 2 cores with BLAS threads.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import nengo  # noqa: E402
import numpy as np  # noqa: E402

import nengo_hpes  # noqa: E402
from nengo_hpes import builder as hpes_builder  # noqa: E402
from nengo_hpes.experiments.metrics import gini_index, rmse  # noqa: E402

PES_RATE = 1e-4
S_VALUES = (1.0, 0.95, 0.9, 0.8, 0.5, 0.0)
THETAS = (  # (theta_synapse tau, theta_init)
    (1.0, None),
    (1.0, "rates"),
    (20.0, None),
    (20.0, "rates"),
)


# ---------------------------------------------------------------- rules
def rule_spec(
    kind, k, S=None, tau=20.0, init="rates", scale="auto", mult=1.0, post_tau=None
):
    return dict(
        kind=kind,
        k=k,
        S=S,
        tau=tau,
        init=init,
        scale=scale,
        mult=mult,
        post_tau=post_tau,
    )


def pes(k=PES_RATE):
    return rule_spec("PES", k)


def hpes_at(S, pes_rate=PES_RATE, **kw):
    """HPES with k*S = pes_rate (k = pes_rate when S = 0)."""
    k = pes_rate / S if S > 0 else pes_rate
    return rule_spec("HPES", k, S=S, **kw)


def make_rule(spec):
    if spec["kind"] == "PES":
        return nengo.PES(spec["k"])
    kw = {}
    if spec["post_tau"] is not None:
        kw["post_synapse"] = nengo.Lowpass(spec["post_tau"])
    return nengo_hpes.HPES(
        learning_rate=spec["k"],
        supervision_ratio=spec["S"],
        unsupervised_scale=spec["scale"],
        theta_synapse=nengo.Lowpass(spec["tau"]),
        theta_init=spec["init"],
        **kw,
    )


def spec_label(spec):
    if spec["kind"] == "PES":
        return f"PES({spec['k']:g})"
    s = f"S={spec['S']:g} k={spec['k']:.3g} tau_th={spec['tau']:g} init={spec['init']}"
    if spec["scale"] != "auto":
        s += f" beta={spec['scale']:g}"
    if spec["mult"] != 1:
        s += f" auto*{spec['mult']:g}"
    if spec["post_tau"] is not None:
        s += f" post_tau={spec['post_tau']:g}"
    return s


@contextlib.contextmanager
def scaled_auto(mult):
    """Multiply the resolved beta_j by ``mult`` (a study-only patch of the builder)."""
    if mult == 1:
        yield
        return
    orig = hpes_builder.SimHPES

    class ScaledSimHPES(orig):
        def __init__(self, *args, **kwargs):
            kwargs["unsupervised_scale"] = (
                np.asarray(kwargs["unsupervised_scale"]) * mult
            )
            super().__init__(*args, **kwargs)

    hpes_builder.SimHPES = ScaledSimHPES
    try:
        yield
    finally:
        hpes_builder.SimHPES = orig


def max_rates_of(sim, ens):
    built = sim.data[ens]
    x = np.ones((1, ens.n_neurons))
    return np.asarray(ens.neuron_type.rates(x, built.gain, built.bias))[0]


def bcm_diagnostics(sim, net, spec, t_from, t_to):
    """Means over post neurons and the sampled times in [t_from, t_to)."""
    if spec["kind"] != "HPES":
        return {}
    t = sim.trange(sample_every=net.diag_every)
    m = (t >= t_from) & (t < t_to)
    a = sim.data[net.p_post_f][m]
    th = sim.data[net.p_theta][m]
    r = max_rates_of(sim, net.post)
    r[r <= 0] = np.inf
    err = sim.data[net.p_err][m]
    enc = sim.data[net.post].encoders
    sup = np.abs(err @ enc.T) / net.post.radius
    bcm = a * (a - th)
    active = a.mean(axis=0) > 1.0
    return dict(
        post_rate=float(a.mean()),
        theta_end=float(th[-1].mean()),
        bcm_hz2=float(bcm[:, active].mean()) if active.any() else 0.0,
        bcm_norm=float((bcm / r**2)[:, active].mean()) if active.any() else 0.0,
        sup_norm=float(sup.mean()),
        rate_over_theta=(
            float(a[:, active].mean() / max(th[:, active].mean(), 1e-9))
            if active.any()
            else float("nan")
        ),
    )


def add_diag_probes(net, conn, every):
    net.diag_every = every
    net.p_post_f = nengo.Probe(conn.learning_rule, "post_filtered", sample_every=every)
    net.p_theta = nengo.Probe(conn.learning_rule, "theta", sample_every=every)
    net.p_err = nengo.Probe(conn.learning_rule, "error", sample_every=every)


# ---------------------------------------------------------------- channel
def channel(spec, dimensions=1, n_neurons=100, learn_time=10.0, seed=0, max_rates=None):
    """`~nengo_hpes.experiments.channel.communication_channel`, optional max_rates."""
    rule = make_rule(spec)
    input_process = nengo.processes.WhiteSignal(period=10.0, high=5, rms=0.3)
    ens_kw = {} if max_rates is None else dict(max_rates=max_rates)
    n = n_neurons * dimensions
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
            learning_rule_type=rule,
        )
        nengo.Connection(net.post, net.error)
        nengo.Connection(net.pre, net.error, transform=-1)
        nengo.Connection(net.error, net.conn.learning_rule)
        net.gate = nengo.Node(lambda t: 0.0 if t < learn_time else 1.0, label="gate")
        nengo.Connection(
            net.gate, net.error.neurons, transform=-10 * np.ones((n, 1)), synapse=None
        )
        net.p_pre = nengo.Probe(net.pre, synapse=0.01)
        net.p_post = nengo.Probe(net.post, synapse=0.01)
        net.p_weights = nengo.Probe(net.conn, "weights", sample_every=0.1)
        if spec["kind"] == "HPES":
            add_diag_probes(net, net.conn, 0.005)
    return net


def run_channel_job(
    spec,
    seed,
    dimensions=1,
    n_neurons=100,
    low_rate=False,
    learn_time=10.0,
    test_time=5.0,
):
    max_rates = nengo.dists.Uniform(20, 60) if low_rate else None
    with scaled_auto(spec["mult"]):
        net = channel(spec, dimensions, n_neurons, learn_time, seed, max_rates)
        with nengo.Simulator(net, progress_bar=False) as sim:
            t0 = time.perf_counter()
            sim.run(learn_time + test_time)
            wall = time.perf_counter() - t0
    t = sim.trange()
    test = t > learn_time
    w = sim.data[net.p_weights]
    out = dict(
        test_rmse=float(rmse(sim.data[net.p_post][test], sim.data[net.p_pre][test])),
        gini_start=float(gini_index(w[0])),
        gini_end=float(gini_index(w[-1])),
        wall_s=wall,
    )
    out.update(bcm_diagnostics(sim, net, spec, 0.0, learn_time))
    return out


# ---------------------------------------------------------------- classifier
def classifier(
    spec,
    seed=0,
    n_train=1500,
    n_test=300,
    present=0.03,
    d_in=20,
    n_classes=10,
    noise=0.5,
    pre_radius=0.4,
):
    rule = make_rule(spec)
    rng = np.random.RandomState(seed + 1000)
    protos = rng.randn(n_classes, d_in)
    protos /= np.linalg.norm(protos, axis=1, keepdims=True)
    n_total = n_train + n_test
    labels = rng.randint(n_classes, size=n_total)
    x = protos[labels] + noise * rng.randn(n_total, d_in) / np.sqrt(d_in)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    onehot = np.eye(n_classes)[labels]
    t_train = n_train * present

    def index(t):
        return min(int((t - 1e-9) / present), n_total - 1) if t > 0 else 0

    with nengo.Network(seed=seed) as net:
        net.t_train = t_train
        stim = nengo.Node(lambda t: x[index(t)])
        target = nengo.Node(lambda t: onehot[index(t)])
        net.pre = nengo.Ensemble(
            1000,
            d_in,
            max_rates=nengo.dists.Uniform(50, 100),
            intercepts=nengo.dists.Uniform(0.1, 0.9),
            radius=pre_radius,
        )
        net.post = nengo.Ensemble(250, n_classes)
        nengo.Connection(stim, net.pre, synapse=None)
        net.conn = nengo.Connection(
            net.pre,
            net.post,
            function=lambda v: np.zeros(n_classes),
            solver=nengo.solvers.LstsqL2(weights=True),
            learning_rule_type=rule,
        )
        err = nengo.Node(
            lambda t, v: (
                v[:n_classes] - v[n_classes:] if t < t_train else 0 * v[:n_classes]
            ),
            size_in=2 * n_classes,
        )
        nengo.Connection(net.post, err[:n_classes], synapse=0.005)
        nengo.Connection(target, err[n_classes:], synapse=None)
        nengo.Connection(err, net.conn.learning_rule)
        net.p_out = nengo.Probe(net.post, synapse=0.01)
        net.p_pre_rate = nengo.Probe(net.pre.neurons, synapse=0.05, sample_every=0.05)
        net.p_post_rate = nengo.Probe(net.post.neurons, synapse=0.05, sample_every=0.05)
        net.p_weights = nengo.Probe(net.conn, "weights", sample_every=t_train)
        if spec["kind"] == "HPES":
            add_diag_probes(net, net.conn, 0.01)
    return net, labels, n_train, n_test, present


def run_classifier_job(spec, seed, n_train=1500, n_test=300, **kw):
    with scaled_auto(spec["mult"]):
        net, labels, n_train, n_test, present = classifier(
            spec, seed, n_train=n_train, n_test=n_test, **kw
        )
        with nengo.Simulator(net, progress_bar=False) as sim:
            t0 = time.perf_counter()
            sim.run((n_train + n_test) * present)
            wall = time.perf_counter() - t0
    out = sim.data[net.p_out]
    steps = int(round(present / sim.dt))
    last = int(round(0.02 / sim.dt))
    per = out[: (n_train + n_test) * steps].reshape(n_train + n_test, steps, -1)
    pred = per[:, -last:].mean(axis=1).argmax(axis=1)
    correct = pred == labels
    w = sim.data[net.p_weights]
    tr = sim.trange(sample_every=0.05)
    post_rates = sim.data[net.p_post_rate]
    res = dict(
        test_acc=float(correct[n_train:].mean()),
        train_acc_last300=float(correct[n_train - 300 : n_train].mean()),
        pre_rate=float(sim.data[net.p_pre_rate].mean()),
        post_rate_train_end=float(
            post_rates[(tr > net.t_train - 3) & (tr <= net.t_train)].mean()
        ),
        post_rate_test=float(post_rates[tr > net.t_train].mean()),
        gini_end=float(gini_index(w[-1])),
        wall_s=wall,
    )
    res.update(bcm_diagnostics(sim, net, spec, 0.0, net.t_train))
    return res


# ---------------------------------------------------------------- jobs
def run_job(job):
    exp, name, spec, seed, kwargs = job
    t0 = time.perf_counter()
    if exp.startswith("clf"):
        res = run_classifier_job(spec, seed, **kwargs)
    else:
        res = run_channel_job(spec, seed, **kwargs)
    res["total_s"] = time.perf_counter() - t0
    return dict(exp=exp, name=name, spec=spec, seed=seed, kwargs=kwargs, **res)


def channel_setting(dimensions, low_rate, k, tt):
    """``(experiment label, k_PES, run kwargs)`` of one channel of a, b or b3."""
    rates = "20-60" if low_rate else "200-400"
    if dimensions == 1 and not low_rate:
        return f"a: channel 1-D, {rates} Hz", k, dict(**tt)
    if dimensions == 1:
        return f"b: channel 1-D, {rates} Hz, k_PES={k:g}", k, dict(low_rate=True, **tt)
    kw = dict(dimensions=dimensions, low_rate=low_rate, **tt)
    return f"b3: channel {dimensions}-D, {rates} Hz, k_PES={k:g}", k, kw


def channel_jobs(exp, seeds, kwargs, quick, pes_rate=PES_RATE):
    jobs = [(exp, spec_label(pes(pes_rate)), pes(pes_rate), s, kwargs) for s in seeds]
    thetas = THETAS if not quick else THETAS[2:]
    svals = S_VALUES if not quick else (1.0, 0.95, 0.5)
    for tau, init in thetas:
        for S in svals:
            spec = hpes_at(S, pes_rate=pes_rate, tau=tau, init=init)
            jobs += [(exp, spec_label(spec), spec, s, kwargs) for s in seeds]
    return jobs


def extra_channel_jobs(exp, seeds, kwargs, specs, pes_rate=PES_RATE):
    jobs = [(exp, spec_label(pes(pes_rate)), pes(pes_rate), s, kwargs) for s in seeds]
    for spec in specs:
        jobs += [(exp, spec_label(spec), spec, s, kwargs) for s in seeds]
    return jobs


def candidate_specs(pes_rate=PES_RATE):
    """The candidate settings run on the 3-D channel (experiment b3)."""
    return [
        hpes_at(0.95, pes_rate=pes_rate, tau=1.0, init="rates"),
        hpes_at(0.95, pes_rate=pes_rate, tau=20.0, init="rates"),
        hpes_at(0.9, pes_rate=pes_rate, tau=1.0, init="rates"),
    ]


def build_jobs(args):  # noqa: C901 (one flat list of experiment switches)
    """List the (experiment, name, spec, seed, kwargs) jobs that ``args`` asks for."""
    seeds = args.seeds
    quick = args.quick
    jobs = []
    tt = dict(learn_time=10.0, test_time=5.0)
    if quick:
        tt = dict(learn_time=4.0, test_time=2.0)
    k_low = args.low_pes_rates[-1]
    clf_n = dict(n_train=300, n_test=100) if quick else dict(n_train=1500, n_test=300)
    if "a" in args.experiments:
        exp, _, kw = channel_setting(1, False, PES_RATE, tt)
        jobs += channel_jobs(exp, seeds, kw, quick)
    if "b" in args.experiments:
        for k in args.low_pes_rates:
            exp, _, kw = channel_setting(1, True, k, tt)
            jobs += channel_jobs(exp, seeds, kw, quick, pes_rate=k)
    if "b3" in args.experiments:
        for low in (False, True):
            exp, k, kw = channel_setting(3, low, k_low if low else PES_RATE, tt)
            jobs += extra_channel_jobs(exp, seeds, kw, candidate_specs(k), pes_rate=k)
    if "c" in args.experiments:
        n = clf_n
        rates = args.clf_pes_rates
        for k in rates:
            jobs += [("clf: PES rate", spec_label(pes(k)), pes(k), s, n) for s in seeds]
        k = args.clf_k
        specs = [pes(k)] + [
            hpes_at(c["S"], pes_rate=k, tau=c["tau"], init=c["init"])
            for c in (
                dict(S=0.95, tau=1.0, init="rates"),
                dict(S=0.9, tau=1.0, init="rates"),
                dict(S=0.8, tau=1.0, init="rates"),
                dict(S=0.5, tau=1.0, init="rates"),
                dict(S=0.95, tau=20.0, init="rates"),
                dict(S=0.95, tau=1.0, init=None),
            )
        ]
        for spec in specs:
            if spec["kind"] == "PES" and k in rates:
                continue
            jobs += [("clf: k_PES=%g" % k, spec_label(spec), spec, s, n) for s in seeds]
    if "cand" in args.experiments:
        # PES and one candidate S (theta 1 s or 20 s, from "rates") on every
        # network above
        S = args.cand_s
        settings = [
            channel_setting(1, False, PES_RATE, tt),
            channel_setting(1, True, k_low, tt),
            channel_setting(3, False, PES_RATE, tt),
            channel_setting(3, True, k_low, tt),
            (f"clf: k_PES={args.clf_k:g}", args.clf_k, clf_n),
        ]
        for exp, k, kw in settings:
            for spec in (
                pes(k),
                hpes_at(S, pes_rate=k, tau=1.0, init="rates"),
                hpes_at(S, pes_rate=k, tau=20.0, init="rates"),
            ):
                jobs += [(exp, spec_label(spec), spec, s, kw) for s in seeds]
    if "e" in args.experiments:
        # extra settings given as JSON specs on the command line
        for js in args.extra:
            d = json.loads(js)
            exp = d.pop("exp")
            kw = d.pop("kwargs", {})
            spec = rule_spec(**d)
            for s in seeds:
                jobs.append((exp, spec_label(spec), spec, s, kw))
    return jobs


# ---------------------------------------------------------------- tables
def fmt(vals, digits=3):
    vals = np.asarray(vals, dtype=float)
    if vals.size == 1:
        return f"{vals[0]:.{digits}g}"
    return f"{vals.mean():.{digits}g} ± {vals.std(ddof=1):.2g}"


def tables(results):
    lines = []
    exps = []
    for r in results:
        if r["exp"] not in exps:
            exps.append(r["exp"])
    for exp in exps:
        rs = [r for r in results if r["exp"] == exp]
        names = []
        for r in rs:
            if r["name"] not in names:
                names.append(r["name"])
        clf = "test_acc" in rs[0]
        if clf:
            cols = [
                "test_acc",
                "train_acc_last300",
                "post_rate_test",
                "gini_end",
                "bcm_norm",
                "sup_norm",
                "post_rate",
                "theta_end",
                "wall_s",
            ]
        else:
            cols = [
                "test_rmse",
                "rmse/PES",
                "gini_start",
                "gini_end",
                "bcm_hz2",
                "bcm_norm",
                "sup_norm",
                "post_rate",
                "theta_end",
                "wall_s",
            ]
        lines.append(f"\n### {exp}\n")
        n_seeds = len({r["seed"] for r in rs})
        lines.append(f"mean ± sample std over {n_seeds} seed(s)\n")
        lines.append("| rule | " + " | ".join(cols) + " |")
        lines.append("|---" * (len(cols) + 1) + "|")
        pes_by_seed = {
            r["seed"]: r["test_rmse"]
            for r in rs
            if not clf and r["spec"]["kind"] == "PES"
        }
        for name in names:
            group = [r for r in rs if r["name"] == name]
            cells = []
            for c in cols:
                if c == "rmse/PES":
                    v = [
                        g["test_rmse"] / pes_by_seed[g["seed"]]
                        for g in group
                        if g["seed"] in pes_by_seed
                    ]
                else:
                    v = [g[c] for g in group if c in g]
                cells.append(fmt(v) if v else "")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="short runs, fewer settings")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument(
        "--experiments",
        nargs="+",
        default=["a", "b", "b3", "c"],
        choices=["a", "b", "b3", "c", "cand", "e"],
    )
    p.add_argument(
        "--cand-s",
        type=float,
        default=0.999,
        help='experiment "cand": the S run beside PES on every network',
    )
    p.add_argument(
        "--clf-pes-rates",
        type=float,
        nargs="*",
        default=[1e-4, 3e-4, 1e-3],
        help="PES rates tried on the classifier",
    )
    p.add_argument(
        "--clf-k",
        type=float,
        default=3e-4,
        help="k_PES of the classifier comparison (HPES uses k_PES / S)",
    )
    p.add_argument(
        "--extra",
        nargs="*",
        default=[],
        help='experiment "e": JSON rule specs, e.g. \'{"exp": "x", "kind": '
        '"HPES", "k": 1.1e-4, "S": 0.9, "mult": 0.1, "kwargs": {}}\'',
    )
    p.add_argument(
        "--low-pes-rates",
        type=float,
        nargs="+",
        default=[1e-4, 1e-3],
        help="k_PES of the low-rate channel (b; b3 uses the last)",
    )
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--json", help="write all per-run results here")
    args = p.parse_args(argv)

    jobs = build_jobs(args)
    print(
        f"# hPES defaults study: {len(jobs)} runs, {args.procs} processes, "
        f"python {platform.python_version()}, nengo {nengo.__version__}, "
        f"numpy {np.__version__}, {os.cpu_count()} cores",
        flush=True,
    )
    print("# " + " ".join(sys.argv), flush=True)
    t0 = time.perf_counter()
    results = []
    with multiprocessing.Pool(args.procs) as pool:
        for r in pool.imap(run_job, jobs):
            results.append(r)
            print(
                f"  [{len(results)}/{len(jobs)}] {r['exp']} | {r['name']} "
                f"| seed {r['seed']} "
                f"| {r.get('test_rmse', r.get('test_acc')):.4g} | {r['total_s']:.1f}s",
                file=sys.stderr,
                flush=True,
            )
    wall = time.perf_counter() - t0
    print(tables(results))
    print(f"\nwall time: {wall:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(argv=sys.argv, wall_s=wall, results=results), f, indent=1)


if __name__ == "__main__":
    main()
