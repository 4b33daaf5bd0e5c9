"""
Speed of hPES on NengoDL, side by side with the reference simulator.

What is measured
----------------
The networks are `bench_reference.build_network`'s: a sine `~nengo.Node` drives
``pre = nengo.Ensemble(n_pre, 1)``, and ``pre.neurons`` connects to
``post.neurons`` (``post = nengo.Ensemble(n_post, 1)``) through a full
``(n_post, n_pre)`` transform learned with the rule; rules that take an error get a
1-D error from a second Node. Sizes are written ``n_post x n_pre``.

Every number is simulation speed after a warm-up (the first ``run_steps`` of a
NengoDL simulator builds and traces its TensorFlow graph; that is excluded):
``sim.run_steps(steps)`` is timed ``repeats`` times and the median is kept.
**steps/s** is simulation steps per second of wall time; **element-steps/s** is
that times the minibatch size (each minibatch element is a whole network,
learning its own weights).

Three tables:

1. **HPES vs the composition** ``[nengo.PES(), nengo.BCM()]`` on the same
   connection (the same two terms, done by nengo's two rules), at minibatch 1, on
   both simulators. Target on NengoDL: HPES at most 0.5x the composition's time.
2. **Minibatch throughput**: NengoDL, minibatch 32, against the reference
   simulator running one network. Target: at least 10x the reference's steps/s.
   The table also gives a floor: the rank-one update and the weights times the
   pre activities alone, with BLAS on preallocated arrays, for the same
   minibatch (no neurons, no framework). Each element learns its own weights,
   so a step reads and writes ``minibatch`` weight matrices; on a CPU this is
   bound by memory bandwidth, and the floor shows how far any simulator could go.
3. **Minibatch 1**: NengoDL beside the reference, one network each.

The reference simulator runs with one BLAS thread, as in
``bench_reference.py`` (where the reasons are given); TensorFlow uses its default
thread pools (all cores). NengoDL runs at its default dtype, float32, unless
``--dtype`` says otherwise; the reference runs at nengo's default, float64.
``unroll_simulation`` is ``--unroll`` (default 10: with fewer, TensorFlow's
per-iteration overhead shows at small sizes; more builds a bigger graph and
gains nothing measurable here); ``steps`` is rounded up to a multiple of it.

Examples
--------
::

    python benchmarks/bench_nengo_dl.py            # about 3 minutes on 2 cores
    python benchmarks/bench_nengo_dl.py --quick    # sizes / 10, fewer steps
    python benchmarks/bench_nengo_dl.py --unroll 1 --dtype float64
"""

import argparse
import os
import sys
import time
import warnings

import nengo
import numpy as np
from scipy.linalg import blas
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench_reference import (  # noqa: E402
    build_network,
    fmt,
    machine_info,
    markdown_table,
    parse_sizes,
)

import nengo_hpes  # noqa: E402

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "This version of NengoDL", UserWarning)
    import nengo_dl  # noqa: E402
import tensorflow as tf  # noqa: E402

COMPOSITION = "PES + BCM"


def rules():
    """The rules of the first table, fresh (rule objects are per connection)."""
    return {"HPES": nengo_hpes.HPES(), COMPOSITION: [nengo.PES(), nengo.BCM()]}


def time_runs(run, steps, repeats):
    """Median wall time of ``run(steps)`` over ``repeats``, in s."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(steps)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def reference_speed(n_post, n_pre, rule, steps, repeats):
    """Steps per second of nengo.Simulator (one BLAS thread)."""
    net, _ = build_network(n_post, n_pre, rule)
    with threadpool_limits(limits=1, user_api="blas"):
        with nengo.Simulator(net, progress_bar=False) as sim:
            sim.run_steps(min(steps, 50))  # warm-up
            return steps / time_runs(sim.run_steps, steps, repeats)


def dl_speed(n_post, n_pre, rule, steps, repeats, minibatch, unroll, dtype):
    """Steps per second of nengo_dl.Simulator (each step runs ``minibatch`` nets)."""
    net, _ = build_network(n_post, n_pre, rule)
    with net:
        nengo_dl.configure_settings(dtype=dtype)
    steps = unroll * -(-steps // unroll)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No GPU support detected", UserWarning)
        sim = nengo_dl.Simulator(
            net,
            minibatch_size=minibatch,
            unroll_simulation=unroll,
            progress_bar=False,
        )
    with sim:
        sim.run_steps(unroll)  # builds and traces the graph
        sim.run_steps(steps)  # warm-up at the timed length
        return steps / time_runs(sim.run_steps, steps, repeats)


def batch_floor(n_post, n_pre, minibatch, steps, dtype):
    """
    Steps per second of the least work on ``minibatch`` learned weight matrices.

    Per step and element: one in-place BLAS ``?ger`` (the rank-one update) and
    one ``np.dot`` (the weights times the pre activities), on preallocated
    arrays, BLAS with its default threads (as TensorFlow). No neurons, filters
    or framework: an upper bound for any simulator on this machine.
    """
    rng = np.random.RandomState(0)
    weights = rng.uniform(-1e-3, 1e-3, (minibatch, n_post, n_pre)).astype(dtype)
    x = rng.uniform(0, 100, (minibatch, n_pre)).astype(dtype)
    v = rng.uniform(-1e-9, 1e-9, (minibatch, n_post)).astype(dtype)
    out = np.empty((minibatch, n_post), dtype=dtype)
    ger = blas.get_blas_funcs("ger", dtype=weights.dtype)

    def run(n):
        for _ in range(n):
            for i in range(minibatch):
                # through the Fortran-ordered transpose: updates weights[i] in place
                ger(1.0, x[i], v[i], a=weights[i].T, overwrite_a=True)
                np.dot(weights[i], x[i], out=out[i])

    run(2)
    n = max(10, steps // 10)
    return n / time_runs(run, n, 3)


def machine_line(info, unroll, dtype):
    """One line: CPU, versions, threads, devices, dtypes and load."""
    devices = ", ".join(d.device_type for d in tf.config.list_physical_devices())
    return (
        f"machine: {info['cpu']}, {info['cores']} cores | Python {info['python']} | "
        f"numpy {info['numpy']} | nengo {info['nengo']} | nengo_dl "
        f"{nengo_dl.__version__} | tensorflow {tf.__version__} ({devices}; "
        f"intra-op threads {tf.config.threading.get_intra_op_parallelism_threads()}"
        f" = default) | nengo_hpes {info['nengo_hpes']} | reference: float64, 1 "
        f"BLAS thread | NengoDL: {dtype}, unroll_simulation={unroll} | load "
        f"average {info['load_average']:.2f}"
    )


def main(argv=None):
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--compare-size", type=parse_sizes, default=None)
    parser.add_argument("--batch-size", type=parse_sizes, default=None)
    parser.add_argument("--single-size", type=parse_sizes, default=None)
    parser.add_argument("--minibatch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=None, help="timed steps")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--unroll", type=int, default=10)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument(
        "--quick", action="store_true", help="sizes / 10 and fewer steps (a smoke run)"
    )
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    compare = (args.compare_size or [(1000 // scale, 1000 // scale)])[0]
    batch = (args.batch_size or [(300 // scale, 1000 // scale)])[0]
    single = (args.single_size or [(1000 // scale, 1000 // scale)])[0]
    steps = args.steps or (100 if args.quick else 500)
    start = time.perf_counter()
    info = machine_info("float64")
    print(machine_line(info, args.unroll, args.dtype), flush=True)
    kw = dict(unroll=args.unroll, dtype=args.dtype)

    # 1. HPES vs PES + BCM, minibatch 1, both simulators
    rows, speeds = [], {}
    for label, rule in rules().items():
        ref = reference_speed(*compare, rule, steps, args.repeats)
        dl = dl_speed(*compare, rules()[label], steps, args.repeats, 1, **kw)
        speeds[label] = (ref, dl)
        rows.append([label, fmt(1e3 / ref), fmt(1e3 / dl)])
    ratio_ref = speeds[COMPOSITION][0] / speeds["HPES"][0]
    ratio_dl = speeds[COMPOSITION][1] / speeds["HPES"][1]
    rows.append(["HPES time / composition time", f"{ratio_ref:.2f}", f"{ratio_dl:.2f}"])
    size = f"{compare[0]}x{compare[1]}"
    print(f"\n1. HPES vs [PES, BCM] at {size}, minibatch 1, ms per step:\n")
    print(markdown_table(["rule", "nengo.Simulator", "nengo_dl.Simulator"], rows))
    print(f"\ntarget: NengoDL HPES / composition <= 0.5: {ratio_dl:.2f}")

    # 2. minibatch throughput against the reference's single network
    ref = reference_speed(*batch, nengo_hpes.HPES(), steps, args.repeats)
    mb = args.minibatch
    dl = dl_speed(*batch, nengo_hpes.HPES(), steps, args.repeats, mb, **kw)
    floor = batch_floor(*batch, mb, steps, args.dtype)
    size = f"{batch[0]}x{batch[1]}"
    print(f"\n2. HPES throughput at {size}:\n")
    print(
        markdown_table(
            ["simulator", "networks per step", "steps/s", "element-steps/s"],
            [
                ["nengo.Simulator", "1", f"{ref:.0f}", f"{ref:.0f}"],
                ["nengo_dl.Simulator", str(mb), f"{dl:.0f}", f"{dl * mb:.0f}"],
                [
                    f"floor: {mb} x (in-place ?ger + np.dot), {args.dtype}",
                    str(mb),
                    f"{floor:.0f}",
                    f"{floor * mb:.0f}",
                ],
            ],
        )
    )
    print(
        f"\ntarget: NengoDL element-steps/s >= 10x reference: {dl * mb / ref:.2f}x "
        f"(the floor, with no simulator at all: {floor * mb / ref:.2f}x)"
    )

    # 3. minibatch 1, side by side
    ref = reference_speed(*single, nengo_hpes.HPES(), steps, args.repeats)
    dl = dl_speed(*single, nengo_hpes.HPES(), steps, args.repeats, 1, **kw)
    size = f"{single[0]}x{single[1]}"
    print(f"\n3. HPES at {size}, minibatch 1:\n")
    print(
        markdown_table(
            ["simulator", "ms per step", "steps/s"],
            [
                ["nengo.Simulator", fmt(1e3 / ref), f"{ref:.0f}"],
                ["nengo_dl.Simulator", fmt(1e3 / dl), f"{dl:.0f}"],
            ],
        )
    )
    print(f"\nNengoDL / reference speed: {dl / ref:.2f}")
    print(f"\ntotal runtime: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
