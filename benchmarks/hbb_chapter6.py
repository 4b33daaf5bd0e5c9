"""
The "How to Build a Brain" chapter-6 demo: nengo.PES + nengo.BCM against HPES ports.

Runs `nengo_hpes.experiments.hbb.run` (the demo network: learn ``post = pre``
for 15 s, then 15 s with the error inhibited; RMSE of ``post - pre`` in those
15 s) for every port in `hbb.PORTS` and every seed (``--jobs`` processes, one
BLAS thread each), and prints per port the mean RMSE with its Student-t 95 %
interval and the paired difference (same seed = same network, input and start)
to ``nengo.PES(1e-3) + nengo.BCM()`` and to ``nengo.PES(1e-3)`` alone, with
Student-t 95 % intervals (`nengo_hpes.experiments.metrics.paired_difference`).

::

    python benchmarks/hbb_chapter6.py --seeds 0 1 2 3 4 5 6 7 8 9 --jobs 2 \\
        --json benchmarks/results/hbb_chapter6.json
    python benchmarks/hbb_chapter6.py --coefficients --seeds 0 1

``--coefficients`` runs nothing; it prints, per seed, the post gains and the
unsupervised coefficient of each HPES port (`hbb.bcm_coefficients`) beside
``nengo.BCM()``'s learning rate, 1e-9.
"""

import argparse
import concurrent.futures
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from nengo_hpes.experiments import hbb  # noqa: E402
from nengo_hpes.experiments.metrics import paired_difference  # noqa: E402


def _one(job):
    port, seed = job
    return port, seed, hbb.run(port, seed=seed)


def _mean_ci(x):
    x = np.asarray(x)
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return x.mean(), x.mean() - half, x.mean() + half


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--ports", nargs="+", default=list(hbb.PORTS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", default=None, help="write the RMSEs here")
    parser.add_argument(
        "--coefficients", action="store_true", help="print the BCM coefficients"
    )
    args = parser.parse_args(argv)
    if args.coefficients:
        print("| port | seed | gain mean | gain median | coefficient median | max |")
        print("|---|---|---|---|---|---|")
        for p in ("hpes-auto", "hpes-literal", "hpes-literal-gain"):
            for seed in args.seeds:
                c, g = hbb.bcm_coefficients(p, seed=seed)
                print(
                    f"| {p} | {seed} | {g.mean():.1f} | {np.median(g):.1f} | "
                    f"{np.median(c):.2e} | {c.max():.2e} |"
                )
        print("\nnengo.BCM(): 1e-9 for every post neuron")
        return
    start = time.perf_counter()
    jobs = [(p, s) for s in args.seeds for p in args.ports]
    rmse = {p: {} for p in args.ports}
    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        for port, seed, value in pool.map(_one, jobs):
            rmse[port][seed] = value
            print(f"{port} seed {seed}: {value:.4f}", flush=True)
    per_port = {p: [rmse[p][s] for s in args.seeds] for p in args.ports}

    def diff(p, ref):
        if ref not in per_port or p == ref or len(args.seeds) < 2:
            return "-"
        m, lo, hi = paired_difference(per_port[p], per_port[ref])
        return f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]"

    print(
        f"\n{len(args.seeds)} seeds {args.seeds}; RMSE of post - pre with the error "
        "inhibited (15-30 s); Student-t 95 % intervals\n"
    )
    print("| rule | RMSE mean [95 % CI] | minus PES+BCM | minus PES |")
    print("|---|---|---|---|")
    for p in args.ports:
        m, lo, hi = _mean_ci(per_port[p])
        print(
            f"| {p} | {m:.3f} [{lo:.3f}, {hi:.3f}] | {diff(p, 'pes+bcm')} | "
            f"{diff(p, 'pes')} |"
        )
    wall = time.perf_counter() - start
    print(f"\n{len(jobs)} runs, {wall:.0f} s wall, {args.jobs} processes")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(seeds=args.seeds, rmse=per_port, wall_s=wall), f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
