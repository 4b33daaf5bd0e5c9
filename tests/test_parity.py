"""
Property-based parity (hypothesis): random sizes, slices, neuron types, S,
kappa, beta, theta_init, synapses and dt.

* The reference operator equals an independent NumPy computation of the
  formula documented in `nengo_hpes.HPES`, written here from the probed
  activities, error and post spikes (or the build refuses the post neuron type,
  exactly where the docs say it does).
* NengoDL at float64, minibatch 1 and 2, equals the reference (every probe,
  checked by ``dl_simloader``).

A few dozen examples in the normal run; ``-m slow --slow`` runs many more.
"""

import importlib.util
import warnings

import nengo
import numpy as np
import pytest
from helpers import error_node
from nengo.exceptions import BuildError

from nengo_hpes import HPES

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

FLOOR = 1e-3  # documented: theta = <a^2> / max(<a>, 1e-3)

# post neuron types, and whether "auto" (with S < 1) refuses them: documented
# as "negative activities" or "no maximum rate"
POST_TYPES = [
    (nengo.LIF(), False),
    (nengo.LIFRate(), False),
    (nengo.Sigmoid(), False),
    (nengo.RegularSpiking(nengo.LIFRate()), False),
    (nengo.SpikingRectifiedLinear(), True),
    (nengo.Tanh(), True),
]
PRE_TYPES = [nengo.LIF(), nengo.LIFRate(), nengo.SpikingRectifiedLinear()]


def synapses(allow_none=True):
    taus = st.floats(0.002, 0.2)
    options = [taus.map(nengo.Lowpass), taus.map(nengo.Alpha)]
    if allow_none:
        options.append(st.none())
    return st.one_of(*options)


def basic_slice(n):
    """A non-empty basic slice of range(n)."""
    return st.tuples(st.integers(0, n - 1), st.integers(1, n), st.integers(1, 3)).map(
        lambda t: slice(t[0], max(t[0] + 1, t[1]), t[2])
    )


@st.composite
def cases(draw):
    n_pre = draw(st.integers(1, 12))
    n_post = draw(st.integers(1, 12))
    dims = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["ens", "neurons", "ens_neurons"]))
    pre_sl = draw(basic_slice(n_pre)) if kind == "neurons" else slice(None)
    post_sl = draw(basic_slice(n_post)) if kind != "ens" else slice(None)
    dim_sl = draw(basic_slice(dims)) if kind == "ens" else slice(None)
    n_post_conn = len(range(n_post)[post_sl])

    s = draw(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1)))
    kappa = 10 ** draw(st.floats(-6, -3))
    beta = draw(st.one_of(st.just("auto"), st.floats(0, 1e-5)))
    theta_synapse = draw(synapses())
    if theta_synapse is None:
        theta_init = None
    else:
        theta_init = draw(
            st.one_of(
                st.none(),
                st.floats(0, 100),
                st.sampled_from(["rates", "max_rates"]),
                st.lists(st.floats(0, 100), min_size=n_post_conn, max_size=n_post_conn),
            )
        )
    pre_synapse = draw(synapses())
    post_synapse = draw(st.one_of(st.just("default"), synapses()))
    rule_kw = dict(
        learning_rate=kappa,
        supervision_ratio=s,
        unsupervised_scale=beta,
        pre_synapse=pre_synapse,
        theta_synapse=theta_synapse,
        theta_init=theta_init,
    )
    if post_synapse != "default":
        rule_kw["post_synapse"] = post_synapse
    post_type, refused = draw(st.sampled_from(POST_TYPES))
    return dict(
        n_pre=n_pre,
        n_post=n_post,
        dims=dims,
        kind=kind,
        pre_sl=pre_sl,
        post_sl=post_sl,
        dim_sl=dim_sl,
        rule=HPES(**rule_kw),
        pre_type=draw(st.sampled_from(PRE_TYPES)),
        post_type=post_type,
        refused=refused and beta == "auto" and s < 1,
        dt=draw(st.sampled_from([0.0005, 0.001, 0.002])),
        steps=draw(st.integers(10, 30)),
        seed=draw(st.integers(0, 2**16)),
    )


def build_net(c):
    rng = np.random.RandomState(c["seed"])
    with nengo.Network(seed=c["seed"]) as net:
        stim = nengo.Node(
            lambda t: np.sin(2 * np.pi * t * np.arange(1, c["dims"] + 1)) * 0.8
        )
        pre = nengo.Ensemble(c["n_pre"], c["dims"], neuron_type=c["pre_type"])
        post = nengo.Ensemble(c["n_post"], c["dims"], neuron_type=c["post_type"])
        nengo.Connection(stim, pre)
        nengo.Connection(stim, post, transform=0.5)
        weights = nengo.solvers.LstsqL2(weights=True)
        if c["kind"] == "ens":
            src, dst, kw = pre, post[c["dim_sl"]], dict(solver=weights)
            n_out = len(range(c["dims"])[c["dim_sl"]])
            kw["function"] = lambda x, n=n_out: np.ones(n) * 0.1 * x.sum()
        elif c["kind"] == "neurons":
            src, dst = pre.neurons[c["pre_sl"]], post.neurons[c["post_sl"]]
            shape = (dst.size_in, src.size_out)
            kw = dict(transform=rng.uniform(-1e-3, 1e-3, shape))
        else:
            src, dst = pre, post.neurons[c["post_sl"]]
            shape = (dst.size_in, c["dims"])
            kw = dict(transform=rng.uniform(-0.1, 0.1, shape), solver=weights)
        with warnings.catch_warnings():
            # Ensemble -> Neurons needs solver.weights, then warns it is unused
            warnings.simplefilter("ignore", UserWarning)
            conn = nengo.Connection(src, dst, learning_rule_type=c["rule"], **kw)
        size = conn.learning_rule.size_in
        nengo.Connection(error_node(size, c["seed"]), conn.learning_rule, synapse=None)
        net.conn, net.pre, net.post = conn, pre, post
        net.p_rule = {
            k: nengo.Probe(conn.learning_rule, k)
            for k in ("error", "pre_filtered", "post_filtered", "theta")
        }
        net.p_weights = nengo.Probe(conn, "weights")
        net.p_pre_spikes = nengo.Probe(pre.neurons, synapse=None)
        net.p_post_spikes = nengo.Probe(post.neurons, synapse=None)
    return net


def _filt(synapse, x, dt, y0=0.0):
    """``synapse`` applied to the rows of ``x`` (set mode); None passes through."""
    if synapse is None:
        return x
    return synapse.filt(x, dt=dt, y0=y0)


def numpy_reference(c, sim, net):
    """The documented formula, from the probed signals and the built constants."""
    rule, dt = c["rule"], c["dt"]
    d = {k: sim.data[p] for k, p in net.p_rule.items()}
    w = sim.data[net.p_weights]
    pre_sl = c["pre_sl"] if c["kind"] == "neurons" else slice(None)
    post_sl = c["post_sl"]
    pre_spikes = sim.data[net.p_pre_spikes][:, pre_sl]
    post_spikes = sim.data[net.p_post_spikes][:, post_sl]

    # the filtered activities: the rule's synapses on the neurons' output
    pre = _filt(rule.pre_synapse, pre_spikes, dt)
    post = _filt(rule.post_synapse, post_spikes, dt)

    built = sim.data[net.post]
    gain = built.gain[post_sl]
    enc = built.scaled_encoders[post_sl]  # alpha_j e_j / r
    error = np.zeros((len(d["error"]), c["dims"]))
    error[:, c["dim_sl"]] = d["error"]  # the error, at the post dimensions
    local_error = error @ enc.T
    n_pre = pre.shape[1]

    # theta and beta
    init = rule.theta_init
    if init is None:
        theta0 = np.zeros(post.shape[1])
    elif init == "rates":
        theta0 = nengo.builder.ensemble.get_activities(
            built, net.post, built.eval_points
        ).mean(axis=0)[post_sl]
    elif init == "max_rates":
        ones = np.ones((1, c["n_post"]))
        theta0 = net.post.neuron_type.rates(ones, built.gain, built.bias)[0][post_sl]
    else:
        theta0 = np.broadcast_to(np.asarray(init, float), post.shape[1:])
    syn = rule.theta_synapse
    if rule.unsupervised_scale == "auto":
        ones = np.ones((1, c["n_post"]))
        r_max = net.post.neuron_type.rates(ones, built.gain, built.bias)[0][post_sl]
        beta = np.where(r_max > 0, 1 / (n_pre * np.maximum(r_max, 1e-300) ** 2), 0)
        if syn is None:
            theta = post**2 / np.maximum(post, FLOOR)
        else:  # both moments of a, 'update' mode: theta[k] from a up to k - 1
            shifted = np.vstack([theta0[None], post[:-1]])
            m2 = _filt(
                syn, np.vstack([theta0[None] ** 2, post[:-1] ** 2]), dt, y0=theta0**2
            )
            m1 = _filt(syn, shifted, dt, y0=theta0)
            theta = m2 / np.maximum(m1, FLOOR)
    else:  # nengo.BCM's: the post spikes, 'set' mode
        beta = rule.unsupervised_scale
        theta = _filt(syn, post_spikes, dt, y0=theta0)

    s, kappa = rule.supervision_ratio, rule.learning_rate
    w_ref = [w[0]]
    for k in range(len(w) - 1):
        v = -kappa * dt * s / n_pre * local_error[k] + kappa * dt * (
            1 - s
        ) * beta * gain * post[k] * (post[k] - theta[k])
        w_ref.append(w_ref[-1] + np.outer(v, pre[k]))
    return dict(pre_filtered=pre, post_filtered=post, theta=theta), np.array(w_ref)


def check_reference(c):
    net = build_net(c)
    if c["refused"]:
        with pytest.raises(BuildError, match=f"post neuron type {c['post_type']}"):
            nengo.Simulator(net, dt=c["dt"])
        return
    with nengo.Simulator(net, dt=c["dt"]) as sim:
        sim.run_steps(c["steps"])
    signals, w_ref = numpy_reference(c, sim, net)
    for key, expected in signals.items():
        actual = sim.data[net.p_rule[key]]
        scale = np.abs(expected).max(initial=0) + 1.0
        assert np.allclose(actual, expected, rtol=1e-9, atol=1e-9 * scale), key
    w = sim.data[net.p_weights]
    scale = np.abs(w).max() + np.abs(w_ref).max()
    assert np.allclose(w, w_ref, rtol=1e-9, atol=1e-12 * scale)


def _settings(n):
    return hypothesis.settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )


@_settings(30)
@hypothesis.given(cases())
def test_reference_matches_numpy(c):
    check_reference(c)


@pytest.mark.slow
@_settings(400)
@hypothesis.given(cases())
def test_reference_matches_numpy_many(c):
    check_reference(c)


HAS_NENGO_DL = importlib.util.find_spec("nengo_dl") is not None


def check_nengo_dl(c, minibatch_size):
    import dl_simloader

    net = build_net(c)
    if c["refused"]:
        return  # the build function is the reference's (tested above)
    Simulator = dl_simloader.make_dl_sim(None, minibatch_size=minibatch_size)
    with Simulator(net, dt=c["dt"]) as sim:
        assert sim.reference is not None  # every probe is checked on exit
        sim.run_steps(c["steps"])


@pytest.mark.skipif(not HAS_NENGO_DL, reason="nengo_dl is not installed")
@_settings(10)
@hypothesis.given(cases(), st.sampled_from([1, 2]))
def test_nengo_dl_matches_reference(c, minibatch_size):
    check_nengo_dl(c, minibatch_size)


@pytest.mark.slow
@pytest.mark.skipif(not HAS_NENGO_DL, reason="nengo_dl is not installed")
@_settings(100)
@hypothesis.given(cases(), st.sampled_from([1, 2]))
def test_nengo_dl_matches_reference_many(c, minibatch_size):
    check_nengo_dl(c, minibatch_size)
