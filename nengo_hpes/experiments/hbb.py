"""
The "How to Build a Brain" chapter-6 learning demo, and how to port it to HPES.

Nengo 1.4 ran the book's chapter-6 tutorial ("learning a communication
channel") with its built-in hPES rule; Nengo 2+ ports it as two rules on one
connection (``nengo/nengo-gui:nengo_gui/examples/hbb_tutorials/chapter6/learn.py``):
``{"pes": nengo.PES(...), "bcm": nengo.BCM(...)}`` on a 50 -> 50
``pre -> post`` connection with a weight solver, started at a random constant,
learning ``post = pre`` for 15 s from a 100-neuron error ensemble that is then
inhibited. `build_network` is that network (the demo's seed 7 layout, sizes,
synapses, input and inhibition), with the start constant drawn from the seed
(the demo's ``np.random.random(1)`` is unseeded) and any rule in place of the
pair; `run` returns the RMSE of ``post - pre`` while the error is inhibited.

`PORTS` are the ways to write the pair as one rule that the docs compare
(``docs/paper-2013.md``, "The HBB chapter-6 demo"; measured by
``benchmarks/hbb_chapter6.py``):

* ``"pes+bcm"``: the demo's pair as the issue reported it, ``nengo.PES(1e-3)``
  and ``nengo.BCM()`` (learning rate 1e-9);
* ``"pes"``: ``nengo.PES(1e-3)`` alone;
* ``"hpes-auto"``: ``HPES(1.25e-3, supervision_ratio=0.8)``, the obvious port:
  the supervised rate 1.25e-3 x 0.8 = 1e-3 is PES's, the unsupervised term is
  the package's ``"auto"`` scale and threshold;
* ``"hpes-auto-0.95"``, ``"hpes-auto-0.99"``: the same with S = 0.95 and
  0.99 (learning rate 1e-3 / S);
* ``"hpes-literal"``: ``HPES(1.25e-3, supervision_ratio=0.8,
  unsupervised_scale=4e-6, theta_init=None)``: nengo.BCM's threshold (the
  post spikes through ``Lowpass(1.0)``, from 0) and a BCM rate of
  1.25e-3 x 0.2 x 4e-6 = 1e-9, nengo.BCM's; it differs from the pair only by
  the post gain that the paper's BCM term carries;
* ``"hpes-literal-gain"``: the literal port with its BCM rate divided by
  12.6, the median post gain of the demo's post ensemble (seeds 0 and 1), so
  that the gain-weighted term of a typical post neuron matches nengo.BCM's;
* ``"hpes-default"``: ``HPES(1e-3 / 0.999, supervision_ratio=0.999)``, the
  package's supervision ratio at PES's rate.
"""

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.processes import WhiteSignal

from nengo_hpes.builder import SimHPES
from nengo_hpes.experiments.validation import check_choice, check_int, check_number
from nengo_hpes.learning_rules import HPES

#: The demo's timing: learn for 15 s, then the error is inhibited.
LEARN_TIME = 15.0
#: Simulated time: 15 s learning, then 15 s tested (the input's period is 30 s).
SIM_TIME = 30.0


def _ports():
    return {
        "pes+bcm": lambda: [nengo.PES(1e-3), nengo.BCM()],
        "pes": lambda: nengo.PES(1e-3),
        "hpes-auto": lambda: HPES(1.25e-3, supervision_ratio=0.8),
        "hpes-auto-0.95": lambda: HPES(1e-3 / 0.95, supervision_ratio=0.95),
        "hpes-auto-0.99": lambda: HPES(1e-3 / 0.99, supervision_ratio=0.99),
        "hpes-literal": lambda: HPES(
            1.25e-3, supervision_ratio=0.8, unsupervised_scale=4e-6, theta_init=None
        ),
        "hpes-literal-gain": lambda: HPES(
            1.25e-3,
            supervision_ratio=0.8,
            unsupervised_scale=4e-6 / 12.6,
            theta_init=None,
        ),
        "hpes-default": lambda: HPES(1e-3 / 0.999, supervision_ratio=0.999),
    }


#: The compared rules, by name (see the module docstring).
PORTS = tuple(_ports())


def make_port(name):
    """A fresh rule (or list of rules) of ``name`` in `PORTS`."""
    check_choice("name", name, PORTS)
    return _ports()[name]()


def build_network(rule, seed=7, learn_time=LEARN_TIME):
    """
    The chapter-6 demo network with ``rule`` on its ``pre -> post`` connection.

    ``rule`` is a learning rule type, a list of them (the first one gets the
    error), a name in `PORTS`, or None (no learning: the start constant).
    Attributes added to the network: ``conn`` (the learned connection),
    ``p_error`` (``post - pre``, 10 ms filter) and ``learn_time``.
    """
    seed = check_int("seed", seed, low=0)
    learn_time = check_number("learn_time", learn_time, low=0)
    if isinstance(rule, str):
        rule = make_port(rule)
    start = np.random.RandomState(seed).random_sample(1)
    with nengo.Network(label="HBB chapter 6: learning", seed=seed) as net:
        pre = nengo.Ensemble(50, dimensions=1, label="Pre")
        post = nengo.Ensemble(50, dimensions=1, label="Post")
        error = nengo.Ensemble(100, dimensions=1, label="Learning Error")
        actual_error = nengo.Node(size_in=1, label="Actual Error")
        nengo.Connection(pre, actual_error, transform=-1)
        nengo.Connection(pre, error, transform=-1, synapse=0.02)
        nengo.Connection(post, actual_error, transform=1)
        nengo.Connection(post, error, transform=1, synapse=0.02)
        net.conn = nengo.Connection(
            pre,
            post,
            function=lambda x, start=start: start,
            solver=nengo.solvers.LstsqL2(weights=True),
            learning_rule_type=rule,
        )
        target = net.conn.learning_rule
        if isinstance(target, (list, tuple)):
            target = target[0]
        if target is not None:
            nengo.Connection(error, target)
        stim = nengo.Node(WhiteSignal(30, high=10), label="Input")
        nengo.Connection(stim, pre, synapse=0.02)
        inhibit = nengo.Node(lambda t: 2.0 if t > learn_time else 0.0)
        nengo.Connection(
            inhibit, error.neurons, transform=[[-3]] * error.n_neurons, synapse=0.01
        )
        net.p_error = nengo.Probe(actual_error, synapse=0.01)
    net.learn_time = learn_time
    return net


def run(rule, seed=7, sim_time=SIM_TIME, learn_time=LEARN_TIME):
    """
    Run the demo; return the RMSE of ``post - pre`` after ``learn_time``.

    The error ensemble is inhibited from ``learn_time`` to ``sim_time``, so
    this is how well the learned connection works on its own (the
    unsupervised term of a rule keeps acting meanwhile).
    """
    sim_time = check_number("sim_time", sim_time, low=learn_time, low_open=True)
    net = build_network(rule, seed=seed, learn_time=learn_time)
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run(sim_time)
    keep = sim.trange() > learn_time
    return float(np.sqrt(np.mean(sim.data[net.p_error][keep] ** 2)))


def bcm_coefficients(name, seed=7):
    """
    The unsupervised coefficient of an HPES port, per post neuron, and the gains.

    Builds the demo with the port ``name`` (an HPES port of `PORTS`) and
    returns ``(coefficient, gain)``, two arrays over the post neurons, where
    ``coefficient`` is :math:`\\kappa (1 - S) \\beta_j \\alpha_j`, the factor
    that multiplies :math:`a_i a_j (a_j - \\theta_j)` per second (nengo.BCM's
    is its ``learning_rate``).
    """
    net = build_network(name, seed=seed)
    if not isinstance(net.conn.learning_rule_type, HPES):
        raise ValidationError(f"Must be an HPES port (got {name!r})", attr="name")
    with nengo.Simulator(net, progress_bar=False) as sim:
        (op,) = [o for o in sim.model.operators if isinstance(o, SimHPES)]
    # the operator's own factors, per second (dt = 1): kappa (1 - S) beta_j alpha_j
    _, coefficient = op.coefficients(dt=1.0, n_pre=net.conn.pre_obj.n_neurons)
    return coefficient, op.gain.copy()
