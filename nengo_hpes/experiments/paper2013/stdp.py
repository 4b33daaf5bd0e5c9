r"""
Figs. 1 and 2 of the 2013 paper from `nengo_hpes.HPES` with S = 0.

The paper drew both figures with a NumPy model (``tbekolay/cogsci2013:
scripts/analysis/bcm.py``, ``BCMSim``), not with Nengo: one pre and one post
spike train, each filtered by ``a <- a - a dt / tau`` plus ``1 / tau`` per
spike, and a weight changed per step (dt 0.5 ms) by
``a_pre a_post (a_post - theta) / theta * dt`` from the previous step's
activities, theta fixed. Here the same spike trains drive a nengo network and
`nengo_hpes.HPES` (``supervision_ratio=0``) computes the weight change:

* one pair of neurons per point (pre neuron i, post neuron i, learned
  ``pre.neurons -> post.neurons``, the diagonal is read), the neurons of type
  `ScheduledSpiking` (they spike exactly on the steps a `nengo.Node` asks for);
* ``pre_synapse``/``post_synapse``: `script_filter`, the script's Euler
  filter as a discrete `nengo.LinearFilter` (nengo's ``Lowpass`` is its exact
  exponential, about 2.5 % different at dt / tau = 0.05);
* ``theta_synapse``: a discrete lowpass of time constant 2**40 steps started
  at ``theta_init`` = theta (`HOLD_SYNAPSE`; theta moves by < 1e-8 relative);
* ``learning_rate=1``, ``unsupervised_scale`` tiny (`BETA`), so that the
  learned weights never add a spike; the script's weight is the package's
  change divided by ``learning_rate * unsupervised_scale * gain * theta``.

`script_weight_change` is a NumPy transcription of ``BCMSim`` (the
reference); the test ``tests/experiments/test_paper2013_stdp.py`` checks that
the two agree and that the results meet the targets of ``docs/paper-2013.md``.
"""

import time

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.neurons import NeuronType

from nengo_hpes.experiments.paper2013.rule import check_number
from nengo_hpes.learning_rules import HPES

#: dt of the script (s).
DT = 0.0005
#: unsupervised_scale used by the drivers (keeps the learned weights tiny).
BETA = 1e-12
#: theta's "hold" filter: a discrete lowpass with a time constant of 2**40 steps.
HOLD_SYNAPSE = nengo.LinearFilter([2.0**-40], [1.0, -(1.0 - 2.0**-40)], analog=False)

#: Fig. 1 parameters (``bcm.py: main``).
FIG1 = dict(theta=51.0, tau_pre=0.01, tau_post=0.01, pulse_rate=5.0, num_pairings=10)
#: Fig. 2 parameters (``bcm.py: main``).
FIG2 = dict(
    theta_low=197.0,
    theta_high=216.0,
    tau_pre=0.36,
    tau_post=0.0022,
    pulse_delay=0.00135,
    num_pairings=5,
    pulse_rates=(1.0, 2.0, 10.0, 20.0, 100.0),
    seed=6,
    trials=25,
    scale_to=0.2,
)


class ScheduledSpiking(NeuronType):
    """
    A neuron that spikes on exactly the steps whose input current is >= 0.5.

    It has no state and no tuning curve of its own: drive it from a
    `nengo.Node` that outputs 1 on the steps it must spike and 0 elsewhere
    (with ``gain=1``, ``bias=0`` given to the ensemble).
    """

    spiking = True
    negative = False

    def gain_bias(self, max_rates, intercepts):
        return np.ones_like(max_rates), np.zeros_like(intercepts)

    def max_rates_intercepts(self, gain, bias):
        return np.full_like(gain, np.nan), np.full_like(bias, np.nan)

    def step(self, dt, J, output):
        output[...] = (J >= 0.5) / dt


def script_filter(tau, dt=DT):
    """
    ``BCMSim.filter_spikes`` as a discrete `nengo.LinearFilter`.

    ``a[k] = (1 - dt / tau) a[k-1] + (dt / tau) x[k]`` with nengo's spikes
    ``x = 1 / dt``: the script's ``a[k] = a[k-1] - a[k-1] dt / tau`` plus
    ``1 / tau`` on a spike step.
    """
    tau = check_number("tau", tau, low=dt, low_open=True)
    return nengo.LinearFilter([dt / tau], [1.0, -(1.0 - dt / tau)], analog=False)


def pairing_schedule(pulse_rate, pulse_delay, num_pairings, dt=DT):
    """
    Steps of the post and pre spikes, as ``BCMSim.run`` places them.

    Returns ``(n_steps, post_steps, pre_steps)``: the script's time axis
    ``arange(0, t_len + dt, dt)`` has ``n_steps`` samples, post spikes at
    0, 1/rate, ...; pre spikes ``pulse_delay`` later (a negative delay is
    taken modulo the gap, i.e. before the next post spike).
    """
    pulse_rate = check_number("pulse_rate", pulse_rate, low=0, low_open=True)
    num_pairings = check_number("num_pairings", num_pairings, low=1, integer=True)
    pulse_delay = check_number("pulse_delay", pulse_delay)
    gap = 1.0 / pulse_rate
    if abs(pulse_delay) >= gap:
        raise ValidationError(
            f"Must be a delay shorter than the gap between pairings, |delay| < "
            f"{gap} s (got {pulse_delay!r})",
            attr="pulse_delay",
        )
    if pulse_delay < 0.0:
        pulse_delay += gap
    t_len = gap * num_pairings
    n_steps = np.arange(0.0, t_len + dt, dt).shape[0]
    post = list(range(0, int(t_len / dt), int(gap / dt)))
    pre = list(range(int(pulse_delay / dt), int(t_len / dt), int(gap / dt)))
    return n_steps, post, pre


def _script_trace(steps, n_steps, tau, dt):
    spikes = np.zeros(n_steps)
    spikes[steps] = 1
    a = np.zeros(n_steps)
    for i in range(n_steps):
        if i > 0:
            a[i] = a[i - 1] - ((a[i - 1] / tau) * dt)
        if spikes[i] == 1:
            a[i] += 1.0 / tau
    return a


def script_weight_change(
    theta, tau_pre, tau_post, pulse_rate, pulse_delay, num_pairings, dt=DT
):
    """
    ``BCMSim(...).run()``'s final weight minus its start (NumPy reference).

    A transcription of ``tbekolay/cogsci2013:scripts/analysis/bcm.py``
    (theta fixed, ``theta_length=None``).
    """
    n_steps, post, pre = pairing_schedule(pulse_rate, pulse_delay, num_pairings, dt)
    a_post = _script_trace(post, n_steps, tau_post, dt)
    a_pre = _script_trace(pre, n_steps, tau_pre, dt)
    omega = 0.0
    for i in range(1, n_steps):
        omega = omega + (
            a_pre[i - 1] * (a_post[i - 1] * (a_post[i - 1] - theta) / theta) * dt
        )
    return omega


def hpes_weight_changes(pairs, tau_pre, tau_post, dt=DT):
    """
    Weight changes of independent spike pairings, computed by `.HPES` (S = 0).

    Parameters
    ----------
    pairs : list of dict
        One dict per pair with keys ``theta`` (Hz, fixed), ``pulse_rate``,
        ``pulse_delay`` and ``num_pairings`` (see `pairing_schedule`). All
        pairs run in one simulation; each pair's change is summed over its
        own schedule's steps.
    tau_pre, tau_post : float
        Time constants of the script's filters of the pre and post spikes.
    dt : float, optional
        Time step.

    Returns
    -------
    ndarray
        One change per pair, in the script's units (``BCMSim``'s weight).
    """
    if len(pairs) == 0:
        raise ValidationError("Must be at least one pair (got [])", attr="pairs")
    schedules = [
        pairing_schedule(p["pulse_rate"], p["pulse_delay"], p["num_pairings"], dt)
        for p in pairs
    ]
    thetas = np.array([check_number("theta", p["theta"], low=0) for p in pairs])
    n = len(pairs)
    # all pairs have the same length in every use here; else split the call
    lengths = {s[0] for s in schedules}
    if len(lengths) != 1:
        raise ValidationError(
            f"Must be pairs with schedules of one length (got {sorted(lengths)} "
            "steps); call once per length",
            attr="pairs",
        )
    n_steps = lengths.pop()
    pre_drive = np.zeros((n_steps, n))
    post_drive = np.zeros((n_steps, n))
    for i, (_, post, pre) in enumerate(schedules):
        post_drive[post, i] = 1.0
        pre_drive[pre, i] = 1.0

    def driver(drive):
        # script sample i is nengo's step i + 1 (t = (i + 1) dt)
        return lambda t: drive[min(int(round(t / dt)) - 1, n_steps - 1)]

    ones, zeros = np.ones(n), np.zeros(n)
    learning_rate = 1.0
    rule = HPES(
        learning_rate=learning_rate,
        supervision_ratio=0.0,
        unsupervised_scale=BETA,
        pre_synapse=script_filter(tau_pre, dt),
        post_synapse=script_filter(tau_post, dt),
        theta_synapse=HOLD_SYNAPSE,
        theta_init=thetas,
    )
    with nengo.Network() as net:
        kwargs = dict(
            neuron_type=ScheduledSpiking(),
            gain=ones,
            bias=zeros,
            encoders=np.ones((n, 1)),
        )
        pre = nengo.Ensemble(n, 1, **kwargs)
        post = nengo.Ensemble(n, 1, **kwargs)
        nengo.Connection(nengo.Node(driver(pre_drive)), pre.neurons, synapse=None)
        nengo.Connection(nengo.Node(driver(post_drive)), post.neurons, synapse=None)
        conn = nengo.Connection(
            pre.neurons,
            post.neurons,
            transform=np.zeros((n, n)),
            synapse=None,
            learning_rule_type=rule,
        )
        nengo.Connection(nengo.Node(np.zeros(1)), conn.learning_rule, synapse=None)
        # the change of step k reaches the weights at step k + 1: after step
        # n_steps they hold the changes of steps 1 .. n_steps - 1, i.e. of the
        # script's samples 0 .. n_steps - 2, which its final weight sums
        p_pre = nengo.Probe(pre.neurons)
        p_post = nengo.Probe(post.neurons)
    with nengo.Simulator(net, dt=dt, progress_bar=False) as sim:
        sim.run_steps(n_steps)
        weights = np.array(sim.signals[sim.model.sig[conn]["weights"]])
    spikes_ok = np.array_equal(sim.data[p_pre] > 0, pre_drive > 0) and np.array_equal(
        sim.data[p_post] > 0, post_drive > 0
    )
    if not spikes_ok:  # pragma: no cover (the learned weights are tiny)
        raise RuntimeError("the scheduled neurons did not spike as scheduled")
    change = np.diag(weights)
    # package change = learning_rate * dt * BETA * gain * a_pre a_post (a_post - th)
    return change / (learning_rate * BETA * thetas)


def stdp_curve(delays=None, mode="full", dt=DT):
    """
    Fig. 1: weight change against spike timing (pair STDP) from `.HPES`.

    Parameters
    ----------
    delays : array_like, optional
        Pre spike delays after the post spikes (s). Default
        ``linspace(-0.1, 0.1, 100)`` (the script's) in full mode, the 50 of
        those in [-0.05, 0.05] s in quick mode.
    mode : "quick" or "full"
        Only changes the default ``delays``.

    Returns
    -------
    dict
        ``x_ms`` (spike timing, pre before post > 0, as plotted: the script
        reverses the weights, not the delays), ``change`` (normalised by its
        maximum, the script's ``omegas / amax(omegas)``), ``raw`` (the
        script's weight units, in the order of ``x_ms``), ``reference``
        (`script_weight_change`, same order), the summary (``ltd_min``,
        ``peak``, the changes at +5 and -1 ms) and ``wall_s``.
    """
    _check_mode(mode)
    if delays is None:
        delays = np.linspace(-0.1, 0.1, 100)
        if mode == "quick":
            delays = delays[np.abs(delays) <= 0.05]
    delays = np.asarray(delays, dtype=np.float64)
    if delays.ndim != 1 or delays.size < 2 or not np.allclose(delays, -delays[::-1]):
        raise ValidationError(
            "Must be a 1-D array of delays symmetric about 0 (the plotted timing "
            f"is the reversed order), at least 2 (got {delays!r})",
            attr="delays",
        )
    start = time.perf_counter()
    p = FIG1
    pairs = [
        dict(
            theta=p["theta"],
            pulse_rate=p["pulse_rate"],
            pulse_delay=d,
            num_pairings=p["num_pairings"],
        )
        for d in delays
    ]
    raw = hpes_weight_changes(pairs, p["tau_pre"], p["tau_post"], dt)[::-1]
    reference = np.array(
        [
            script_weight_change(
                p["theta"],
                p["tau_pre"],
                p["tau_post"],
                p["pulse_rate"],
                d,
                p["num_pairings"],
                dt,
            )
            for d in delays
        ]
    )[::-1]
    change = raw / np.max(raw)
    x_ms = delays * 1e3
    i_min, i_max = np.argmin(change), np.argmax(change)
    return dict(
        experiment="fig1",
        mode=mode,
        params=dict(FIG1, dt=dt),
        x_ms=x_ms.tolist(),
        change=change.tolist(),
        raw=raw.tolist(),
        reference=reference.tolist(),
        max_rel_diff_reference=float(
            np.max(np.abs(raw - reference)) / np.max(np.abs(reference))
        ),
        ltd_min=dict(x_ms=float(x_ms[i_min]), change=float(change[i_min])),
        peak=dict(x_ms=float(x_ms[i_max]), change=float(change[i_max])),
        at_plus5ms=float(np.interp(5.0, x_ms, change)),
        at_minus1ms=float(np.interp(-1.0, x_ms, change)),
        wall_s=time.perf_counter() - start,
    )


def frequency_curves(mode="full", dt=DT):
    """
    Fig. 2: weight change against pairing frequency, for two fixed thetas.

    The post spike leads the pre spike by 1.35 ms, 5 pairings; theta 197
    ("low activity") and 216 ("high activity"); each curve scaled so that its
    100 Hz value is +20 %. Two variants: ``deterministic`` (weights start at
    0) and ``seed6`` (the script's: 25 trials per point with start weights
    ~ N(0, 1) from ``np.random.seed(6)``, which is part of the plotted final
    weight; the mean over trials is reported).

    ``mode="quick"`` computes the deterministic curves only.

    Returns
    -------
    dict
        ``pulse_rates``; per variant and theta (``low``, ``high``) the %
        change at each rate; ``raw`` (script units) and ``reference``
        (`script_weight_change`); ``wall_s``.
    """
    _check_mode(mode)
    start = time.perf_counter()
    p = FIG2
    rates = list(p["pulse_rates"])
    raw = {"low": [], "high": []}
    reference = {"low": [], "high": []}
    for rate in rates:
        pairs = [
            dict(
                theta=p[f"theta_{k}"],
                pulse_rate=rate,
                pulse_delay=p["pulse_delay"],
                num_pairings=p["num_pairings"],
            )
            for k in ("low", "high")
        ]
        changes = hpes_weight_changes(pairs, p["tau_pre"], p["tau_post"], dt)
        for k, c, pair in zip(("low", "high"), changes, pairs):
            raw[k].append(float(c))
            reference[k].append(
                script_weight_change(
                    pair["theta"],
                    p["tau_pre"],
                    p["tau_post"],
                    rate,
                    p["pulse_delay"],
                    p["num_pairings"],
                    dt,
                )
            )
    result = dict(
        experiment="fig2",
        mode=mode,
        params=dict(FIG2, dt=dt),
        pulse_rates=rates,
        raw=raw,
        reference=reference,
        max_rel_diff_reference=max(
            float(
                np.max(np.abs(np.subtract(raw[k], reference[k])))
                / np.max(np.abs(reference[k]))
            )
            for k in raw
        ),
    )
    scale_to = p["scale_to"]
    result["deterministic"] = {
        k: (np.asarray(raw[k]) * scale_to / raw[k][-1] * 100).tolist() for k in raw
    }
    if mode == "full":
        rng = np.random.RandomState(p["seed"])
        seed6, seed6_ci = {}, {}
        # the script draws low's starts, bootstraps low's CI, then high's
        for k in ("low", "high"):
            starts = rng.standard_normal((len(rates), p["trials"]))
            ends = starts + np.asarray(raw[k])[:, None]
            ends *= scale_to / np.mean(ends[-1])
            seed6[k] = (np.mean(ends, axis=1) * 100).tolist()
            seed6_ci[k] = (bootstrap_ci(ends, rng, axis=1) * 100).T.tolist()
        result["seed6"] = seed6
        result["seed6_ci95"] = seed6_ci
    result["wall_s"] = time.perf_counter() - start
    return result


def bootstrap_ci(data, rng, n_samples=10000, alpha=0.05, axis=0):
    """
    Percentile bootstrap CI of the mean, as ``scripts/analysis/bootstrap.py``.

    Draws ``rng.randint(n, size=n)`` ``n_samples`` times (the script's
    ``numpy.random.randint``, so the same stream gives the same interval and
    leaves ``rng`` where the script left it). Returns ``[low, high]`` along
    ``axis``'s complement.
    """
    data = np.asarray(data, dtype=np.float64)
    n = data.shape[axis]
    stat = np.array(
        [
            np.mean(np.take(data, rng.randint(n, size=n), axis=axis), axis=axis)
            for _ in range(n_samples)
        ]
    )
    stat.sort(axis=0)
    index = np.round((n_samples - 1) * np.array([alpha / 2, 1 - alpha / 2]))
    return stat[index.astype(int)]


def _check_mode(mode):
    if mode not in ("quick", "full"):
        raise ValidationError(f"Must be 'quick' or 'full' (got {mode!r})", attr="mode")
