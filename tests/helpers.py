"""
Networks shared by the rule's tests (``tests/`` is on ``sys.path``).

Only nengo and numpy: the rule's tests must run without the experiments
subpackage, SciPy, matplotlib or TensorFlow.
"""

import warnings

import nengo
import numpy as np

DT = 0.001


def error_node(dims, seed):
    """A deterministic, time-varying error signal (so results do not hinge on E)."""
    phases = np.random.RandomState(seed).uniform(0, 2 * np.pi, size=dims)
    return nengo.Node(
        lambda t: 0.5 * np.sin(2 * np.pi * 3 * t + phases), size_out=dims, label="E"
    )


def weights_net(
    rule,
    kind="ens",
    seed=0,
    dims=2,
    n_pre=30,
    n_post=40,
    post_gain=None,
    neuron_type=None,
):
    """
    A network with one learned connection and every object seeded, so that two
    rules build identical networks apart from the rule.

    kind: "ens" (Ensemble -> Ensemble, weight solver), "neurons" (Neurons ->
    Neurons), "ens_neurons" (Ensemble -> Neurons). ``rule`` may be a list.
    """
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(
            lambda t: np.sin(2 * np.pi * t * np.arange(1, dims + 1)), label="stim"
        )
        pre = nengo.Ensemble(n_pre, dims, seed=seed + 1, label="pre")
        kw = {}
        if post_gain is not None:
            kw = dict(
                gain=post_gain * np.ones(n_post), bias=np.linspace(0.2, 3.0, n_post)
            )
        if neuron_type is not None:
            kw["neuron_type"] = neuron_type
        post = nengo.Ensemble(n_post, dims, seed=seed + 2, label="post", **kw)
        nengo.Connection(stim, pre, seed=seed + 3)
        if kind == "ens":
            conn = nengo.Connection(
                pre,
                post,
                solver=nengo.solvers.LstsqL2(weights=True),
                seed=seed + 4,
                learning_rule_type=rule,
            )
        elif kind == "neurons":
            transform = np.random.RandomState(seed).uniform(
                -1e-3, 1e-3, (n_post, n_pre)
            )
            conn = nengo.Connection(
                pre.neurons,
                post.neurons,
                transform=transform,
                seed=seed + 4,
                learning_rule_type=rule,
            )
        elif kind == "ens_neurons":
            transform = np.random.RandomState(seed).uniform(-0.1, 0.1, (n_post, dims))
            with warnings.catch_warnings():
                # nengo requires solver.weights for a weights rule on Ensemble ->
                # Neurons, then warns that it has no effect
                warnings.simplefilter("ignore", UserWarning)
                conn = nengo.Connection(
                    pre,
                    post.neurons,
                    transform=transform,
                    solver=nengo.solvers.LstsqL2(weights=True),
                    seed=seed + 4,
                    learning_rule_type=rule,
                )
        else:
            raise ValueError(f"unknown kind {kind!r}")
        err = error_node(dims, seed)
        # the same error connection exists in every network, so the object graph
        # (and hence every derived seed) is the same whatever the rule
        lrs = [conn.learning_rule] if not isinstance(rule, list) else conn.learning_rule
        sink = nengo.Node(size_in=dims, label="sink")
        for lr in lrs:
            target = lr if lr.learning_rule_type.size_in != 0 else sink
            nengo.Connection(err, target, seed=seed + 5, synapse=None)
        net.conn = conn
        net.pre, net.post = pre, post
        net.p_weights = nengo.Probe(conn, "weights")
    return net


def run_weights(Simulator, net, steps=50, dt=DT):
    """Run ``net`` for ``steps`` steps; return the simulator and the weights."""
    with Simulator(net, dt=dt) as sim:
        sim.run_steps(steps)
    return sim, sim.data[net.p_weights]


def channel_net(
    rule,
    learn_time,
    seed=0,
    dims=1,
    n_neurons=100,
    neuron_type=None,
    target=None,
    post_radius=1.0,
    weights_sample_every=0.1,
):
    """
    A communication channel learned from a wrong start (the README's example).

    ``pre -> post`` is Ensemble -> Ensemble with a weight solver, started at a
    random constant function; the error ``post - target(pre)`` goes to the
    rule until ``learn_time``, then the error ensemble is silenced. ``target``
    (default identity) is applied to the decoded pre value. Probes: ``p_pre``
    (the target), ``p_post``, ``p_weights``.
    """
    target = (lambda x: x) if target is None else target
    n = n_neurons * dims
    post_kw = {} if neuron_type is None else {"neuron_type": neuron_type}
    with nengo.Network(seed=seed, label="channel") as net:
        stim = nengo.Node(
            nengo.processes.WhiteSignal(period=10.0, high=5, rms=0.3), size_out=dims
        )
        pre = nengo.Ensemble(n, dims)
        post = nengo.Ensemble(n, dims, radius=post_radius, **post_kw)
        error = nengo.Ensemble(n, dims, radius=post_radius)
        goal = nengo.Node(size_in=dims)
        nengo.Connection(stim, pre)
        nengo.Connection(pre, goal, function=target, synapse=None)
        start = np.random.RandomState(seed).uniform(-0.5, 0.5, size=dims)
        net.conn = nengo.Connection(
            pre,
            post,
            function=lambda x, start=start: start,
            solver=nengo.solvers.LstsqL2(weights=True),
            learning_rule_type=rule,
        )
        nengo.Connection(post, error)
        nengo.Connection(goal, error, transform=-1)
        nengo.Connection(error, net.conn.learning_rule)
        gate = nengo.Node(lambda t: 0.0 if t < learn_time else 1.0)
        nengo.Connection(
            gate, error.neurons, transform=-10 * np.ones((n, 1)), synapse=None
        )
        net.p_pre = nengo.Probe(goal, synapse=0.01)
        net.p_post = nengo.Probe(post, synapse=0.01)
        net.p_weights = nengo.Probe(
            net.conn, "weights", sample_every=weights_sample_every
        )
    net.learn_time = learn_time
    return net


def tail_rmse(sim, net):
    """RMSE of post against the target after ``net.learn_time``."""
    t = sim.trange()
    keep = t > net.learn_time
    err = sim.data[net.p_post][keep] - sim.data[net.p_pre][keep]
    return float(np.sqrt(np.mean(err**2)))
