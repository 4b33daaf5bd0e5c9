"""Tests of the soft-LIF rate curves and the NengoDL helpers."""

import subprocess
import sys

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments import softlif
from nengo_hpes.experiments.softlif import (
    ModelSpec,
    Result,
    lif_rate,
    lif_rate_derivative,
    results_table,
    softplus,
    spiking_accuracy,
    summary_table,
)

J = np.linspace(-1, 4, 2001)


@pytest.mark.parametrize("tau_rc, tau_ref", [(0.02, 0.002), (0.005, 0.010)])
def test_hard_rate_matches_nengo_lifrate(tau_rc, tau_ref):
    neuron = nengo.LIFRate(tau_rc=tau_rc, tau_ref=tau_ref)
    expected = neuron.rates(J, gain=np.ones(1), bias=np.zeros(1))[:, 0]
    assert np.allclose(lif_rate(J, tau_rc, tau_ref), expected)


@pytest.mark.parametrize("tau_rc, tau_ref", [(0.02, 0.002), (0.005, 0.010)])
def test_soft_rate_tends_to_hard_as_sigma_goes_to_zero(tau_rc, tau_ref):
    hard = lif_rate(J, tau_rc, tau_ref)
    errors = [
        np.max(np.abs(lif_rate(J, tau_rc, tau_ref, sigma=s) - hard))
        for s in (0.1, 0.01, 1e-3, 1e-5)
    ]
    assert np.all(np.diff(errors) < 0)
    # pointwise away from the threshold (the soft curve's tail below threshold
    # falls only logarithmically, so near it convergence is slow)
    far = np.abs(J - 1) > 0.05
    soft = lif_rate(J[far], tau_rc, tau_ref, sigma=1e-5)
    assert np.allclose(soft, hard[far], rtol=1e-3, atol=0.05)


def test_soft_rate_matches_nengo_dl_softlifrate():
    nengo_dl = pytest.importorskip("nengo_dl")
    for sigma in (0.02, 0.05, 1.0):
        neuron = nengo_dl.SoftLIFRate(sigma=sigma, tau_rc=0.005, tau_ref=0.01)
        out = np.zeros_like(J)
        neuron.step(dt=0.001, J=J, output=out)
        assert np.allclose(lif_rate(J, 0.005, 0.01, sigma=sigma), out)


def test_softplus():
    x = np.array([-10.0, -1.0, 0.0, 1.0, 10.0])
    assert np.allclose(softplus(x, 0.5), 0.5 * np.log1p(np.exp(x / 0.5)))
    assert np.all(np.isfinite(softplus(1e4 * x, 1e-3)))
    assert np.allclose(softplus([-1, 2], 1e-4), [0, 2])


@pytest.mark.parametrize("sigma", [None, 0.01, 0.05, 1.0])
def test_derivative_matches_finite_difference(sigma):
    j = np.linspace(-0.5, 3, 701)
    j = j[np.abs(j - 1) > 0.02]  # the hard curve's kink
    h = 1e-6
    numeric = (lif_rate(j + h, sigma=sigma) - lif_rate(j - h, sigma=sigma)) / (2 * h)
    assert np.allclose(
        lif_rate_derivative(j, sigma=sigma), numeric, rtol=1e-4, atol=1e-3
    )


def test_hard_derivative_infinite_at_threshold_zero_below():
    d = lif_rate_derivative(np.array([0.0, 0.5, 1.0, 1 + 1e-9, 1 + 1e-6, 2.0]))
    assert np.all(d[:2] == 0)
    assert d[2] == np.inf
    assert d[3] > d[4] > d[5] > 0  # grows without bound towards threshold


@pytest.mark.parametrize("sigma", [1e-3, 0.05, 1.0])
def test_soft_derivative_finite_and_positive(sigma):
    j = np.concatenate([np.linspace(-100, 100, 20001), [1.0]])
    d = lif_rate_derivative(j, sigma=sigma)
    assert np.all(np.isfinite(d)) and np.all(d > 0)
    assert np.all(np.isfinite(lif_rate(j, sigma=sigma)))


def test_rate_curves_and_shapes():
    j = np.linspace(0, 3, 11)
    curves = softlif.rate_curves(j, [0.05, 0.2])
    assert list(curves) == ["hard", "sigma = 0.05", "sigma = 0.2"]
    for rates, slopes in curves.values():
        assert rates.shape == slopes.shape == j.shape
    assert lif_rate(np.ones((2, 3)), sigma=0.1).shape == (2, 3)
    assert lif_rate(2.0).shape == ()


def test_amplitude_scales():
    assert np.allclose(lif_rate(J, amplitude=0.01), 0.01 * lif_rate(J))
    assert np.allclose(
        lif_rate_derivative(J, sigma=0.1, amplitude=0.01),
        0.01 * lif_rate_derivative(J, sigma=0.1),
    )


@pytest.mark.parametrize(
    "kwargs, attr, text",
    [
        (dict(sigma=0), "sigma", "> 0 (got 0)"),
        (dict(sigma=-0.1), "sigma", "> 0 (got -0.1)"),
        (dict(sigma="a"), "sigma", "> 0 (got 'a')"),
        (dict(tau_rc=0), "tau_rc", "> 0 (got 0)"),
        (dict(tau_ref=-1), "tau_ref", ">= 0 (got -1)"),
        (dict(amplitude=np.nan), "amplitude", "> 0 (got nan)"),
    ],
)
def test_bad_curve_arguments(kwargs, attr, text):
    for func in (lif_rate, lif_rate_derivative):
        with pytest.raises(ValidationError, match=attr) as info:
            func(J, **kwargs)
        assert info.value.attr == attr
        assert text in str(info.value)


def test_model_spec():
    assert ModelSpec("lif", 0.05).label == "soft LIF, sigma = 0.05"
    assert ModelSpec("lif").label == "LIF, hard rate"
    assert ModelSpec("relu").label == "ReLU"
    rate, spiking = ModelSpec("relu").neuron_types(amplitude=0.01)
    assert isinstance(rate, nengo.RectifiedLinear)
    assert isinstance(spiking, nengo.SpikingRectifiedLinear)
    rate, spiking = ModelSpec("lif").neuron_types(tau_rc=0.005, tau_ref=0.01)
    assert type(rate) is nengo.LIFRate and type(spiking) is nengo.LIF
    assert spiking.tau_rc == 0.005 and spiking.tau_ref == 0.01
    with pytest.raises(ValidationError, match=r"kind: .*\('lif', 'relu'\).*'tanh'"):
        ModelSpec("tanh")
    with pytest.raises(ValidationError, match=r"sigma: .*> 0 \(got 0\)"):
        ModelSpec("lif", 0)
    with pytest.raises(ValidationError, match=r"sigma: Must be None .*0.1"):
        ModelSpec("relu", 0.1)


def test_spiking_accuracy():
    labels = np.array([0, 1, 1])
    out = np.zeros((3, 4, 2))
    out[:, :, 0] = 1.0  # class 0 throughout ...
    out[1:, 3, 1] = 100.0  # ... but a big class-1 spike at the last step
    acc = spiking_accuracy(out, labels, steps=[3, 4], synapses=[None, 0.01])
    assert acc[(3, None)] == pytest.approx(1 / 3)
    assert acc[(4, None)] == 1.0
    assert acc[(4, 0.01)] == 1.0  # filtered: 100 * 0.095 > 1 * (1 - 0.9^4)
    assert acc[(3, 0.01)] == pytest.approx(1 / 3)
    with pytest.raises(ValidationError, match=r"steps: Must be <= n_steps = 4 \(got 5"):
        spiking_accuracy(out, labels, steps=[5], synapses=[None])
    with pytest.raises(ValidationError, match=r"outputs: .*\(got \(3, 4\)\)"):
        spiking_accuracy(out[:, :, 0], labels, steps=[1], synapses=[None])
    with pytest.raises(ValidationError, match=r"synapses: .*> 0 \(got -0.1\)"):
        spiking_accuracy(out, labels, steps=[1], synapses=[-0.1])


def test_tables():
    res = Result(
        ModelSpec("lif", 0.05),
        0.9,
        {(10, None): 0.3, (10, 0.01): 0.8, (30, None): 0.4, (30, 0.01): 0.85},
        1.0,
        50.0,
    )
    rows = results_table([res])
    assert [r["output synapse"] for r in rows] == ["none", "10 ms"]
    assert rows[1]["spiking, 30 steps (30 ms)"] == "0.8500"
    (row,) = summary_table([res])
    assert row["spiking acc. (30 steps, 10 ms)"] == "0.8500"
    assert row["loss from spikes"] == "+0.0500"
    with pytest.raises(ValidationError, match="results"):
        results_table([])
    with pytest.raises(ValidationError, match=r"n_steps: .*\(got \(99, 0.01\)\)"):
        summary_table([res], n_steps=99)


def test_import_is_tensorflow_free():
    code = (
        "import sys, nengo_hpes, nengo_hpes.experiments.softlif; "
        "assert 'tensorflow' not in sys.modules; "
        "assert 'nengo_dl' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_train_and_evaluate_small():
    pytest.importorskip("nengo_dl")
    rng = np.random.RandomState(0)
    protos = rng.rand(3, 20) > 0.5
    y = rng.randint(3, size=60)
    x = np.clip(protos[y] + 0.2 * rng.randn(60, 20), 0, 1).astype(np.float32)
    data = ((x[:40], y[:40]), (x[40:], y[40:]))
    res = softlif.train_and_evaluate(
        ModelSpec("lif", 0.05),
        data,
        hidden=(16,),
        # 5 epochs left it at chance's edge (0.3-0.55 from run to run: TensorFlow's
        # CPU training is not bit-reproducible); 30 reach 1.0 in every run seen
        epochs=30,
        steps=(5, 20),
        synapses=(None, 0.005),
        minibatch_size=20,
        learning_rate=0.01,
    )
    assert set(res.spiking) == {(5, None), (20, None), (5, 0.005), (20, 0.005)}
    assert 0 <= res.rate_accuracy <= 1 and res.train_seconds > 0
    assert res.rate_accuracy > 0.9  # an easy task
    assert res.mean_rate > 0
    with pytest.raises(
        ValidationError, match=r"n_train: .*minibatch_size = 15 \(got 40\)"
    ):
        softlif.train_and_evaluate(ModelSpec("relu"), data, minibatch_size=15)


def test_derivative_table():
    rows = softlif.derivative_table([0.5, 1.0, 2.0], [0.05])
    assert [r["current j"] for r in rows] == ["0.5", "1", "2"]
    assert rows[0]["hard: slope"] == "0" and rows[1]["hard: slope"] == "inf"
    assert float(rows[1]["sigma = 0.05: slope"]) > 0


def test_describe():
    assert ModelSpec("lif", 0.05).describe() == (
        "trained as SoftLIFRate(sigma=0.05), run as LIF"
    )
    assert "SpikingRectifiedLinear" in ModelSpec("relu").describe()


def test_build_network_bad_arguments():
    pytest.importorskip("nengo_dl")
    with pytest.raises(ValidationError, match=r"hidden: Must have at least one"):
        softlif.build_network(nengo.LIF(), hidden=())
    with pytest.raises(ValidationError, match=r"hidden: Must be an integer >= 1"):
        softlif.build_network(nengo.LIF(), hidden=(0,))
    with pytest.raises(ValidationError, match=r"max_rate: .*> 0 \(got -5\)"):
        softlif.build_network(nengo.LIF(), max_rate=-5)
    net = softlif.build_network(nengo.LIF(), hidden=(8, 4), n_inputs=5)
    assert net.inp.size_out == 5 and net.out_p.size_in == 10
    assert [e.n_neurons for e in net.all_ensembles] == [8, 4]
