"""R0: paper-mode HPES computes Nengo 1.4's hPESTermination update, step by step."""

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.paper2013 import rule as paper

# --- an independent transcription of the Nengo 1.4 Java code (nengo/nengo-1.4,
# simulator/src/java/main/ca/nengo/model/plasticity/impl/), in its units:
# PlasticEnsembleTermination.updateRaw stores 0.001 (integrationTime) on a spike
# step; updateFiltered low-passes it with decay exp(-0.001 / tauPSC).
JAVA_SPIKE = 0.001
JAVA_DT = 0.001
JAVA_SCALING_FACTOR = 20000.0
JAVA_THETA_TAU = 20.0


def java_filter(spiked, tau):
    """PlasticEnsembleTermination.updateRaw + updateFiltered over all steps."""
    decay = np.exp(-JAVA_DT / tau)
    out = np.zeros(spiked.shape)
    a = np.zeros(spiked.shape[1])
    for k, s in enumerate(spiked):
        a = a * decay + np.where(s, JAVA_SPIKE, 0.0) * (1 - decay)
        out[k] = a
    return out


def java_delta_omega(a_pre, a_post, theta, error, encoders, gains, kappa, S):
    """hPESTermination.deltaOmega (with PESTermination.deltaOmega)."""
    # PESTermination: myScaledEncoders = diag(myGain * myLearningRate) . myEncoders
    scaled_encoders = np.diag(gains * kappa) @ encoders
    encoded_error = scaled_encoders @ error
    supervised = np.outer(encoded_error, a_pre)
    if S >= 1.0:
        return supervised
    unsupervised = np.empty_like(supervised)
    for j in range(len(a_post)):
        unsupervised[j] = (
            a_pre * a_post[j] * (a_post[j] - theta[j]) * gains[j] * kappa
        ) * JAVA_SCALING_FACTOR
    return supervised * S + unsupervised * (1 - S)


def java_theta(theta0, a_post):
    """hPESTermination.updateTransform's theta filter, after each update."""
    decay = np.exp(-JAVA_DT / JAVA_THETA_TAU)
    theta = np.array(theta0, dtype=np.float64)
    out = np.zeros(a_post.shape)
    for k, a in enumerate(a_post):
        out[k] = theta  # the value used by deltaOmega at step k
        theta = theta * decay + a * (1 - decay)
    return out


def simulate(kappa, S, seed=3, n_pre=20, n_post=15, radius=2.0, t=0.5):
    """A 2-D learned pre.neurons -> post.neurons connection in paper mode."""
    rng = np.random.RandomState(seed)
    max_rates, intercepts, gains, _ = paper.paper_neuron_params(n_post, rng)
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(nengo.processes.WhiteSignal(t, high=5, rms=0.5), size_out=2)
        pre = nengo.Ensemble(n_pre, 2)
        post = nengo.Ensemble(
            n_post, 2, radius=radius, max_rates=max_rates, intercepts=intercepts
        )
        nengo.Connection(stim, pre)
        # a strong drive so that the post neurons fire (the learned weights
        # start at +-1e-3 and give little current)
        nengo.Connection(stim, post, transform=radius)
        rule, theta0 = paper.paper_hpes(kappa, S, n_pre, gains, rng, post_radius=radius)
        conn = paper.learned_connection(pre, post, rule, rng)
        err = nengo.Node(nengo.processes.WhiteSignal(t, high=10, rms=0.3), size_out=2)
        nengo.Connection(err, conn.learning_rule, synapse=nengo.Alpha(0.005))
        probes = {
            k: nengo.Probe(conn.learning_rule, k)
            for k in ("pre_filtered", "post_filtered", "theta", "error", "delta")
        }
        probes["pre_spikes"] = nengo.Probe(pre.neurons)
        probes["post_spikes"] = nengo.Probe(post.neurons)
    with nengo.Simulator(net) as sim:
        sim.run(t)
    data = {k: sim.data[p] for k, p in probes.items()}
    built = sim.data[post]
    assert np.allclose(built.gain, gains, rtol=1e-12)
    return data, built.encoders, np.asarray(built.gain), theta0


@pytest.mark.parametrize(
    "kappa, S",
    [
        (3.51890953839e-3, 0.798037091828),  # transmission hPES optimum
        (2.37897495282e-3, 0.725195232663),  # binding hPES optimum
        (2.02742333273e-3, 1.0),  # transmission PES
        (4e-3, 0.0),  # BCM only
    ],
)
def test_delta_equals_nengo14(kappa, S):
    data, encoders, gains, theta0 = simulate(kappa, S)
    unit = 1e-6  # Nengo 1.4 activity per Hz: JAVA_SPIKE * JAVA_DT
    n_steps = len(data["delta"])
    deltas_14 = np.array(
        [
            java_delta_omega(
                data["pre_filtered"][k] * unit,
                data["post_filtered"][k] * unit,
                data["theta"][k] * unit,
                -data["error"][k],  # Nengo 1.4: E = target - actual
                encoders,
                gains,
                kappa,
                S,
            )
            for k in range(n_steps)
        ]
    )
    deltas = data["delta"]
    scale = np.max(np.abs(deltas_14))
    assert scale > 0
    assert np.max(np.abs(deltas - deltas_14)) <= 1e-12 * scale
    # both terms were active: neither is negligible against the tolerance
    if 0 < S < 1:
        sup = np.array(
            [
                java_delta_omega(
                    data["pre_filtered"][k] * unit,
                    data["post_filtered"][k] * unit,
                    data["theta"][k] * unit,
                    -data["error"][k],
                    encoders,
                    gains,
                    kappa,
                    1.0,
                )
                for k in range(n_steps)
            ]
        )
        unsup = deltas_14 - S * sup
        assert np.max(np.abs(unsup)) > 1e-6 * scale
        assert np.max(np.abs(S * sup)) > 1e-6 * scale


def test_units_theta_and_start():
    """The probed traces are Nengo 1.4's, in its units, from the same spikes."""
    data, _, gains, theta0 = simulate(2.37897495282e-3, 0.725195232663, t=1.0)
    unit = 1e-6
    # filtered activities: Nengo 1.4's filter of the same spike trains
    for name in ("pre", "post"):
        java = java_filter(data[f"{name}_spikes"] > 0, paper.PSC_TAU)
        assert np.allclose(data[f"{name}_filtered"] * unit, java, rtol=0, atol=1e-15)
        assert np.max(java) > 1e-4  # activity of at least ~100 Hz somewhere
    # theta: started at U(50, 150) Hz * gain, i.e. U(5e-5, 1.5e-4) * gain
    assert np.all(theta0 >= 50 * gains) and np.all(theta0 <= 150 * gains)
    # (the first step already decays theta0 and adds that step's spikes: at
    # most one spike, 1/dt Hz, times the filter's step 1 - exp(-dt / 20 s))
    decay = np.exp(-JAVA_DT / paper.THETA_TAU)
    one_spike = (1 / JAVA_DT) * (1 - decay)
    first = data["theta"][0] - theta0 * decay
    assert np.all(first >= -1e-9 * theta0)
    assert np.all(first <= one_spike + 1e-9 * theta0)
    # nengo filters the post spikes, Nengo 1.4 the 5 ms-filtered activity: the
    # two thresholds differ by O(5 ms / 20 s) of the change of theta
    java_t = java_theta(theta0 * unit, data["post_filtered"] * unit)
    change = np.max(np.abs(java_t[-1] - java_t[0]))
    assert change > 0
    assert np.max(np.abs(data["theta"] * unit - java_t)) < 0.05 * change


def test_conversions():
    assert paper.convert_learning_rate(2.02742333273e-3, 75) == pytest.approx(
        1.5205675e-4
    )
    assert paper.convert_learning_rate(1e-3, 1250, 2.5) == pytest.approx(3.125e-3)
    assert paper.paper_unsupervised_scale(75) == pytest.approx(2.6666667e-10)
    assert paper.paper_unsupervised_scale(1250, 2.5) == pytest.approx(6.4e-12)
    rng = np.random.RandomState(0)
    gains = np.array([1.0, 10.0, 100.0])
    theta = paper.paper_theta_init(gains, rng, paper.THETA_RANGE_BCM)
    assert np.all(theta >= 10 * gains) and np.all(theta <= 20 * gains)
    w = paper.random_weights(30, 40, rng)
    assert w.shape == (30, 40) and np.max(np.abs(w)) <= 1e-3
    assert np.max(np.abs(w)) > 0.9e-3


@pytest.mark.parametrize(
    "call, attr",
    [
        (lambda: paper.convert_learning_rate(-1e-3, 10), "kappa_14"),
        (lambda: paper.convert_learning_rate(1e-3, 0), "n_pre"),
        (lambda: paper.convert_learning_rate(1e-3, 2.5), "n_pre"),
        (lambda: paper.convert_learning_rate(1e-3, 10, 0.0), "post_radius"),
        (lambda: paper.paper_unsupervised_scale(10, -1), "post_radius"),
        (lambda: paper.paper_unsupervised_scale(True), "n_pre"),
        (
            lambda: paper.paper_hpes(1e-3, 1.5, 10, np.ones(3), np.random),
            "supervision_ratio",
        ),
        (
            lambda: paper.paper_hpes(1e-3, float("nan"), 10, np.ones(3), np.random),
            "supervision_ratio",
        ),
        (lambda: paper.paper_theta_init([1.0, -2.0], np.random), "gains"),
        (lambda: paper.paper_theta_init([], np.random), "gains"),
        (
            lambda: paper.paper_theta_init([1.0], np.random, theta_range=(5, 1)),
            "theta_range",
        ),
        (lambda: paper.random_weights(3, 3, np.random, -1.0), "weight_range"),
        (lambda: paper.paper_neuron_params(0, np.random), "n_neurons"),
    ],
)
def test_validation(call, attr):
    with pytest.raises(ValidationError, match="Must be") as info:
        call()
    assert info.value.attr == attr
    assert "got" in str(info.value)
