"""
Choose the hybrid readout's learning rate on training data only.

The readout of `nengo_hpes.experiments.hybrid.hybrid_readout` (by default the
`~nengo_hpes.experiments.hybrid.ReadoutSettings` hidden layer: 6400 Gaussian-encoded
LIF neurons at 200 Hz) learns online from the spiking features of the first
8000 MNIST training images and is tested on the features of the next 2000
(the test set is not used; ``--n-train 50000 --n-val 10000`` for a split as
long as the full run: short splits prefer too large rates). Needs the trained
full-mode CNN and the spiking features of the training images in the cache
(run ``python -m nengo_hpes.experiments.cnn --mode full`` first, or let this script
compute them: about 6 minutes per 10 000 images on 2 CPU cores).

Usage::

    OPENBLAS_NUM_THREADS=1 python benchmarks/mnist_readout_validation.py \\
        [VARIANT ...] [--out benchmarks/results/mnist_readout_validation.json]

Variants: ``pes-<rate>`` (PES computed as ``HPES(rate, supervision_ratio=1)``)
and ``hpes-<rate>`` (``HPES(rate / S)`` at the default S, the supervised part at
``rate``), optionally followed by ``:key=value,...``, arguments of
`~nengo_hpes.experiments.hybrid.hybrid_readout` and
`~nengo_hpes.experiments.classifier.run_classifier` (e.g. ``pes-1e-3:max_rate=200`` or
``pes-1e-4:encoders=direct``; those not given take `hybrid_readout`'s
defaults).

Results: ``benchmarks/results/mnist_readout_validation_gaussian6400.json``
(the default hidden layer, 50 000 + 10 000: ``pes-RATE:encoders=gaussian,
n_hidden=6400,max_rate=200``, RATE 3e-5, 6e-5, 1.2e-4, 3e-4, one process per
rate); ``mnist_readout_validation_50k.json`` and ``..._50k_2pass.json`` (one
neuron per feature, ``encoders=direct``, 50 000 + 10 000),
``mnist_readout_validation_scale255.json`` and ``..._rates.json`` (the same,
8000 + 2000) and ``mnist_readout_validation.json`` (the CNN fed [0, 1]
pixels, before raw pixels became the default; ``--input-scale 1``).
"""

import argparse
import json
import time

from nengo_hpes.experiments import cache, hybrid
from nengo_hpes.experiments import cnn as mnist_cnn
from nengo_hpes.experiments.data import mnist_data
from nengo_hpes.experiments.rules import make_rule, matched_learning_rates

DEFAULT_VARIANTS = ("pes-3e-5", "pes-6e-5", "pes-1.2e-4", "pes-3e-4")


def classifier_kwargs(variant):
    """The ``key=value`` arguments after ``:`` in a variant (numbers)."""
    _, _, tail = variant.partition(":")
    pairs = (kv.split("=") for kv in tail.split(",") if kv)
    return {k: _number(v) for k, v in pairs}


def _number(text):
    """``text`` as an int or a float where it is one (else the string)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def rule(variant):
    kind, rate = variant.partition(":")[0].split("-", 1)
    rate = float(rate)
    if kind in ("pes", "hpes"):  # pes: as HPES(supervision_ratio=1)
        name = "pes-s1" if kind == "pes" else "hpes"
        return make_rule(name, matched_learning_rates(rate)[name])
    raise SystemExit(f"unknown variant {variant!r}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("variants", nargs="*", default=DEFAULT_VARIANTS)
    p.add_argument("--out", default="benchmarks/results/mnist_readout_validation.json")
    p.add_argument(
        "--input-scale", type=float, default=mnist_cnn.CNNSettings.input_scale
    )
    p.add_argument("--n-train", type=int, default=8000, help="readout training")
    p.add_argument("--n-val", type=int, default=2000, help="the images after them")
    args = p.parse_args(argv)
    n_train, n_all = args.n_train, args.n_train + args.n_val
    (x, y), _ = mnist_data(60000, 1, low=0.0)
    training = mnist_cnn.train_cnn(
        (x, y),
        mnist_cnn.CNNSettings(epochs=10, input_scale=args.input_scale),
        verbose=0,
        progress_bar=False,
    )
    # (features cached in blocks of 10000 images)
    n_blocks = -(-n_all // 10000)
    run = mnist_cnn.run_spiking(training, x[: 10000 * n_blocks], progress_bar=False)
    counts, labels = run.counts[:n_all], y[:n_all]
    results = {}
    for variant in args.variants:
        t0 = time.perf_counter()
        kwargs = classifier_kwargs(variant)
        res = hybrid.hybrid_readout(
            (counts[:n_train], labels[:n_train]),
            (counts[n_train:], labels[n_train:]),
            rule(variant),
            hybrid.ReadoutSettings(**kwargs),
            progress_bar=False,
        )
        results[variant] = {
            "rule": repr(rule(variant)),
            "readout": kwargs,
            "validation_accuracy": res.accuracy,
            "train_accuracy_last_block": float(res.learning_curve()[1][-1]),
            "train_ms_per_image": 1e3 * res.timings["train_per_image"],
            "wall_seconds": time.perf_counter() - t0,
        }
        print(variant, results[variant], flush=True)
    out = {
        "what": "hybrid readout learning rate, train on features of MNIST "
        f"train[:{n_train}], validate on train[{n_train}:{n_all}]",
        "input_scale": args.input_scale,
        "results": results,
        "versions": cache.versions(),
        "machine": cache.machine(),
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
