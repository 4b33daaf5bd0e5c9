"""
HPES on NengoDL: registration, exactness against nengo.Simulator, merging,
theta_init, and NengoDL's online-learning semantics (compared with nengo.PES).

The behavioural tests in ``test_hpes.py`` also run on NengoDL, unchanged, through
``dl_simloader`` (``make test`` does this); the tests here are the
NengoDL-specific ones.
"""

import warnings

import nengo
import numpy as np
import pytest
from helpers import channel_net, error_node, tail_rmse, weights_net
from nengo.builder.operator import ElementwiseInc

from nengo_hpes import HPES
from nengo_hpes.builder import RankOneInc, SimHPES

nengo_dl = pytest.importorskip("nengo_dl")
tf = pytest.importorskip("tensorflow")

import dl_simloader  # noqa: E402

from nengo_hpes.dl_builder import RankOneIncBuilder, SimHPESBuilder  # noqa: E402

ATOL = 1e-10  # weights, float64


def test_nengo_dl_builds_with_the_hpes_builders(seed):
    """nengo_dl.Simulator builds HPES with our build function and op builder."""
    net = weights_net(HPES(supervision_ratio=0.5), "ens", seed)
    with nengo_dl.Simulator(net, progress_bar=False) as sim:
        builds = sim.tensor_graph.op_builder.op_builds
        ops = sim.model.operators
    kinds = {type(b) for ops_, b in builds.items() if type(ops_[0]) is SimHPES}
    assert kinds == {SimHPESBuilder}
    # NengoDL's build_hpes applies the change with an ElementwiseInc
    assert not any(type(op) is RankOneInc for op in ops)
    assert [type(op) for op in ops if op.tag == "HPES:apply"] == [ElementwiseInc]


def _float64(net):
    with net:
        nengo_dl.configure_settings(dtype="float64")
    return net


def _probe_all(net, keys=HPES.probeable):
    with net:
        net.p_rule = {k: nengo.Probe(net.conn.learning_rule, k) for k in keys}
    return net


def _assert_matches_reference(ref, sim, probes, minibatch_size):
    """Every minibatch element equals nengo.Simulator (weights to ATOL)."""
    for p in probes:
        expected = ref.data[p]
        actual = sim.data[p]
        assert actual.shape == (minibatch_size,) + expected.shape, p
        if p.attr == "weights":
            tol = ATOL
        else:  # theta, activities (Hz), error, delta: relative to their size
            tol = 1e-9 * np.abs(expected).max() + 1e-15
        for i in range(minibatch_size):
            assert np.abs(actual[i] - expected).max() <= tol, (p, i)


@pytest.mark.parametrize("kind", ["ens", "neurons", "ens_neurons"])
def test_minibatch_elements_match_reference(kind, seed):
    """Minibatch 3 at float64: each element is nengo.Simulator's run (<= 1e-10)."""
    rule = HPES(5e-4, 0.6, theta_synapse=nengo.Lowpass(0.05))
    net = _probe_all(weights_net(rule, kind, seed))
    with nengo.Simulator(net) as ref:
        ref.run_steps(60)
    with nengo_dl.Simulator(_float64(net), minibatch_size=3, progress_bar=False) as sim:
        sim.run_steps(60)
    probes = [net.p_weights] + list(net.p_rule.values())
    _assert_matches_reference(ref, sim, probes, 3)
    w = ref.data[net.p_weights]
    assert np.abs(w[-1] - w[0]).max() > 1e-4  # the rule did something


def _group_sizes(plan, op_type, tag=None):
    """Sizes of the plan's groups of ``op_type`` (with ``tag``, if given)."""
    return [
        len(ops)
        for ops in plan
        if type(ops[0]) is op_type and (tag is None or ops[0].tag == tag)
    ]


MERGE_RULES = [
    HPES(1e-4, 0.9),
    HPES(3e-4, 0.5, unsupervised_scale=1e-6, theta_init=40.0),
    HPES(2e-4, 1.0, unsupervised_scale=0.0, theta_init=None),
    HPES(5e-4, 0.0, unsupervised_scale="auto", theta_init="max_rates"),
]


def _parallel_net(rules, seed):
    """One 30 -> 40 learned connection per rule; the post gains differ."""
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(lambda t: [np.sin(5 * t), np.cos(7 * t)])
        conns = []
        for k, rule in enumerate(rules):
            pre = nengo.Ensemble(30, 2)
            post = nengo.Ensemble(
                40, 2, gain=nengo.dists.Uniform(0.5 + k, 2 + 3 * k), bias=np.ones(40)
            )
            nengo.Connection(stim, pre)
            conn = nengo.Connection(
                pre,
                post,
                solver=nengo.solvers.LstsqL2(weights=True),
                learning_rule_type=rule,
            )
            nengo.Connection(post, conn.learning_rule)
            nengo.Connection(stim, conn.learning_rule, transform=-1)
            conns.append(conn)
        net.weight_probes = [nengo.Probe(c, "weights") for c in conns]
    return net


def test_different_rules_merge_into_one_group(seed):
    """Equal shapes merge, whatever the rates, ratios, scales and post gains."""
    net = _parallel_net(MERGE_RULES, seed)
    with nengo.Simulator(net) as ref:
        ref.run_steps(50)
    with nengo_dl.Simulator(_float64(net), minibatch_size=2, progress_bar=False) as sim:
        plan = sim.tensor_graph.plan
        sim.run_steps(50)
    assert _group_sizes(plan, SimHPES) == [4]
    assert _group_sizes(plan, ElementwiseInc, "HPES:apply") == [4]
    assert _group_sizes(plan, RankOneInc) == []
    _assert_matches_reference(ref, sim, net.weight_probes, 2)


def test_rank_one_inc_builder(seed):
    """
    A model built by nengo's own builder (``model=nengo.builder.Model()``, as
    NengoDL allows) keeps RankOneInc; RankOneIncBuilder runs it (NengoDL warns
    about the unknown incrementing op, which is why NengoDL's build_hpes turns it
    into an ElementwiseInc).
    """
    net = _parallel_net(MERGE_RULES[:2], seed)
    with nengo.Simulator(net) as ref:
        ref.run_steps(50)
    with pytest.warns(UserWarning, match="Unknown incer type.*RankOneInc"):
        sim = nengo_dl.Simulator(
            net,
            model=nengo.builder.Model(dt=0.001),
            minibatch_size=2,
            progress_bar=False,
        )
    with sim:
        plan = sim.tensor_graph.plan
        builds = sim.tensor_graph.op_builder.op_builds
        sim.run_steps(50)
    assert _group_sizes(plan, RankOneInc) == [2]
    assert {type(b) for o, b in builds.items() if type(o[0]) is RankOneInc} == {
        RankOneIncBuilder
    }
    # NengoDL reads the dtype from a given model (which has no config): float32
    for p in net.weight_probes:
        expected, actual = ref.data[p], sim.data[p]
        assert actual.dtype == np.float32
        tol = 1e-5 * np.abs(expected).max()  # float32 rounding, accumulated
        assert np.abs(expected[-1] - expected[0]).max() > 1000 * tol  # it learned
        for i in range(2):
            assert np.abs(actual[i] - expected).max() <= tol, (p, i)


def test_different_post_sizes_merge(seed):
    """
    Equal n_pre, different n_post: SimHPES ops can merge (each op's rows apart).

    The planner only groups ops that are ready together, so the connections
    share their post ensemble and take its spikes unfiltered (a post filter of
    each size would run on its own and make one op wait for the other).
    """
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(lambda t: np.sin(5 * t))
        pre = nengo.Ensemble(30, 1)
        post = nengo.Ensemble(55, 1)
        nengo.Connection(stim, pre)
        nengo.Connection(stim, post)
        probes = []
        for k, sl in enumerate((slice(0, 20), slice(20, 55))):
            n_post = sl.stop - sl.start
            conn = nengo.Connection(
                pre.neurons,
                post.neurons[sl],
                transform=np.random.RandomState(k).uniform(-1e-3, 1e-3, (n_post, 30)),
                learning_rule_type=HPES(
                    1e-3 * (k + 1), 0.5 + 0.2 * k, post_synapse=None
                ),
            )
            nengo.Connection(stim, conn.learning_rule, transform=0.5)
            probes.append(nengo.Probe(conn, "weights"))
        # probing one delta makes the group fill the delta of both
        probes.append(nengo.Probe(conn.learning_rule, "delta"))
    with nengo.Simulator(net) as ref:
        ref.run_steps(40)
    with _float64(net):
        # the default tree planner leaves these apart; the greedy one merges them
        nengo_dl.configure_settings(planner=nengo_dl.graph_optimizer.greedy_planner)
    with nengo_dl.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        plan = sim.tensor_graph.plan
        sim.run_steps(40)
    assert _group_sizes(plan, SimHPES) == [2]
    _assert_matches_reference(ref, sim, probes, 2)


def test_sliced_connections_match_reference(seed):
    """Pre and post slices of every kind, with both terms of the rule active."""
    rng = np.random.RandomState(seed)
    weights = dict(solver=nengo.solvers.LstsqL2(weights=True))
    cases = [
        lambda a, b: (a[1:], b[:2], weights),
        lambda a, b: (a[0], b, dict(weights, function=lambda x: [x[0], -x[0], 0.5])),
        lambda a, b: (
            a.neurons[5:25],
            b.neurons[10:30],
            dict(transform=rng.uniform(-1e-3, 1e-3, (20, 20))),
        ),
        lambda a, b: (
            a,
            b.neurons[::2],
            dict(weights, transform=rng.uniform(-0.1, 0.1, (20, 3))),
        ),
    ]
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(lambda t: [np.sin(6 * t), np.cos(6 * t), 0.3])
        probes = []
        for k, make in enumerate(cases):
            a = nengo.Ensemble(40, 3)
            b = nengo.Ensemble(40, 3)
            nengo.Connection(stim, a)
            pre, post, kw = make(a, b)
            rule = HPES(3e-4, 0.5, theta_synapse=nengo.Lowpass(0.1))
            with warnings.catch_warnings():
                # Ensemble -> Neurons needs solver.weights, then warns it is unused
                warnings.simplefilter("ignore", UserWarning)
                conn = nengo.Connection(pre, post, learning_rule_type=rule, **kw)
            size = conn.learning_rule.size_in
            nengo.Connection(error_node(size, seed + k), conn.learning_rule)
            probes.append(nengo.Probe(conn, "weights"))
            probes.append(nengo.Probe(conn.learning_rule, "theta"))
    with nengo.Simulator(net) as ref:
        ref.run_steps(40)
    with nengo_dl.Simulator(_float64(net), minibatch_size=2, progress_bar=False) as sim:
        sim.run_steps(40)
    _assert_matches_reference(ref, sim, probes, 2)
    for p in probes[::2]:
        assert np.abs(ref.data[p][-1] - ref.data[p][0]).max() > 1e-7, p


class PythonLowpass(nengo.synapses.Synapse):
    """A low-pass filter in Python: not a LinearFilter, so NengoDL runs it in NumPy."""

    tau = nengo.params.NumberParam("tau", low=0, readonly=True)

    def __init__(self, tau):
        super().__init__(default_size_in=1, default_size_out=1)
        self.tau = tau

    def make_state(self, shape_in, shape_out, dt, dtype=None, y0=0):
        return {"X": np.zeros(shape_out, dtype=dtype) + y0}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        a = np.exp(-dt / self.tau)
        x = state["X"]

        def step_python_lowpass(t, u):
            x[...] = a * x + (1 - a) * u
            return x

        return step_python_lowpass


THETA_INITS = [None, 30.0, "array", "rates", "max_rates"]
THETA_SYNAPSES = {
    "Lowpass": HPES.theta_synapse.default,
    "Alpha": nengo.Alpha(0.02),
    "Python": PythonLowpass(0.05),
}


@pytest.mark.parametrize("synapse", THETA_SYNAPSES.values(), ids=THETA_SYNAPSES)
@pytest.mark.parametrize("theta_init", THETA_INITS)
def test_theta_init_and_reset_match_reference(theta_init, synapse, seed):
    """
    theta starts where nengo starts it, for every theta_init, with each of
    NengoDL's three ways to build a synapse: Lowpass (the output signal is the
    state), general LinearFilter (a state signal) and generic (NumPy, with state
    signals); and sim.reset() restores theta and the weights.
    """
    if theta_init == "array":
        theta_init = np.linspace(5.0, 80.0, 40)
    rule = HPES(5e-4, 0.5, theta_init=theta_init, theta_synapse=synapse)
    net = _probe_all(weights_net(rule, "ens", seed), keys=["theta"])
    p_theta = net.p_rule["theta"]
    with nengo.Simulator(net) as ref:
        ref.run_steps(30)
    with nengo_dl.Simulator(_float64(net), minibatch_size=2, progress_bar=False) as sim:
        sim.run_steps(30)
        first = {p: sim.data[p].copy() for p in (p_theta, net.p_weights)}
        sim.reset()
        sim.run_steps(30)
    _assert_matches_reference(ref, sim, [p_theta, net.p_weights], 2)
    for p, data in first.items():
        assert np.array_equal(sim.data[p], data), p
    theta = ref.data[p_theta]
    if theta_init is not None:  # the check is not vacuous: theta did not start at 0
        assert np.all(theta[0] > 1.0)


SYNAPSES = [
    dict(post_synapse=None, theta_synapse=None, theta_init=None),
    dict(pre_synapse=None, theta_synapse=None, theta_init=None),
    dict(pre_synapse=nengo.Alpha(0.01), post_synapse=nengo.Alpha(0.02)),
]


@pytest.mark.parametrize("synapses", SYNAPSES)
def test_synapses_match_reference_through_simloader(synapses, seed, monkeypatch):
    """Unfiltered and Alpha-filtered activities; also checks the simloader checks."""
    rule = HPES(1e-3, 0.5, unsupervised_scale=1e-6, **synapses)
    Simulator = dl_simloader.make_dl_sim(None, minibatch_size=2)
    net = weights_net(rule, "neurons", seed)
    with Simulator(net) as sim:
        assert sim.reference is not None
        sim.run_steps(30)
    w = sim.data[net.p_weights]  # checked against nengo.Simulator on exit
    assert np.abs(w[-1] - w[0]).max() > 1e-3

    monkeypatch.setattr(dl_simloader, "WEIGHTS_ATOL", -1.0)  # nothing passes
    with pytest.raises(AssertionError, match="differs by"):
        with Simulator(net) as sim:
            sim.run_steps(2)


def _pes_hpes_nets(seed, n_pre=20, n_post=30):
    """The same network with nengo.PES and with HPES(S=1), at float64."""
    nets = []
    for rule in (nengo.PES(1e-3), HPES(1e-3, supervision_ratio=1.0)):
        with nengo.Network(seed=seed) as net:
            nengo_dl.configure_settings(dtype="float64")
            net.inp = nengo.Node(np.zeros(1))
            pre = nengo.Ensemble(n_pre, 1)
            post = nengo.Ensemble(n_post, 1)
            nengo.Connection(net.inp, pre)
            net.conn = nengo.Connection(
                pre,
                post,
                solver=nengo.solvers.LstsqL2(weights=True),
                learning_rule_type=rule,
            )
            nengo.Connection(pre, net.conn.learning_rule, transform=-1)
            nengo.Connection(post, net.conn.learning_rule)
            net.out = nengo.Node(size_in=1)
            net.readout = nengo.Connection(post, net.out)
            net.p_out = nengo.Probe(net.out)
        nets.append(net)
    return nets


def _weights(sim, conn):
    return sim.data.get_params((conn, "weights"))[0].copy()


def test_learned_weights_are_marked_like_pes(seed):
    """mark_signals makes the weights non-trainable and minibatched, as for PES."""
    marks = []
    for net in _pes_hpes_nets(seed):
        with nengo_dl.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
            w = sim.model.sig[net.conn]["weights"]
            r = sim.model.sig[net.readout]["weights"]
            marks.append((w.trainable, w.minibatched, r.trainable, r.minibatched))
            assert _weights(sim, net.conn).shape == (2, 30, 20)
    assert marks[0] == marks[1] == (False, True, True, False)


def test_online_learning_semantics_match_pes(seed, tmp_path):
    """
    As NengoDL documents for nengo.PES: learned weights persist across
    run_steps(stateful=False), survive reset(include_trainable=False), are reset
    by reset(include_trainable=True), and are saved and loaded by
    save_params/load_params. HPES(S=1) does exactly what nengo.PES does.
    """
    traces = []
    for net in _pes_hpes_nets(seed):
        with nengo_dl.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
            w = [_weights(sim, net.conn)]
            sim.run_steps(10, stateful=False)
            w.append(_weights(sim, net.conn))
            sim.run_steps(10, stateful=False)
            w.append(_weights(sim, net.conn))
            sim.save_params(tmp_path / type(net.conn.learning_rule_type).__name__)
            sim.reset(include_trainable=False)
            w.append(_weights(sim, net.conn))
            sim.reset(include_trainable=True)
            w.append(_weights(sim, net.conn))
            sim.load_params(tmp_path / type(net.conn.learning_rule_type).__name__)
            w.append(_weights(sim, net.conn))
        traces.append(np.array(w))
        w0, w1, w2, w_keep, w_reset, w_loaded = w
        assert np.abs(w1 - w0).max() > 1e-5  # learned
        assert np.abs(w2 - w1).max() > 1e-5  # persisted, and learned again
        assert np.array_equal(w_keep, w2)
        assert np.array_equal(w_reset, w0)
        assert np.array_equal(w_loaded, w2)
    assert np.abs(traces[1] - traces[0]).max() <= ATOL


def test_fit_with_online_learning(seed):
    """sim.fit of another connection runs with HPES learning online, as with PES."""
    x = np.random.RandomState(seed).uniform(-1, 1, size=(4, 20, 1))
    results = []
    for net in _pes_hpes_nets(seed):
        with nengo_dl.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
            r0 = _weights(sim, net.readout)
            sim.compile(
                optimizer=tf.optimizers.SGD(1e-6), loss={net.p_out: tf.losses.mse}
            )
            sim.fit({net.inp: x}, {net.p_out: x}, epochs=2, verbose=0)
            r1, w1 = _weights(sim, net.readout), _weights(sim, net.conn)
            sim.run_steps(20)
            out = sim.data[net.p_out]
        assert np.all(np.isfinite(out)) and np.all(np.isfinite(w1))
        assert np.abs(r1 - r0).max() > 0  # fit trained the readout
        results.append((r1, w1))
    (r_pes, w_pes), (r_hpes, w_hpes) = results
    assert np.allclose(w_hpes, w_pes, rtol=1e-9, atol=ATOL)
    assert np.allclose(r_hpes, r_pes, rtol=1e-9, atol=ATOL)


def _channel_run(dtype, rule, learn_time, test_time, seed):
    net = channel_net(rule, learn_time=learn_time, seed=seed)
    with net:
        nengo_dl.configure_settings(dtype=dtype)
    with nengo_dl.Simulator(net, progress_bar=False) as sim:
        # NengoDL keeps every step of a probe inside one run and applies
        # sample_every afterwards, so run in 1 s pieces (100 s of 100 x 100
        # weights in one piece would need 8 GB)
        for _ in range(int(round(learn_time + test_time))):
            sim.run(1.0)
    return tail_rmse(sim, net), sim.data[net.p_weights]


def _check_float32_channel(learn_time, test_time, seed):
    rule = HPES(1e-4 / 0.9, supervision_ratio=0.9)
    rmse32, w32 = _channel_run("float32", rule, learn_time, test_time, seed)
    rmse64, w64 = _channel_run("float64", rule, learn_time, test_time, seed)
    assert w32.dtype == np.float32
    assert np.all(np.isfinite(w32))
    assert np.abs(w32).max() <= 2 * np.abs(w64).max()
    assert np.isclose(
        np.linalg.norm(w32[-1]), np.linalg.norm(w64[-1]), rtol=0.05
    ), "weight norms drifted apart"
    assert abs(rmse32 - rmse64) <= max(0.02, 0.25 * rmse64), (rmse32, rmse64)
    return rmse32, rmse64


def test_float32_channel_short(seed):
    """NengoDL's default float32 learns a short channel as float64 does."""
    _check_float32_channel(learn_time=2.0, test_time=1.0, seed=seed)


@pytest.mark.slow
def test_float32_channel_100s_stable(seed):
    """100 s of learning at float32: no NaN, bounded weights, float64's error."""
    rmse32, rmse64 = _check_float32_channel(95.0, 5.0, seed)
    assert rmse64 < 0.1
