r"""
The 2013 paper's hPES (Nengo 1.4) expressed with `nengo_hpes.HPES`.

Nengo 1.4 (``hPESTermination.java``), per 1 ms step, post neuron j, pre i:

.. code-block:: text

   a        = exponentially filtered spikes, a spike adding 0.001 (about Hz * 1e-6)
   sup_ji   = kappa * alpha_j * (e_j . E) * a_i    (unit e_j; E = target - actual)
   unsup_ji = kappa * 20000 * alpha_j * a_i * a_j * (a_j - theta_j)
   dw_ji    = S * sup_ji + (1 - S) * unsup_ji
   theta_j <- exp(-0.001/20) theta_j + (1 - exp(-0.001/20)) a_j,
   theta_j(0) = U(5e-5, 1.5e-4) * alpha_j

On a ``pre.neurons -> post.neurons`` connection (whose weights nengo multiplies
by the post gains, as Nengo 1.4's neurons multiply their input currents by
their gain) `nengo_hpes.HPES` computes the same change per step with
``learning_rate = kappa * n_pre * radius * 1e-3`` (`convert_learning_rate`),
``unsupervised_scale = 2e-8 / (n_pre * radius)`` (`paper_unsupervised_scale`),
``theta_synapse = Lowpass(20)`` and ``theta_init`` one value per post neuron,
U(50, 150) Hz times its gain (`paper_theta_init`); see ``docs/paper-2013.md``
(section 1.4) and the test ``tests/experiments/test_paper2013_rule.py``,
which checks the change against a transcription of the Java code.
"""

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_hpes.experiments import validation
from nengo_hpes.learning_rules import HPES

#: Nengo 1.4's hPES ``SCALING_FACTOR`` of the BCM term.
SCALING_FACTOR = 20000.0
#: Nengo 1.4's filtered activity per Hz of Nengo 4's (a spike adds 0.001
#: where Nengo 4 adds 1 / dt = 1000, both then low-passed the same way).
ACTIVITY_UNIT = 1e-6
#: Nengo 1.4's theta time constant (``THETA_TAU``), in seconds.
THETA_TAU = 20.0
#: Synapse of the learned termination and of the rule's activity filters (s).
PSC_TAU = 0.005
#: Range of the random initial weights of a learned termination.
WEIGHT_RANGE = 1e-3
#: theta(0) / gain, in Hz: ``hPESTermination`` (hPES) and ``BCMTermination``.
THETA_RANGE_HPES = (50.0, 150.0)
THETA_RANGE_BCM = (10.0, 20.0)
#: Nengo 1.4 ``nef.Network.make`` defaults: max rates and intercepts.
MAX_RATES = (200.0, 400.0)
INTERCEPTS = (-1.0, 1.0)


def check_number(name, value, low=None, high=None, low_open=False, integer=False):
    """
    ``value`` as a float (an int with ``integer``), if in range, else raise.

    The paper modules' shorthand for `nengo_hpes.experiments.validation`'s
    `.validation.check_number` and `.validation.check_int`.
    """
    if integer:
        return validation.check_int(name, value, low=low, high=high)
    return validation.check_number(name, value, low=low, high=high, low_open=low_open)


def _check_range(name, value):
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        low = high = None
    if low is None or not (np.isfinite(low) and np.isfinite(high) and 0 <= low <= high):
        raise ValidationError(
            f"Must be a pair (low, high) with 0 <= low <= high (got {value!r})",
            attr=name,
        )
    return low, high


def convert_learning_rate(kappa_14, n_pre, post_radius=1.0):
    r"""
    `.HPES` ``learning_rate`` equal to a Nengo 1.4 hPES/PES learning rate.

    :math:`\kappa_4 = \kappa_{1.4} \, n_{pre} \, r \, 10^{-3}`: Nengo 4's rule
    divides the supervised term by :math:`n_{pre}`, uses the post encoders
    over the radius :math:`r` (Nengo 1.4 used unit encoders), multiplies by
    :math:`dt` and takes activities in Hz (Nengo 1.4: about Hz * 1e-6, one
    step of 1 ms). Exact per step at dt = 1 ms; the same change per second at
    any dt.

    Parameters
    ----------
    kappa_14 : float
        Nengo 1.4 learning rate, >= 0.
    n_pre : int
        Number of pre neurons, >= 1.
    post_radius : float, optional
        Radius of the post ensemble, > 0.
    """
    kappa_14 = check_number("kappa_14", kappa_14, low=0)
    n_pre = check_number("n_pre", n_pre, low=1, integer=True)
    post_radius = check_number("post_radius", post_radius, low=0, low_open=True)
    return kappa_14 * n_pre * post_radius * 1e-3


def paper_unsupervised_scale(n_pre, post_radius=1.0):
    r"""
    The numeric `.HPES` ``unsupervised_scale`` of Nengo 1.4's BCM term.

    :math:`\beta = 2 \times 10^{-8} / (n_{pre} \, r)`: with
    `convert_learning_rate`, :math:`\kappa_4 \, dt \, \beta \, a^3` (a in Hz)
    equals :math:`\kappa_{1.4} \cdot 20000 \cdot (10^{-6} a)^3` per 1 ms step.
    """
    n_pre = check_number("n_pre", n_pre, low=1, integer=True)
    post_radius = check_number("post_radius", post_radius, low=0, low_open=True)
    return SCALING_FACTOR * ACTIVITY_UNIT**2 / (n_pre * post_radius)


def paper_theta_init(gains, rng, theta_range=THETA_RANGE_HPES):
    """
    Nengo 1.4's initial theta, in Hz: U(low, high) times each post gain.

    ``theta_range`` is `THETA_RANGE_HPES` ((50, 150) Hz, ``hPESTermination``)
    or ``THETA_RANGE_BCM`` ((10, 20) Hz, ``BCMTermination``).
    """
    gains = np.asarray(gains, dtype=np.float64)
    if gains.ndim != 1 or gains.size == 0 or not np.all(np.isfinite(gains)):
        raise ValidationError(
            f"Must be a non-empty 1-D array of finite gains (got {gains!r})",
            attr="gains",
        )
    if np.any(gains < 0):
        raise ValidationError(
            f"Must be gains >= 0 (got minimum {gains.min()!r})", attr="gains"
        )
    low, high = _check_range("theta_range", theta_range)
    return rng.uniform(low, high, size=gains.size) * gains


def paper_neuron_params(n_neurons, rng, neuron_type=None):
    """
    Nengo 1.4 default LIF parameters: max rates, intercepts, gains, biases.

    Max rates U(200, 400) Hz and intercepts U(-1, 1) (Nengo 4's default
    intercepts are U(-1, 0.9)); gains and biases from ``neuron_type``
    (default `nengo.LIF`, whose formula is Nengo 1.4's). Give the max rates
    and intercepts to the ensemble so that its gains are the returned ones.
    """
    n_neurons = check_number("n_neurons", n_neurons, low=1, integer=True)
    neuron_type = nengo.LIF() if neuron_type is None else neuron_type
    max_rates = rng.uniform(*MAX_RATES, size=n_neurons)
    intercepts = rng.uniform(*INTERCEPTS, size=n_neurons)
    gains, biases = neuron_type.gain_bias(max_rates, intercepts)
    return max_rates, intercepts, gains, biases


def paper_hpes(
    kappa_14,
    supervision_ratio,
    n_pre,
    post_gains,
    rng,
    post_radius=1.0,
    theta_range=THETA_RANGE_HPES,
):
    """
    The paper's Nengo 1.4 hPES as an `.HPES` rule ("paper mode").

    Parameters
    ----------
    kappa_14 : float
        Nengo 1.4 learning rate (e.g. 3.51890953839e-3), >= 0.
    supervision_ratio : float
        S in [0, 1] (1 is Nengo 1.4's PES).
    n_pre : int
        Number of pre neurons of the learned connection, >= 1.
    post_gains : (n_post,) array_like
        Gains of the post neurons (see `paper_neuron_params`).
    rng : `numpy.random.RandomState`
        Draws theta(0).
    post_radius : float, optional
        Radius of the post ensemble, > 0.
    theta_range : (float, float), optional
        theta(0) / gain range in Hz (`THETA_RANGE_HPES` or ``THETA_RANGE_BCM``).

    Returns
    -------
    rule : `.HPES`
        To be used on a ``pre.neurons -> post.neurons`` connection (see
        `learned_connection`), with the error ``post - target`` connected to
        ``conn.learning_rule`` through ``nengo.Alpha(0.005)`` (Nengo 1.4
        filtered the error twice by 5 ms).
    theta_init : (n_post,) ndarray
        theta(0) in Hz, also stored in ``rule.theta_init``.
    """
    supervision_ratio = check_number(
        "supervision_ratio", supervision_ratio, low=0, high=1
    )
    theta_init = paper_theta_init(post_gains, rng, theta_range=theta_range)
    rule = HPES(
        learning_rate=convert_learning_rate(kappa_14, n_pre, post_radius),
        supervision_ratio=supervision_ratio,
        unsupervised_scale=paper_unsupervised_scale(n_pre, post_radius),
        pre_synapse=nengo.Lowpass(PSC_TAU),
        post_synapse=nengo.Lowpass(PSC_TAU),
        theta_synapse=nengo.Lowpass(THETA_TAU),
        theta_init=theta_init,
    )
    return rule, theta_init


def random_weights(n_post, n_pre, rng, weight_range=WEIGHT_RANGE):
    """Nengo 1.4's initial learned weights: U(-weight_range, weight_range)."""
    n_post = check_number("n_post", n_post, low=1, integer=True)
    n_pre = check_number("n_pre", n_pre, low=1, integer=True)
    weight_range = check_number("weight_range", weight_range, low=0)
    return rng.uniform(-weight_range, weight_range, size=(n_post, n_pre))


def learned_connection(pre, post, rule, rng, weight_range=WEIGHT_RANGE):
    """
    The paper's learned termination: ``pre.neurons -> post.neurons``.

    Weights start at U(-weight_range, weight_range) (Nengo 1.4 units, current
    per unit gain: nengo multiplies them by the post gains), synapse 5 ms.
    Call inside a network context.
    """
    weights = random_weights(post.n_neurons, pre.n_neurons, rng, weight_range)
    return nengo.Connection(
        pre.neurons,
        post.neurons,
        transform=weights,
        synapse=nengo.Lowpass(PSC_TAU),
        learning_rule_type=rule,
    )
