"""The classical-conditioning network, its measurements and the gate strength."""

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes import HPES
from nengo_hpes.experiments.conditioning import (
    ConditioningResult,
    ConditioningStimuli,
    conditioning_network,
    conditioning_table,
    run_conditioning,
)
from nengo_hpes.experiments.gate import gate_requirement, gated_max_rates
from nengo_hpes.experiments.metrics import response_correlation

# a small, fast network: 1 cycle before, 1 in and 1 after the learning window
SMALL = dict(n_per_dim=20, pre_cycles=1, learn_cycles=1, test_cycles=1)


def test_stimuli_timing():
    stim = ConditioningStimuli()
    assert stim.n_pairs == 3 and stim.cycle == 3.0
    # pair 2 occupies [1, 2): CS on (0.1, 0.5], US on (0.35, 0.5]
    assert np.array_equal(stim.cs(1.3), stim.cs_patterns[1])
    assert np.array_equal(stim.us(1.3), np.zeros(3))
    assert np.array_equal(stim.us(1.4), [0, 1, 0])
    assert np.array_equal(stim.cs(1.05), np.zeros(3))
    assert np.array_equal(stim.cs(1.7), np.zeros(3))
    # the cycle repeats
    assert np.array_equal(stim.us(7.45), stim.us(1.45))
    assert np.array_equal(stim.cs(3.2), stim.cs(0.2))
    # the node's output is a copy: changing it leaves the patterns alone
    out = stim.cs(0.2)
    out[:] = 9
    assert stim.cs_patterns.max() < 1


def test_stimuli_presentations():
    stim = ConditioningStimuli()
    shown = stim.presentations(3.0, 6.0, tail=0.2)
    assert [p for p, _, _ in shown] == [0, 1, 2]
    assert shown[0][1:] == pytest.approx((3.1, 3.7))
    assert stim.presentations(3.2, 3.9) == []  # onsets only
    assert len(stim.presentations(0, 30)) == 30


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cs_patterns": np.ones((2, 3))}, "cs_patterns: Must be a finite square"),
        ({"cs_patterns": [[np.nan]]}, "cs_patterns: Must be a finite square"),
        ({"cs_patterns": [["a"]]}, "cs_patterns: Must be a finite square"),
        ({"slot": 0}, r"slot: Must be a finite number > 0 \(got 0\)"),
        ({"cs_window": (0.5, 0.1)}, r"cs_window: Must be a pair \(start, end\)"),
        ({"us_window": (0.1, 1.5)}, r"us_window: .*<= slot \(1.0\)"),
        ({"us_window": "ab"}, "us_window: Must be a pair"),
        ({"us_amplitude": -1}, r"us_amplitude: Must be a finite number > 0 \(got -1\)"),
    ],
)
def test_stimuli_bad_arguments(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        ConditioningStimuli(**kwargs)


def _gain_bias(intercepts, gains):
    gains = np.asarray(gains, dtype=float)
    return gains, 1 - gains * np.asarray(intercepts)


def test_gate_requirement_known_values():
    gain, bias = _gain_bias([-0.5, 0.3, 0.9], [2.0, 10.0, 50.0])
    need = gate_requirement(gain, bias)
    assert need.transform == pytest.approx(1.5)  # 1 - lowest intercept
    assert need.neuron == 0
    # the largest current at the radius: gain * (1 - intercept), max over neurons
    assert need.current == pytest.approx(max(2 * 1.5, 10 * 0.7, 50 * 0.1))
    assert need.current == pytest.approx(np.max(gain + bias - 1))
    far = gate_requirement(gain, bias, max_input=2.0)
    assert far.transform == pytest.approx(2.5)
    assert far.current == pytest.approx(np.max(2 * gain + bias) - 1)


def test_gated_max_rates_switch_off_at_the_requirement():
    gain, bias = _gain_bias(np.linspace(-0.9, 0.9, 19), np.linspace(5, 40, 19))
    lif = nengo.LIF()
    for m in (1.0, 2.0):
        g = gate_requirement(gain, bias, max_input=m).transform
        above = gated_max_rates(lif, gain, bias, g * 1.001, max_input=m)
        below = gated_max_rates(lif, gain, bias, g * 0.99, max_input=m)
        assert np.all(above == 0)
        assert np.count_nonzero(below) == 1  # only the lowest-intercept neuron
    # no gate: the rate at the radius, the neurons' max rate
    rates = gated_max_rates(lif, gain, bias, [0.0, 100.0])
    assert rates.shape == (2, 19)
    assert np.allclose(rates[0], lif.rates(1.0, gain, bias)[0])
    assert np.all(rates[1] == 0)


@pytest.mark.parametrize(
    "gain, bias, kwargs, match",
    [
        ([1.0, -1.0], [0, 0], {}, "gain: Must be a non-empty 1-D array"),
        ([], [], {}, "gain: Must be a non-empty 1-D array"),
        ([1.0, 2.0], [0.0], {}, r"bias: Must be a finite array of the same shape"),
        (
            [1.0],
            [0.0],
            {"max_input": -1},
            r"max_input: Must be a finite number >= 0 \(got -1\)",
        ),
    ],
)
def test_gate_requirement_bad_arguments(gain, bias, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        gate_requirement(gain, bias, **kwargs)


def test_gated_max_rates_bad_strength():
    with pytest.raises(ValidationError, match="gate_strength: Must be a number >= 0"):
        gated_max_rates(nengo.LIF(), [1.0], [0.0], -1.0)


def test_gate_requirement_holds_in_simulation(Simulator, seed):
    """
    A gate just above the derived strength silences every neuron at the input
    that excites the most excitable one; just below, that neuron fires. This
    checks the derivation, including nengo's gain on connections into neurons.
    """
    with nengo.Network() as probe_net:
        ens = nengo.Ensemble(40, 1, seed=seed)
    with nengo.Simulator(probe_net) as sim:
        built = sim.data[ens]
    need = gate_requirement(built.gain, built.bias)
    worst = float(built.encoders[need.neuron, 0])  # +-1 in 1-D

    spikes = {}
    for factor in (1.02, 0.9):
        with nengo.Network(seed=seed) as net:
            ens = nengo.Ensemble(40, 1, seed=seed)  # the same neurons as above
            nengo.Connection(nengo.Node(worst), ens, synapse=None)
            gate = nengo.Node(1.0)
            g = factor * need.transform
            nengo.Connection(gate, ens.neurons, transform=-g * np.ones((40, 1)))
            p = nengo.Probe(ens.neurons)
        with Simulator(net) as sim:
            sim.run(0.3)
            assert np.array_equal(sim.data[ens].gain, built.gain)
        spikes[factor] = sim.data[p][sim.trange() > 0.05].sum(axis=0)
    assert np.all(spikes[1.02] == 0)
    assert spikes[0.9][need.neuron] > 0


def test_response_correlation():
    rng = np.random.RandomState(0)
    a = rng.normal(size=(200, 3))
    assert response_correlation(a, a) == pytest.approx(1.0)
    assert response_correlation(a, -a) == pytest.approx(-1.0)
    # a constant offset per dimension does not count
    assert response_correlation(a + [5, -3, 1], a) == pytest.approx(1.0)
    b = rng.normal(size=(200, 3))
    assert abs(response_correlation(a, b)) < 0.2
    assert np.isnan(response_correlation(np.ones((10, 3)), a[:10]))
    with pytest.raises(ValidationError, match="b: Must be an array of the same shape"):
        response_correlation(a, a[:10])


def _fake_result(cr_after, cr_before=None):
    """A result whose UR is a bump in the pair's dimension at every US."""
    stim = ConditioningStimuli()
    dt = 0.001
    t = np.arange(1, 9001) * dt  # 3 cycles: before, learning, after
    us = np.array([stim.us(ti) for ti in t])
    kernel = np.exp(-np.arange(200) * dt / 0.05)
    ur = np.array([np.convolve(us[:, k], kernel)[: len(t)] for k in range(3)]).T
    ur /= ur.max()
    rng = np.random.RandomState(1)
    noise = 0.01 * rng.normal(size=ur.shape)
    cr = noise + (cr_before(ur) if cr_before else 0)
    after = t > 6
    cr[after] = cr_after(ur[after]) + noise[after]
    z = np.zeros((len(t), 1))
    w = np.zeros((2, 2))
    return ConditioningResult(
        label="fake",
        t=t,
        us_stim=us,
        cs_stim=us,
        us=us,
        ur=ur,
        cs=ur,
        cr=cr,
        error=cr - ur,
        gate=z,
        error_spikes=z[:, 0],
        weights_t=np.array([0.0, 9.0]),
        gini_t=np.zeros(2),
        weights_start=w,
        weights_learn_end=w,
        weights_end=w,
        stimuli=stim,
        learn_window=(3.0, 6.0),
        gate_strength=10.0,
        gate_needed=gate_requirement([1.0], [0.0]),
        error_neuron_type=nengo.LIF(),
        error_gain=np.ones(1),
        error_bias=np.zeros(1),
        wall_time=0.0,
    )


def test_conditioned_criterion_on_known_responses():
    good = _fake_result(lambda ur: 0.8 * ur)
    assert np.all(good.correlations("after") > 0.95)
    assert np.all(np.abs(good.correlations("before")) < 0.2)
    assert np.allclose(good.amplitude_ratios("after"), 0.8, atol=0.05)
    assert np.all(good.conditioned())

    small = _fake_result(lambda ur: 0.3 * ur)  # right shape, too weak
    assert np.all(small.correlations("after") > 0.9)
    assert not np.any(small.conditioned())

    wrong = _fake_result(lambda ur: np.roll(ur, 1, axis=1))  # wrong dimension
    assert np.all(wrong.correlations("after") < 0.2)
    assert not np.any(wrong.conditioned())

    innate = _fake_result(lambda ur: ur, cr_before=lambda ur: ur)  # not learned
    assert not np.any(innate.conditioned())
    assert np.all(innate.conditioned(max_before=1.1))

    rows = good.summary()
    assert [r["pair"] for r in rows] == [1, 2, 3]
    assert set(rows[0]) == {
        "rule",
        "pair",
        "r before",
        "r after",
        "CR/UR RMS after",
        "conditioned",
    }
    table = conditioning_table({"good": [good, good], "small": [small]})
    assert [r["rule"] for r in table] == ["good", "small"]
    assert table[0]["runs"] == 2 and table[0]["pairs conditioned"] == "6/6"
    assert table[1]["pairs conditioned"] == "0/3"
    assert table[1]["CR/UR RMS after"].startswith("0.3")
    with pytest.raises(ValidationError, match="results: Must be a non-empty dict"):
        conditioning_table({})
    with pytest.raises(ValidationError, match="results: Must be at least one run"):
        conditioning_table({"x": []})
    assert good.phase_range("learning") == (3.0, 6.0)
    with pytest.raises(ValidationError, match="phase: Must be one of"):
        good.correlations("during")
    with pytest.raises(ValidationError, match="tail: Must be a finite number >= 0"):
        good.correlations("after", tail=-1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_per_dim": 0}, r"n_per_dim: Must be an integer >= 1 \(got 0\)"),
        ({"n_per_dim": 2.5}, "n_per_dim: Must be an integer >= 1"),
        ({"pre_cycles": 0}, "pre_cycles: Must be an integer >= 1"),
        ({"learn_cycles": True}, "learn_cycles: Must be an integer >= 1"),
        ({"test_cycles": -1}, "test_cycles: Must be an integer >= 1"),
        (
            {"gate_strength": -1},
            r"gate_strength: Must be a finite number >= 0 \(got -1\)",
        ),
        (
            {"gate_strength": np.inf},
            r"gate_strength: Must be a finite number >= 0 \(got inf\)",
        ),
        ({"delay_synapse": 0}, r"delay_synapse: Must be a finite number > 0 \(got 0\)"),
        (
            {"cr_error_synapse": -0.1},
            r"cr_error_synapse: Must be a finite number > 0 \(got -0.1\)",
        ),
        (
            {"weights_sample_every": 0},
            r"weights_sample_every: Must be a finite number > 0 \(got 0\)",
        ),
        ({"stimuli": "bell"}, "stimuli: Must be a ConditioningStimuli"),
    ],
)
def test_network_bad_arguments(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        conditioning_network(nengo.PES(), **kwargs)


def test_network_structure():
    net = conditioning_network(nengo.PES(), seed=0, **SMALL)
    assert net.learn_window == (3.0, 6.0) and net.duration == 9.0
    assert net.cs.dimensions == 6 and net.cs.n_neurons == 120
    assert net.cr.dimensions == 3 and net.error.n_neurons == 60
    assert net.conn.pre is net.cs and net.conn.post is net.cr
    assert net.conn.solver.weights
    with nengo.Simulator(net) as sim:
        w0 = sim.data[net.conn].weights
        gain, bias = sim.data[net.error].gain, sim.data[net.error].bias
    assert w0.shape == (60, 120) and np.all(w0 == 0)  # starts at the zero function
    # same object graph with or without a rule: same error population
    other = conditioning_network(None, seed=0, **SMALL)
    with nengo.Simulator(other) as sim:
        assert np.array_equal(sim.data[other.error].gain, gain)
        assert np.array_equal(sim.data[other.error].bias, bias)


@pytest.fixture(scope="module")
def small_runs():
    return {
        label: run_conditioning(rule, label=label, seed=1, **SMALL)
        for label, rule in [
            ("PES", nengo.PES(3e-4)),
            ("hPES", HPES(3e-4 / 0.9, supervision_ratio=0.9)),
        ]
    }


def test_gate_silences_error_and_stops_pes(small_runs):
    pes = small_runs["PES"]
    assert pes.gate_strength > pes.gate_needed.transform
    assert pes.gated_error_spikes() == 0
    t = pes.t
    outside = (t < 3.0) | (t > 6.3)  # the error probe's synapse is 10 ms
    assert np.all(np.abs(pes.error[outside]) < 1e-6)
    inside = (t > 3.2) & (t < 6.0)
    assert np.abs(pes.error[inside]).max() > 0.2  # the error is live in the window
    assert pes.error_spikes[inside].sum() > 0
    before_window = pes.weights_t < 3.0
    assert np.all(pes.gini_t[before_window] == 0)  # nothing learned before
    inside_change, after_change = pes.weight_change()
    assert inside_change > 0
    assert after_change < 1e-9 * inside_change


def test_hpes_keeps_changing_weights_after_the_window(small_runs):
    """The BCM term needs no error, so the gate does not stop it."""
    hpes = small_runs["hPES"]
    assert hpes.gated_error_spikes() == 0
    inside_change, after_change = hpes.weight_change()
    assert after_change > 1e-3 * inside_change


def test_responses_before_learning_are_flat(small_runs):
    for res in small_runs.values():
        r = res.correlations("before")
        assert r.shape == (3,) and np.all(np.abs(r) < 0.2)
        assert np.all(res.amplitude_ratios("before") < 0.2)
        assert res.weights_start.shape == (60, 120)


def test_pes_conditions_every_pair():
    """
    Four cycles of learning are enough for every CS to evoke its UR's pattern
    (full-size network; the notebook uses eight).
    """
    res = run_conditioning(
        nengo.PES(3e-4), seed=0, pre_cycles=1, learn_cycles=4, test_cycles=1
    )
    before = res.correlations("before")
    after = res.correlations("after")
    assert np.all(np.abs(before) < 0.2), before
    assert np.all(after > 0.4), after
    assert np.all(res.amplitude_ratios("after") > 0.4)
