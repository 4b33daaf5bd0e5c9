"""
The defaults do what docs/defaults.md says, in both firing-rate regimes.

With the defaults (learning_rate * supervision_ratio = nengo.PES's rate),
HPES must learn about as well as nengo.PES on a low-rate channel and on a
high-rate classifier, while its unsupervised term still changes something.
"""

import nengo
import numpy as np
import pytest

from nengo_hpes import HPES
from nengo_hpes.experiments.channel import run_channel


def test_defaults_give_pes_rate():
    rule = HPES()
    assert rule.learning_rate * rule.supervision_ratio == pytest.approx(1e-4)
    assert rule.unsupervised_scale == "auto"
    assert rule.theta_init == "rates"


def test_low_rate_channel_like_pes():
    """20-60 Hz ensembles (the BCM term is relatively strongest at low rates)."""
    rates = nengo.dists.Uniform(20, 60)
    ratios = []
    for seed in range(2):
        kw = dict(seed=seed, learn_time=10.0, test_time=5.0, max_rates=rates)
        none = run_channel(None, **kw)
        pes = run_channel(nengo.PES(1e-3), **kw)
        hpes = run_channel(HPES(1e-3 / HPES().supervision_ratio), **kw)
        # PES learned (low rates make the decoded output noisy, hence only 15 %)
        assert pes.test_rmse < 0.85 * none.test_rmse
        ratios.append(hpes.test_rmse / pes.test_rmse)
    assert np.mean(ratios) < 1.2, ratios


def classifier(rule, seed, n_train=1200, n_test=300, present=0.03):
    """
    1000 pre neurons (<= 100 Hz) -> 250 post neurons (200-400 Hz), full learned
    weights, 10 noisy prototype classes; error = output - onehot while training.

    Returns the test accuracy and the mean post firing rate over the test.
    """
    rng = np.random.RandomState(seed + 1000)
    d_in, n_classes = 20, 10
    protos = rng.randn(n_classes, d_in)
    n_total = n_train + n_test
    labels = rng.randint(n_classes, size=n_total)
    x = protos[labels] / np.linalg.norm(protos[labels], axis=1, keepdims=True)
    x = x + 0.5 * rng.randn(n_total, d_in) / np.sqrt(d_in)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    onehot = np.eye(n_classes)[labels]
    t_train = n_train * present

    def index(t):
        return min(int((t - 1e-9) / present), n_total - 1) if t > 0 else 0

    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(lambda t: x[index(t)])
        target = nengo.Node(lambda t: onehot[index(t)])
        pre = nengo.Ensemble(
            1000,
            d_in,
            max_rates=nengo.dists.Uniform(50, 100),
            intercepts=nengo.dists.Uniform(0.1, 0.9),
            radius=0.4,
        )
        post = nengo.Ensemble(250, n_classes)
        nengo.Connection(stim, pre, synapse=None)
        conn = nengo.Connection(
            pre,
            post,
            function=lambda v: np.zeros(n_classes),
            solver=nengo.solvers.LstsqL2(weights=True),
            learning_rule_type=rule,
        )
        err = nengo.Node(
            lambda t, v: v[:n_classes] - v[n_classes:] if t < t_train else 0 * v[:10],
            size_in=2 * n_classes,
        )
        nengo.Connection(post, err[:n_classes], synapse=0.005)
        nengo.Connection(target, err[n_classes:], synapse=None)
        nengo.Connection(err, conn.learning_rule)
        p_out = nengo.Probe(post, synapse=0.01)
        p_rates = nengo.Probe(post.neurons, synapse=0.005, sample_every=0.005)
    with nengo.Simulator(net) as sim:
        sim.run(n_total * present)
    steps = int(round(present / sim.dt))
    out = sim.data[p_out][: n_total * steps].reshape(n_total, steps, -1)
    pred = out[:, -20:].mean(axis=1).argmax(axis=1)
    rates = sim.data[p_rates][sim.trange(sample_every=0.005) > t_train]
    return np.mean(pred[n_train:] == labels[n_train:]), rates.mean()


def test_high_rate_classifier_like_pes():
    """
    As accurate as PES, and the BCM term does not drift the post rates. With
    nengo.BCM's threshold (the package at commit 5227e45) the S = 0.5 run here
    gave 89.7 Hz against PES's 81.3 Hz (+10 %); with <a^2>/<a> it stays within
    3 %.
    """
    k = 3e-4
    pes, pes_rate = classifier(nengo.PES(k), seed=0)
    hpes, hpes_rate = classifier(HPES(k / HPES().supervision_ratio), seed=0)
    assert pes > 0.9  # chance is 0.1
    assert hpes > pes - 0.03, (pes, hpes)
    assert abs(hpes_rate / pes_rate - 1) < 0.03, (pes_rate, hpes_rate)
    strong, strong_rate = classifier(HPES(k / 0.5, supervision_ratio=0.5), seed=0)
    assert strong > pes - 0.03, (pes, strong)
    assert abs(strong_rate / pes_rate - 1) < 0.03, (pes_rate, strong_rate)


def test_unsupervised_term_is_measurable():
    """
    At the default S the unsupervised term changes the weights (not only PES's
    part), more so at lower S, and with S = 0 it sparsifies them (weight Gini
    index rises).

    Measured (seed 1): relative weight difference from PES 1.95e-3 at the
    default S = 0.999 and 9.2e-3 at S = 0.95; HPES(S=1) differs from PES by
    rounding only (<= 1e-12, tests/test_hpes.py).
    """
    kw = dict(seed=1, learn_time=10.0, test_time=1.0)
    pes = run_channel(nengo.PES(1e-4), **kw)

    def rel_diff(rule):
        w = run_channel(rule, **kw).weights[-1]
        ref = pes.weights[-1]
        return np.linalg.norm(w - ref) / np.linalg.norm(ref)

    at_default = rel_diff(HPES())
    at_095 = rel_diff(HPES(1e-4 / 0.95, supervision_ratio=0.95))
    assert at_default > 1e-4, at_default
    assert at_095 > 2 * at_default, (at_095, at_default)
    bcm = run_channel(HPES(1e-4, supervision_ratio=0.0), **kw)
    assert bcm.gini_end > bcm.gini_start + 0.01
    assert bcm.gini_end > pes.gini_end + 0.05
