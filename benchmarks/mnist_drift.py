"""
Why does hPES fall behind PES on a long MNIST run? Record the output rates.

Runs ``nengo_hpes.experiments.classifier.run_classifier`` (the network of
``python -m nengo_hpes.experiments.mnist``: 1000 Gabor hidden neurons -> 250 output
neurons, full learned weights, 30 ms per image) over the first ``--n-train``
MNIST training images, tests on the full test set, and records, every
``--every`` seconds of training, the mean output firing rate (5 ms filtered
spikes, averaged over 1 s) and the norm of the learned weights. One line per
rule; with ``--json`` every series is written out.

::

    python benchmarks/mnist_drift.py --rules pes hpes:0.95 hpes:0.99 --n-train 60000

``hpes:S`` is ``HPES(learning_rate=1e-4 / S, supervision_ratio=S)``, other
parameters at their defaults; ``pes`` is ``nengo.PES(1e-4)``.
"""

import argparse
import json
import os
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import nengo  # noqa: E402
import numpy as np  # noqa: E402

from nengo_hpes.experiments.classifier import run_classifier  # noqa: E402
from nengo_hpes.experiments.data import MNIST_SHAPE, mnist_data  # noqa: E402
from nengo_hpes.experiments.rules import make_rule  # noqa: E402


def parse_rule(text):
    """``pes`` or ``hpes:S`` (supervised rate 1e-4) as a rule."""
    if text == "pes":
        return make_rule("pes", 1e-4)
    s = float(text.split(":")[1])
    return make_rule("hpes", 1e-4 / s, supervision_ratio=s)


def recording_simulator(record, every):
    """A Simulator factory that adds rate and weight probes to the training net."""

    def make(net, **kwargs):
        if net.conn.learning_rule_type is not None and "rates" not in record:
            with net:
                record["p_rates"] = nengo.Probe(
                    net.output.neurons, synapse=nengo.Alpha(0.5), sample_every=every
                )
                record["p_weights"] = nengo.Probe(
                    net.conn, "weights", sample_every=every
                )
            sim = nengo.Simulator(net, **kwargs)
            record["sim"] = sim
            return sim
        return nengo.Simulator(net, **kwargs)

    return make


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rules", nargs="+", default=["pes", "hpes:0.95"])
    p.add_argument("--n-train", type=int, default=60000)
    p.add_argument("--n-test", type=int, default=10000)
    p.add_argument("--every", type=float, default=60.0, help="seconds simulated")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json")
    args = p.parse_args()

    train, test = mnist_data(args.n_train, args.n_test)
    out = {}
    print(
        "| rule | test accuracy | mean output rate (Hz) over training | weight norm |"
    )
    print("|---|---|---|---|")
    for text in args.rules:
        record = {}
        t0 = time.perf_counter()
        res = run_classifier(
            train,
            test,
            parse_rule(text),
            MNIST_SHAPE,
            n_classes=10,
            seed=args.seed,
            progress_bar=False,
            simulator=recording_simulator(record, args.every),
        )
        sim = record["sim"]
        rates = sim.data[record["p_rates"]].mean(axis=1)
        norms = np.linalg.norm(sim.data[record["p_weights"]], axis=(1, 2))
        out[text] = dict(
            test_accuracy=res.accuracy,
            learning_curve=[np.asarray(v).tolist() for v in res.learning_curve()],
            t=(np.arange(len(rates)) + 1).tolist(),
            mean_rate=rates.tolist(),
            weight_norm=norms.tolist(),
            wall_s=time.perf_counter() - t0,
        )
        pick = np.linspace(0, len(rates) - 1, 6).astype(int)
        print(
            f"| {text} | {100 * res.accuracy:.2f} % | "
            + " ".join(f"{rates[k]:.0f}" for k in pick)
            + " | "
            + " ".join(f"{norms[k]:.2f}" for k in pick)
            + " |",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(args=vars(args), results=out), f, indent=1, default=float)


if __name__ == "__main__":
    main()
