"""
How well can a linear readout read the spiking CNN's features? (offline)

Fits a ridge-regression readout (one-hot targets) of the spike counts of the
CNN's last layer (3200 neurons, one 30-step presentation per image) on the
60 000 training images and tests it on the 10 000 test images: the ceiling
that an online readout of the same features (`nengo_hpes.mnist_cnn.
hybrid_readout`) approaches. The regularisation is chosen on the last 10 000
training images (fit on the first 50 000), then refitted on all 60 000. Needs
the full-mode CNN and its features in the cache (``python -m
nengo_hpes.mnist_cnn --mode full`` computes them; otherwise this script does,
about 40 minutes on 2 CPU cores).

Usage::

    python benchmarks/mnist_feature_ceiling.py [--input-scale 255]
"""

import argparse
import warnings

import numpy as np

from nengo_hpes import mnist_cnn


def ridge(x, y, alpha):
    """Ridge weights (with a bias column) for one-hot targets of labels ``y``."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    gram = xb.T @ xb
    gram[np.diag_indices_from(gram)] += alpha * len(x)
    return np.linalg.solve(gram, xb.T @ np.eye(10)[y])


def accuracy(w, x, y):
    return float(np.mean(np.argmax(np.hstack([x, np.ones((len(x), 1))]) @ w, 1) == y))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--input-scale", type=float, default=mnist_cnn.CNNSettings.input_scale
    )
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore", message="No GPU support detected")
    (x_train, y_train), (x_test, y_test) = mnist_cnn.cnn_data()
    training = mnist_cnn.train_cnn(
        (x_train, y_train),
        mnist_cnn.CNNSettings(input_scale=args.input_scale),
        verbose=0,
        progress_bar=False,
    )
    f_train = mnist_cnn.run_spiking(training, x_train, progress_bar=False).counts
    f_test = mnist_cnn.run_spiking(training, x_test, progress_bar=False).counts
    f_train, f_test = f_train.astype(np.float64), f_test.astype(np.float64)
    print(f"CNN input_scale {args.input_scale:g}: features of 60000 + 10000 images")
    print("| ridge alpha | validation (train[50000:]) |")
    print("|---|---|")
    best = None
    for alpha in (1e-4, 1e-3, 1e-2, 1e-1):
        w = ridge(f_train[:50000], y_train[:50000], alpha)
        acc = accuracy(w, f_train[50000:], y_train[50000:])
        print(f"| {alpha:g} | {100 * acc:.2f} % |")
        if best is None or acc > best[1]:
            best = (alpha, acc)
    w = ridge(f_train, y_train, best[0])
    print(
        f"\nalpha {best[0]:g} refitted on all 60000: test accuracy "
        f"{100 * accuracy(w, f_test, y_test):.2f} % (10000 images)"
    )


if __name__ == "__main__":
    main()
