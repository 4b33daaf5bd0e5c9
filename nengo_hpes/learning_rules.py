"""
The hPES learning rule type (front end: parameters only, no numerics).

This module is the first of the package's three layers. It declares what a user
passes to ``nengo.Connection(learning_rule_type=...)`` and validates it; the
reference operator and build function live in `nengo_hpes.builder`.
"""

import warnings

import numpy as np
from nengo.exceptions import ValidationError
from nengo.learning_rules import LearningRuleType
from nengo.params import Default, NumberParam, Parameter
from nengo.synapses import LinearFilter, Lowpass, SynapseParam
from nengo.utils.numpy import is_array_like, is_number


class FiniteNumberParam(NumberParam):
    """
    A `~nengo.params.NumberParam` that also rejects NaN, infinities and bools.

    nengo's ``NumberParam`` fails on NaN with a ``TypeError`` from its bound
    comparison, accepts ``inf`` above a lower bound, and accepts ``True``.
    """

    def coerce(self, instance, num):
        if is_array_like(num) and np.shape(num) == ():
            num = np.asarray(num).item()
        if isinstance(num, bool) or not is_number(num):
            raise ValidationError(
                f"Must be a finite number {self._domain()} (got {num!r})",
                attr=self.name,
                obj=instance,
            )
        if not np.isfinite(num):
            raise ValidationError(
                f"Value must be finite and {self._domain()} (got {num!r})",
                attr=self.name,
                obj=instance,
            )
        return super().coerce(instance, num)

    def _domain(self):
        if self.low is not None and self.high is not None:
            return f"in [{self.low}, {self.high}]"
        if self.low is not None:
            return f">= {self.low}"
        return "" if self.high is None else f"<= {self.high}"  # pragma: no cover


def stateless(synapse):
    """
    Whether ``synapse`` is a `~nengo.LinearFilter` without state (a pure gain).

    ``Lowpass(0)``, ``Alpha(0)`` and ``LinearFilter([1], [1])`` have no state
    to start at ``theta_init``; nengo builds them as a pass-through.
    """
    if not isinstance(synapse, LinearFilter):
        return False
    return len(np.trim_zeros(np.atleast_1d(synapse.den), "f")) <= 1


class UnsupervisedScaleParam(Parameter):
    """
    The scale of the unsupervised (BCM) term: a number >= 0, or ``"auto"``.

    ``"auto"`` is resolved per connection at build time (see `.HPES`).
    """

    equatable = True
    strategies = ("auto",)

    def coerce(self, instance, value):
        if isinstance(value, str):
            if value not in self.strategies:
                raise ValidationError(
                    f"Must be a number >= 0 or one of {self.strategies} "
                    f"(got {value!r})",
                    attr=self.name,
                    obj=instance,
                )
        else:
            if is_array_like(value) and np.shape(value) == ():
                value = np.asarray(value).item()
            if not is_number(value) or isinstance(value, bool):
                raise ValidationError(
                    f"Must be a number >= 0 or one of {self.strategies} "
                    f"(got {value!r})",
                    attr=self.name,
                    obj=instance,
                )
            if not np.isfinite(value) or value < 0:
                raise ValidationError(
                    f"Value must be finite and greater than or equal to 0 "
                    f"(got {value!r})",
                    attr=self.name,
                    obj=instance,
                )
            value = float(value)
        return super().coerce(instance, value)


class ThetaInitParam(Parameter):
    """
    The starting value of the BCM threshold theta, in Hz.

    One of ``None`` (start at 0, as `nengo.BCM`), a number >= 0 (every post
    neuron), a 1-D sequence of numbers >= 0 (one per post neuron; stored as a
    tuple so that the rule stays hashable and its repr evaluates), or a named
    strategy: ``"rates"`` (each post neuron's mean rate over its ensemble's
    evaluation points) or ``"max_rates"`` (each post neuron's rate at the
    edge of its ensemble's radius along its encoder).
    """

    equatable = True
    strategies = ("rates", "max_rates")

    def coerce(self, instance, value):
        if value is None:
            pass
        elif isinstance(value, str):
            if value not in self.strategies:
                raise ValidationError(
                    f"Must be None, a number >= 0, an array of numbers >= 0, or one "
                    f"of {self.strategies} (got {value!r})",
                    attr=self.name,
                    obj=instance,
                )
        else:
            arr = np.asarray(value)
            if arr.dtype.kind not in "iuf" or arr.ndim > 1 or arr.size == 0:
                raise ValidationError(
                    "Must be None, a number >= 0, a 1-D array of numbers >= 0, or one "
                    f"of {self.strategies} (got {value!r})",
                    attr=self.name,
                    obj=instance,
                )
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValidationError(
                    "Values must be finite and greater than or equal to 0 "
                    f"(got {value!r})",
                    attr=self.name,
                    obj=instance,
                )
            value = float(arr) if arr.ndim == 0 else tuple(float(v) for v in arr)
        return super().coerce(instance, value)


class HPES(LearningRuleType):
    r"""
    Homeostatic Prescribed Error Sensitivity (hPES) learning rule.

    Combines supervised PES and unsupervised BCM in one update of a full
    ``post.n_neurons x pre.n_neurons`` weight matrix (Bekolay, Kolbeck &
    Eliasmith, 2013). Per time step, for post neuron :math:`j` and pre neuron
    :math:`i`:

    .. math::

       \Delta \omega_{ji} = a_i \left[
           -\frac{\kappa \, dt \, S}{n_{pre}} \, \epsilon_j
           + \kappa \, dt \, (1 - S) \, \beta_j \, \alpha_j \,
             a_j (a_j - \theta_j) \right]

    where

    * :math:`\kappa` is ``learning_rate`` and :math:`S` is ``supervision_ratio``;
    * :math:`a_i` is the pre activity filtered by ``pre_synapse``, in Hz;
    * :math:`a_j` is the post activity filtered by ``post_synapse``, in Hz;
    * :math:`\theta_j` is the modification threshold, in Hz, started at
      ``theta_init``: with ``unsupervised_scale="auto"`` (the default)
      :math:`\theta_j = \langle a_j^2 \rangle / \max(\langle a_j \rangle,
      10^{-3})`, both averages being ``theta_synapse`` filters of :math:`a_j`
      (the floor is ``nengo_hpes.builder.THETA_FLOOR``); with a number,
      nengo.BCM's :math:`\theta_j`, the post spikes filtered by
      ``theta_synapse`` (see below why);
    * :math:`\epsilon_j = (\alpha_j / r) \, e_j \cdot E` is the local error:
      the error :math:`E` connected to the rule, projected onto post neuron
      :math:`j`'s encoder :math:`e_j` and scaled by its gain :math:`\alpha_j`
      over the post radius :math:`r`, exactly as in `nengo.PES`;
    * :math:`\beta_j` is ``unsupervised_scale`` (a number, the same for all
      post neurons, or ``"auto"``: see below);
    * :math:`n_{pre}` is the number of pre neurons.

    Conventions, and why:

    * **Error sign**: :math:`E = \text{actual} - \text{target}` and the
      supervised term is negative, as in `nengo.PES` (the 2013 paper wrote
      target - actual with a plus sign; the update is the same).
    * **1/n_pre on the supervised term** and the scaled encoders make
      ``supervision_ratio=1`` exactly `nengo.PES` with the same learning rate.
    * **No 1/n on the BCM term** and, with a numeric ``unsupervised_scale``,
      :math:`\theta` filtered from the raw post spikes, make
      ``supervision_ratio=0, unsupervised_scale=1`` exactly `nengo.BCM` when
      the post gains are 1 (the paper's BCM term carries the gain
      :math:`\alpha_j`, so general gains differ by that factor) and
      ``theta_init=None``.
    * ``unsupervised_scale="auto"`` (the default) sets, per connection at build
      time, :math:`\beta_j = 1 / (n_{pre} \hat{r}_j^2)` with :math:`\hat{r}_j`
      post neuron :math:`j`'s maximum firing rate (its rate at the radius along
      its encoder). The bracket then reads
      :math:`(\alpha_j / n_{pre}) [-S \, e_j \cdot E / r + (1 - S)
      (a_j / \hat{r}_j) ((a_j - \theta_j) / \hat{r}_j)]`: both terms are
      dimensionless and of order one whatever the firing rates and ensemble
      sizes, so the same ``supervision_ratio`` means the same balance on a
      50 Hz channel and on a 400 Hz classifier. ``"auto"`` also makes the
      threshold :math:`\theta_j = \langle a_j^2 \rangle / \langle a_j
      \rangle`, which makes the mean of :math:`a_j (a_j - \theta_j)` zero at
      steady state: with spiking neurons and nengo.BCM's threshold (a slow
      average of the same activity), that mean is the variance of the filtered
      spike train, positive for every active neuron, so the term pushes every
      active weight up, whatever its scale. Both need non-negative, bounded
      rates: with ``supervision_ratio < 1``, ``"auto"`` refuses (``BuildError``)
      post neurons that can be negative (``nengo.Tanh``) or have no maximum
      rate (``nengo.RectifiedLinear``). A raw number :math:`\beta` is used
      as is (:math:`\beta_j = \beta`) with nengo.BCM's threshold, which keeps
      the literal formula of the paper and the exact `nengo.BCM` reduction.

    Defaults: ``supervision_ratio=0.999`` and ``learning_rate=1e-4 / 0.999``,
    so that the supervised term is exactly ``nengo.PES()``'s; theta averages
    with nengo.BCM's ``Lowpass(1.0)``, started at each post neuron's mean rate
    (``theta_init="rates"``). Why, with the measurements: ``docs/defaults.md``.
    A lower S gives the unsupervised term a larger share.

    Parameters
    ----------
    learning_rate : float, optional
        :math:`\kappa`, >= 0. With ``supervision_ratio=S`` the supervised term
        equals ``nengo.PES(learning_rate=learning_rate * S)``.
    supervision_ratio : float, optional
        :math:`S` in [0, 1]: 1 is PES, 0 is (gain-weighted) BCM.
    unsupervised_scale : float or "auto", optional
        :math:`\beta` >= 0, or ``"auto"`` (see above).
    pre_synapse : `~nengo.synapses.Synapse`, optional
        Filter of the pre activities :math:`a_i`.
    post_synapse : `~nengo.synapses.Synapse`, optional
        Filter of the post activities :math:`a_j`. ``Default`` means the same as
        ``pre_synapse`` (as in `nengo.BCM`).
    theta_synapse : `~nengo.synapses.Synapse`, optional
        The averaging filter of :math:`\theta_j`: of :math:`a_j` and
        :math:`a_j^2` with ``unsupervised_scale="auto"``, of the post spikes
        with a number.
    theta_init : None, float, array_like or str, optional
        Where :math:`\theta_j` starts, in Hz: ``None`` is 0 (as `nengo.BCM`); a
        number or an array of ``post.n_neurons`` numbers; ``"rates"`` (each post
        neuron's mean rate over its ensemble's evaluation points) or
        ``"max_rates"``. Needs a ``theta_synapse`` with state.

    Attributes
    ----------
    learning_rate : float
        :math:`\kappa`.
    supervision_ratio : float
        :math:`S`.
    unsupervised_scale : float or str
        :math:`\beta` or ``"auto"``.
    pre_synapse : `~nengo.synapses.Synapse`
        Filter of the pre activities.
    post_synapse : `~nengo.synapses.Synapse`
        Filter of the post activities.
    theta_synapse : `~nengo.synapses.Synapse`
        Filter that gives theta.
    theta_init : None, float, tuple or str
        Where theta starts.

    Notes
    -----
    The rule needs the post neurons' activities, so it only acts on full
    weight matrices: ``Ensemble -> Ensemble`` with a weight solver
    (``solver=nengo.solvers.LstsqL2(weights=True)``), ``Ensemble -> Neurons``
    and ``Neurons -> Neurons``. The error connected to ``conn.learning_rule``
    always has the post ensemble's dimensionality (``size_in="post_state"``)
    and is projected onto the post neurons' scaled encoders, exactly as with
    `nengo.PES`.

    References
    ----------
    .. [1] Bekolay, T., Kolbeck, C., & Eliasmith, C. (2013). Simultaneous
       unsupervised and supervised learning of cognitive functions in
       biologically plausible spiking neural networks. In Proceedings of the
       35th Annual Conference of the Cognitive Science Society (pp. 169-174).
    """

    modifies = "weights"
    probeable = ("error", "pre_filtered", "post_filtered", "theta", "delta")

    # learning_rate * supervision_ratio = 1e-4, nengo.PES's default rate
    learning_rate = FiniteNumberParam(
        "learning_rate", low=0, readonly=True, default=1e-4 / 0.999
    )
    supervision_ratio = FiniteNumberParam(
        "supervision_ratio", low=0, high=1, readonly=True, default=0.999
    )
    unsupervised_scale = UnsupervisedScaleParam(
        "unsupervised_scale", default="auto", readonly=True
    )
    pre_synapse = SynapseParam("pre_synapse", default=Lowpass(tau=0.005), readonly=True)
    post_synapse = SynapseParam("post_synapse", default=None, readonly=True)
    theta_synapse = SynapseParam(
        "theta_synapse", default=Lowpass(tau=1.0), readonly=True
    )
    theta_init = ThetaInitParam(
        "theta_init", default="rates", optional=True, readonly=True
    )

    def __init__(
        self,
        learning_rate=Default,
        supervision_ratio=Default,
        unsupervised_scale=Default,
        pre_synapse=Default,
        post_synapse=Default,
        theta_synapse=Default,
        theta_init=Default,
    ):
        super().__init__(learning_rate, size_in="post_state")
        self.supervision_ratio = supervision_ratio
        self.unsupervised_scale = unsupervised_scale
        self.pre_synapse = pre_synapse
        self.post_synapse = (
            self.pre_synapse if post_synapse is Default else post_synapse
        )
        self.theta_synapse = theta_synapse
        self.theta_init = theta_init

        if self.theta_init is not None and self.theta_synapse is None:
            raise ValidationError(
                "theta_init needs a theta_synapse to hold it; with "
                "theta_synapse=None theta is the raw post activity, so use "
                f"theta_init=None (got theta_init={self.theta_init!r})",
                attr="theta_init",
                obj=self,
            )
        if self.theta_init is not None and stateless(self.theta_synapse):
            raise ValidationError(
                f"theta_init needs a theta_synapse with state; {self.theta_synapse} "
                "has none (it passes the post activity through), so use "
                "theta_init=None, or a synapse with a time constant > 0 such as "
                f"Lowpass(1.0) (got theta_init={self.theta_init!r})",
                attr="theta_init",
                obj=self,
            )

        supervised_rate = self.learning_rate * self.supervision_ratio
        if supervised_rate >= 1.0:
            warnings.warn(
                "This learning rate is very high, and can result in floating point "
                "errors from too much current (learning_rate * supervision_ratio = "
                f"{supervised_rate:g}, as nengo.PES warns for learning_rate >= 1).",
                stacklevel=2,
            )

    @property
    def _argreprs(self):
        # post_synapse is shown only when it differs from pre_synapse (its
        # Default); nengo.BCM also hides post_synapse=None, which then
        # evaluates back to pre_synapse, so compare with pre_synapse instead
        argreprs = [a for a in super()._argreprs if not a.startswith("post_synapse=")]
        if self.post_synapse != self.pre_synapse:
            argreprs.append(f"post_synapse={self.post_synapse!r}")
        return argreprs
