"""
How strongly an inhibitory gate must drive a LIF population to silence it.

The conditioning network (`nengo_hpes.experiments.conditioning`) switches
learning off by inhibiting its error population; `gate_requirement` derives
from the population's LIF tuning (gains and biases) the smallest gate that
silences it for every input up to a norm, and `gated_max_rates` the highest
rates left under a given gate.
"""

import dataclasses

import numpy as np

from nengo_hpes.experiments.validation import check_number, require


@dataclasses.dataclass
class GateRequirement:
    """
    How strongly an inhibitory gate must drive a LIF population to silence it.

    Attributes
    ----------
    transform : float
        The smallest ``g`` for which ``Connection(gate, ens.neurons,
        transform=-g * ones)`` silences every neuron (nengo multiplies a
        connection into ``ens.neurons`` by each neuron's gain).
    current : float
        The most by which any neuron's input current exceeds the LIF
        threshold (1) at the given input norm,
        ``max_j (gain_j * max_input + bias_j) - 1``: the inhibitory current
        that a gate giving every neuron the same current (bypassing the
        gains) would have to exceed.
    neuron : int
        The neuron that sets ``transform`` (lowest intercept).
    max_input : float
        The input norm, in radii, that the gate must overcome.
    """

    transform: float
    current: float
    neuron: int
    max_input: float


def _gain_bias(gain, bias):
    gain = np.asarray(gain, dtype=float)
    bias = np.asarray(bias, dtype=float)
    require(
        "gain",
        gain.ndim == 1 and gain.size > 0 and np.all(np.isfinite(gain) & (gain > 0)),
        "a non-empty 1-D array of finite numbers > 0",
        gain,
    )
    require(
        "bias",
        bias.shape == gain.shape and np.all(np.isfinite(bias)),
        f"a finite array of the same shape as gain {gain.shape}",
        bias,
    )
    return gain, bias


def gate_requirement(gain, bias, max_input=1.0):
    r"""
    The inhibition that silences a LIF population for every input up to a norm.

    A LIF neuron fires only when its input current exceeds 1. Neuron :math:`j`
    with gain :math:`\alpha_j`, bias :math:`b_j` and (unit) encoder
    :math:`e_j`, representing :math:`x`, and inhibited by a connection
    ``transform=-g`` into ``ens.neurons`` (which nengo scales by the gain),
    receives

    .. math:: J_j = \alpha_j (e_j \cdot x / r - g) + b_j .

    With :math:`|x| / r \le m` the largest value is
    :math:`\alpha_j (m - g) + b_j`, so every neuron is silent for every such
    input if and only if

    .. math:: g > \max_j \left( m - c_j \right),
              \qquad c_j = \frac{1 - b_j}{\alpha_j},

    where :math:`c_j` is neuron :math:`j`'s intercept. As a current the
    same condition reads :math:`g \alpha_j > \alpha_j m + b_j - 1` for every
    :math:`j`; at :math:`m = 1` the largest right-hand side is
    :math:`\max_j (\alpha_j + b_j - 1)`.

    Parameters
    ----------
    gain, bias : array_like
        The population's gains (> 0) and biases, e.g.
        ``sim.data[ens].gain`` and ``sim.data[ens].bias``.
    max_input : float, optional
        Largest input norm to overcome, in units of the radius (>= 0).

    Returns
    -------
    GateRequirement
    """
    gain, bias = _gain_bias(gain, bias)
    check_number("max_input", max_input, low=0)
    intercepts = (1.0 - bias) / gain
    neuron = int(np.argmin(intercepts))
    return GateRequirement(
        transform=float(max_input - intercepts[neuron]),
        current=float(np.max(gain * max_input + bias) - 1.0),
        neuron=neuron,
        max_input=float(max_input),
    )


def gated_max_rates(neuron_type, gain, bias, gate_strength, max_input=1.0):
    """
    Each neuron's highest firing rate under a gate, over inputs up to a norm.

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        The population's neuron type (e.g. ``nengo.LIF()``).
    gain, bias : array_like
        The population's gains (> 0) and biases.
    gate_strength : float or array_like
        Gate transform(s) ``g`` (>= 0), as in `gate_requirement`.
    max_input : float, optional
        Largest input norm, in units of the radius (>= 0).

    Returns
    -------
    ndarray
        Rates in Hz, shape ``(len(gate_strength), n_neurons)`` (or
        ``(n_neurons,)`` for a scalar ``gate_strength``).
    """
    gain, bias = _gain_bias(gain, bias)
    check_number("max_input", max_input, low=0)
    g = np.asarray(gate_strength, dtype=float)
    require(
        "gate_strength",
        g.ndim <= 1 and np.all(np.isfinite(g) & (g >= 0)),
        "a number >= 0 or a 1-D array of them",
        gate_strength,
    )
    x = np.broadcast_to((max_input - np.atleast_1d(g))[:, None], (g.size, gain.size))
    rates = neuron_type.rates(x, gain, bias)
    return rates[0] if g.ndim == 0 else rates
