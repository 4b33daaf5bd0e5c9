"""
Long MNIST runs of hPES threshold and ratio variants: accuracy, rates, weight norm.

The readout of ``python -m nengo_hpes.experiments.mnist`` (1000 masked-Gabor hidden LIF
neurons -> 250 output neurons, full learned weights, 30 ms per image), trained
online on the first ``n_train`` MNIST training images and tested on the full
test set, for one rule variant per call. Every 30 s of simulated training it
records the mean output rate (spikes through a 0.5 s alpha filter) and the
norm of the learned weights (``mnist_drift.recording_simulator``). One JSON
line per run is printed and appended to ``--jsonl``.

Variants (a name, then comma-separated options ``key=value``):

* ``pes``: ``nengo.PES(1e-4)``;
* ``ratio``: the package's threshold, theta = <a^2> / max(<a>, floor);
* ``onesided``: theta = <a^2> / max(min(<a>, a0 * a0_factor), floor), a0 being
  where theta starts (``theta_init="rates"``): the ratio while a neuron's mean
  rate is below a0, classic BCM's <a^2> / a0 (which pulls the rate back) above;
* ``pinned``: classic BCM's theta = <a^2> / (a0 * a0_factor).

Options: ``S`` (supervision_ratio, default 0.95; learning_rate = 1e-4 / S),
``post`` (post_synapse tau, default 0.005), ``tsyn`` (theta_synapse tau,
default 1.0), ``a0`` (a0_factor, default 1). The ``onesided`` and ``pinned``
thresholds are prototypes: they wrap `nengo_hpes.builder.SimHPES`'s step (the
denominator signal is swapped for the step and restored), and are not part of
the package.

::

    python benchmarks/mnist_threshold_variants.py ratio,S=0.999 60000
    python benchmarks/mnist_threshold_variants.py onesided,S=0.99 60000
    python benchmarks/mnist_threshold_variants.py pes 20000 --seed 1
"""

import argparse
import json
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import nengo  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mnist_drift import recording_simulator  # noqa: E402

from nengo_hpes import HPES  # noqa: E402
from nengo_hpes.builder import SimHPES  # noqa: E402
from nengo_hpes.experiments.classifier import run_classifier  # noqa: E402
from nengo_hpes.experiments.data import MNIST_SHAPE  # noqa: E402
from nengo_hpes.experiments.mnist import mnist_data  # noqa: E402


def patch_threshold(kind, factor):
    """Make SimHPES use the ``onesided`` or ``pinned`` denominator."""
    orig = SimHPES.make_step

    def make_step(self, signals, dt, rng):
        step = orig(self, signals, dt, rng)
        if not self.theta_ratio or kind not in ("onesided", "pinned"):
            return step
        den = signals[self.theta_den]
        a0 = signals[self.theta].copy() * factor  # theta_init at build time
        a0[a0 <= 0] = np.inf if kind == "onesided" else 1.0

        saved = np.empty_like(den)  # no allocation inside the step

        def wrapped():
            saved[...] = den
            if kind == "onesided":
                np.minimum(den, a0, out=den)
            else:
                den[...] = a0
            step()
            den[...] = saved

        return wrapped

    SimHPES.make_step = make_step


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("variant")
    p.add_argument("n_train", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jsonl", default="build/mnist_threshold_variants.jsonl")
    args = p.parse_args()

    kind = args.variant.split(",")[0]
    opts = dict(kv.split("=") for kv in args.variant.split(",")[1:])
    S = float(opts.get("S", 0.95))
    patch_threshold(kind, float(opts.get("a0", 1.0)))

    train, test = mnist_data(args.n_train, 10000)
    if kind == "pes":
        rule = nengo.PES(1e-4)
    else:
        rule = HPES(
            learning_rate=1e-4 / S,
            supervision_ratio=S,
            post_synapse=nengo.Lowpass(float(opts.get("post", 0.005))),
            theta_synapse=nengo.Lowpass(float(opts.get("tsyn", 1.0))),
        )
    record = {}
    t0 = time.perf_counter()
    res = run_classifier(
        train,
        test,
        rule,
        MNIST_SHAPE,
        n_classes=10,
        seed=args.seed,
        progress_bar=False,
        simulator=recording_simulator(record, 30.0),
    )
    sim = record["sim"]
    rates = sim.data[record["p_rates"]].mean(axis=1)
    norms = np.linalg.norm(sim.data[record["p_weights"]], axis=(1, 2))
    out = dict(
        name=args.variant,
        n_train=args.n_train,
        seed=args.seed,
        acc=res.accuracy,
        rates=[round(float(r), 1) for r in rates],
        norms=[round(float(n), 4) for n in norms],
        wall=round(time.perf_counter() - t0),
    )
    print(json.dumps(out), flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.jsonl)), exist_ok=True)
    with open(args.jsonl, "a") as f:
        f.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
