r"""
Exp. 2 of the 2013 paper (Fig. 4, Fig. 5's loss): learning transmission and binding.

A Nengo 4 transcription of ``tbekolay/cogsci2013:scripts/nengo/LearnBuilder.py``
(with the Nengo 1.4 templates ``hpes_termination``, ``learned_termination``
and ``gate``), in paper mode (`nengo_hpes.experiments.paper2013.rule`):

* ``pre`` (25 LIF per input dimension) and ``post`` (25 per output
  dimension), Nengo 1.4 default neurons (max rates U(200, 400) Hz,
  intercepts U(-1, 1)), radius 1; transmission 3-D -> 3-D (75 -> 75,
  identity), binding 6-D -> 3-D (150 -> 75, circular convolution of
  x[0:3] and x[3:6]);
* input: Nengo 1.4's pink Fourier series (`FourierSignal`: harmonics of
  0.25 Hz up to 40 Hz, RMS 0.5 per dimension), input -> pre 10 ms;
* learning networks: ``pre.neurons -> post.neurons`` with U(-1e-3, 1e-3)
  weights, 5 ms, `.HPES` in paper mode (PES is ``supervision_ratio=1``,
  which is exactly Nengo 1.4's PESTermination and nengo.PES); an ``error``
  ensemble (25 LIF per output dimension) of ``post - f(pre)`` (10 ms each),
  connected to the rule through ``Alpha(0.005)`` (Nengo 1.4's modulatory
  termination, 5 ms, then the rule's own 5 ms filter); a gate ensemble (50
  LIF, intercepts U(-0.7, 0), encoder -1) driven by the learning switch,
  decoding x + 1 onto every error neuron with weight -10 (10 ms): switch 1
  (learning) silences the gate, switch 0 (testing) inhibits the error, so
  that only the supervised term stops; the BCM term keeps running;
* control networks: decoded ``pre -> post`` computing f (10 ms), no learning;
* measured error ("actual error", as the paper logged it): f(input filtered
  10 ms) filtered 10 ms, minus post's decoded value filtered 10 ms, filtered
  again 10 ms, sampled every 10 ms;
* every decoder: ``LstsqL2(reg=0.1)`` (Nengo 1.4's decoder noise 0.1).

Schedules (``LearnBuilder.get_learning_times``, ``learn_testing.get_data``):

* ``"full"`` (Fig. 4): test (learning off) then learn, repeated, starting
  with a test: transmission 2 s / 0.5 s, 61 windows (154.5 s simulated);
  binding 5 s / 4 s, 21 windows (194 s). Error per test window = sum over
  samples and dimensions of the absolute error in [start, end]; Fig. 4
  divides it, window by window, by the mean of the control networks.
* ``"one"`` (the Fig. 5 search): learn 30 s (transmission) / 80 s
  (binding), then test 20 s; the searched loss is the sum of the absolute
  error over t in [0, 20] s, i.e. over the first 20 s of learning (what
  ``learn_testing.get_data`` computes for this test type).

``mode="quick"`` keeps the networks and shortens only the schedules (for
tests; its numbers are not the paper's). Seeds: one ``numpy`` RandomState per
seed draws, in order, the input, then every ensemble's parameters, the
initial weights and theta, so networks with the same seed share their input,
``pre`` and ``post`` whatever the rule (paired comparisons).
"""

import math
import time
from dataclasses import asdict, dataclass, field

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.solvers import LstsqL2

from nengo_hpes.experiments.paper2013 import rule as paper
from nengo_hpes.experiments.paper2013.rule import check_number
from nengo_hpes.learning_rules import HPES

TASKS = ("transmission", "binding")
RULES = ("hPES", "PES", "control")
MODES = ("quick", "full")
STARTS = ("random", "zero")
THRESHOLDS = ("paper", "rates", "auto")
SCHEDULES = ("full", "one")

#: Neurons per dimension (``nperd``), as in Tables 1-2.
NPERD = 25
#: Gate neurons (``gating.make(..., neurons=50)``).
N_GATE = 50
#: Default synapse of Nengo 1.4's ``net.connect`` (s).
PSTC = 0.01
#: Decoder regularisation (Nengo 1.4's decoder noise 0.1).
SOLVER = LstsqL2(reg=0.1)
#: Sampling interval of the logged error (``nef.Log(interval=0.01)``).
LOG_INTERVAL = 0.01

#: The paper's optima (``scripts/run_experiments.py: bests``), Nengo 1.4 units.
PAPER_PARAMS = {
    "transmission": {
        "hPES": dict(learning_rate=0.00351890953839, supervision_ratio=0.798037091828),
        "PES": dict(learning_rate=0.00202742333273, supervision_ratio=1.0),
    },
    "binding": {
        "hPES": dict(learning_rate=0.00237897495282, supervision_ratio=0.725195232663),
        "PES": dict(learning_rate=0.00146471927504, supervision_ratio=1.0),
    },
}

#: (in_d, out_d, learning run length, train, test) per task and schedule.
_TASK = {
    "transmission": dict(in_d=3, out_d=3, runlength=30.0, full=(0.5, 2.0)),
    "binding": dict(in_d=6, out_d=3, runlength=80.0, full=(4.0, 5.0)),
}
#: quick mode: (train, test, learned seconds) for "full", (train, test) for "one"
_QUICK_FULL = {"transmission": (0.5, 0.5, 3.0), "binding": (0.5, 0.5, 3.0)}
_QUICK_ONE = (2.0, 0.5)
#: the "one" schedule's loss window [0, LOSS_WINDOW] s
LOSS_WINDOW = 20.0


def circconv(x):
    """Circular convolution of ``x[:3]`` and ``x[3:]`` (Nengo 1.4 ``circconv``)."""
    a, b = np.asarray(x[:3]), np.asarray(x[3:6])
    return np.real(np.fft.ifft(np.fft.fft(a) * np.fft.fft(b)))


def identity(x):
    """The transmission task's function."""
    return np.asarray(x)


class FourierSignal(nengo.Process):
    """
    Nengo 1.4's ``make_fourier_input``: a pink Fourier series per dimension.

    Per dimension (``FourierFunction``, type 1): components k = 1 ..
    floor(high / base) at frequency k * base, amplitude U(0, 1) / k, phase
    U(-0.5, 1.5) cycles; the sum rescaled to ``rms`` over one period
    (500 samples). Periodic with period 1 / base.

    Parameters
    ----------
    base : float
        Fundamental frequency (Hz), > 0.
    high : float
        Highest frequency (Hz), >= base.
    rms : float
        RMS over one period, >= 0.
    """

    def __init__(self, base=0.25, high=40.0, rms=0.5, **kwargs):
        super().__init__(default_size_in=0, **kwargs)
        self.base = check_number("base", base, low=0, low_open=True)
        self.high = check_number("high", high, low=self.base)
        self.rms = check_number("rms", rms, low=0)

    def coefficients(self, n_dims, rng):
        """Frequencies (n,), amplitudes and phases (n_dims, n) drawn from ``rng``."""
        n = int(math.floor(self.high / self.base))
        freqs = self.base * np.arange(1, n + 1)
        amps = np.zeros((n_dims, n))
        phases = np.zeros((n_dims, n))
        samples = np.arange(500) * (1.0 / self.base) / 500
        for d in range(n_dims):
            for i in range(n):  # the Java loop's order: amplitude, then phase
                amps[d, i] = rng.uniform() * self.base / freqs[i]
                phases[d, i] = -0.5 + 2.0 * rng.uniform()
            values = (
                np.sin(2 * np.pi * (freqs * samples[:, None] + phases[d])) @ amps[d]
            )
            amps[d] *= self.rms / np.sqrt(np.mean(values**2))
        return freqs, amps, phases

    def make_step(self, shape_in, shape_out, dt, rng, state):
        freqs, amps, phases = self.coefficients(shape_out[0], rng)

        def step_fourier(t):
            return np.sum(amps * np.sin(2 * np.pi * (freqs * t + phases)), axis=1)

        return step_fourier


@dataclass
class Schedule:
    """When learning is on, how long to run, and which windows are measured."""

    kind: str
    train: float
    test: float
    length: float
    windows: list  # [(start, end)] of the measured windows (s)
    learning_times: list  # learning time before each window (s)

    def switch(self, t):
        """1 while learning, 0 while testing (``LearnBuilder.get_learning_times``)."""
        if self.kind == "full":  # starts with a test
            return 0.0 if t % (self.train + self.test) <= self.test else 1.0
        return 1.0 if t % (self.train + self.test) <= self.train else 0.0


def make_schedule(task, kind="full", mode="full"):
    """
    The paper's test/learn schedule for ``task`` (see the module docstring).

    ``mode="quick"`` shortens it: "full" with 0.5 s tests, 0.5 s learning
    phases and 1 s of learning (3 windows); "one" with 2 s of learning, a
    0.5 s test and the loss over [0, 2] s.
    """
    _check_choice("task", task, TASKS)
    _check_choice("kind", kind, SCHEDULES)
    _check_choice("mode", mode, MODES)
    spec = _TASK[task]
    if kind == "full":
        if mode == "full":
            train, test = spec["full"]
            runlength = spec["runlength"]
        else:
            train, test, runlength = _QUICK_FULL[task]
        n_phases = math.ceil(runlength / train) + 1
        length = n_phases * (train + test) + test
        period = train + test
        starts = np.arange(0, length - LOG_INTERVAL / 2, period)
        ends = np.arange(test, length - LOG_INTERVAL / 2, period)
        windows = list(zip(starts.tolist(), ends.tolist()))
        learning_times = (np.arange(len(starts) - 1) * train).tolist()
        windows = windows[: len(learning_times)]
        return Schedule(kind, train, test, length, windows, learning_times)
    if mode == "full":
        train, test, window = spec["runlength"], LOSS_WINDOW, LOSS_WINDOW
    else:
        train, test = _QUICK_ONE
        window = train
    return Schedule(kind, train, test, train + test, [(0.0, window)], [0.0])


@dataclass
class LearningResult:
    """One network's run: the error per measured window and the search loss."""

    task: str
    rule: str
    seed: int
    mode: str
    schedule: str
    learning_rate: float  # Nengo 1.4 units (NaN for control)
    supervision_ratio: float  # NaN for control
    learning_times: list
    window_errors: list  # sum of |actual error| per window
    loss: float  # "one": the Fig. 5 search loss; "full": sum of the last 5
    wall_s: float
    package_params: dict = field(default_factory=dict)

    def to_dict(self):
        return asdict(self)


def _ensemble(n, d, rng, **kwargs):
    # an explicit seed: nengo seeds connections before ensembles, so without
    # it the encoders would depend on how many connections the network has
    # (control networks have fewer than learning ones)
    max_rates, intercepts, _, _ = paper.paper_neuron_params(n, rng)
    return nengo.Ensemble(
        n,
        d,
        max_rates=max_rates,
        intercepts=intercepts,
        seed=rng.randint(2**31 - 1),
        **kwargs,
    )


def build_network(
    task,
    rule="hPES",
    seed=0,
    learning_rate=None,
    supervision_ratio=None,
    schedule=None,
    start="random",
    threshold="paper",
):
    """
    Build one Exp. 2 network (see the module docstring).

    Parameters
    ----------
    task : "transmission" or "binding"
    rule : "hPES", "PES" or "control"
    seed : int
        Seeds everything (input, ensembles, initial weights, theta).
    learning_rate : float, optional
        Nengo 1.4 learning rate kappa (>= 0); default the paper's optimum.
    supervision_ratio : float, optional
        S in [0, 1]; default the paper's optimum (1 for PES, which only
        accepts 1).
    schedule : `Schedule`, optional
        Default ``make_schedule(task)``.
    start : "random" or "zero", optional
        Learned weights start at the paper's U(-1e-3, 1e-3) or at zero (the
        R4c ablation; the same random numbers are drawn and multiplied by 0,
        so everything else in the network is the same as with "random").
    threshold : "paper", "rates" or "auto", optional
        The unsupervised term of a learning network: the paper's (theta(0) =
        U(50, 150) Hz x gain, 20 s time constant, `.paper_hpes`); "rates",
        the same scale with the package's default threshold (theta(0) = each
        post neuron's rate, ``theta_synapse=Lowpass(1.0)``); or "auto", the
        package's ``unsupervised_scale="auto"`` with its threshold. The same
        learning rate and S in all three (the R4c ablations).

    Returns
    -------
    net : `nengo.Network`
        With attributes ``probe_error`` (the actual error, 10 ms samples),
        ``learned`` (the learned connection, or None) and ``package_params``
        (the converted `.HPES` parameters).
    """
    _check_choice("task", task, TASKS)
    _check_choice("rule", rule, RULES)
    seed = check_number("seed", seed, low=0, integer=True)
    kappa, S = _rule_params(task, rule, learning_rate, supervision_ratio)
    _check_choice("start", start, STARTS)
    _check_choice("threshold", threshold, THRESHOLDS)
    schedule = make_schedule(task) if schedule is None else schedule
    spec = _TASK[task]
    in_d, out_d = spec["in_d"], spec["out_d"]
    func = identity if task == "transmission" else circconv
    rng = np.random.RandomState(seed)
    input_seed = rng.randint(2**31 - 1)

    net = nengo.Network(label=f"{task} {rule} seed {seed}", seed=seed)
    with net:
        net.config[nengo.Connection].solver = SOLVER
        stim = nengo.Node(FourierSignal(seed=input_seed), size_out=in_d, label="input")
        pre = _ensemble(NPERD * in_d, in_d, rng, label="pre")
        post = _ensemble(NPERD * out_d, out_d, rng, label="post")
        nengo.Connection(stim, pre, synapse=PSTC)
        net.learned = None
        net.package_params = {}
        if rule == "control":
            nengo.Connection(pre, post, function=func, synapse=PSTC)
        else:
            error = _ensemble(NPERD * out_d, out_d, rng, label="error")
            gate = nengo.Ensemble(
                N_GATE,
                1,
                max_rates=rng.uniform(*paper.MAX_RATES, size=N_GATE),
                intercepts=rng.uniform(-0.7, 0.0, size=N_GATE),
                encoders=-np.ones((N_GATE, 1)),
                label="gate",
            )
            post_gains = nengo.LIF().gain_bias(post.max_rates, post.intercepts)[0]
            hpes, _ = paper.paper_hpes(kappa, S, pre.n_neurons, post_gains, rng)
            hpes = _with_threshold(hpes, threshold)
            # U(0, 0) draws as many numbers as U(-1e-3, 1e-3): same rng after
            weight_range = 0.0 if start == "zero" else paper.WEIGHT_RANGE
            net.learned = paper.learned_connection(pre, post, hpes, rng, weight_range)
            net.package_params = dict(
                learning_rate=hpes.learning_rate,
                supervision_ratio=hpes.supervision_ratio,
                unsupervised_scale=hpes.unsupervised_scale,
                start=start,
                threshold=threshold,
            )
            # error = post - f(pre) (nengo's sign; the paper's f(pre) - post)
            nengo.Connection(pre, error, function=func, transform=-1, synapse=PSTC)
            nengo.Connection(post, error, synapse=PSTC)
            nengo.Connection(
                error, net.learned.learning_rule, synapse=nengo.Alpha(paper.PSC_TAU)
            )
            switch = nengo.Node(schedule.switch, label="switch")
            nengo.Connection(switch, gate, synapse=PSTC)
            nengo.Connection(
                gate,
                error.neurons,
                function=lambda x: x + 1,
                transform=-10 * np.ones((error.n_neurons, 1)),
                synapse=PSTC,
            )
        # the measured ("actual") error, computed in direct mode by the paper
        actual = nengo.Node(
            lambda t, x: func(x), size_in=in_d, size_out=out_d, label="f(actual)"
        )
        actual_error = nengo.Node(size_in=out_d, label="actual error")
        nengo.Connection(stim, actual, synapse=PSTC)
        nengo.Connection(actual, actual_error, synapse=PSTC)
        nengo.Connection(post, actual_error, transform=-1, synapse=PSTC)
        net.probe_error = nengo.Probe(
            actual_error, synapse=PSTC, sample_every=LOG_INTERVAL
        )
    return net


def _with_threshold(hpes, threshold):
    """`.paper_hpes`'s rule with the threshold of ``build_network``'s option."""
    if threshold == "paper":
        return hpes
    return HPES(
        learning_rate=hpes.learning_rate,
        supervision_ratio=hpes.supervision_ratio,
        unsupervised_scale="auto" if threshold == "auto" else hpes.unsupervised_scale,
        pre_synapse=hpes.pre_synapse,
        post_synapse=hpes.post_synapse,
        theta_synapse=nengo.Lowpass(1.0),
        theta_init="rates",
    )


def window_errors(t, error, windows):
    """Sum of ``|error|`` over samples with start <= t <= end, per window."""
    t = np.asarray(t)
    error = np.abs(np.asarray(error)).reshape(len(t), -1)
    eps = 1e-9
    return [
        float(np.sum(error[(t >= start - eps) & (t <= end + eps)]))
        for start, end in windows
    ]


def run_learning(
    task,
    rule="hPES",
    seed=0,
    mode="full",
    schedule="full",
    learning_rate=None,
    supervision_ratio=None,
    progress_bar=False,
    start="random",
    threshold="paper",
):
    """
    Build and run one Exp. 2 network; return its `LearningResult`.

    ``schedule="full"`` gives Fig. 4's error per test window (``loss`` is the
    sum of the last 5 windows, the ``learn_testing.process_csv`` loss of that
    test type); ``schedule="one"`` gives the Fig. 5 search loss in ``loss``.
    Other parameters as `build_network`; ``mode="quick"`` shortens the
    schedule (see `make_schedule`).
    """
    _check_choice("mode", mode, MODES)
    sched = make_schedule(task, kind=schedule, mode=mode)
    net = build_network(
        task,
        rule=rule,
        seed=seed,
        learning_rate=learning_rate,
        supervision_ratio=supervision_ratio,
        schedule=sched,
        start=start,
        threshold=threshold,
    )
    kappa, S = _rule_params(task, rule, learning_rate, supervision_ratio)
    start = time.perf_counter()
    with nengo.Simulator(net, progress_bar=progress_bar) as sim:
        sim.run(sched.length)
    errors = window_errors(
        sim.trange(sample_every=LOG_INTERVAL), sim.data[net.probe_error], sched.windows
    )
    loss = errors[-1] if schedule == "one" else float(np.sum(errors[-5:]))
    return LearningResult(
        task=task,
        rule=rule,
        seed=int(seed),
        mode=mode,
        schedule=schedule,
        learning_rate=kappa,
        supervision_ratio=S,
        learning_times=sched.learning_times,
        window_errors=errors,
        loss=float(loss),
        wall_s=time.perf_counter() - start,
        package_params=net.package_params,
    )


def search_loss(
    task="binding",
    *,
    learning_rate,
    supervision_ratio,
    seed,
    mode="full",
):
    """
    The loss of the paper's Fig. 5 search for one parameter set: a float.

    Sum of the absolute measured error over the first 20 s of continuous
    learning (schedule "one"; 2 s in quick mode), as hyperopt minimised it
    (``scripts/optimize_params.py``, ``learn_testing.get_data``). Fig. 5
    divides it by the mean of the control networks' loss
    (`control_search_loss`); the division does not change a search.

    Parameters
    ----------
    task : "transmission" or "binding"
    learning_rate : float
        Nengo 1.4 learning rate kappa (the paper searched U(1e-7, 1e-2)).
    supervision_ratio : float
        S in [0, 1] (the paper searched U(0.1, 0.9) for hPES; 1 is PES).
    seed : int
        Network seed (the paper drew it from 0-9).
    mode : "quick" or "full"
    """
    rule = "PES" if supervision_ratio == 1 else "hPES"
    return run_learning(
        task,
        rule=rule,
        seed=seed,
        mode=mode,
        schedule="one",
        learning_rate=learning_rate,
        supervision_ratio=supervision_ratio,
    ).loss


def control_search_losses(task="binding", seeds=range(10), mode="full"):
    """The search loss of the control network of each of ``seeds``, a list."""
    return [
        run_learning(task, "control", seed=s, mode=mode, schedule="one").loss
        for s in seeds
    ]


def control_search_loss(task="binding", seeds=range(10), mode="full"):
    """Mean over ``seeds`` of the control networks' search loss (Fig. 5's unit)."""
    return float(np.mean(control_search_losses(task, seeds, mode)))


def _rule_params(task, rule, learning_rate, supervision_ratio):
    if rule == "control":
        if learning_rate is not None or supervision_ratio is not None:
            raise ValidationError(
                "Must be None for control networks, which do not learn (got "
                f"learning_rate={learning_rate!r}, "
                f"supervision_ratio={supervision_ratio!r})",
                attr="learning_rate",
            )
        return float("nan"), float("nan")
    best = PAPER_PARAMS[task][rule]
    kappa = best["learning_rate"] if learning_rate is None else learning_rate
    kappa = check_number("learning_rate", kappa, low=0)
    S = best["supervision_ratio"] if supervision_ratio is None else supervision_ratio
    S = check_number("supervision_ratio", S, low=0, high=1)
    if rule == "PES" and S != 1:
        raise ValidationError(
            f"Must be 1 for rule 'PES' (got supervision_ratio={S!r}); use "
            "rule='hPES' for S < 1",
            attr="supervision_ratio",
        )
    return kappa, S


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValidationError(f"Must be one of {choices} (got {value!r})", attr=name)
