"""The HBB chapter-6 demo network and its ports (experiments.hbb)."""

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes import HPES
from nengo_hpes.experiments import hbb


def test_ports():
    assert set(hbb.PORTS) >= {"pes+bcm", "pes", "hpes-auto", "hpes-literal"}
    pes, bcm = hbb.make_port("pes+bcm")
    assert isinstance(pes, nengo.PES) and isinstance(bcm, nengo.BCM)
    assert pes.learning_rate == 1e-3 and bcm.learning_rate == 1e-9
    for name in hbb.PORTS:
        rule = hbb.make_port(name)
        if isinstance(rule, HPES):
            # every HPES port has PES's supervised rate
            assert rule.learning_rate * rule.supervision_ratio == pytest.approx(1e-3)
    lit = hbb.make_port("hpes-literal")
    # the literal port's BCM rate is nengo.BCM()'s
    rate = lit.learning_rate * (1 - lit.supervision_ratio) * lit.unsupervised_scale
    assert rate == pytest.approx(1e-9)
    assert lit.theta_init is None


def test_learning_beats_no_learning():
    kw = dict(seed=3, learn_time=3.0, sim_time=4.0)
    frozen = hbb.run(None, **kw)
    assert frozen > 0.3  # a random constant against a 0.5-RMS input
    assert hbb.run("pes", **kw) < 0.6 * frozen


def test_literal_port_equals_the_pair_when_gains_are_one():
    """The docstring's claim: hpes-literal differs from PES+BCM only by the gain."""

    def weights(rule):
        net = hbb.build_network(rule, seed=5)
        post = net.conn.post_obj
        rng = np.random.RandomState(0)
        post.gain = np.ones(post.n_neurons)
        post.bias = rng.uniform(1.0, 3.0, size=post.n_neurons)
        with net:
            p = nengo.Probe(net.conn, "weights", sample_every=0.1)
        with nengo.Simulator(net, progress_bar=False) as sim:
            sim.run(0.5)
        return sim.data[p]

    pair, literal = weights("pes+bcm"), weights("hpes-literal")
    start = weights(None)
    assert np.abs(pair[-1] - start[-1]).max() > 1e-6  # it learned
    assert np.allclose(pair, literal, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "call, attr",
    [
        (lambda: hbb.make_port("hpes2"), "name"),
        (lambda: hbb.build_network("pes", seed=-1), "seed"),
        (lambda: hbb.build_network("pes", learn_time=-1.0), "learn_time"),
        (lambda: hbb.run("pes", learn_time=2.0, sim_time=2.0), "sim_time"),
    ],
)
def test_validation(call, attr):
    with pytest.raises(ValidationError, match="Must be|must be") as info:
        call()
    assert info.value.attr == attr


def test_bcm_coefficients():
    coef, gain = hbb.bcm_coefficients("hpes-literal", seed=0)
    assert coef.shape == gain.shape == (50,)
    assert np.allclose(coef, 1e-9 * gain, rtol=1e-12)
    assert gain.std() > 0  # nengo's gains spread: the point of the comparison
    with pytest.raises(ValidationError, match="Must be an HPES port"):
        hbb.bcm_coefficients("pes+bcm")
