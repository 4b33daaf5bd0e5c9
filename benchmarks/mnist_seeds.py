"""
hPES against PES on the MNIST readout over several seeds, with a 95 % interval.

Runs ``python -m nengo_hpes.experiments.mnist`` (1000 masked-Gabor hidden LIF neurons ->
250 output neurons, full learned weights, one pass over ``--n-train`` training
images, the full test set) once per rule and seed, ``--jobs`` at a time, each
with one BLAS thread, and prints per-seed test accuracies, their mean and
sample standard deviation, and the paired difference (each seed builds the same
network and sees the same images under both rules) with its Student-t 95 %
confidence interval (`nengo_hpes.experiments.metrics.paired_difference`).

The JSON summaries go to ``--out`` as ``<rule>_s<seed>.json`` and are copied to
``benchmarks/results/mnist_pixels_<n>k_<rule>_s<seed>.json``;
``--collect`` only reads those copies and prints the table.

::

    python benchmarks/mnist_seeds.py --seeds 0 1 2 3 4 --jobs 2   # ~50 min, 2 cores
    python benchmarks/mnist_seeds.py --seeds 0 1 2 3 4 --collect
    python benchmarks/mnist_seeds.py --skip-existing    # run only what is missing

Rules: ``pes`` is ``nengo.PES(1e-4)``; ``hpes`` is ``nengo_hpes.HPES()`` with
its defaults (the same supervised learning rate, 1e-4).
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from nengo_hpes.experiments.metrics import paired_difference

RULE_ARGS = {
    "pes": ["--rule", "pes", "--learning-rate", "1e-4"],
    "hpes": ["--rule", "hpes"],
}
HERE = pathlib.Path(__file__).resolve().parent


def result_path(rule, seed, n_train):
    return HERE / "results" / f"mnist_pixels_{n_train // 1000}k_{rule}_s{seed}.json"


def run_one(rule, seed, args):
    name = f"{rule}_s{seed}"
    cmd = [
        sys.executable,
        "-m",
        "nengo_hpes.experiments.mnist",
        *RULE_ARGS[rule],
        "--n-train",
        str(args.n_train),
        "--n-test",
        "10000",
        "--seed",
        str(seed),
        "--out",
        args.out,
        "--name",
        name,
        "--no-progress",
    ]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    log = pathlib.Path(args.out) / f"log_{name}.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as f:
        subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, check=True)
    shutil.copy(
        pathlib.Path(args.out) / f"{name}.json", result_path(rule, seed, args.n_train)
    )
    print(f"done: {name} ({log})", flush=True)


def table(rules, seeds, n_train):
    acc = {}
    ms = {}
    ms_test = {}
    for rule in rules:
        data = [json.loads(result_path(rule, s, n_train).read_text()) for s in seeds]
        acc[rule] = np.array([d["test_accuracy"] for d in data])
        ms[rule] = np.array([d["timings_s"]["train_per_image"] for d in data]) * 1e3
        ms_test[rule] = np.array([d["timings_s"]["test_per_image"] for d in data]) * 1e3
    lines = [
        "| rule | "
        + " | ".join(f"seed {s}" for s in seeds)
        + " | mean ± sd | train ms/image | test ms/image |",
        "|---|" + "---|" * len(seeds) + "---|---|---|",
    ]
    for rule in rules:
        a = 100 * acc[rule]
        lines.append(
            f"| {rule} | "
            + " | ".join(f"{x:.2f} %" for x in a)
            + f" | {a.mean():.2f} ± {a.std(ddof=1):.2f} % | {ms[rule].mean():.2f} "
            f"| {ms_test[rule].mean():.2f} |"
        )
    if len(rules) == 2 and len(seeds) >= 2:
        mean, low, high = paired_difference(100 * acc[rules[1]], 100 * acc[rules[0]])
        lines.append("")
        lines.append(
            f"{rules[1]} - {rules[0]}, paired over {len(seeds)} seeds: "
            f"{mean:+.2f} points, 95 % CI [{low:+.2f}, {high:+.2f}]"
        )
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--rules", nargs="+", default=["pes", "hpes"], choices=sorted(RULE_ARGS)
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--n-train", type=int, default=60000)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", default="build/mnist_seeds")
    p.add_argument("--collect", action="store_true", help="only print the table")
    p.add_argument(
        "--skip-existing",
        action="store_true",
        help="do not rerun a rule and seed whose results file exists",
    )
    args = p.parse_args()
    if not args.collect:
        runs = [
            (r, s)
            for s in args.seeds
            for r in args.rules
            if not (args.skip_existing and result_path(r, s, args.n_train).exists())
        ]
        with ThreadPoolExecutor(args.jobs) as pool:
            list(pool.map(lambda rs: run_one(*rs, args), runs))
    print(table(args.rules, args.seeds, args.n_train))


if __name__ == "__main__":
    main()
