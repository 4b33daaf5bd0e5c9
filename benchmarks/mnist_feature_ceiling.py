"""
How well can a readout of the spiking CNN's features do? (offline ceilings)

The hybrid readout (`nengo_hpes.experiments.hybrid.hybrid_readout`) learns online from
the spike counts of the CNN's last layer (3200 neurons, one 30-step
presentation per image), through a fixed hidden layer of LIF neurons, onto an
output population. This script fits the same readouts offline, by least
squares to one-hot labels (`nengo_hpes.experiments.offline.lstsq_readout`), to show
what limits the online one:

1. **Linear readout of the counts** (no hidden layer): the regularisation is
   chosen on the last 10 000 training images (fit on the first 50 000), then
   refitted on all 60 000 and tested on the 10 000 test images.
2. **Readout of a hidden layer** (direct encoders: one neuron per feature;
   Gaussian: random projections of the centred features), fitted on the
   steady-state rates of all 60 000 training images (``reg`` 0.001): test
   accuracy with rates, and with the same decoders applied to the spikes of
   ``--window`` seconds (the online readout averages its output over 20 ms
   per image). The spikes are modelled as regular firing with a random phase,
   ``floor(rate * window + u) / window`` with ``u`` uniform in [0, 1) (LIF
   neurons fire regularly; their phase carries over from image to image).

Needs the full-mode CNN and its features in the cache (``python -m
nengo_hpes.experiments.cnn --mode full`` computes them; otherwise this script does,
about 40 minutes on 2 CPU cores). The hidden layers take about 5 minutes.

Usage::

    python benchmarks/mnist_feature_ceiling.py [--input-scale 255] [--linear-only]
"""

import argparse
import warnings

import numpy as np

from nengo_hpes.experiments import cnn as mnist_cnn
from nengo_hpes.experiments.data import mnist_data
from nengo_hpes.experiments.encoders import FeatureLayer
from nengo_hpes.experiments.hybrid import FeatureScaling
from nengo_hpes.experiments.offline import lstsq_readout

#: Hidden layers of the readout: (encoders, neurons, max rate in Hz).
HIDDEN_LAYERS = (
    ("direct", 3200, 100.0),
    ("gaussian", 3200, 100.0),
    ("gaussian", 6400, 100.0),
    ("gaussian", 6400, 200.0),
)


def accuracy(decoders, a, y):
    return float(np.mean(np.argmax(a @ decoders, axis=1) == y))


def blocks(a, y, size=10000):
    return ((a[s : s + size], y[s : s + size]) for s in range(0, len(a), size))


def linear(f_train, y_train, f_test, y_test):
    print("| reg (x largest count) | validation (train[50000:]) |")
    print("|---|---|")
    best = None
    for reg in (1e-3, 1e-2, 1e-1):
        d = lstsq_readout(blocks(f_train[:50000], y_train[:50000]), 10, reg)
        acc = accuracy(d, f_train[50000:], y_train[50000:])
        print(f"| {reg:g} | {100 * acc:.2f} % |", flush=True)
        if best is None or acc > best[1]:
            best = (reg, acc)
    d = lstsq_readout(blocks(f_train, y_train), 10, best[0])
    print(
        f"\nreg {best[0]:g} refitted on all 60000: test accuracy "
        f"{100 * accuracy(d, f_test, y_test):.2f} % (10000 images)\n",
        flush=True,
    )


def hidden_rates(layer, scaling, counts):
    """Steady-state rates (float32) of a hidden ``layer`` for spike counts."""
    return layer.rates(scaling.transform(counts)).astype(np.float32)


def hidden(f_train, y_train, f_test, y_test, window, seed=0):
    rng = np.random.default_rng(seed)
    print(
        f"| hidden layer | test, rates | test, spikes of {1e3 * window:g} ms "
        "(same decoders) |"
    )
    print("|---|---|---|")
    for encoders, n, max_rate in HIDDEN_LAYERS:
        scaling = FeatureScaling.fit(f_train, encoders)
        layer = FeatureLayer.create(
            n,
            (1, f_train.shape[1]),
            "identity" if encoders == "direct" else "gaussian",
            max_rate,
            0.1,
            seed=seed,
        )
        d = lstsq_readout(
            ((hidden_rates(layer, scaling, f), y) for f, y in blocks(f_train, y_train)),
            10,
            reg=0.001,
        )
        a = hidden_rates(layer, scaling, f_test)
        spikes = np.floor(a * window + rng.random(a.shape)) / window
        print(
            f"| {encoders}, {n} neurons, {max_rate:g} Hz | "
            f"{100 * accuracy(d, a, y_test):.2f} % | "
            f"{100 * accuracy(d, spikes, y_test):.2f} % |",
            flush=True,
        )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--input-scale", type=float, default=mnist_cnn.CNNSettings.input_scale
    )
    p.add_argument("--window", type=float, default=0.02, help="seconds of spikes")
    p.add_argument("--linear-only", action="store_true", help="skip hidden layers")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore", message="No GPU support detected")
    (x_train, y_train), (x_test, y_test) = mnist_data(low=0.0)
    training = mnist_cnn.train_cnn(
        (x_train, y_train),
        mnist_cnn.CNNSettings(input_scale=args.input_scale),
        verbose=0,
        progress_bar=False,
    )
    f_train = mnist_cnn.run_spiking(training, x_train, progress_bar=False).counts
    f_test = mnist_cnn.run_spiking(training, x_test, progress_bar=False).counts
    print(f"CNN input_scale {args.input_scale:g}: features of 60000 + 10000 images\n")
    linear(f_train, y_train, f_test, y_test)
    if not args.linear_only:
        hidden(f_train, y_train, f_test, y_test, args.window)


if __name__ == "__main__":
    main()
