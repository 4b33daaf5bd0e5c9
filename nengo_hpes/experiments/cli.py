"""
The command lines of the MNIST CNN experiments.

``python -m nengo_hpes.experiments.cnn`` trains NengoDL's spiking CNN on
soft-LIF rates (`nengo_hpes.experiments.cnn`), tests it with rates and spikes,
and extracts the spiking features of the readout's training images, all
cached. ``python -m nengo_hpes.experiments.hybrid`` does the same (from the
cache when it can) and then learns online hPES / PES readouts of the features
(`nengo_hpes.experiments.hybrid`). Both write ``<out>/<name>.json`` and PNG
plots; ``--help`` lists the options.
"""

import argparse
import json
import pathlib
import sys
import time

from nengo_hpes.experiments.cache import CACHE_VARIABLE
from nengo_hpes.experiments.cnn import OPTIMIZERS, CNNSettings, limit_threads
from nengo_hpes.experiments.hybrid import (
    GAUSSIAN_N_HIDDEN,
    HYBRID_LEARNING_RATE,
    MODES,
    READOUT_ENCODERS,
    READOUT_RULES,
    ReadoutSettings,
    hybrid_learning_rates,
    mode_settings,
    run_hybrid_experiment,
)


def _parser(prog, description):
    p = argparse.ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--mode",
        choices=tuple(MODES),
        default="full",
        help="run lengths (quick: "
        + ", ".join(f"{k}={v}" for k, v in MODES["quick"].items())
        + "); the options below override them",
    )
    p.add_argument("--n-train", type=int, help="CNN training images")
    p.add_argument("--n-test", type=int, help="test images")
    p.add_argument("--epochs", type=int, help="CNN training epochs")
    p.add_argument("--readout-n-train", type=int, help="readout training images")
    p.add_argument("--minibatch-size", type=int, default=200)
    p.add_argument("--cnn-learning-rate", type=float, default=1e-3)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="rmsprop")
    p.add_argument("--lif-smoothing", type=float, default=CNNSettings.lif_smoothing)
    p.add_argument(
        "--max-rate",
        type=float,
        default=CNNSettings.max_rate,
        help="firing rate (Hz) of every CNN neuron at input 1 (NengoDL's example: 100)",
    )
    p.add_argument(
        "--input-scale",
        type=float,
        default=CNNSettings.input_scale,
        help="factor on the [0, 1] pixels (NengoDL's example: 255, raw pixels)",
    )
    p.add_argument("--n-steps", type=int, default=30)
    p.add_argument("--output-synapse", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads", type=int, help="TensorFlow threads (default: all cores)"
    )
    p.add_argument("--cache-dir", help=f"default: ${CACHE_VARIABLE} or build/cache")
    p.add_argument("--out", default="mnist-output", help="output folder")
    p.add_argument("--name", default=None, help="file name stem of the outputs")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def cnn_parser():
    """The parser of ``python -m nengo_hpes.experiments.cnn``."""
    return _parser(
        "python -m nengo_hpes.experiments.cnn",
        "Train NengoDL's spiking MNIST CNN on soft-LIF rates, test it with "
        "spikes and extract the spiking features of the readout's training "
        "images (all cached). Writes <out>/<name>.json (default name "
        "mnist-cnn-MODE-features) and the training loss.",
    )


def hybrid_parser():
    """The parser of ``python -m nengo_hpes.experiments.hybrid``."""
    p = _parser(
        "python -m nengo_hpes.experiments.hybrid",
        "Train (or load) NengoDL's spiking MNIST CNN, test it with spikes, and "
        "learn online hPES / PES readouts of its frozen spiking features. "
        "Writes <out>/<name>.json (default name mnist-cnn-MODE) and PNG plots.",
    )
    p.add_argument(
        "--rules",
        nargs="*",
        choices=READOUT_RULES,
        default=["hpes", "pes-s1"],
        help="pes-s1: PES computed as HPES(supervision_ratio=1), same weights, "
        "faster",
    )
    p.add_argument(
        "--hpes-learning-rate",
        type=float,
        help=f"default: {HYBRID_LEARNING_RATE:g} / HPES's supervision ratio",
    )
    p.add_argument(
        "--pes-learning-rate",
        type=float,
        help=f"PES and pes-s1 (default {HYBRID_LEARNING_RATE:g})",
    )
    p.add_argument(
        "--rule-defaults",
        action="store_true",
        help="readout rules at their own defaults (HPES(), PES 1e-4) where no "
        "rate is given",
    )
    defaults = ReadoutSettings()
    p.add_argument(
        "--readout-encoders",
        choices=READOUT_ENCODERS,
        default=defaults.encoders,
        help="direct: one hidden neuron per CNN feature",
    )
    p.add_argument(
        "--n-hidden",
        type=int,
        help=f"gaussian readout: hidden neurons (default {GAUSSIAN_N_HIDDEN})",
    )
    p.add_argument(
        "--readout-max-rate",
        type=float,
        default=defaults.max_rate,
        help="firing rate (Hz) of the readout's hidden neurons at encoder @ x = 1",
    )
    p.add_argument(
        "--readout-passes",
        type=int,
        default=defaults.n_passes,
        help="passes over the readout's training features",
    )
    p.add_argument(
        "--features-only",
        action="store_true",
        help="as python -m nengo_hpes.experiments.cnn: learn no readout",
    )
    return p


def _run_arguments(args):
    """Keyword arguments of `.run_hybrid_experiment` for the CNN's options."""
    kw = mode_settings(args.mode)
    for key in ("n_train", "n_test", "epochs", "readout_n_train"):
        if getattr(args, key) is not None:
            kw[key] = getattr(args, key)
    settings = CNNSettings(
        lif_smoothing=args.lif_smoothing,
        max_rate=args.max_rate,
        input_scale=args.input_scale,
        minibatch_size=args.minibatch_size,
        learning_rate=args.cnn_learning_rate,
        optimizer=args.optimizer,
        seed=args.seed,
    )
    return dict(
        kw,
        n_steps=args.n_steps,
        output_synapse=args.output_synapse,
        settings=settings,
        cache_dir=args.cache_dir,
        progress_bar=not args.no_progress,
    )


def _learning_rates(args):
    rates = {} if args.rule_defaults else hybrid_learning_rates()
    if args.pes_learning_rate is not None:
        rates.update(pes=args.pes_learning_rate, **{"pes-s1": args.pes_learning_rate})
    if args.hpes_learning_rate is not None:
        rates["hpes"] = args.hpes_learning_rate
    return {k: v for k, v in rates.items() if k in args.rules}


def _write(exp, args, argv, module, seconds, name):
    from nengo_hpes.experiments.plots import (
        plot_confusion_matrix,
        plot_learning_curves,
        plot_training_loss,
    )

    summary = exp.summary()
    summary["wall_seconds"] = seconds
    summary["command"] = " ".join(
        [f"python -m {module}", *(sys.argv[1:] if argv is None else argv)]
    )
    summary["mode"] = args.mode
    summary["threads"] = args.threads
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(summary, indent=1))
    plot_training_loss(exp.training, out / f"{name}-cnn-loss.png")
    if exp.readouts:
        plot_learning_curves(list(exp.readouts.values()), out / f"{name}-readout.png")
        for rule, res in exp.readouts.items():
            plot_confusion_matrix(res, out / f"{name}-{rule}-confusion.png")
    c = summary["cnn"]
    print(
        f"spiking CNN: {100 * c['spiking_test_accuracy']:.2f} % "
        f"(rates {100 * c['rate_test_accuracy']:.2f} %), trained "
        f"{c['train_seconds']:.0f} s, spiking test "
        f"{1e3 * c['spiking_test_seconds_per_image']:.1f} ms/image"
    )
    for rule, r in summary["readouts"].items():
        t = r["timings_s"]
        print(
            f"hybrid {rule}: {100 * r['test_accuracy']:.2f} %, train "
            f"{1e3 * t['train_per_image']:.1f} ms/image, test "
            f"{1e3 * t['test_per_image']:.1f} ms/image"
        )
    print(f"wrote {out / name}.json and plots")


def cnn_main(argv=None):
    """Run ``python -m nengo_hpes.experiments.cnn``; returns the experiment."""
    args = cnn_parser().parse_args(argv)
    limit_threads(args.threads)
    t0 = time.perf_counter()
    exp = run_hybrid_experiment(rules=(), features_only=True, **_run_arguments(args))
    name = args.name or f"mnist-cnn-{args.mode}-features"
    module = "nengo_hpes.experiments.cnn"
    _write(exp, args, argv, module, time.perf_counter() - t0, name)
    return exp


def hybrid_main(argv=None):
    """Run ``python -m nengo_hpes.experiments.hybrid``; returns the experiment."""
    args = hybrid_parser().parse_args(argv)
    limit_threads(args.threads)
    readout = ReadoutSettings(
        encoders=args.readout_encoders,
        n_hidden=args.n_hidden,
        max_rate=args.readout_max_rate,
        n_passes=args.readout_passes,
        seed=args.seed,
    )
    t0 = time.perf_counter()
    exp = run_hybrid_experiment(
        rules=args.rules,
        learning_rates=_learning_rates(args),
        readout=readout,
        features_only=args.features_only,
        **_run_arguments(args),
    )
    name = args.name or f"mnist-cnn-{args.mode}"
    module = "nengo_hpes.experiments.hybrid"
    _write(exp, args, argv, module, time.perf_counter() - t0, name)
    return exp
