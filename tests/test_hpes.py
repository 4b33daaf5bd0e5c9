"""
Behaviour of HPES in a simulator: exact reductions, NumPy reference, timing.

Every test here uses the ``Simulator`` fixture of nengo's pytest plugin, so the
same tests can run on another backend.
"""

import warnings

import nengo
import numpy as np
import pytest
from helpers import DT, error_node, run_weights, weights_net
from nengo.exceptions import BuildError, ValidationError

from nengo_hpes import HPES
from nengo_hpes.builder import RankOneInc, SimHPES


@pytest.mark.parametrize("kind", ["ens", "neurons", "ens_neurons"])
def test_supervised_limit_is_pes(Simulator, seed, kind):
    """S = 1 gives nengo.PES's weights (<= 1e-12), whatever the other parameters."""
    kappa = 3e-4
    _, w_pes = run_weights(Simulator, weights_net(nengo.PES(kappa), kind, seed))
    rule = HPES(kappa, supervision_ratio=1.0, unsupervised_scale=5.0, theta_init=None)
    sim, w_hpes = run_weights(Simulator, weights_net(rule, kind, seed))

    assert np.abs(w_hpes - w_pes).max() <= 1e-12
    # ... and the weights did change (the comparison is not vacuous)
    assert np.abs(w_pes[-1] - w_pes[0]).max() > 1e-6


def test_supervised_limit_delta_matches_pes(Simulator, seed):
    """The probed delta is nengo.PES's delta too (and probing it changes nothing)."""
    kappa = 3e-4
    nets = []
    for rule in (nengo.PES(kappa), HPES(kappa, supervision_ratio=1.0)):
        net = weights_net(rule, "ens", seed)
        with net:
            net.p_delta = nengo.Probe(net.conn.learning_rule, "delta")
        nets.append(net)
    sims = [run_weights(Simulator, net)[0] for net in nets]
    d_pes, d_hpes = (sim.data[net.p_delta] for sim, net in zip(sims, nets))
    assert np.abs(d_hpes - d_pes).max() <= 1e-15
    assert np.abs(d_pes).max() > 0
    w = [sim.data[net.p_weights] for sim, net in zip(sims, nets)]
    assert np.abs(w[1] - w[0]).max() <= 1e-12
    # delta computed at step k reaches the weights at step k + 1
    assert np.allclose(np.diff(w[1], axis=0), d_hpes[:-1], rtol=0, atol=1e-15)


@pytest.mark.parametrize("kind", ["ens", "neurons"])
def test_unsupervised_limit_is_bcm(Simulator, seed, kind):
    """S = 0, beta = 1, unit gains, theta from 0: nengo.BCM's weights exactly."""
    kappa = 2e-9
    kw = dict(kind=kind, seed=seed, post_gain=1.0)
    _, w_bcm = run_weights(Simulator, weights_net(nengo.BCM(kappa), **kw))
    rule = HPES(
        kappa,
        supervision_ratio=0.0,
        unsupervised_scale=1.0,
        theta_synapse=nengo.BCM.theta_synapse.default,
        theta_init=None,
    )
    _, w_hpes = run_weights(Simulator, weights_net(rule, **kw))
    assert np.abs(w_hpes - w_bcm).max() <= 1e-12
    assert np.abs(w_bcm[-1] - w_bcm[0]).max() > 1e-9


def test_pes_bcm_composition_equivalent(Simulator, seed):
    """
    With unit gains, HPES(kappa, S) equals [PES(kappa S), BCM(kappa (1 - S) beta)]
    on the same connection (up to floating-point rounding).
    """
    kappa, s, beta = 4e-4, 0.7, 1e-5
    kw = dict(kind="neurons", seed=seed, post_gain=1.0)
    composition = [nengo.PES(kappa * s), nengo.BCM(kappa * (1 - s) * beta)]
    _, w_comp = run_weights(Simulator, weights_net(composition, **kw), steps=100)
    rule = HPES(
        kappa, s, beta, theta_synapse=nengo.BCM.theta_synapse.default, theta_init=None
    )
    _, w_hpes = run_weights(Simulator, weights_net(rule, **kw), steps=100)
    assert np.allclose(w_hpes, w_comp, rtol=1e-9, atol=1e-13)
    assert not np.allclose(w_comp[-1], w_comp[0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("kind", ["ens", "neurons"])
@pytest.mark.parametrize(
    "scale, theta_init",
    [("auto", None), ("auto", "rates"), ("auto", 25.0), (2e-7, None), (2e-7, 25.0)],
)
def test_intermediate_matches_numpy(Simulator, seed, kind, scale, theta_init, allclose):
    """
    Weights equal an independent NumPy computation from the probed signals,
    and theta is the one documented: with ``unsupervised_scale="auto"`` the
    ratio of the 'set'-mode filtered moments of the probed post activity, with
    a number nengo.BCM's filtered post spikes.
    """
    kappa, s, steps, tau = 5e-4, 0.6, 60, 0.05
    rule = HPES(
        kappa,
        s,
        unsupervised_scale=scale,
        theta_init=theta_init,
        theta_synapse=nengo.Lowpass(tau),
    )
    net = weights_net(rule, kind, seed)
    with net:
        lr = net.conn.learning_rule
        probes = {k: nengo.Probe(lr, k) for k in HPES.probeable}
        p_spikes = nengo.Probe(net.post.neurons)
    sim, w = run_weights(Simulator, net, steps=steps)
    pre = sim.data[probes["pre_filtered"]]
    post = sim.data[probes["post_filtered"]]
    theta = sim.data[probes["theta"]]
    err = sim.data[probes["error"]]

    built = sim.data[net.post]
    enc = built.scaled_encoders  # encoders * gain / radius
    gain = built.gain
    n_pre = pre.shape[1]
    if scale == "auto":
        max_rates = net.post.neuron_type.rates(
            np.ones((1, len(gain))), gain, built.bias
        )[0]
        beta = 1.0 / (n_pre * max_rates**2)
    else:
        beta = scale

    w_ref = [w[0]]
    for k in range(steps - 1):
        local_error = enc @ err[k]
        v = -kappa * DT * s / n_pre * local_error + kappa * DT * (
            1 - s
        ) * beta * gain * post[k] * (post[k] - theta[k])
        w_ref.append(w_ref[-1] + np.outer(v, pre[k]))
    w_ref = np.array(w_ref)
    assert allclose(w, w_ref, rtol=1e-9, atol=1e-14)
    assert not np.allclose(w[-1], w[0], rtol=0, atol=1e-7)

    # theta, computed independently
    a = np.exp(-DT / tau)
    if theta_init == "rates":
        from nengo.builder.ensemble import get_activities

        theta0 = get_activities(built, net.post, built.eval_points).mean(axis=0)
    else:
        theta0 = np.full(len(gain), 0.0 if theta_init is None else theta_init)
    spikes = sim.data[p_spikes]
    if scale == "auto":
        # the moments filter post_filtered in 'update' mode: theta at step k
        # is made of the activities up to step k - 1
        m1, m2 = theta0.copy(), theta0**2
        theta_ref = []
        for k in range(steps):
            theta_ref.append(m2 / np.maximum(m1, 1e-3))
            m1 = a * m1 + (1 - a) * post[k]
            m2 = a * m2 + (1 - a) * post[k] ** 2
        assert allclose(theta, theta_ref, rtol=1e-9, atol=1e-9)
    else:  # nengo.BCM's: the post spikes up to step k ('set' mode)
        m = theta0.copy()
        theta_ref = []
        for k in range(steps):
            m = a * m + (1 - a) * spikes[k]
            theta_ref.append(m.copy())
        assert allclose(theta, theta_ref, rtol=1e-9, atol=1e-9)
    if theta_init is not None:
        assert np.all(theta[0] > 1.0)


def test_theta_init_rates_starts_at_mean_rates(Simulator, seed):
    rule = HPES(theta_init="rates", theta_synapse=nengo.Lowpass(1000.0))
    net = weights_net(rule, "ens", seed)
    with net:
        p_theta = nengo.Probe(net.conn.learning_rule, "theta")
    sim, _ = run_weights(Simulator, net, steps=5)
    built = sim.data[net.post]
    from nengo.builder.ensemble import get_activities

    rates = get_activities(built, net.post, built.eval_points).mean(axis=0)
    # with a 1000 s filter, theta barely moves from where it started
    assert np.allclose(sim.data[p_theta][-1], rates, rtol=1e-3, atol=0.5)
    assert rates.max() > 10


@pytest.mark.parametrize("n_values", [2, 300])
def test_theta_init_array_length_checked(Simulator, seed, n_values):
    """The error leads with what is wrong, without the rule's (long) repr."""
    rule = HPES(theta_init=np.arange(n_values, dtype=float))
    net = weights_net(rule, "ens", seed)
    with pytest.raises(BuildError) as info:
        with Simulator(net):
            pass
    msg = str(info.value)
    assert msg.startswith(f"HPES.theta_init has {n_values} values, but <Connection")
    assert "40 post neurons; give one value per post neuron, or a number" in msg
    assert len(msg) < 300


# --- post neuron types (issue 17, items 1 and 2)

SIGNED_OR_UNBOUNDED = {
    "Tanh": (nengo.Tanh(), "can have negative activities"),
    "RectifiedLinear": (nengo.RectifiedLinear(), "has no maximum rate"),
    "SpikingRectifiedLinear": (nengo.SpikingRectifiedLinear(), "has no maximum"),
    "LIF(tau_ref=0)": (nengo.LIF(tau_ref=0), "has no maximum rate"),
}


@pytest.mark.parametrize(
    "neuron_type, why", SIGNED_OR_UNBOUNDED.values(), ids=SIGNED_OR_UNBOUNDED
)
@pytest.mark.parametrize("s", [0.999, 0.95, 0.0])
def test_auto_refuses_signed_or_unbounded_post(Simulator, seed, neuron_type, why, s):
    """
    "auto" has no meaning for these post neurons (Tanh: the threshold explodes;
    ReLU: the term grows with the rate and the weights overflow): a BuildError
    that names the type and says what to use instead.
    """
    net = weights_net(HPES(supervision_ratio=s), "ens", seed, neuron_type=neuron_type)
    with pytest.raises(BuildError) as info:
        with Simulator(net):
            pass
    msg = str(info.value)
    assert f"post neuron type {neuron_type}" in msg and why in msg
    assert "Use supervision_ratio=1 (PES only), a number for unsupervised_scale" in msg


@pytest.mark.parametrize(
    "neuron_type",
    [nengo.Tanh(), nengo.RectifiedLinear(), nengo.SpikingRectifiedLinear()],
    ids=str,
)
def test_signed_or_unbounded_post_with_pes_or_numeric_scale(
    Simulator, seed, neuron_type
):
    """What the refusal suggests works: S = 1 is PES exactly; a number builds."""
    kw = dict(kind="ens", seed=seed, neuron_type=neuron_type)
    _, w_pes = run_weights(Simulator, weights_net(nengo.PES(2e-4), **kw))
    _, w_s1 = run_weights(Simulator, weights_net(HPES(2e-4, 1.0), **kw))
    assert np.abs(w_s1 - w_pes).max() <= 1e-12
    assert np.abs(w_pes[-1] - w_pes[0]).max() > 1e-7
    rule = HPES(2e-4, 0.9, unsupervised_scale=1e-8, theta_init=None)
    _, w_num = run_weights(Simulator, weights_net(rule, **kw))
    assert np.all(np.isfinite(w_num))
    assert not np.allclose(w_num, w_s1, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "neuron_type",
    [nengo.LIFRate(), nengo.Sigmoid(), nengo.RegularSpiking(nengo.LIFRate())],
    ids=str,
)
def test_auto_accepts_saturating_non_negative_post(Simulator, seed, neuron_type):
    rule = HPES(1e-3, 0.5)
    net = weights_net(rule, "ens", seed, neuron_type=neuron_type)
    _, w = run_weights(Simulator, net)
    assert np.all(np.isfinite(w)) and np.abs(w[-1] - w[0]).max() > 1e-7


# --- theta synapses (issue 17, items 4 and 5)


def test_triangle_theta_synapse_starts_at_theta_init(Simulator, seed):
    """A FIR synapse that only takes a scalar y0 (nengo.BCM accepts it too)."""
    tri = nengo.synapses.Triangle(0.05)
    rule = HPES(1e-3, 0.5, theta_synapse=tri, theta_init=30.0)
    net = weights_net(rule, "ens", seed)
    with net:
        p_theta = nengo.Probe(net.conn.learning_rule, "theta")
        p_post = nengo.Probe(net.conn.learning_rule, "post_filtered")
    sim, w = run_weights(Simulator, net, steps=100)
    theta, post = sim.data[p_theta], sim.data[p_post]
    assert np.allclose(theta[0], 30.0, rtol=1e-12, atol=0)
    # the documented threshold: <a^2> / <a>, both Triangle filters of a
    # started at theta_init (a history of theta_init), 'update' mode
    m1 = tri.filt(np.vstack([np.full((1, 40), 30.0), post[:-1]]), dt=DT, y0=30.0)
    m2 = tri.filt(np.vstack([np.full((1, 40), 900.0), post[:-1] ** 2]), dt=DT, y0=900.0)
    assert np.allclose(theta, m2 / np.maximum(m1, 1e-3), rtol=1e-9, atol=1e-9)
    assert np.all(np.isfinite(w)) and np.abs(w[-1] - w[0]).max() > 1e-7


def test_triangle_theta_synapse_numeric_scale(Simulator, seed):
    rule = HPES(1e-3, 0.5, 1e-7, theta_synapse=nengo.synapses.Triangle(0.05))
    net = weights_net(rule, "ens", seed)
    with net:
        p_theta = nengo.Probe(net.conn.learning_rule, "theta")
    sim, _ = run_weights(Simulator, net, steps=20)
    assert np.all(sim.data[p_theta][0] > 1.0)  # started at the mean rates


class StatelessSynapse(nengo.synapses.Synapse):
    """A pass-through that is not a LinearFilter (so only the build can tell)."""

    def __init__(self):
        super().__init__(default_size_in=1, default_size_out=1)

    def make_state(self, shape_in, shape_out, dt, dtype=None, y0=0):
        return {"X": np.zeros((0,) + shape_out, dtype=dtype)}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        def step_stateless(t, u):
            return u

        return step_stateless


def test_stateless_theta_synapse_with_theta_init_fails_at_build(Simulator, seed):
    rule = HPES(theta_synapse=StatelessSynapse(), theta_init=20.0)
    net = weights_net(rule, "ens", seed)
    with pytest.raises(BuildError, match="theta_synapse StatelessSynapse.* no state"):
        with Simulator(net):
            pass


def test_reset_restores_weights_and_theta(Simulator, seed):
    net = weights_net(HPES(theta_init=30.0, supervision_ratio=0.5), "ens", seed)
    with net:
        p_theta = nengo.Probe(net.conn.learning_rule, "theta")
    with Simulator(net) as sim:
        sim.run_steps(40)
        w1, th1 = sim.data[net.p_weights].copy(), sim.data[p_theta].copy()
        sim.reset()
        sim.run_steps(40)
        w2, th2 = sim.data[net.p_weights], sim.data[p_theta]
    assert np.array_equal(w1, w2)
    assert np.array_equal(th1, th2)
    assert not np.allclose(w1[-1], w1[0])


def test_same_seed_same_weights(Simulator, seed):
    rule = HPES(supervision_ratio=0.5)
    _, w1 = run_weights(Simulator, weights_net(rule, "ens", seed), steps=30)
    _, w2 = run_weights(Simulator, weights_net(rule, "ens", seed), steps=30)
    _, w3 = run_weights(Simulator, weights_net(rule, "ens", seed + 1), steps=30)
    assert np.array_equal(w1, w2)
    assert w1.shape != w3.shape or not np.allclose(w1, w3)


@pytest.mark.parametrize(
    "rule",
    [
        HPES(supervision_ratio=1.0),
        HPES(supervision_ratio=0.5),
        HPES(2e-3, supervision_ratio=0.0, unsupervised_scale="auto"),
    ],
)
def test_dt_dependence(Simulator, rule, seed):
    """Learning is the same at dt = 1e-4 and 1e-3 (as nengo's test_dt_dependence)."""
    with nengo.Network(seed=seed) as net:
        u = nengo.Node(lambda t: np.sin(2 * np.pi * t))
        pre = nengo.Ensemble(50, 1)
        post = nengo.Ensemble(50, 1)
        nengo.Connection(u, pre)
        conn = nengo.Connection(
            pre,
            post,
            function=lambda x: -x,
            solver=nengo.solvers.LstsqL2(weights=True),
            learning_rule_type=rule,
        )
        nengo.Connection(post, conn.learning_rule)
        nengo.Connection(pre, conn.learning_rule, transform=-1)
        p = nengo.Probe(conn, "weights", sample_every=0.01)
    data = []
    for dt in (0.0001, 0.001):
        with Simulator(net, dt=dt) as sim:
            sim.run(0.1)
        data.append(sim.data[p])
    assert np.allclose(data[0], data[1], atol=3e-3)
    assert not np.allclose(data[1][-1], data[1][0], atol=3e-4)


def test_probeable(Simulator, seed):
    net = weights_net(HPES(), "neurons", seed, n_pre=30, n_post=40, dims=2)
    with net:
        probes = {k: nengo.Probe(net.conn.learning_rule, k) for k in HPES.probeable}
    sim, _ = run_weights(Simulator, net, steps=5)
    shapes = {k: sim.data[p].shape for k, p in probes.items()}
    assert shapes == {
        "error": (5, 2),
        "pre_filtered": (5, 30),
        "post_filtered": (5, 40),
        "theta": (5, 40),
        "delta": (5, 40, 30),
    }


def test_operators_replace_delta_copy(Simulator, seed):
    """One SimHPES and one in-place RankOneInc; nengo's delta Copy is gone."""
    net = weights_net(HPES(), "ens", seed)
    with Simulator(net) as sim:
        ops = sim.model.operators
        weights = sim.model.sig[net.conn]["weights"]
        delta = sim.model.sig[net.conn.learning_rule]["delta"]
    assert sum(isinstance(op, SimHPES) for op in ops) == 1
    # one operator increments the weights: RankOneInc (on NengoDL, the same
    # increment as nengo's ElementwiseInc; see nengo_hpes.dl_builder.build_hpes)
    incs = [op for op in ops if any(s is weights for s in op.incs)]
    assert len(incs) == 1 and incs[0].tag == "HPES:apply"
    assert isinstance(incs[0], (RankOneInc, nengo.builder.operator.ElementwiseInc))
    if type(sim) is nengo.Simulator:
        assert isinstance(incs[0], RankOneInc)
    assert not any(
        isinstance(op, nengo.builder.operator.Copy) and op.src is delta for op in ops
    )


def test_two_hpes_rules_on_one_connection(Simulator, seed):
    k = 2e-4
    both_pes = [nengo.PES(k), nengo.PES(2 * k)]
    both_hpes = [HPES(k, supervision_ratio=1.0), HPES(2 * k, supervision_ratio=1.0)]
    _, w_pes = run_weights(Simulator, weights_net(both_pes, "ens", seed))
    _, w_hpes = run_weights(Simulator, weights_net(both_hpes, "ens", seed))
    assert np.abs(w_hpes - w_pes).max() <= 1e-12


def test_sliced_connections_match_pes(Simulator, seed):
    """Basic slices of pre and post, for every supported connection kind."""
    k = 3e-4
    cases = [
        ("ens post slice", lambda a, b: (a[1:], b[:2]), dict(solver=True)),
        ("ens pre slice", lambda a, b: (a[0], b), dict(solver=True, function=True)),
        ("neurons slices", lambda a, b: (a.neurons[5:25], b.neurons[10:30]), {}),
        ("neurons pre list", lambda a, b: (a.neurons[[0, 3, 5, 7]], b.neurons), {}),
        ("ens->neurons slice", lambda a, b: (a, b.neurons[::2]), dict(solver=True)),
    ]
    for name, make, opts in cases:
        weights = []
        for rule in (nengo.PES(k), HPES(k, supervision_ratio=1.0)):
            with nengo.Network(seed=seed) as net:
                stim = nengo.Node(lambda t: [np.sin(6 * t), np.cos(6 * t), 0.3])
                a = nengo.Ensemble(40, 3, seed=1)
                b = nengo.Ensemble(40, 3, seed=2)
                nengo.Connection(stim, a)
                pre, post = make(a, b)
                rng = np.random.RandomState(seed)
                kw = {}
                if opts.get("solver"):
                    kw["solver"] = nengo.solvers.LstsqL2(weights=True)
                if opts.get("function"):
                    kw["function"] = lambda x: [x[0], -x[0], x[0] ** 2]
                if isinstance(post, nengo.ensemble.Neurons) or (
                    isinstance(post, nengo.base.ObjView)
                    and isinstance(post.obj, nengo.ensemble.Neurons)
                ):
                    shape = (post.size_in, pre.size_out)
                    if isinstance(pre, nengo.Ensemble):
                        shape = (post.size_in, pre.dimensions)
                    kw["transform"] = rng.uniform(-1e-3, 1e-3, shape)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    conn = nengo.Connection(pre, post, learning_rule_type=rule, **kw)
                size = conn.learning_rule.size_in
                nengo.Connection(error_node(size, seed), conn.learning_rule)
                p = nengo.Probe(conn, "weights")
            with Simulator(net) as sim:
                sim.run_steps(40)
            weights.append(sim.data[p])
        assert np.abs(weights[1] - weights[0]).max() <= 1e-12, name
        assert np.abs(weights[0][-1] - weights[0][0]).max() > 1e-7, name


def test_sliced_post_neurons_bcm_term(Simulator, seed, allclose):
    """The unsupervised term on a post-neuron slice uses that slice's activities."""
    kappa, s = 1e-3, 0.0
    rule = HPES(
        kappa,
        s,
        unsupervised_scale=1e-6,
        theta_init=None,
        theta_synapse=nengo.Lowpass(0.1),
    )
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(lambda t: np.sin(6 * t))
        a = nengo.Ensemble(30, 1)
        b = nengo.Ensemble(50, 1)
        nengo.Connection(stim, a)
        nengo.Connection(stim, b)
        conn = nengo.Connection(
            a.neurons,
            b.neurons[10:40],
            transform=np.zeros((30, 30)),
            learning_rule_type=rule,
        )
        probes = {k: nengo.Probe(conn.learning_rule, k) for k in HPES.probeable}
        p_w = nengo.Probe(conn, "weights")
        p_b = nengo.Probe(b.neurons, synapse=nengo.Lowpass(0.005))
    with Simulator(net) as sim:
        sim.run_steps(50)
    post = sim.data[probes["post_filtered"]]
    # a probe's synapse runs in 'update' mode: one step later than the rule's
    assert allclose(post[:-1], sim.data[p_b][1:, 10:40])
    gain = sim.data[b].gain[10:40]
    pre, theta = sim.data[probes["pre_filtered"]], sim.data[probes["theta"]]
    w_ref = np.zeros((30, 30))
    for k in range(49):
        w_ref += np.outer(
            kappa * DT * 1e-6 * gain * post[k] * (post[k] - theta[k]), pre[k]
        )
    assert allclose(sim.data[p_w][-1], w_ref, rtol=1e-9, atol=1e-15)
    assert np.abs(w_ref).max() > 0


def test_decoded_connection_to_node_rejected():
    with nengo.Network():
        a = nengo.Ensemble(10, 1)
        node = nengo.Node(size_in=1)
        with pytest.raises(ValidationError, match="can only be applied on connections"):
            nengo.Connection(a, node, learning_rule_type=HPES())


def test_ensemble_without_weight_solver_rejected():
    with nengo.Network():
        a = nengo.Ensemble(10, 1)
        b = nengo.Ensemble(10, 1)
        with pytest.raises(ValidationError, match="Try setting `solver.weights`"):
            nengo.Connection(a, b, learning_rule_type=HPES())


def test_direct_post_rejected(Simulator):
    with nengo.Network() as net:
        a = nengo.Ensemble(10, 1)
        b = nengo.Ensemble(10, 1, neuron_type=nengo.Direct())
        nengo.Connection(
            a,
            b,
            solver=nengo.solvers.LstsqL2(weights=True),
            learning_rule_type=HPES(),
        )
    with pytest.raises(BuildError, match="post ensemble has Direct neurons"):
        with Simulator(net):
            pass


def test_node_pre_rejected():
    with nengo.Network():
        node = nengo.Node([0])
        b = nengo.Ensemble(10, 1)
        with pytest.raises(ValidationError, match="'pre' must be of type 'Ensemble'"):
            nengo.Connection(
                node, b.neurons, transform=np.ones((10, 1)), learning_rule_type=HPES()
            )


def test_advanced_indexing_on_post_neurons_rejected(Simulator):
    with nengo.Network() as net:
        a = nengo.Ensemble(10, 1)
        b = nengo.Ensemble(10, 1)
        conn = nengo.Connection(
            a.neurons,
            b.neurons[[0, 2, 4]],
            transform=np.zeros((3, 10)),
            learning_rule_type=HPES(),
        )
        nengo.Connection(nengo.Node([0]), conn.learning_rule)
    with pytest.raises(BuildError, match="only basic slices.*advanced indexing"):
        with Simulator(net):
            pass
