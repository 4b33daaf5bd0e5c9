"""
Where a step of the paper's small Fig. 4 networks goes, hPES beside PES.

The 2013 reproduction runs hundreds of small networks (Fig. 4, the Fig. 5
searches): 75-150 neurons per ensemble, a learned ``pre.neurons ->
post.neurons`` connection of 75 x 75 (transmission) or 75 x 150 (binding)
weights. `bench_reference.py` shows hPES at about 1.5x `nengo.PES` per step at
100 x 100 for one connection alone; this script asks whether that matters in
the experiments' own networks.

For each task it builds the full-mode network of
`nengo_hpes.experiments.paper2013.learning.build_network` (seed 0) with the
paper's hPES, its PES, and the control (no learning), in one run, and prints:

* **sim**: the whole simulator, ms per step (`bench_reference.median_ms_per_step`:
  the mean step of the median of ``repeats`` timed runs), and hPES / PES;
* **learned**: the learned connection's own operators
  (`bench_reference.weight_operators`: weights, learning rule, its filters and
  error projection), each step function
  timed on its own (median over steps of their sum), and its share of the sum
  over *all* step functions timed the same way;
* the most expensive operators of the hPES network.

Ratios are measured side by side in one run, so machine load affects both
rules alike; absolute times depend on the machine.

Example::

    OPENBLAS_NUM_THREADS=1 python benchmarks/paper2013_step_profile.py --steps 2000
"""

import argparse
import json
import os
import sys

import nengo
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_reference import (  # noqa: E402
    machine_info,
    median_ms_per_step,
    operator_label,
    profile_operators,
    weight_operators,
)

from nengo_hpes.experiments.notebook import format_table  # noqa: E402
from nengo_hpes.experiments.paper2013 import learning  # noqa: E402

RULES = ("control", "PES", "hPES")


def profile_network(task, rule, steps, repeats):
    """sim and learned-connection costs of one Fig. 4 network, ms per step."""
    net = learning.build_network(task, rule, seed=0)
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim_ms = median_ms_per_step(sim.run_steps, steps, repeats)
        times = profile_operators(sim, steps)  # (steps, operators)
        per_op = np.median(times, axis=0)
        total_ms = 1e3 * float(np.median(times.sum(axis=1)))
        learned_ms = 0.0
        if net.learned is not None:
            idx = weight_operators(sim, net.learned)
            learned_ms = 1e3 * float(np.median(times[:, idx].sum(axis=1)))
        top = sorted(
            (
                (1e3 * float(t), operator_label(op))
                for t, op in zip(per_op, sim.step_order)
            ),
            reverse=True,
        )[:8]
    return dict(
        task=task,
        rule=rule,
        sim_ms=sim_ms,
        ops_ms=total_ms,
        learned_ms=learned_ms,
        n_operators=len(per_op),
        top=[dict(ms=ms, operator=name) for ms, name in top],
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=list(learning.TASKS))
    parser.add_argument("--steps", type=int, default=2000, help="timed steps")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)

    info = machine_info("float64")
    print(
        f"{info['cpu']}, {info['cores']} cores, load {info['load_average']:.1f}, "
        f"BLAS threads {info['blas_threads']}, nengo {info['nengo']}"
    )
    results = [
        profile_network(task, rule, args.steps, args.repeats)
        for task in args.tasks
        for rule in RULES
    ]
    rows = []
    for task in args.tasks:
        r = {x["rule"]: x for x in results if x["task"] == task}
        for rule in RULES:
            x = r[rule]
            rows.append(
                {
                    "task": task,
                    "rule": rule,
                    "sim (ms/step)": x["sim_ms"],
                    "sim / PES": x["sim_ms"] / r["PES"]["sim_ms"],
                    "learned conn. (ms)": x["learned_ms"],
                    "learned share": x["learned_ms"] / x["ops_ms"],
                    "operators": x["n_operators"],
                }
            )
    print()
    print(format_table(rows))
    for task in args.tasks:
        (h,) = [x for x in results if x["task"] == task and x["rule"] == "hPES"]
        print(f"\nmost expensive operators, {task} hPES (ms per step):")
        print(format_table(h["top"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(machine=info, args=vars(args), results=results), f, indent=1)


if __name__ == "__main__":
    main()
