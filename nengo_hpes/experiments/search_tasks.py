"""
The tasks that `nengo_hpes.experiments.search` can search and sweep.

A task is an experiment with a scalar loss (lower is better) and its search
space, declared once here as a `Task`:

* ``learning_rate``: **log-uniform** (``FloatDistribution(..., log=True)``),
  because useful rates span decades (PES works from about 1e-6 to 1e-3 on the
  networks of this package) and a uniform draw would spend nearly every trial
  in the top decade. A task that reproduces another search may keep that
  search's uniform space, saying why (``uniform_because``): the 2013 paper's
  tasks do, see `PAPER_LEARNING_RATE`;
* ``supervision_ratio`` (HPES only): **uniform in [0.1, 0.9]**, the range the
  2013 paper searched (Bekolay et al., 2013): S is a mixing fraction, already
  on a linear scale, and the ends (0 is BCM alone, 1 is PES) are left out.

The seed is not a searched parameter: each trial gets one (recorded as the
trial's ``seed`` user attribute) and the objective builds its network, data
order and noise from it.

Registering a task
------------------
`register_task` adds a `Task` to `TASKS`; the command line's ``--task`` takes
its name. An objective is ``objective(rule, params, seed, **options)``:
``rule`` is ``"hpes"`` or ``"pes"``, ``params`` the trial's values of the
space's parameters (a sweep may fix only some of them: the others keep the
rule's defaults), ``seed`` an int, and ``options`` the task's options
(``--set name=value`` on the command line), whose defaults ``Task.options``
declares. It returns the loss as a float.

The 2013 paper's transmission and binding networks register here when
``nengo_hpes.experiments.paper2013`` provides them (see ``_register_paper2013``).
"""

import dataclasses
import functools
import math
import time
from typing import Any, Callable, Mapping

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from optuna.distributions import FloatDistribution

from nengo_hpes.learning_rules import HPES

RULES = ("hpes", "pes")

#: S, uniform in the 2013 paper's range (HPES only)
SUPERVISION_RATIO = FloatDistribution(0.1, 0.9)


@dataclasses.dataclass(frozen=True)
class Task:
    """
    An experiment with a scalar loss, and its search space.

    Parameters
    ----------
    name : str
        The name ``--task`` takes.
    objective : callable
        ``objective(rule, params, seed, **options) -> float``, the loss.
    learning_rate : `optuna.distributions.FloatDistribution`
        The learning rate's range, log-uniform (``log=True``).
    options : mapping, optional
        The task's options and their defaults (the default's type is the
        option's type).
    description : str, optional
        One line for ``--help`` and the docs.
    uniform_because : str, optional
        Why ``learning_rate`` is uniform, when it is (else it must be
        log-uniform).
    """

    name: str
    objective: Callable[..., float]
    learning_rate: FloatDistribution
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    description: str = ""
    uniform_because: str = ""

    def __post_init__(self):
        if not (self.learning_rate.log or self.uniform_because):
            raise ValidationError(
                "The learning rate spans decades: its distribution must be "
                "log-uniform, or the task must say why it is uniform "
                f"(uniform_because) (got {self.learning_rate!r})",
                attr="learning_rate",
            )

    def space(self, rule):
        """
        The search space of one rule: ``{name: distribution}``.

        Parameters
        ----------
        rule : {"hpes", "pes"}

        Returns
        -------
        dict
        """
        check_rule(rule)
        space = {"learning_rate": self.learning_rate}
        if rule == "hpes":
            space["supervision_ratio"] = SUPERVISION_RATIO
        return space

    def parse_options(self, items):
        """
        The task's options, from ``name=value`` strings or a mapping.

        Parameters
        ----------
        items : iterable of str, or mapping
            ``["learn_time=2", ...]`` (command line) or ``{"learn_time": 2}``.

        Returns
        -------
        dict
            Every option of the task, the given ones converted to the type of
            their default, the others at their default.
        """
        if isinstance(items, Mapping):
            pairs = list(items.items())
        else:
            pairs = []
            for item in items:
                name, sep, value = str(item).partition("=")
                if not sep or not name:
                    raise ValidationError(
                        f"Must be NAME=VALUE (got {item!r})", attr="options"
                    )
                pairs.append((name.strip(), value.strip()))
        options = dict(self.options)
        for name, value in pairs:
            if name not in self.options:
                raise ValidationError(
                    f"Task {self.name!r} has the options {sorted(self.options)} "
                    f"(got {name!r})",
                    attr="options",
                )
            kind = type(self.options[name])
            try:
                if kind is bool and isinstance(value, str):
                    if value.lower() not in ("true", "false", "1", "0"):
                        raise ValueError(value)
                    value = value.lower() in ("true", "1")
                else:
                    value = kind(value)
            except (TypeError, ValueError):
                raise ValidationError(
                    f"Option {name!r} of task {self.name!r} must be a "
                    f"{kind.__name__} (got {value!r})",
                    attr="options",
                ) from None
            options[name] = value
        return options


#: The registered tasks, by name
TASKS = {}


def register_task(task):
    """
    Make a `Task` available to `nengo_hpes.experiments.search` (``--task``).

    Parameters
    ----------
    task : Task
        A task whose name is not registered yet.
    """
    if not isinstance(task, Task):
        raise ValidationError(f"Must be a Task (got {task!r})", attr="task")
    if task.name in TASKS:
        raise ValidationError(
            f"A task named {task.name!r} is already registered", attr="task"
        )
    TASKS[task.name] = task
    return task


def check_rule(rule):
    """Raise a `~nengo.exceptions.ValidationError` unless ``rule`` is in ``RULES``."""
    if rule not in RULES:
        raise ValidationError(f"Must be one of {RULES} (got {rule!r})", attr="rule")
    return rule


def get_task(name):
    """The registered `Task` called ``name``."""
    if name not in TASKS:
        raise ValidationError(
            f"Must be one of the registered tasks {sorted(TASKS)} (got {name!r})",
            attr="task",
        )
    return TASKS[name]


def make_rule(rule, params):
    """
    The learning rule of a trial: `nengo.PES` or `nengo_hpes.HPES`.

    Parameters
    ----------
    rule : {"hpes", "pes"}
    params : dict
        ``learning_rate`` and, for HPES, ``supervision_ratio``; a missing one
        keeps the rule's default.
    """
    check_rule(rule)
    return HPES(**params) if rule == "hpes" else nengo.PES(**params)


#: The learning-rate range of the networks of this package: log-uniform, two
#: decades either side of nengo.PES's default (1e-4), which holds the 2013
#: paper's tuned rates once converted to Nengo 4 (1.5e-4 to 3.6e-4, see the
#: user guide's "Converting parameters from the 2013 paper")
LEARNING_RATE = FloatDistribution(1e-6, 1e-2, log=True)


# -- tiny: the engine's test task (no simulation)


def tiny_loss(rule, params, seed, sleep=0.0, noise=0.01):
    """
    A smooth loss with a known minimum, for testing the search engine.

    ``(log10(learning_rate) + 4)^2 + 4 (supervision_ratio - 0.6)^2`` (the
    second term for HPES only), plus ``noise`` times a standard normal drawn
    from ``seed``. The minimum is at ``learning_rate=1e-4`` and
    ``supervision_ratio=0.6``. Missing parameters take those values.

    Parameters
    ----------
    rule : {"hpes", "pes"}
    params : dict
        ``learning_rate`` and, for HPES, ``supervision_ratio``.
    seed : int
        Seed of the noise.
    sleep : float, optional
        Seconds to wait before returning (to test killed and parallel workers).
    noise : float, optional
        Standard deviation of the seed's noise.
    """
    check_rule(rule)
    if not sleep >= 0:
        raise ValidationError(f"Must be >= 0 (got {sleep!r})", attr="sleep")
    loss = (math.log10(params.get("learning_rate", 1e-4)) + 4) ** 2
    if rule == "hpes":
        loss += 4 * (params.get("supervision_ratio", 0.6) - 0.6) ** 2
    loss += noise * float(np.random.RandomState(seed).standard_normal())
    time.sleep(sleep)
    return loss


register_task(
    Task(
        name="tiny",
        objective=tiny_loss,
        learning_rate=FloatDistribution(1e-7, 1e-1, log=True),
        options={"sleep": 0.0, "noise": 0.01},
        description="a smooth test loss with its minimum at 1e-4 and S = 0.6 "
        "(no simulation; for tests)",
    )
)


# -- channel: the communication channel of nengo_hpes.experiments.channel


def channel_loss(
    rule, params, seed, learn_time=10.0, test_time=5.0, n_neurons=100, dimensions=1
):
    """
    Test RMSE of the learned communication channel (`.run_channel`).

    ``post`` learns to represent ``pre`` through learned full weights for
    ``learn_time`` seconds, then the RMSE of ``post - pre`` over ``test_time``
    seconds with learning off is the loss. ``seed`` seeds the network and its
    input.
    """
    from nengo_hpes.experiments.channel import run_channel

    result = run_channel(
        make_rule(rule, params),
        seed=seed,
        learn_time=learn_time,
        test_time=test_time,
        n_neurons=n_neurons,
        dimensions=dimensions,
        weights_sample_every=learn_time + test_time,
    )
    return result.test_rmse


register_task(
    Task(
        name="channel",
        objective=channel_loss,
        learning_rate=LEARNING_RATE,
        options={
            "learn_time": 10.0,
            "test_time": 5.0,
            "n_neurons": 100,
            "dimensions": 1,
        },
        description="test RMSE of the learned communication channel",
    )
)


# -- mnist: the online readout, validated on held-out training images


def mnist_loss(
    rule,
    params,
    seed,
    n_learn=1000,
    n_validate=500,
    n_hidden=1000,
    n_output=250,
    dataset="mnist",
):
    """
    Error rate of the online MNIST readout on a validation split.

    The classifier (`.classifier.run_classifier`: Gabor hidden layer, learned readout)
    learns online, in one pass, on the first ``n_learn`` training images and
    is tested with learning off on the next ``n_validate`` training images:
    the loss is ``1 - accuracy`` there. The test set is never used, so that
    it stays a fair final check of the chosen parameters. ``seed`` seeds the
    encoders and the network; the images are the same for every trial.
    ``dataset="synthetic"`` uses `.synthetic_images` (12 x 12, 4 classes)
    instead of MNIST.
    """
    from nengo_hpes.experiments.classifier import run_classifier
    from nengo_hpes.experiments.data import (
        MNIST_SHAPE,
        load_mnist,
        scale_pixels,
        synthetic_images,
    )

    for name, value in (("n_learn", n_learn), ("n_validate", n_validate)):
        if value < 1:
            raise ValidationError(f"Must be >= 1 (got {value})", attr=name)
    if dataset == "mnist":
        (images, labels), _ = load_mnist()
        if n_learn + n_validate > len(labels):
            raise ValidationError(
                f"n_learn + n_validate must be at most {len(labels)}, the training "
                f"images (got {n_learn + n_validate})",
                attr="n_validate",
            )
        images = scale_pixels(images[: n_learn + n_validate])
        labels = labels[: n_learn + n_validate].astype(int)
        shape = MNIST_SHAPE
    elif dataset == "synthetic":
        shape = (12, 12)
        (images, labels), _ = synthetic_images(
            n_learn + n_validate, 1, shape=shape, seed=0
        )
    else:
        raise ValidationError(
            f"Must be 'mnist' or 'synthetic' (got {dataset!r})", attr="dataset"
        )
    learn = (images[:n_learn], labels[:n_learn])
    validate = (images[n_learn:], labels[n_learn:])
    result = run_classifier(
        learn,
        validate,
        make_rule(rule, params),
        image_shape=shape,
        n_classes=int(labels.max()) + 1,
        n_hidden=n_hidden,
        n_output=n_output,
        seed=seed,
        progress_bar=False,
    )
    return 1.0 - result.accuracy


register_task(
    Task(
        name="mnist",
        objective=mnist_loss,
        learning_rate=LEARNING_RATE,
        options={
            "n_learn": 1000,
            "n_validate": 500,
            "n_hidden": 1000,
            "n_output": 250,
            "dataset": "mnist",
        },
        description="error rate of the online MNIST readout on training images "
        "held out from learning (a validation split)",
    )
)


# -- the 2013 paper's networks (nengo_hpes.experiments.paper2013)


def paper_task(
    name,
    loss,
    learning_rate=LEARNING_RATE,
    options=None,
    description="",
    uniform_because="",
):
    """
    A `Task` from a loss function of the 2013 paper's networks.

    Parameters
    ----------
    name : str
        E.g. ``"transmission"`` or ``"binding"``.
    loss : callable
        ``loss(learning_rate=..., supervision_ratio=..., seed=..., **options)``,
        the paper's scalar loss. PES is the paper's S = 1: for ``--rule pes``
        it gets ``supervision_ratio=1.0``.
    learning_rate : `optuna.distributions.FloatDistribution`, optional
        The learning rate's range (log-uniform).
    options : dict, optional
        The loss function's other keyword arguments and their defaults.
    """

    def objective(rule, params, seed, **opts):
        params = dict(params)
        if rule == "pes":
            params["supervision_ratio"] = 1.0
        return float(loss(seed=seed, **params, **opts))

    return Task(
        name,
        objective,
        learning_rate,
        dict(options or {}),
        description,
        uniform_because,
    )


#: The 2013 paper's learning-rate space for its Fig. 5 search, in Nengo 1.4
#: units (kappa of ``hPESTermination``; `.paper2013.rule.convert_learning_rate`
#: gives the Nengo 4 value): hyperopt's ``hp.uniform(1e-7, 1e-2)``
#: (``scripts/optimize_params.py``). Uniform, not log-uniform, although it spans
#: five decades: Fig. 5 plots the losses of *all* 50 evaluations of each
#: condition, so reproducing it needs the paper's sampling distribution (a
#: log-uniform space would spend most trials at rates too small to learn in the
#: 20 s the loss measures, and change the box plots).
PAPER_LEARNING_RATE = FloatDistribution(1e-7, 1e-2)


def _register_paper2013():
    """
    Register the 2013 paper's transmission and binding losses as tasks.

    ``transmission`` and ``binding`` call
    `nengo_hpes.experiments.paper2013.learning.search_loss` (the sum of the
    absolute error over the first 20 s of learning, as the paper's Fig. 5
    search minimised it) with the paper's space: ``learning_rate`` in
    `PAPER_LEARNING_RATE` (Nengo 1.4 units), S uniform in [0.1, 0.9] for hPES,
    S = 1 for PES. Option ``mode``: ``"full"`` (the paper's networks) or
    ``"quick"`` (seconds, for tests).
    """
    from nengo_hpes.experiments.paper2013.learning import search_loss

    for name in ("transmission", "binding"):
        if name not in TASKS:
            register_task(
                paper_task(
                    name,
                    functools.partial(search_loss, name),
                    learning_rate=PAPER_LEARNING_RATE,
                    options={"mode": "full"},
                    description=f"the 2013 paper's {name} loss (Fig. 5)",
                    uniform_because="the paper's own space (Fig. 5 plots every trial)",
                )
            )


_register_paper2013()
