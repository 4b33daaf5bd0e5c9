"""
The learning rules of the experiments, by name.

`make_rule` is the one factory the command lines, notebooks and benchmarks
use; `matched_learning_rates` gives each named rule the same supervised
learning rate.
"""

import nengo

from nengo_hpes.experiments.validation import check_choice, check_number, fail
from nengo_hpes.learning_rules import HPES

#: Rule names: `nengo.PES`, `nengo_hpes.HPES`, PES computed by HPES
#: (``HPES(supervision_ratio=1)``) and no learning.
RULES = ("pes", "hpes", "pes-s1", "none")


def make_rule(
    name, learning_rate=None, supervision_ratio=None, unsupervised_scale=None
):
    """
    A learning rule by name, from command-line style arguments.

    - ``"pes"``: `nengo.PES` (``learning_rate`` default: nengo's, 1e-4);
    - ``"hpes"``: `nengo_hpes.HPES` with its defaults where no value is given;
    - ``"pes-s1"``: PES computed by HPES, ``HPES(learning_rate,
      supervision_ratio=1)`` (default 1e-4): the same weights as `nengo.PES`
      with the same learning rate (to 1e-12, tested in ``tests/test_hpes.py``)
      but with HPES's rank-one update, several times faster on large
      readouts;
    - ``"none"``: no learning (None).

    Parameters
    ----------
    name : {"pes", "hpes", "pes-s1", "none"}
        The rule.
    learning_rate : float, optional
        The rule's ``learning_rate``.
    supervision_ratio : float, optional
        ``"hpes"`` only.
    unsupervised_scale : float or "auto", optional
        ``"hpes"`` only.

    Returns
    -------
    `~nengo.learning_rules.LearningRuleType` or None
    """
    check_choice("rule", name, RULES)
    if name != "hpes" and (supervision_ratio, unsupervised_scale) != (None, None):
        fail(
            "rule",
            f"Only HPES has a supervision ratio and an unsupervised scale "
            f"(got rule {name!r})",
        )
    kwargs = {} if learning_rate is None else {"learning_rate": learning_rate}
    if name == "hpes":
        if supervision_ratio is not None:
            kwargs["supervision_ratio"] = supervision_ratio
        if unsupervised_scale is not None:
            kwargs["unsupervised_scale"] = unsupervised_scale
        return HPES(**kwargs)
    if name == "pes":
        return nengo.PES(**kwargs)
    if name == "pes-s1":
        return HPES(
            learning_rate=kwargs.get("learning_rate", 1e-4), supervision_ratio=1
        )
    return None


def matched_learning_rates(rate):
    """
    Learning rates of the named rules with the same supervised rate ``rate``.

    PES and ``"pes-s1"`` get ``rate``; HPES gets ``rate / supervision_ratio``
    (its default ratio), so that its supervised term equals
    ``nengo.PES(rate)``.

    Returns
    -------
    dict
        ``{"hpes": ..., "pes": rate, "pes-s1": rate}``.
    """
    rate = check_number("rate", rate, low=0, low_open=True)
    return {"hpes": rate / HPES().supervision_ratio, "pes": rate, "pes-s1": rate}
