"""
The tasks that `nengo_hpes.experiments.search` can search and sweep.

A task is an experiment with a scalar loss (lower is better) and its search
space, declared once here as a `Task`:

* ``learning_rate``: **log-uniform** (``FloatDistribution(..., log=True)``),
  because useful rates span decades (PES works from about 1e-6 to 1e-3 on the
  networks of this package) and a uniform draw would spend nearly every trial
  in the top decade;
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
(``--set name=value`` on the command line), whose defaults `Task.options`
declares. It returns the loss as a float.

The 2013 paper's transmission and binding networks register here when
``nengo_hpes.experiments.paper2013`` provides them (see `_register_paper2013`).
"""

import dataclasses
import math
import time
from typing import Any, Callable, Mapping

import numpy as np
from nengo.exceptions import ValidationError
from optuna.distributions import FloatDistribution

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
    """

    name: str
    objective: Callable[..., float]
    learning_rate: FloatDistribution
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    description: str = ""

    def __post_init__(self):
        if not self.learning_rate.log:
            raise ValidationError(
                "The learning rate spans decades: its distribution must be "
                f"log-uniform (got {self.learning_rate!r})",
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
    """Raise a `~nengo.exceptions.ValidationError` unless ``rule`` is in `RULES`."""
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
