"""The reference operators on their own: signals, strings, arithmetic, dtypes."""

import nengo
import numpy as np
import pytest
from nengo.builder.signal import Signal, SignalDict
from nengo.exceptions import BuildError

from nengo_hpes import HPES
from nengo_hpes.builder import THETA_FLOOR, RankOneInc, SimHPES


def make_signals(rng, n_pre=4, n_post=3, factors=True):
    sig = dict(
        pre_filtered=Signal(rng.uniform(0, 100, n_pre), name="pre"),
        post_filtered=Signal(rng.uniform(0, 100, n_post), name="post"),
        theta=Signal(rng.uniform(0, 100, n_post), name="theta"),
        local_error=Signal(rng.uniform(-1, 1, n_post), name="err"),
        delta=Signal(np.zeros((n_post, n_pre)), name="delta"),
    )
    if factors:
        sig["post_factor"] = Signal(np.zeros(n_post), name="v")
        sig["pre_factor"] = Signal(np.zeros(n_pre), name="a")
    return sig


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
        sig[k] for k in ("pre_filtered", "post_filtered", "local_error", "theta")
    ]
    assert op.updates == [sig["delta"], sig["post_factor"], sig["pre_factor"]]
    for name, s in sig.items():
        assert getattr(op, name) is s
    assert op.learning_rate == 1e-3 and op.supervision_ratio == 0.4
    assert np.array_equal(op.unsupervised_scale, [2.0, 2.0, 2.0])
    assert np.array_equal(op.gain, [1.0, 2.0, 3.0])
    assert (
        str(op) == "SimHPES{pre=Signal(name=pre, shape=(4,)), "
        "post=Signal(name=post, shape=(3,)) -> factors}"
    )

    plain = make_signals(rng, factors=False)
    op = SimHPES(
        **plain, learning_rate=1, supervision_ratio=1, unsupervised_scale=0, gain=1
    )
    assert op.updates == [plain["delta"]]
    assert op.post_factor is None and op.pre_factor is None
    assert str(op).endswith("-> delta}")


def test_simhpes_needs_both_factors(rng):
    sig = make_signals(rng)
    sig["pre_factor"] = None
    with pytest.raises(BuildError, match="both post_factor and pre_factor"):
        SimHPES(
            **sig, learning_rate=1, supervision_ratio=1, unsupervised_scale=0, gain=1
        )


@pytest.mark.parametrize("need_delta", [True, False])
def test_simhpes_step_matches_formula(rng, need_delta):
    kappa, s, dt = 2e-3, 0.3, 0.001
    beta = np.array([1e-6, 2e-6, 0.0])
    gain = np.array([3.0, 1.0, 7.0])
    sig = make_signals(rng)
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

    pre = sig["pre_filtered"].initial_value
    post = sig["post_filtered"].initial_value
    theta = sig["theta"].initial_value
    err = sig["local_error"].initial_value
    v = -kappa * dt * s / 4 * err + kappa * dt * (1 - s) * beta * gain * post * (
        post - theta
    )
    assert np.allclose(signals[sig["post_factor"]], v, rtol=1e-13, atol=0)
    assert np.array_equal(signals[sig["pre_factor"]], pre)
    expected_delta = np.outer(v, pre) if need_delta else np.zeros((3, 4))
    assert np.allclose(signals[sig["delta"]], expected_delta, rtol=1e-13, atol=0)


def test_simhpes_ratio_threshold(rng):
    """With theta_num and theta_den, theta = num / max(den, floor), written out."""
    kappa, s, dt = 2e-3, 0.3, 0.001
    sig = make_signals(rng)
    n_post = 3
    den = Signal(np.array([20.0, 0.0, 5e-4]), name="den")
    num = Signal(np.array([900.0, 0.0, 1e-5]), name="num")
    op = SimHPES(
        **sig,
        learning_rate=kappa,
        supervision_ratio=s,
        unsupervised_scale=1e-6,
        gain=1.0,
        theta_den=den,
        theta_num=num,
    )
    assert op.theta_ratio
    assert op.reads == [
        sig["pre_filtered"],
        sig["post_filtered"],
        sig["local_error"],
        num,
        den,
    ]
    assert op.updates == [
        sig["delta"],
        sig["post_factor"],
        sig["pre_factor"],
        sig["theta"],
    ]
    assert op.theta is sig["theta"] and op.theta_num is num and op.theta_den is den
    assert op.post_factor is sig["post_factor"] and op.pre_factor is sig["pre_factor"]
    signals = SignalDict()
    for x in list(sig.values()) + [num, den]:
        signals.init(x)
    op.make_step(signals, dt, rng)()
    theta = np.array([45.0, 0.0, 1e-5 / THETA_FLOOR])
    assert THETA_FLOOR == 1e-3
    assert np.allclose(signals[sig["theta"]], theta, rtol=1e-15, atol=0)
    post = sig["post_filtered"].initial_value
    err = sig["local_error"].initial_value
    v = -kappa * dt * s / 4 * err + kappa * dt * (1 - s) * 1e-6 * post * (post - theta)
    assert np.allclose(signals[sig["post_factor"]], v, rtol=1e-13, atol=0)
    assert signals[sig["theta"]].shape == (n_post,)

    without_factors = make_signals(rng, factors=False)
    op = SimHPES(
        **without_factors,
        learning_rate=1,
        supervision_ratio=1,
        unsupervised_scale=0,
        gain=1,
        theta_den=den,
        theta_num=num,
    )
    assert op.updates == [without_factors["delta"], without_factors["theta"]]
    assert op.post_factor is None and op.pre_factor is None
    with pytest.raises(BuildError, match="both theta_num and theta_den"):
        SimHPES(
            **without_factors,
            learning_rate=1,
            supervision_ratio=1,
            unsupervised_scale=0,
            gain=1,
            theta_den=den,
        )


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
