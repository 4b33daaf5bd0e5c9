"""The reference operators on their own: signals, strings, arithmetic, dtypes."""

import nengo
import numpy as np
import pytest
from nengo.builder.signal import Signal, SignalDict
from nengo.exceptions import BuildError

from nengo_hpes import HPES
from nengo_hpes.builder import THETA_FLOOR, RankOneInc, SimHPES

SIGNALS = (
    "pre_filtered",
    "post_filtered",
    "theta_num",
    "theta_den",
    "local_error",
    "delta",
    "post_factor",
    "pre_factor",
    "theta",
)


def make_signals(rng, n_pre=4, n_post=3):
    return dict(
        pre_filtered=Signal(rng.uniform(0, 100, n_pre), name="pre"),
        post_filtered=Signal(rng.uniform(0, 100, n_post), name="post"),
        theta_num=Signal(rng.uniform(0, 1e4, n_post), name="num"),
        theta_den=Signal(rng.uniform(1, 100, n_post), name="den"),
        local_error=Signal(rng.uniform(-1, 1, n_post), name="err"),
        delta=Signal(np.zeros((n_post, n_pre)), name="delta"),
        post_factor=Signal(np.zeros(n_post), name="v"),
        pre_factor=Signal(np.zeros(n_pre), name="a"),
        theta=Signal(np.zeros(n_post), name="theta"),
    )


def test_simhpes_signal_lists_and_attributes(rng):
    sig = make_signals(rng)
    op = SimHPES(
        **sig,
        learning_rate=1e-3,
        supervision_ratio=0.4,
        unsupervised_scale=2.0,
        gain=[1.0, 2.0, 3.0],
    )
    assert op.sets == [] and op.incs == []
    assert op.reads == [
        sig[k]
        for k in ("pre_filtered", "post_filtered", "local_error", "theta_num")
        + ("theta_den",)
    ]
    assert op.updates == [
        sig[k] for k in ("delta", "post_factor", "pre_factor", "theta")
    ]
    for name in SIGNALS:
        assert getattr(op, name) is sig[name], name
    assert op.learning_rate == 1e-3 and op.supervision_ratio == 0.4
    assert np.array_equal(op.unsupervised_scale, [2.0, 2.0, 2.0])
    assert np.array_equal(op.gain, [1.0, 2.0, 3.0])
    assert (
        str(op) == "SimHPES{pre=Signal(name=pre, shape=(4,)), "
        "post=Signal(name=post, shape=(3,)) -> factors}"
    )


@pytest.mark.parametrize("need_delta", [True, False])
def test_simhpes_step_matches_formula(rng, need_delta):
    """One step against the formula, written out in NumPy; theta floored."""
    kappa, s, dt = 2e-3, 0.3, 0.001
    beta = np.array([1e-6, 2e-6, 0.0])
    gain = np.array([3.0, 1.0, 7.0])
    sig = make_signals(rng)
    sig["theta_den"] = Signal(np.array([20.0, 0.0, 5e-4]), name="den")
    sig["theta_num"] = Signal(np.array([900.0, 0.0, 1e-5]), name="num")
    op = SimHPES(
        **sig,
        learning_rate=kappa,
        supervision_ratio=s,
        unsupervised_scale=beta,
        gain=gain,
    )
    op.delta_needed = lambda: need_delta
    signals = SignalDict()
    for x in sig.values():
        signals.init(x)
    step = op.make_step(signals, dt, rng)
    step()

    assert THETA_FLOOR == 1e-3
    theta = np.array([45.0, 0.0, 1e-5 / 1e-3])
    assert np.allclose(signals[sig["theta"]], theta, rtol=1e-15, atol=0)
    pre = sig["pre_filtered"].initial_value
    post = sig["post_filtered"].initial_value
    err = sig["local_error"].initial_value
    v = -kappa * dt * s / 4 * err + kappa * dt * (1 - s) * beta * gain * post * (
        post - theta
    )
    assert np.allclose(signals[sig["post_factor"]], v, rtol=1e-13, atol=0)
    assert np.array_equal(signals[sig["pre_factor"]], pre)
    expected_delta = np.outer(v, pre) if need_delta else np.zeros((3, 4))
    assert np.allclose(signals[sig["delta"]], expected_delta, rtol=1e-13, atol=0)


def test_rankoneinc(rng):
    x = Signal(rng.uniform(size=3), name="x")
    y = Signal(rng.uniform(size=4), name="y")
    a = Signal(rng.uniform(size=(3, 4)), name="a")
    op = RankOneInc(x, y, a)
    assert op.sets == [] and op.updates == [] and op.incs == [a] and op.reads == [x, y]
    assert str(op) == (
        "RankOneInc{Signal(name=a, shape=(3, 4)) += outer(Signal(name=x, shape=(3,)), "
        "Signal(name=y, shape=(4,)))}"
    )
    signals = SignalDict()
    for s in (x, y, a):
        signals.init(s)
    op.make_step(signals, 0.001, rng)()
    expected = a.initial_value + np.outer(x.initial_value, y.initial_value)
    assert np.allclose(signals[a], expected, rtol=0, atol=1e-15)
    with pytest.raises(BuildError, match=r"target shape \(3, 4\) != \(4, 3\)"):
        RankOneInc(y, x, a)


def test_float32_simulation(seed):
    """With nengo's 32-bit precision, the weights stay float32 and match PES."""
    weights = []
    with nengo.rc.context() if hasattr(nengo.rc, "context") else _rc32():
        nengo.rc["precision"]["bits"] = "32"
        for rule in (nengo.PES(3e-4), HPES(3e-4, supervision_ratio=1.0)):
            with nengo.Network(seed=seed) as net:
                stim = nengo.Node(lambda t: np.sin(8 * t))
                a = nengo.Ensemble(40, 1)
                b = nengo.Ensemble(50, 1)
                nengo.Connection(stim, a)
                conn = nengo.Connection(
                    a,
                    b,
                    solver=nengo.solvers.LstsqL2(weights=True),
                    learning_rule_type=rule,
                )
                nengo.Connection(stim, conn.learning_rule)
                p = nengo.Probe(conn, "weights")
            with nengo.Simulator(net) as sim:
                assert sim.signals[sim.model.sig[conn]["weights"]].dtype == np.float32
                sim.run_steps(100)
            weights.append(sim.data[p])
    assert weights[1].dtype == np.float32
    assert np.allclose(weights[1], weights[0], rtol=1e-5, atol=1e-7)
    assert not np.allclose(weights[0][-1], weights[0][0], atol=1e-5)


class _rc32:
    """Restore nengo.rc's precision after the test (nengo.rc has no context)."""

    def __enter__(self):
        self.bits = nengo.rc["precision"]["bits"]

    def __exit__(self, *exc):
        nengo.rc["precision"]["bits"] = self.bits
