"""
Reference (NumPy) backend of the hPES rule: the `.SimHPES` operator and `.build_hpes`.

Importing this module registers `.build_hpes` with nengo's builder; the package's
``__init__`` imports it for that reason.
"""

import numpy as np
from nengo.builder import Builder, Operator, Signal
from nengo.builder.connection import slice_signal
from nengo.builder.ensemble import get_activities
from nengo.builder.learning_rules import (
    build_or_passthrough,
    get_post_ens,
)
from nengo.builder.operator import Copy, DotInc, ElementwiseInc, Reset
from nengo.builder.processes import SimProcess
from nengo.ensemble import Ensemble, Neurons
from nengo.exceptions import BuildError
from nengo.neurons import Direct

from nengo_hpes._blas import rank_one_inc
from nengo_hpes.learning_rules import HPES

#: Lower bound (Hz) on the denominator of the ratio threshold
#: ``theta = <a^2> / max(<a>, THETA_FLOOR)`` (see `.SimHPES`).
THETA_FLOOR = 1e-3


class SimHPES(Operator):
    r"""
    Calculate the hPES weight change (the update of `.HPES`) as two factors.

    Per step, computes :math:`\theta_j = n_j / \max(d_j, \theta_{floor})` into
    ``theta`` and the rank-one change :math:`\Delta \omega_{ji} = v_j a_i` of
    the `.HPES` formula, with

    .. math::

       v_j = -\frac{\kappa \, dt \, S}{n_{pre}} \, \epsilon_j
             + \kappa \, dt \, (1 - S) \, \beta_j \, \alpha_j \,
               a_j (a_j - \theta_j)

    (symbols as in `.HPES`). It stores :math:`v` in ``post_factor`` and a copy
    of :math:`a` in ``pre_factor``; `.RankOneInc` adds their outer product to
    the weights at the next step (nengo's one-step delay). ``delta`` is filled
    only if something else reads it (a probe), decided once in `.make_step`
    through ``delta_needed``.

    Conventions: the supervised term is scaled by :math:`-\kappa dt / n_{pre}`
    (as `~nengo.builder.learning_rules.SimPES`), the unsupervised one by
    :math:`\kappa dt` with no :math:`1/n` (as
    `~nengo.builder.learning_rules.SimBCM`), in the same order of operations,
    so S = 1 and S = 0 reproduce them bit for bit. With a numeric
    ``unsupervised_scale``, `.build_hpes` passes nengo.BCM's filtered spikes as
    :math:`n_j` and ones as :math:`d_j` (dividing by 1.0 is exact).
    :math:`\theta_{floor}` is `THETA_FLOOR`.

    Parameters
    ----------
    pre_filtered : Signal
        :math:`a_i`.
    post_filtered : Signal
        :math:`a_j`.
    theta_num : Signal
        :math:`n_j`.
    theta_den : Signal
        :math:`d_j`.
    local_error : Signal
        :math:`\epsilon_j`.
    delta : Signal
        :math:`\Delta \omega_{ji}` (for probes).
    post_factor : Signal
        Receives :math:`v` (``n_post``).
    pre_factor : Signal
        Receives a copy of :math:`a` (``n_pre``).
    theta : Signal
        Receives :math:`\theta_j`.
    learning_rate : float
        :math:`\kappa`.
    supervision_ratio : float
        :math:`S`.
    unsupervised_scale : (n_post,) array_like
        :math:`\beta_j`.
    gain : (n_post,) array_like
        :math:`\alpha_j`.
    tag : str, optional
        A label associated with the operator, for debugging purposes.

    Attributes
    ----------
    delta_needed : bool or callable
        Whether ``delta`` must be filled; a callable is evaluated once, in
        `.make_step`.

    Notes
    -----
    1. sets ``[]``
    2. incs ``[]``
    3. reads ``[pre_filtered, post_filtered, local_error, theta_num, theta_den]``
    4. updates ``[delta, post_factor, pre_factor, theta]``
    """

    def __init__(
        self,
        pre_filtered,
        post_filtered,
        theta_num,
        theta_den,
        local_error,
        delta,
        post_factor,
        pre_factor,
        theta,
        learning_rate,
        supervision_ratio,
        unsupervised_scale,
        gain,
        tag=None,
    ):
        super().__init__(tag=tag)
        self.learning_rate = learning_rate
        self.supervision_ratio = supervision_ratio
        n_post = post_filtered.shape[0]
        self.unsupervised_scale = np.broadcast_to(
            np.asarray(unsupervised_scale, dtype=np.float64), (n_post,)
        ).copy()
        self.gain = np.broadcast_to(
            np.asarray(gain, dtype=np.float64), (n_post,)
        ).copy()
        self.delta_needed = True

        self.sets = []
        self.incs = []
        self.reads = [pre_filtered, post_filtered, local_error, theta_num, theta_den]
        self.updates = [delta, post_factor, pre_factor, theta]

    @property
    def pre_filtered(self):
        return self.reads[0]

    @property
    def post_filtered(self):
        return self.reads[1]

    @property
    def local_error(self):
        return self.reads[2]

    @property
    def theta_num(self):
        return self.reads[3]

    @property
    def theta_den(self):
        return self.reads[4]

    @property
    def delta(self):
        return self.updates[0]

    @property
    def post_factor(self):
        return self.updates[1]

    @property
    def pre_factor(self):
        return self.updates[2]

    @property
    def theta(self):
        return self.updates[3]

    @property
    def _descstr(self):
        return f"pre={self.pre_filtered}, post={self.post_filtered} -> factors"

    def coefficients(self, dt, n_pre):
        """
        Return the supervised (scalar) and unsupervised (per post neuron) factors.

        ``sup = (-kappa * dt / n_pre) * S`` and
        ``unsup = (kappa * dt) * ((1 - S) * beta * gain)``, in this order, so
        that S = 1 and S = 0 give SimPES's and SimBCM's factors bit for bit.
        """
        sup = (-self.learning_rate * dt / n_pre) * self.supervision_ratio
        unsup = (self.learning_rate * dt) * (
            (1.0 - self.supervision_ratio) * self.unsupervised_scale * self.gain
        )
        return sup, unsup

    def make_step(self, signals, dt, rng):
        pre = signals[self.pre_filtered]
        post = signals[self.post_filtered]
        num = signals[self.theta_num]
        den = signals[self.theta_den]
        err = signals[self.local_error]
        delta = signals[self.delta]
        v = signals[self.post_factor]
        pre_copy = signals[self.pre_factor]
        theta = signals[self.theta]
        floor = np.asarray(THETA_FLOOR, dtype=post.dtype)

        sup, unsup = self.coefficients(dt, pre.shape[0])
        unsup = unsup.astype(post.dtype)
        has_unsup = bool(np.any(unsup != 0))
        u = np.zeros(post.shape, dtype=post.dtype)
        d = np.zeros_like(u)
        need = self.delta_needed
        need_delta = bool(need() if callable(need) else need)

        # the operations are ordered as in SimPES ((sup * err) * pre) and SimBCM
        # ((unsup * post) * (post - theta) * pre) so the limits are exact
        def step_simhpes():
            np.maximum(den, floor, out=theta)
            np.divide(num, theta, out=theta)
            np.multiply(err, sup, out=v)
            if has_unsup:
                np.multiply(unsup, post, out=u)
                np.subtract(post, theta, out=d)
                np.multiply(u, d, out=u)
                np.add(v, u, out=v)
            if need_delta:
                np.outer(v, pre, out=delta)
            pre_copy[...] = pre

        return step_simhpes


class RankOneInc(Operator):
    r"""
    Increment a matrix in place by an outer product: ``target += outer(x, y)``.

    Calls BLAS ``?ger`` of numpy's own BLAS library on the matrix's memory, so
    no temporary of the matrix's size is made (see `nengo_hpes._blas` for why
    not SciPy's, and for the NumPy fallback). `.build_hpes` uses it to apply
    `.SimHPES`'s factors to the weights.

    Parameters
    ----------
    x : Signal
        The column factor (``target.shape[0]``).
    y : Signal
        The row factor (``target.shape[1]``).
    target : Signal
        The matrix to increment.
    tag : str, optional
        A label associated with the operator, for debugging purposes.

    Notes
    -----
    1. sets ``[]``
    2. incs ``[target]``
    3. reads ``[x, y]``
    4. updates ``[]``
    """

    def __init__(self, x, y, target, tag=None):
        super().__init__(tag=tag)
        if target.shape != (x.size, y.size):
            raise BuildError(
                f"RankOneInc: target shape {target.shape} != ({x.size}, {y.size})"
            )
        self.sets = []
        self.incs = [target]
        self.reads = [x, y]
        self.updates = []

    @property
    def x(self):
        return self.reads[0]

    @property
    def y(self):
        return self.reads[1]

    @property
    def target(self):
        return self.incs[0]

    @property
    def _descstr(self):
        return f"{self.target} += outer({self.x}, {self.y})"

    def make_step(self, signals, dt, rng):
        step_rankoneinc = rank_one_inc(
            signals[self.x], signals[self.y], signals[self.target]
        )
        step_rankoneinc.__name__ = "step_rankoneinc"
        return step_rankoneinc


class _SignalRead:
    """Whether anything in ``model`` but ``op`` reads ``signal`` (or a view of it)."""

    def __init__(self, model, signal, op):
        self.model = model
        self.signal = signal
        self.op = op

    def __call__(self):
        base = self.signal
        for probe in self.model.probes:
            sig = self.model.sig[probe].get("in", None)
            if sig is not None and sig.base is base:
                return True
        for op in self.model.operators:
            if op is not self.op and any(s.base is base for s in op.reads + op.incs):
                return True
        return False


def _max_rates(ens, built_ens, sl):
    """Each neuron's rate at the radius along its encoder (the rate at x.e = r)."""
    x = np.ones((1, ens.n_neurons))
    return np.asarray(ens.neuron_type.rates(x, built_ens.gain, built_ens.bias))[0][sl]


def _theta_init(model, hpes, conn, post_ens, sl, n_post):
    """Resolve ``hpes.theta_init`` to an array of ``n_post`` rates (or None)."""
    init = hpes.theta_init
    if init is None:
        return None
    built = model.params[post_ens]
    if init == "rates":
        rates = get_activities(built, post_ens, built.eval_points).mean(axis=0)
        return np.asarray(rates, dtype=np.float64)[sl]
    if init == "max_rates":
        return _max_rates(post_ens, built, sl)
    theta0 = np.asarray(init, dtype=np.float64)
    if theta0.ndim == 0:
        return np.full(n_post, float(theta0))
    if theta0.shape != (n_post,):
        raise BuildError(
            f"HPES.theta_init has {theta0.size} values, but {conn} has {n_post} "
            "post neurons; give one value per post neuron, or a number"
        )
    return theta0


def _saturates(neuron_type):
    """Whether ``neuron_type``'s rate stays bounded as the input current grows."""
    x = np.array([[1e3, 1e6]])
    with np.errstate(all="ignore"):
        r = np.asarray(neuron_type.rates(x, np.ones(2), np.zeros(2)), dtype=float)
    return bool(np.all(np.isfinite(r)) and r[0, 1] <= 2 * max(r[0, 0], 1.0))


def _check_auto_post(hpes, conn, neuron_type):
    r"""
    Refuse post neuron types for which ``unsupervised_scale="auto"`` has no meaning.

    The "auto" term is :math:`a_j (a_j - \theta_j) / \hat{r}_j^2` with the
    threshold :math:`\langle a_j^2 \rangle / \langle a_j \rangle`: it needs
    rates that are non-negative (else the mean in the denominator can vanish
    or change sign and the threshold explodes) and bounded by
    :math:`\hat{r}_j` (else the term grows with the rate and the weights run
    away). With ``supervision_ratio=1`` the term is off and any type works.
    """
    if hpes.unsupervised_scale != "auto" or hpes.supervision_ratio == 1:
        return
    instead = (
        "Use supervision_ratio=1 (PES only), a number for unsupervised_scale "
        "(nengo.BCM's threshold, at a scale you choose), or post neurons with "
        "non-negative, saturating rates such as nengo.LIF()"
    )
    if neuron_type.negative:
        raise BuildError(
            f"HPES(unsupervised_scale='auto') on {conn}: the post neuron type "
            f"{neuron_type} can have negative activities, for which the 'auto' "
            "threshold <a^2>/<a> is meaningless (it explodes and the unsupervised "
            f"term swamps the supervised one). {instead}."
        )
    if not _saturates(neuron_type):
        raise BuildError(
            f"HPES(unsupervised_scale='auto') on {conn}: the post neuron type "
            f"{neuron_type} has no maximum rate (its rate grows without bound "
            "with the input current), so the 'auto' unsupervised term grows with "
            f"it and the weights run away. {instead}."
        )


def _make_state(synapse, shape, dt, dtype, y0, name):
    """
    ``synapse.make_state(..., y0=y0)`` for a per-neuron ``y0``.

    Some synapses only take a scalar ``y0`` (nengo 4.1's ``Triangle`` tests
    ``y0 != 0``). For those, the state is built as ``s0 + y0 * (s1 - s0)`` from
    the states at ``y0=0`` and ``y0=1``, after checking on ``y0=2`` that the
    state is affine in ``y0``, as it is for every linear synapse.
    """
    s0 = synapse.make_state(shape, shape, dt, dtype=dtype, y0=0)
    if np.any(y0 != 0) and all(np.size(v) == 0 for v in s0.values()):
        raise BuildError(
            f"HPES: theta_synapse {synapse} has no state to start theta at "
            "theta_init (it passes its input through); use theta_init=None or a "
            "synapse with a time constant > 0"
        )
    try:
        return synapse.make_state(shape, shape, dt, dtype=dtype, y0=y0)
    except (ValueError, TypeError):
        pass
    s1 = synapse.make_state(shape, shape, dt, dtype=dtype, y0=1)
    s2 = synapse.make_state(shape, shape, dt, dtype=dtype, y0=2)
    state = {}
    for key, v0 in s0.items():
        diff = np.asarray(s1[key] - v0)
        affine = np.allclose(s2[key], v0 + 2 * diff, rtol=1e-6, atol=0)
        if not affine or (np.any(diff != 0) and diff.shape[-1:] != shape):
            raise BuildError(  # pragma: no cover (no nengo synapse does this)
                f"HPES: cannot start theta_synapse {synapse} at theta_init for "
                f"{name} (its state '{key}' is not linear in the initial value); "
                "use theta_init=None"
            )
        state[key] = (v0 + diff * y0).astype(v0.dtype) if np.any(diff) else v0
    return state


def _build_filter(model, synapse, sig_in, y0, name, mode="set"):
    """
    Filter ``sig_in`` with ``synapse``, the filter's output starting at ``y0``.

    Like nengo's ``build_process`` for a synapse (which learning rules use in
    'set' mode: the output at step k includes the input at step k; in 'update'
    mode, what reads the output at step k sees the input up to step k - 1),
    but with the synapse state made for ``y0`` and the output signal starting
    at ``y0`` (nengo starts every synapse at zero). ``synapse=None`` returns
    ``sig_in``.
    """
    if synapse is None:
        return sig_in
    shape = sig_in.shape
    dtype = sig_in.dtype
    y0 = np.asarray(y0, dtype=dtype)
    state_init = _make_state(synapse, shape, model.dt, dtype, y0, name)
    state = {}
    for key, value in state_init.items():
        state[key] = Signal(value, name=f"{name}_state_{key}")
    output = Signal(np.broadcast_to(y0, shape).copy(), name=name)
    model.add_op(
        SimProcess(
            synapse, sig_in, output, model.time, mode=mode, state=state, tag=name
        )
    )
    return output


def _build_theta(model, hpes, post_activities, post_filtered, theta0):
    """
    Build the numerator and denominator of theta, and the signal theta.

    With ``unsupervised_scale="auto"``: ``<a^2>`` and ``<a>`` (``a`` is
    ``post_filtered``), both filtered by ``theta_synapse`` in 'update' mode
    (theta at step k from ``a`` up to step k - 1) and started where theta
    starts (``theta0`` and ``theta0**2``; zero for None), so theta =
    ``<a^2> / <a>`` is ``theta0`` at the first step. With a number: nengo.BCM's theta
    (the post spikes filtered by ``theta_synapse`` in 'set' mode, as nengo
    builds a learning rule's synapses, from ``theta0`` or 0) over a constant 1.

    Returns ``(numerator, denominator, theta)``, theta being the signal that
    `.SimHPES` fills.
    """
    n = post_filtered.size
    dtype = post_filtered.dtype
    synapse = hpes.theta_synapse
    start = np.zeros(n) if theta0 is None else theta0
    theta = Signal(start.astype(dtype), name="HPES:theta")
    if hpes.unsupervised_scale != "auto":
        if theta0 is None:
            num = build_or_passthrough(model, synapse, post_activities)
        else:
            num = _build_filter(
                model, synapse, post_activities, theta0, "HPES:theta_spikes"
            )
        return num, Signal(np.ones(n, dtype=dtype), name="HPES:one"), theta

    # a**2 as post_filtered * (a copy of it): nengo's optimizer cannot merge
    # ElementwiseIncs whose two factors are the same signal
    copied = Signal(shape=(n,), name="HPES:post_copy")
    model.add_op(Copy(post_filtered, copied))
    squared = Signal(shape=(n,), name="HPES:post_squared")
    model.add_op(Reset(squared))
    model.add_op(ElementwiseInc(post_filtered, copied, squared, tag="HPES:square"))
    # 'update' mode: theta at step k uses a up to step k - 1, so SimHPES does
    # not wait for this chain and NengoDL can merge the ops of several rules
    num = _build_filter(
        model, synapse, squared, start**2, "HPES:theta_sq", mode="update"
    )
    den = _build_filter(
        model, synapse, post_filtered, start, "HPES:theta_mean", mode="update"
    )
    return num, den, theta


def _remove_delta_copy(model, delta, weights):
    """Remove the ``Copy(delta, weights, inc=True)`` that nengo's rule builder added."""
    for k, op in enumerate(model.operators):
        if isinstance(op, Copy) and op.src is delta and op.dst is weights and op.inc:
            del model.operators[k]
            return
    raise BuildError(  # pragma: no cover (nengo's build_learning_rule adds it)
        "HPES: nengo's Copy(delta, weights, inc=True) was not found; this nengo "
        "version builds learning rules differently from nengo 4"
    )


@Builder.register(HPES)
def build_hpes(model, hpes, rule):
    """
    Builds an `.HPES` object into a model.

    Filters the pre and post activities, projects the error onto the post
    neurons' scaled encoders, builds theta's numerator and denominator
    (started at ``theta_init``), and adds one `.SimHPES` and one `.RankOneInc`,
    which replaces the ``Copy(delta, weights, inc=True)`` of nengo's generic
    learning-rule builder (same one-step delay, no ``n_post x n_pre``
    temporary). The formula and its conventions are in `.HPES`.

    The error is padded to the post ensemble's full dimensionality instead of
    slicing the encoders along axis 1, so that NengoDL can run the same ops.

    Parameters
    ----------
    model : Model
        The model to build into.
    hpes : HPES
        Learning rule type to build.
    rule : LearningRule
        The learning rule object corresponding to the neuron type.

    Notes
    -----
    Does not modify ``model.params[]`` and can therefore be called
    more than once with the same `.HPES` instance.
    """
    conn = rule.connection
    post_ens = get_post_ens(conn)
    if not isinstance(post_ens, Ensemble):  # pragma: no cover (nengo validates)
        raise BuildError(f"{hpes} needs neurons after the connection, got {post_ens}")
    if isinstance(post_ens.neuron_type, Direct):
        raise BuildError(
            f"{hpes} on {conn}: the post ensemble has Direct neurons, which have no "
            "activities, gains or encoders for the rule; give it spiking or rate "
            "neurons (e.g. nengo.LIF()), or learn a decoded connection with nengo.PES"
        )

    _check_auto_post(hpes, conn, post_ens.neuron_type)

    # --- error input (the user connects E = actual - target here)
    error = Signal(shape=(rule.size_in,), name="HPES:error")
    model.add_op(Reset(error))
    model.sig[rule]["in"] = error

    # --- which post neurons the weight rows belong to
    if isinstance(conn.post_obj, Neurons):
        post_slice = conn.post_slice
        if not isinstance(post_slice, slice):
            raise BuildError(
                f"{hpes} on {conn}: only basic slices (e.g. ens.neurons[2:10]) of the "
                "post neurons are supported, not advanced indexing (got "
                f"{post_slice!r}); connect to a contiguous slice or to all neurons"
            )
    else:
        post_slice = slice(None)  # weights cover every post neuron

    # --- filtered activities
    pre_activities = (
        slice_signal(model, model.sig[conn.pre_obj]["out"], conn.pre_slice)
        if isinstance(conn.pre_obj, Neurons)
        else model.sig[conn.pre_obj]["out"]
    )
    post_activities = model.sig[post_ens.neurons]["out"][post_slice]
    pre_filtered = build_or_passthrough(model, hpes.pre_synapse, pre_activities)
    post_filtered = build_or_passthrough(model, hpes.post_synapse, post_activities)
    n_pre, n_post = pre_filtered.size, post_filtered.size

    weights = model.sig[conn]["weights"]
    if weights.shape != (n_post, n_pre):  # pragma: no cover (nengo validates)
        raise BuildError(
            f"{hpes} on {conn}: weights have shape {weights.shape}, expected "
            f"(n_post, n_pre) = {(n_post, n_pre)}"
        )

    # --- theta: <a^2> / <a> with "auto" scale, else nengo.BCM's filtered spikes
    theta0 = _theta_init(model, hpes, conn, post_ens, post_slice, n_post)
    theta_num, theta_den, theta = _build_theta(
        model, hpes, post_activities, post_filtered, theta0
    )

    # --- local error: scaled encoders (gain / radius) times the error
    encoders = model.sig[post_ens]["encoders"]
    if isinstance(conn.post_obj, Neurons):
        encoders = encoders[post_slice]
        padded_error = error
    elif conn.post_obj is conn.post:
        padded_error = error
    else:
        # pad the error to the full state instead of slicing encoders on axis 1
        padded_error = Signal(shape=(encoders.shape[1],), name="HPES:padded_error")
        model.add_op(Copy(error, padded_error, dst_slice=conn.post_slice))
    local_error = Signal(shape=(n_post,), name="HPES:local_error")
    model.add_op(Reset(local_error))
    model.add_op(DotInc(encoders, padded_error, local_error, tag="HPES:encode"))

    # --- per post neuron constants
    built_post = model.params[post_ens]
    gain = np.asarray(built_post.gain, dtype=np.float64)[post_slice]
    if hpes.unsupervised_scale == "auto":
        max_rates = _max_rates(post_ens, built_post, post_slice)
        scale = np.zeros(n_post)
        active = max_rates > 0
        scale[active] = 1.0 / (n_pre * max_rates[active] ** 2)
    else:
        scale = np.full(n_post, hpes.unsupervised_scale)

    delta = model.sig[rule]["delta"]
    _remove_delta_copy(model, delta, weights)
    post_factor = Signal(shape=(n_post,), name="HPES:post_factor")
    pre_factor = Signal(shape=(n_pre,), name="HPES:pre_factor")
    model.add_op(RankOneInc(post_factor, pre_factor, weights, tag="HPES:apply"))
    op = SimHPES(
        pre_filtered,
        post_filtered,
        theta_num,
        theta_den,
        local_error,
        delta,
        post_factor,
        pre_factor,
        theta,
        learning_rate=hpes.learning_rate,
        supervision_ratio=hpes.supervision_ratio,
        unsupervised_scale=scale,
        gain=gain,
        tag="HPES",
    )
    op.delta_needed = _SignalRead(model, delta, op)
    model.add_op(op)

    # expose these for probes
    model.sig[rule]["error"] = error
    model.sig[rule]["local_error"] = local_error
    model.sig[rule]["pre_filtered"] = pre_filtered
    model.sig[rule]["post_filtered"] = post_filtered
    model.sig[rule]["theta"] = theta
