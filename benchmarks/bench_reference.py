"""
Speed of the reference (NumPy) backend of hPES, next to nengo's own rules.

What is measured
----------------
For each size ``n_post x n_pre``, one network per learning rule: a sine `~nengo.Node`
drives ``pre = nengo.Ensemble(n_pre, 1)``, and ``pre.neurons`` connects to
``post.neurons`` (``post = nengo.Ensemble(n_post, 1)``) through a full
``(n_post, n_pre)`` transform drawn from U(-1e-3, 1e-3), learned with the rule. Rules
that take an error (`nengo.PES`, `.HPES`) get a 1-D error from a second Node. The
rules are: none, `nengo.PES`, `nengo.BCM`, the composition ``[nengo.PES(),
nengo.BCM()]``, `.HPES` with its defaults, and ``HPES(supervision_ratio=1)`` (the
supervised term alone). Networks use ``seed=0`` and are built with nengo's default
optimizer.

Every network gives two numbers, in milliseconds per simulation step:

* **sim**: the whole simulator. After a warm-up, ``sim.run_steps(steps)`` is timed
  ``repeats`` times; the number is the mean step of the median repeat.
* **weights**: the cost of the learned connection alone: the operators whose
  signals overlap the connection's weights or any signal of its learning rules
  (the weight `~nengo.builder.operator.DotInc`, the learning operators such as
  ``SimPES``, ``SimBCM``, `.SimHPES` and `.RankOneInc`, nengo's
  ``Copy(delta, weights, inc=True)``, the rules' synapse filters and the error's
  projection onto the post encoders). The step functions of the simulator are
  called in their usual order for ``steps`` steps, each one timed on its own
  (timer overhead subtracted); the number is the median over steps of the sum over
  those operators. The profile is approximate: timing the operators one by one
  changes what stays in the caches, and an operator that nengo's optimizer merged
  with one of another object is counted whole.

The **floor** is what any implementation must do per step with the weights in
memory: one in-place rank-one update and one matrix-vector product on preallocated
arrays, ``?ger(1, x, v, a=W.T, overwrite_a=True)`` (the C-ordered ``W`` updated
through its Fortran-ordered transpose) and ``np.dot(W, x, out=out)``, timed like
**weights** (each call on its own, median over steps of their sum).

**weights** and the floor are medians over steps, so they leave out the occasional
slow step (other processes, interrupts); **sim** is a mean, so it keeps them, and
it is the number that moves when the machine is busy. The machine line gives the
load average at the start of the run.

How to read the tables
----------------------
The first table gives **sim** and the second **weights** (with the floor) for each
rule. The third gives the ratios: hPES's weights cost over the floor (1 means that
hPES adds nothing to the unavoidable work on the weights), hPES's whole simulator
over the composition ``[PES, BCM]`` (the same two terms done by two nengo rules),
and hPES over `nengo.PES`. "HPES" in the ratios is ``HPES()`` with its defaults.

All BLAS libraries run one thread, as in the measurements that set the targets
(the floor uses scipy's ``?ger``; numpy and scipy ship separate OpenBLAS builds,
whose thread pools compete for the cores when both run in one step; nengo_hpes
itself calls numpy's own ``?ger`` for this reason). Before timing,
the script checks that ``HPES(supervision_ratio=1)`` and `nengo.PES` learn the same
weights, and warns loudly if they do not.

Examples
--------
::

    python benchmarks/bench_reference.py
    python benchmarks/bench_reference.py --sizes 100x100,300x1000 --repeats 3
    python benchmarks/bench_reference.py --dtype float32 --json results.json
"""

import argparse
import json
import os
import platform
import sys
import time

import nengo
import numpy as np
import scipy
from scipy.linalg import blas
from threadpoolctl import threadpool_info, threadpool_limits

import nengo_hpes

DEFAULT_SIZES = "100x100,300x1000,1000x1000,1000x3000"
WARMUP_STEPS = 50
CHECK_STEPS = 20
CHECK_TOLERANCE = {"float64": 1e-12, "float32": 1e-9}
RULES = (
    ("no learning", None),
    ("nengo.PES", nengo.PES()),
    ("nengo.BCM", nengo.BCM()),
    ("PES + BCM", [nengo.PES(), nengo.BCM()]),
    ("HPES", nengo_hpes.HPES()),
    # nengo.PES's rate: HPES's default learning_rate is 1e-4 / 0.95
    ("HPES(S=1)", nengo_hpes.HPES(learning_rate=1e-4, supervision_ratio=1.0)),
)


def stimulus(t):
    """Input to ``pre``."""
    return np.sin(2 * np.pi * t)


def error_signal(t):
    """Error given to the rules that take one."""
    return 0.1 * np.sin(2 * np.pi * t)


def learning_rules(conn):
    """The connection's `~nengo.learning_rules.LearningRule` objects, as a list."""
    rules = conn.learning_rule
    if rules is None:
        return []
    return list(rules) if isinstance(rules, list) else [rules]


def build_network(n_post, n_pre, rule):
    """Return the benchmark network and its learned connection."""
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(stimulus)
        pre = nengo.Ensemble(n_pre, 1)
        post = nengo.Ensemble(n_post, 1)
        nengo.Connection(stim, pre)
        transform = np.random.RandomState(0).uniform(-1e-3, 1e-3, (n_post, n_pre))
        conn = nengo.Connection(
            pre.neurons, post.neurons, transform=transform, learning_rule_type=rule
        )
        error_rules = [lr for lr in learning_rules(conn) if lr.size_in > 0]
        if error_rules:
            error = nengo.Node(error_signal)
            for lr in error_rules:
                nengo.Connection(error, lr)
    return net, conn


def check_supervised_limit(dtype):
    """
    Compare the weights learned by ``HPES(supervision_ratio=1)`` and `nengo.PES`.

    Returns the largest absolute difference over `CHECK_STEPS` steps at 100x100,
    the largest weight change (to show that learning happened) and whether the
    check passed.
    """
    rules = dict(RULES)
    weights = []
    for label in ("nengo.PES", "HPES(S=1)"):
        net, conn = build_network(100, 100, rules[label])
        with net:
            probe = nengo.Probe(conn, "weights")
        with nengo.Simulator(net, progress_bar=False) as sim:
            sim.run_steps(CHECK_STEPS)
        weights.append(sim.data[probe])
    difference = float(np.max(np.abs(weights[1] - weights[0])))
    change = float(np.max(np.abs(weights[0][-1] - weights[0][0])))
    passed = difference <= CHECK_TOLERANCE[dtype] and change > 0
    return {"max_difference": difference, "max_change": change, "passed": passed}


def median_ms_per_step(run, steps, repeats):
    """Time ``run(steps)`` ``repeats`` times; return the median, in ms per step."""
    run(WARMUP_STEPS)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(steps)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times)) / steps


def time_floor(n_post, n_pre, steps, dtype):
    """
    Time the floor: in-place ``?ger`` plus ``np.dot`` on preallocated arrays.

    Each of the two calls is timed on its own, as `profile_operators` times the
    simulator's operators; returns the median over ``steps`` steps of their sum,
    in ms.
    """
    rng = np.random.RandomState(0)
    weights = rng.uniform(-1e-3, 1e-3, (n_post, n_pre)).astype(dtype)
    x = rng.uniform(0, 100, n_pre).astype(dtype)
    v = rng.uniform(-1e-9, 1e-9, n_post).astype(dtype)
    out = np.empty(n_post, dtype=dtype)
    ger = blas.get_blas_funcs("ger", dtype=weights.dtype)  # dger or sger
    weights_t = weights.T  # Fortran-ordered view of the same memory

    def rank_one_update():
        ger(1.0, x, v, a=weights_t, overwrite_a=True)

    def matrix_vector_product():
        np.dot(weights, x, out=out)

    step_fns = [rank_one_update, matrix_vector_product]
    time_each(step_fns, WARMUP_STEPS)
    return 1e3 * float(np.median(time_each(step_fns, steps).sum(axis=1)))


def weight_operators(sim, conn):
    """Indices in ``sim.step_order`` of the operators behind the weights cost."""
    targets = [sim.model.sig[conn]["weights"]]
    for rule in learning_rules(conn):
        targets.extend(sim.model.sig[rule].values())
    return [
        k
        for k, op in enumerate(sim.step_order)
        if any(s.may_share_memory(t) for s in op.all_signals for t in targets)
    ]


def timer_overhead(samples=10000):
    """Median time of an empty ``perf_counter`` measurement, in s."""
    clock = time.perf_counter
    times = np.empty(samples)
    for k in range(samples):
        start = clock()
        times[k] = clock() - start
    return float(np.median(times))


def time_each(step_fns, steps):
    """
    Call ``step_fns`` in order ``steps`` times, timing each call on its own.

    Returns an array ``(steps, len(step_fns))`` of times in s, with the timer's own
    overhead subtracted.
    """
    clock = time.perf_counter
    times = np.empty((steps, len(step_fns)))
    for row in times:
        for k, step_fn in enumerate(step_fns):
            start = clock()
            step_fn()
            row[k] = clock() - start
    return times - timer_overhead()


def profile_operators(sim, steps):
    """
    Time each step function of ``sim`` on its own, for ``steps`` steps.

    The step functions run in ``sim``'s order, under the same floating-point error
    settings as `nengo.Simulator.step`; returns `time_each`'s array.
    """
    with np.errstate(invalid="raise", divide="ignore"):
        return time_each(sim._steps, steps)


def operator_label(op):
    """A short name for an operator: its type, and its tag when that is short."""
    name = type(op).__name__
    return f"{name} {op.tag}" if op.tag and len(op.tag) <= 40 else name


def benchmark_rule(n_post, n_pre, rule, steps, repeats):
    """Build one network and return its sim and weights costs (ms per step)."""
    net, conn = build_network(n_post, n_pre, rule)
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim_ms = median_ms_per_step(sim.run_steps, steps, repeats)
        indices = weight_operators(sim, conn)
        times = profile_operators(sim, steps)[:, indices]
        ops = [
            {"operator": operator_label(sim.step_order[k]), "ms": 1e3 * float(t)}
            for k, t in zip(indices, np.median(times, axis=0))
        ]
    weights_ms = 1e3 * float(np.median(times.sum(axis=1)))
    return {"sim_ms": sim_ms, "weights_ms": weights_ms, "operators": ops}


def default_steps(n_post, n_pre):
    """Timed steps per repeat: about 2e8 weights touched, between 100 and 2000."""
    return int(np.clip(2e8 // (n_post * n_pre), 100, 2000))


def machine_info(dtype):
    """CPU, versions, BLAS threads, load average and dtype of this run."""
    cpu = platform.processor() or "unknown CPU"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            models = [
                line.split(":", 1)[1] for line in f if line.startswith("model name")
            ]
        cpu = models[0].strip() if models else cpu
    blas_threads = sorted(
        {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "nengo": nengo.__version__,
        "nengo_hpes": nengo_hpes.__version__,
        "blas_threads": blas_threads,
        "load_average": os.getloadavg()[0],
        "dtype": dtype,
    }


def fmt(ms):
    """Format a time in ms with three significant digits."""
    return np.format_float_positional(
        ms, precision=3, unique=False, fractional=False, trim="-"
    )


def markdown_table(header, rows):
    """Return a Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(info, check, results):
    """Return the printed report: machine line, check, tables and notes."""
    labels = [label for label, _ in RULES]
    sizes = [f"{r['n_post']}x{r['n_pre']}" for r in results]
    sim_rows, weight_rows, ratio_rows = [], [], []
    for size, r in zip(sizes, results):
        rules = r["rules"]
        sim_rows.append(
            [size, str(r["steps"])] + [fmt(rules[k]["sim_ms"]) for k in labels]
        )
        weight_rows.append(
            [size, fmt(r["floor_ms"])] + [fmt(rules[k]["weights_ms"]) for k in labels]
        )
        hpes, pes = rules["HPES"], rules["nengo.PES"]
        ratio_rows.append(
            [
                size,
                f"{hpes['weights_ms'] / r['floor_ms']:.2f}",
                f"{hpes['sim_ms'] / rules['PES + BCM']['sim_ms']:.2f}",
                f"{hpes['sim_ms'] / pes['sim_ms']:.2f}",
                f"{hpes['weights_ms'] / pes['weights_ms']:.2f}",
            ]
        )
    status = "OK" if check["passed"] else "FAILED"
    lines = [
        f"machine: {info['cpu']}, {info['cores']} cores | Python {info['python']} | "
        f"numpy {info['numpy']} | scipy {info['scipy']} | nengo {info['nengo']} | "
        f"nengo_hpes {info['nengo_hpes']} | BLAS threads "
        f"{','.join(map(str, info['blas_threads']))} | dtype {info['dtype']} | "
        f"load average {info['load_average']:.2f}",
        f"check: HPES(supervision_ratio=1) vs nengo.PES, weights over {CHECK_STEPS} "
        f"steps at 100x100: max |difference| {check['max_difference']:.3g} "
        f"(largest change {check['max_change']:.3g}): {status}",
        "",
        "Whole simulator, ms per step (mean step of the median repeat):",
        "",
        markdown_table(["n_post x n_pre", "steps"] + labels, sim_rows),
        "",
        "Weights cost, ms per step (operators on the learned connection, median "
        "over steps; approximate profile):",
        "",
        markdown_table(["n_post x n_pre", "floor (ger + dot)"] + labels, weight_rows),
        "",
        "Ratios (HPES = HPES() with its defaults):",
        "",
        markdown_table(
            [
                "n_post x n_pre",
                "HPES weights / floor",
                "HPES sim / PES + BCM sim",
                "HPES sim / PES sim",
                "HPES weights / PES weights",
            ],
            ratio_rows,
        ),
        "",
        "The weights cost times each operator of the learned connection on its own "
        "inside a running simulation (median over steps of their sum, timer "
        "overhead subtracted); it is approximate (cache effects, operators merged by "
        "nengo's optimizer are counted whole). The floor is timed the same way.",
    ]
    return "\n".join(lines)


def breakdown(results):
    """Return the per-operator times behind each weights cost, as Markdown lists."""
    lines = ["", "Weights cost by operator, ms per step:"]
    for r in results:
        for label, rule in r["rules"].items():
            ops = ", ".join(
                f"{op['operator']} {fmt(op['ms'])}" for op in rule["operators"]
            )
            lines.append(f"- {r['n_post']}x{r['n_pre']} {label}: {ops}")
    return "\n".join(lines)


def parse_sizes(text):
    """Parse ``"100x100,300x1000"`` into ``[(100, 100), (300, 1000)]``."""
    sizes = []
    for item in text.split(","):
        n_post, n_pre = item.lower().split("x")
        sizes.append((int(n_post), int(n_pre)))
    return sizes


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description="Time the reference hPES backend against nengo's rules and "
        "the BLAS floor (ms per simulation step).",
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes(DEFAULT_SIZES),
        help=f"comma-separated n_post x n_pre sizes (default {DEFAULT_SIZES})",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="timed steps per repeat (default: 2e8 / (n_post * n_pre), "
        "between 100 and 2000)",
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed repeats (default 5)"
    )
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--json", metavar="PATH", help="also write the results here")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also print the per-operator times behind each weights cost",
    )
    return parser.parse_args(argv)


def main(argv=None):
    """Run the benchmark and print the report."""
    args = parse_args(argv)
    nengo.rc["precision"]["bits"] = args.dtype[-2:]
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        info = machine_info(args.dtype)
        check = check_supervised_limit(args.dtype)
        if not check["passed"]:
            print(
                "!" * 79
                + "\nWARNING: HPES(supervision_ratio=1) does not learn the same "
                "weights as nengo.PES; the timings below may be of a broken rule.\n"
                + "!" * 79,
                file=sys.stderr,
            )
        results = []
        for n_post, n_pre in args.sizes:
            steps = args.steps or default_steps(n_post, n_pre)
            result = {"n_post": n_post, "n_pre": n_pre, "steps": steps}
            result["floor_ms"] = time_floor(n_post, n_pre, steps, args.dtype)
            result["rules"] = {
                label: benchmark_rule(n_post, n_pre, rule, steps, args.repeats)
                for label, rule in RULES
            }
            results.append(result)
    print(report(info, check, results))
    if args.breakdown:
        print(breakdown(results))
    runtime = time.perf_counter() - start
    print(f"\ntotal runtime: {runtime:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "machine": info,
                    "check": check,
                    "repeats": args.repeats,
                    "warmup_steps": WARMUP_STEPS,
                    "runtime_s": runtime,
                    "results": results,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
