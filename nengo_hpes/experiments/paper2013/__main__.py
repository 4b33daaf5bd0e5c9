"""
Command line: ``python -m nengo_hpes.experiments.paper2013 EXPERIMENT``.

Experiments: ``fig1`` (pair STDP curve), ``fig2`` (frequency dependence),
``fig4-transmission`` and ``fig4-binding`` (Exp. 2 learning curves relative
to control networks), ``search-loss`` (one evaluation of the Fig. 5 search
loss), ``fig5-control`` (the search loss of the control networks, Fig. 5's
unit). Each writes ``OUT/EXPERIMENT-MODE.json`` (``fig5-control``:
``OUT/control-TASK.json``, where `.report` and ``benchmarks/paper2013_fig5.py``
read it) and prints its path.
"""

import argparse
import json
import os
import platform
import sys
import time

import nengo
import numpy as np

from nengo_hpes.experiments.paper2013 import fig4, learning, stdp

EXPERIMENTS = (
    "fig1",
    "fig2",
    "fig4-transmission",
    "fig4-binding",
    "search-loss",
    "fig5-control",
)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, range):
        return list(obj)
    return obj


def make_parser():
    parser = argparse.ArgumentParser(
        prog="python -m nengo_hpes.experiments.paper2013",
        description="Reproduce experiments of Bekolay, Kolbeck & Eliasmith (2013).",
    )
    parser.add_argument("experiment", choices=EXPERIMENTS)
    parser.add_argument(
        "--mode",
        choices=("quick", "full"),
        default="quick",
        help="quick: seconds, shortened schedules (default); full: the paper's",
    )
    parser.add_argument("--out", default=".", help="output folder (default .)")
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="fig4: learning networks per rule, seeds 0..N-1 (full 15, quick 2)",
    )
    parser.add_argument(
        "--control-seeds",
        type=int,
        default=None,
        help=(
            "fig4 / search-loss / fig5-control: control networks, seeds 0..N-1 "
            "(full 10, quick 2)"
        ),
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="fig4: worker processes (default 1)",
    )
    parser.add_argument(
        "--rules",
        nargs="+",
        choices=fig4.FIG4_RULES,
        default=None,
        help=(
            "fig4: the rules (default hPES PES; PES-at-kappa-S: the ablation with "
            "hPES's supervised rate); other than the default, the file name ends "
            "in -RULE-RULE..."
        ),
    )
    parser.add_argument(
        "--cache",
        default=None,
        help=(
            "fig4: folder keeping each network's run, so that the same command "
            "resumes (default OUT/EXPERIMENT-MODE-runs)"
        ),
    )
    parser.add_argument(
        "--task",
        choices=learning.TASKS,
        default="binding",
        help="search-loss / fig5-control: the task",
    )
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="search-loss: Nengo 1.4 learning rate (default the paper's optimum)",
    )
    parser.add_argument(
        "--supervision-ratio",
        type=float,
        default=None,
        help="search-loss: S in [0, 1], 1 = PES (default the paper's hPES optimum)",
    )
    parser.add_argument("--seed", type=int, default=0, help="search-loss: seed")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    return parser


def run(args, argv=()):
    """Run one experiment from parsed ``args``; return the result dict."""
    start = time.perf_counter()
    full = args.mode == "full"
    if args.experiment == "fig1":
        result = stdp.stdp_curve(mode=args.mode)
    elif args.experiment == "fig2":
        result = stdp.frequency_curves(mode=args.mode)
    elif args.experiment.startswith("fig4-"):
        task = args.experiment[len("fig4-") :]
        n_seeds = args.seeds if args.seeds is not None else (15 if full else 2)
        n_control = (
            args.control_seeds
            if args.control_seeds is not None
            else (10 if full else 2)
        )
        result = fig4.run_fig4(
            task,
            seeds=range(n_seeds),
            control_seeds=range(n_control),
            mode=args.mode,
            verbose=not args.quiet,
            workers=args.workers,
            rules=("hPES", "PES") if args.rules is None else args.rules,
            cache_dir=(
                os.path.join(args.out, f"{args.experiment}-{args.mode}-runs")
                if args.cache is None
                else args.cache
            ),
        )
    elif args.experiment == "fig5-control":
        n_control = (
            args.control_seeds
            if args.control_seeds is not None
            else (10 if full else 2)
        )
        seeds = list(range(n_control))
        losses = learning.control_search_losses(args.task, seeds=seeds, mode=args.mode)
        result = dict(
            experiment="fig5-control",
            task=args.task,
            mode=args.mode,
            seeds=seeds,
            losses=losses,
            mean=float(np.mean(losses)),
        )
    else:
        best = learning.PAPER_PARAMS[args.task]["hPES"]
        kappa = (
            best["learning_rate"] if args.learning_rate is None else args.learning_rate
        )
        S = (
            best["supervision_ratio"]
            if args.supervision_ratio is None
            else args.supervision_ratio
        )
        loss = learning.search_loss(
            args.task,
            learning_rate=kappa,
            supervision_ratio=S,
            seed=args.seed,
            mode=args.mode,
        )
        result = dict(
            experiment="search-loss",
            task=args.task,
            mode=args.mode,
            learning_rate=kappa,
            supervision_ratio=S,
            seed=args.seed,
            loss=loss,
        )
        if args.control_seeds:
            control = learning.control_search_loss(
                args.task, seeds=range(args.control_seeds), mode=args.mode
            )
            result["control_mean_loss"] = control
            result["relative_loss"] = loss / control
    result["command"] = " ".join(
        ["python -m nengo_hpes.experiments.paper2013"] + list(argv)
    )
    result["total_wall_s"] = time.perf_counter() - start
    result["versions"] = dict(
        python=platform.python_version(), numpy=np.__version__, nengo=nengo.__version__
    )
    return result


def main(argv=None):
    parser = make_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    result = run(args, argv)
    os.makedirs(args.out, exist_ok=True)
    name = (
        f"control-{args.task}"
        if args.experiment == "fig5-control"
        else f"{args.experiment}-{args.mode}"
    )
    if args.rules is not None and list(args.rules) != ["hPES", "PES"]:
        name += "-" + "-".join(args.rules)
    path = os.path.join(args.out, f"{name}.json")
    with open(path, "w") as f:
        json.dump(_jsonable(result), f, indent=1)
        f.write("\n")
    print(path)
    return path


if __name__ == "__main__":
    main()
