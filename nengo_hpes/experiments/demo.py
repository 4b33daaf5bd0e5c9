"""
The main job: a communication channel learned from wrong weights, PES vs hPES.

Run ``python -m nengo_hpes.experiments.demo`` (``make demo``). It learns a 1-D channel
(100 LIF neurons per population) for ``--learn-time`` seconds with
``nengo.PES``, with ``nengo_hpes.HPES`` at the package defaults (S = 0.999,
nearly PES: a long-run-safe default) and with ``HPES`` at S = 0.95 (a 5 %
unsupervised BCM share), each with ``learning_rate * supervision_ratio`` equal
to the PES rate, 1e-4, then tests with the error population inhibited. It
prints the test-window RMSE and the weight Gini index (sparsity) for each rule
and writes a PNG.
"""

import argparse
import json
import pathlib

import nengo

from nengo_hpes.experiments.channel import run_channel
from nengo_hpes.experiments.plots import plot_channel_runs
from nengo_hpes.learning_rules import HPES

PES_RATE = 1e-4


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="demo-output", help="output folder")
    parser.add_argument("--learn-time", type=float, default=10.0)
    parser.add_argument("--test-time", type=float, default=5.0)
    parser.add_argument("--dimensions", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rules = [
        ("no learning", None),
        ("nengo.PES", nengo.PES(learning_rate=PES_RATE)),
        # the defaults give learning_rate * supervision_ratio = PES_RATE
        ("HPES (defaults)", HPES()),
        ("HPES (S = 0.95)", HPES(PES_RATE / 0.95, supervision_ratio=0.95)),
    ]
    results = []
    for label, rule in rules:
        print(f"Simulating {label} ...", flush=True)
        results.append(
            run_channel(
                rule,
                label=label,
                learn_time=args.learn_time,
                test_time=args.test_time,
                dimensions=args.dimensions,
                seed=args.seed,
                progress_bar=True,
            )
        )

    print()
    print(f"{'rule':<18} {'test RMSE':>10} {'Gini start':>11} {'Gini end':>9}")
    for res in results:
        print(
            f"{res.label:<18} {res.test_rmse:>10.4f} "
            f"{res.gini_start:>11.3f} {res.gini_end:>9.3f}"
        )
    png = out / "channel.png"
    fig = plot_channel_runs(results, title="Communication channel: PES vs hPES")
    fig.savefig(png, dpi=100)
    summary = out / "channel.json"
    summary.write_text(json.dumps([r.summary() for r in results], indent=2))
    print(f"\nWrote {png} and {summary}")


if __name__ == "__main__":  # pragma: no cover
    main()
