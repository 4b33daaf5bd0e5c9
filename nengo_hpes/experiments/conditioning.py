"""
Classical (Pavlovian) conditioning with a learned full weight matrix.

Three unconditioned stimuli (US) each drive an innate, hard-wired unconditioned
response (UR). Three conditioned stimuli (CS) come shortly before them; the
``CS -> CR`` connection (conditioned response) is learned, with the error
``CR - UR``, only inside a learning window. Outside the window a large negative
current silences the error population, which switches the supervised part of
learning off. After conditioning, a CS alone evokes a CR that resembles the UR
of its paired US.

`conditioning_network` builds the network, `run_conditioning` simulates it and
returns a `ConditioningResult` with the measurements (correlations between CR
and UR, the gate's effect); `conditioning_table` pools them over runs.
`nengo_hpes.experiments.gate.gate_requirement` derives, from the LIF tuning of
the built error population, how strong the inhibition must be.
"""

import dataclasses
import time

import nengo
import numpy as np

from nengo_hpes.experiments.gate import GateRequirement, gate_requirement
from nengo_hpes.experiments.metrics import gini_index, response_correlation
from nengo_hpes.experiments.validation import check_int, check_number, require

#: The default conditioned stimuli: three distinct, overlapping patterns of
#: norm <= 0.75, so that a CS with its memory trace (at most 0.87 times the CS
#: after 0.4 s with the default 0.2 s trace) stays within the CS population's
#: unit radius.
DEFAULT_CS_PATTERNS = ((0.6, 0.4, 0.0), (0.0, 0.5, 0.5), (0.45, 0.0, 0.6))

PHASES = ("before", "learning", "after")


def _check_window(name, window, slot):
    try:
        a, b = (float(w) for w in window)
    except (TypeError, ValueError):
        a, b = np.nan, np.nan
    require(
        name,
        0 <= a < b <= slot,
        f"a pair (start, end) with 0 <= start < end <= slot ({slot})",
        window,
    )
    return a, b


class ConditioningStimuli:
    """
    The US and CS signals: one pair after the other, repeated every cycle.

    Time is divided into slots of ``slot`` seconds, one per stimulus pair; a
    cycle presents every pair once (``n_pairs * slot`` seconds). In slot ``k``
    the conditioned stimulus ``cs_patterns[k]`` is on during ``cs_window``
    (seconds from the start of the slot) and the unconditioned stimulus, unit
    vector ``k`` scaled by ``us_amplitude``, during ``us_window``. By default
    the CS is on from 0.1 s to 0.5 s of its slot and the US from 0.35 s to
    0.5 s: the US comes at the end of the CS, so the CS predicts it (delay
    conditioning), and a quiet half second follows, in which the UR and the
    error settle before the next pair.

    Parameters
    ----------
    cs_patterns : array_like, optional
        One row per pair: the conditioned stimuli (``n_pairs x n_pairs``).
    slot : float, optional
        Seconds per pair (> 0).
    cs_window, us_window : (float, float), optional
        When the CS and the US are on, in seconds from the start of the slot.
    us_amplitude : float, optional
        Value of the active US component (> 0).

    Attributes
    ----------
    cs_patterns, n_pairs, cycle
        The conditioned stimuli (one row per pair), the number of pairs (and
        dimensions), and the seconds to present every pair once.
    """

    def __init__(
        self,
        cs_patterns=DEFAULT_CS_PATTERNS,
        slot=1.0,
        cs_window=(0.1, 0.5),
        us_window=(0.35, 0.5),
        us_amplitude=1.0,
    ):
        try:
            patterns = np.asarray(cs_patterns, dtype=float)
        except (TypeError, ValueError):
            patterns = np.full((0, 1), np.nan)
        require(
            "cs_patterns",
            patterns.ndim == 2
            and patterns.shape[0] == patterns.shape[1]
            and patterns.shape[0] >= 1
            and np.all(np.isfinite(patterns)),
            "a finite square array (one row per pair)",
            cs_patterns,
        )
        check_number("slot", slot, low=0, low_open=True)
        self.cs_patterns = patterns
        self.n_pairs = patterns.shape[0]
        self.slot = float(slot)
        self.cs_window = _check_window("cs_window", cs_window, self.slot)
        self.us_window = _check_window("us_window", us_window, self.slot)
        check_number("us_amplitude", us_amplitude, low=0, low_open=True)
        self.us_amplitude = float(us_amplitude)
        self.cycle = self.n_pairs * self.slot

    def _slot(self, t):
        k = int((t % self.cycle) // self.slot) % self.n_pairs
        return k, (t % self.cycle) - k * self.slot

    def us(self, t):
        """The unconditioned stimuli at time ``t`` (for a `nengo.Node`)."""
        k, s = self._slot(t)
        out = np.zeros(self.n_pairs)
        if self.us_window[0] < s <= self.us_window[1]:
            out[k] = self.us_amplitude
        return out

    def cs(self, t):
        """The conditioned stimuli at time ``t`` (for a `nengo.Node`)."""
        k, s = self._slot(t)
        if self.cs_window[0] < s <= self.cs_window[1]:
            return self.cs_patterns[k].copy()
        return np.zeros(self.n_pairs)

    def presentations(self, start, stop, tail=0.0):
        """
        The CS presentations that begin in ``[start, stop)``.

        Parameters
        ----------
        start, stop : float
            Time range, in seconds.
        tail : float, optional
            Seconds added after each CS offset (filtered signals lag).

        Returns
        -------
        list of (int, float, float)
            ``(pair, t_on, t_off + tail)`` for each presentation.
        """
        out = []
        first = int(np.floor(start / self.slot))
        for i in range(first, int(np.ceil(stop / self.slot)) + 1):
            t_on = i * self.slot + self.cs_window[0]
            if start <= t_on < stop:
                t_off = i * self.slot + self.cs_window[1] + tail
                out.append((i % self.n_pairs, t_on, t_off))
        return out


def conditioning_network(
    learning_rule_type,
    n_per_dim=100,
    pre_cycles=1,
    learn_cycles=8,
    test_cycles=2,
    stimuli=None,
    gate_strength=10.0,
    delay_synapse=0.2,
    cr_error_synapse=0.005,
    probe_synapse=0.05,
    weights_sample_every=0.5,
    seed=None,
):
    """
    Build the conditioning network, with a learned full ``CS -> CR`` matrix.

    Populations (``D`` = number of stimulus pairs, ``N = n_per_dim * D``):

    * ``us`` (N, D) represents the unconditioned stimuli and drives
      ``ur`` (N, D) through a fixed identity connection: the innate response;
    * ``cs`` (2N, 2D) represents the conditioned stimuli in its first ``D``
      dimensions and, in the last ``D``, a slowly filtered (``delay_synapse``)
      copy of them: a short memory trace, so that the CR can outlast the CS;
    * ``cr`` (N, D), the conditioned response, is driven only by the learned
      ``cs -> cr`` connection: ``Ensemble -> Ensemble`` with a weight solver,
      starting from the zero function (so from all-zero weights);
    * ``error`` (N, D) represents ``CR - UR`` (actual - target, nengo's sign;
      CR arrives through ``cr_error_synapse``) and drives the rule.

    Learning is on only during the learning window, which follows
    ``pre_cycles`` cycles of presentations and lasts ``learn_cycles`` cycles;
    ``test_cycles`` cycles follow it. Outside the window the ``gate`` node
    outputs 1 and inhibits every error neuron through
    ``transform=-gate_strength`` (see `.gate_requirement` for how large it
    must be).

    Parameters
    ----------
    learning_rule_type : LearningRuleType or None
        The rule on ``cs -> cr`` (None: no learning).
    n_per_dim, pre_cycles, learn_cycles, test_cycles : int, optional
        Neurons per represented dimension; cycles (every pair once) before,
        during and after the learning window (all >= 1).
    stimuli : ConditioningStimuli, optional
        The stimuli (default: ``ConditioningStimuli()``).
    gate_strength : float, optional
        ``g`` in the gate's ``transform=-g``, >= 0.
    delay_synapse, cr_error_synapse : float, optional
        Time constants (s, > 0) of the CS memory trace and of ``cr -> error``.
        The latter's default, nengo's 5 ms, is that of the UR's path, so the
        CR is trained to match the UR in time; a slower one (the textbook demo
        uses 0.1 s) trains a CR that leads the UR by about its time constant.
    probe_synapse, weights_sample_every : float, optional
        Filter of the decoded probes (``us``, ``ur``, ``cs``, ``cr``; >= 0) and
        sampling period (s, > 0) of the weight probe.
    seed : int, optional
        Network seed.

    Returns
    -------
    `nengo.Network`
        With attributes ``us``, ``ur``, ``cs``, ``cr``, ``error``, ``gate``,
        ``conn``, ``stimuli``, ``learn_window`` (start, end), ``duration`` and
        probes ``p_us_stim``, ``p_cs_stim``, ``p_us``, ``p_ur``, ``p_cs``,
        ``p_cr``, ``p_error``, ``p_gate``, ``p_error_spikes`` (spikes of the
        whole error population per step) and ``p_weights``.
    """
    check_int("n_per_dim", n_per_dim, low=1)
    check_int("pre_cycles", pre_cycles, low=1)
    check_int("learn_cycles", learn_cycles, low=1)
    check_int("test_cycles", test_cycles, low=1)
    check_number("gate_strength", gate_strength, low=0)
    check_number("delay_synapse", delay_synapse, low=0, low_open=True)
    check_number("cr_error_synapse", cr_error_synapse, low=0, low_open=True)
    check_number("probe_synapse", probe_synapse, low=0)
    check_number("weights_sample_every", weights_sample_every, low=0, low_open=True)
    if stimuli is None:
        stimuli = ConditioningStimuli()
    require(
        "stimuli",
        isinstance(stimuli, ConditioningStimuli),
        "a ConditioningStimuli",
        stimuli,
    )

    d = stimuli.n_pairs
    n = n_per_dim * d
    learn_window = (
        pre_cycles * stimuli.cycle,
        (pre_cycles + learn_cycles) * stimuli.cycle,
    )

    def gate(t, window=learn_window):
        return 0.0 if window[0] <= t < window[1] else 1.0

    with nengo.Network(seed=seed, label="classical conditioning") as net:
        net.stimuli = stimuli
        net.learn_window = learn_window
        net.duration = (pre_cycles + learn_cycles + test_cycles) * stimuli.cycle
        net.gate_strength = float(gate_strength)

        us_stim = nengo.Node(stimuli.us, label="US stimulus")
        cs_stim = nengo.Node(stimuli.cs, label="CS stimulus")
        net.us = nengo.Ensemble(n, d, label="US")
        net.ur = nengo.Ensemble(n, d, label="UR")
        net.cs = nengo.Ensemble(2 * n, 2 * d, label="CS")
        net.cr = nengo.Ensemble(n, d, label="CR")
        net.error = nengo.Ensemble(n, d, label="error")

        nengo.Connection(us_stim, net.us)
        nengo.Connection(net.us, net.ur)  # the innate response
        nengo.Connection(cs_stim, net.cs[:d])
        nengo.Connection(net.cs[:d], net.cs[d:], synapse=delay_synapse)

        net.conn = nengo.Connection(
            net.cs,
            net.cr,
            function=lambda x, d=d: np.zeros(d),
            solver=nengo.solvers.LstsqL2(weights=True),
            learning_rule_type=learning_rule_type,
        )
        nengo.Connection(net.cr, net.error, synapse=cr_error_synapse)
        nengo.Connection(net.ur, net.error, transform=-1)
        # without a rule the error goes to a sink, keeping the object graph
        # (and so every seed nengo derives) the same for every rule
        sink = nengo.Node(size_in=d, label="error sink")
        target = sink if learning_rule_type is None else net.conn.learning_rule
        nengo.Connection(net.error, target)

        net.gate = nengo.Node(gate, label="gate")
        nengo.Connection(
            net.gate,
            net.error.neurons,
            transform=-gate_strength * np.ones((n, 1)),
            synapse=None,
        )
        spike_count = nengo.Node(size_in=1, label="error spikes")
        nengo.Connection(
            net.error.neurons, spike_count, transform=np.ones((1, n)), synapse=None
        )

        net.p_us_stim = nengo.Probe(us_stim)
        net.p_cs_stim = nengo.Probe(cs_stim)
        net.p_us = nengo.Probe(net.us, synapse=probe_synapse)
        net.p_ur = nengo.Probe(net.ur, synapse=probe_synapse)
        net.p_cs = nengo.Probe(net.cs, synapse=probe_synapse)
        net.p_cr = nengo.Probe(net.cr, synapse=probe_synapse)
        net.p_error = nengo.Probe(net.error, synapse=0.01)
        net.p_gate = nengo.Probe(net.gate)
        net.p_error_spikes = nengo.Probe(spike_count)
        net.p_weights = nengo.Probe(
            net.conn, "weights", sample_every=weights_sample_every
        )
    return net


@dataclasses.dataclass
class ConditioningResult:
    """
    What `run_conditioning` measured (times in seconds).

    Attributes
    ----------
    label : str
        Name for tables and plots.
    t, us_stim, cs_stim : ndarray
        Simulation times and the stimuli (``len(t) x D``).
    us, ur, cs, cr, error : ndarray
        Decoded, filtered population outputs (``cs`` has ``2D`` columns;
        ``error`` is ``CR - UR``).
    gate, error_spikes : ndarray
        Gate node output (1: learning off) and spikes of the whole error
        population per time step.
    weights_t, gini_t : ndarray
        Times of the weight samples (the first is the built matrix, at 0) and
        the weights' Gini index then.
    weights_start, weights_learn_end, weights_end : ndarray
        The ``cs -> cr`` weights when built, at the first sample at least
        0.1 s after the learning window (once the error has decayed) and at
        the end.
    stimuli, learn_window, gate_strength
        The stimuli, the window's (start, end) and ``g`` of the gate's
        ``transform=-g``.
    gate_needed : `.GateRequirement`
        From the built error population, for inputs up to its radius.
    error_neuron_type, error_gain, error_bias
        Neuron type, gains and biases of the error population.
    wall_time : float
        Seconds the simulation took.
    """

    label: str
    t: np.ndarray
    us_stim: np.ndarray
    cs_stim: np.ndarray
    us: np.ndarray
    ur: np.ndarray
    cs: np.ndarray
    cr: np.ndarray
    error: np.ndarray
    gate: np.ndarray
    error_spikes: np.ndarray
    weights_t: np.ndarray
    gini_t: np.ndarray
    weights_start: np.ndarray
    weights_learn_end: np.ndarray
    weights_end: np.ndarray
    stimuli: ConditioningStimuli
    learn_window: tuple
    gate_strength: float
    gate_needed: GateRequirement
    error_neuron_type: object
    error_gain: np.ndarray
    error_bias: np.ndarray
    wall_time: float

    def phase_range(self, phase):
        """Start and end time of ``phase``: "before", "learning" or "after"."""
        require("phase", phase in PHASES, f"one of {PHASES}", phase)
        a, b = self.learn_window
        return {
            "before": (0.0, a),
            "learning": (a, b),
            "after": (b, float(self.t[-1])),
        }[phase]

    def _mask(self, t0, t1):
        return (self.t > t0) & (self.t <= t1)

    def correlations(self, phase, tail=0.2):
        """
        Per pair, the correlation between CR and UR during CS presentations.

        For each pair, the CR and UR samples of all the pair's CS
        presentations in ``phase``, from CS onset to ``tail`` seconds after CS
        offset, are concatenated and correlated with `.response_correlation`
        (every dimension, each centred on its own mean).

        Parameters
        ----------
        phase : str
            "before", "learning" or "after".
        tail : float, optional
            Seconds kept after each CS offset (>= 0); the UR outlasts the US.

        Returns
        -------
        ndarray
            One correlation per pair (NaN if the pair has no presentation).
        """
        return self._per_pair(phase, tail, response_correlation)

    def amplitude_ratios(self, phase, tail=0.2):
        """
        Per pair, the RMS of CR over the RMS of UR in the same samples as
        `correlations` (1: as large as the innate response).
        """

        def ratio(cr, ur):
            den = np.sqrt(np.mean(ur**2))
            return float(np.sqrt(np.mean(cr**2)) / den) if den > 0 else np.nan

        return self._per_pair(phase, tail, ratio)

    def _per_pair(self, phase, tail, fn):
        check_number("tail", tail, low=0)
        t0, t1 = self.phase_range(phase)
        masks = [np.zeros_like(self.t, dtype=bool) for _ in range(self.stimuli.n_pairs)]
        for pair, a, b in self.stimuli.presentations(t0, t1, tail=tail):
            masks[pair] |= self._mask(a, b)
        return np.array(
            [fn(self.cr[m], self.ur[m]) if m.any() else np.nan for m in masks]
        )

    def conditioned(
        self, min_correlation=0.5, min_amplitude=0.5, max_before=0.2, tail=0.2
    ):
        """
        Whether each pair was conditioned by the learning window.

        A pair is conditioned when, during its CS presentations after the
        window, CR and UR correlate by at least ``min_correlation`` (0.5 is a
        "large" correlation by Cohen's convention) and the CR's RMS is at least
        ``min_amplitude`` times the UR's (a response, not only a shape), while
        before the window the correlation was below ``max_before`` in
        magnitude (the response was learned, not there from the start).
        ``tail`` is as in `correlations`. Returns one bool per pair.
        """
        before = self.correlations("before", tail=tail)
        r = self.correlations("after", tail=tail)
        amp = self.amplitude_ratios("after", tail=tail)
        return (
            (r >= min_correlation)
            & (amp >= min_amplitude)
            & (np.abs(before) < max_before)
        )

    def gated_error_spikes(self):
        """Total spikes of the error population while the gate was on."""
        gated = self.gate[:, 0] > 0.5
        return int(round(float(np.sum(self.error_spikes[gated]))))

    def weight_change(self):
        """
        Frobenius norms of the weight change inside and after the window.

        Returns
        -------
        (float, float)
            ``|W(learn end) - W(start)|`` and ``|W(end) - W(learn end)|``.
        """
        inside = np.linalg.norm(self.weights_learn_end - self.weights_start)
        after = np.linalg.norm(self.weights_end - self.weights_learn_end)
        return float(inside), float(after)

    def summary(self, tail=0.2):
        """
        The headline numbers, one dictionary per pair.

        Keys: ``rule``, ``pair`` (from 1), ``r before`` and ``r after``
        (`correlations`), ``CR/UR RMS after`` (`amplitude_ratios`) and
        ``conditioned`` (`conditioned` with its default criterion).
        """
        rows = []
        before = self.correlations("before", tail)
        after = self.correlations("after", tail)
        amp = self.amplitude_ratios("after", tail)
        cond = self.conditioned(tail=tail)
        for k in range(self.stimuli.n_pairs):
            rows.append(
                {
                    "rule": self.label,
                    "pair": k + 1,
                    "r before": float(before[k]),
                    "r after": float(after[k]),
                    "CR/UR RMS after": float(amp[k]),
                    "conditioned": bool(cond[k]),
                }
            )
        return rows


def conditioning_table(results, tail=0.2):
    """
    One row per rule: the measurements of `ConditioningResult.summary` pooled
    over pairs and seeds.

    ``results`` is ``{label: [ConditioningResult, ...]}`` (e.g. one result per
    seed); ``tail`` as in `ConditioningResult.correlations`. The rows' keys:
    ``rule``, ``runs``, ``pairs conditioned`` ("k/n"), and ``r before``, ``r
    after``, ``CR/UR RMS after`` as mean ± sd over every pair of every run.
    """
    from nengo_hpes.experiments.notebook import mean_sd

    require("results", len(results) > 0, "a non-empty dict", results)
    rows = []
    for label, runs in results.items():
        require(
            "results", len(runs) > 0, f"at least one run per rule ({label!r})", runs
        )
        pairs = [row for res in runs for row in res.summary(tail)]
        rows.append(
            {
                "rule": label,
                "runs": len(runs),
                "pairs conditioned": f"{sum(r['conditioned'] for r in pairs)}"
                f"/{len(pairs)}",
                "r before": mean_sd([r["r before"] for r in pairs], ".2f"),
                "r after": mean_sd([r["r after"] for r in pairs], ".2f"),
                "CR/UR RMS after": mean_sd(
                    [r["CR/UR RMS after"] for r in pairs], ".2f"
                ),
            }
        )
    return rows


def run_conditioning(
    learning_rule_type,
    label=None,
    simulator=nengo.Simulator,
    progress_bar=False,
    **kwargs,
):
    """
    Build and run `conditioning_network`; return a `ConditioningResult`.

    ``label`` names the run in tables and plots (default: ``repr`` of the
    rule); ``simulator`` is ``nengo.Simulator`` or a compatible class;
    ``kwargs`` go to `conditioning_network`.
    """
    net = conditioning_network(learning_rule_type, **kwargs)
    with simulator(net, progress_bar=progress_bar) as sim:
        t0 = time.perf_counter()
        sim.run(net.duration)
        wall = time.perf_counter() - t0
    w0 = np.asarray(sim.data[net.conn].weights)
    samples = sim.data[net.p_weights]
    weights_t = np.concatenate(
        [[0.0], sim.trange(sample_every=net.p_weights.sample_every)]
    )
    weights = np.concatenate([w0[None], samples])
    # the first sample once the error's synapse has emptied after the window
    settled = np.flatnonzero(weights_t >= net.learn_window[1] + 0.1)
    learn_end = int(settled[0]) if settled.size else len(weights_t) - 1
    built = sim.data[net.error]
    return ConditioningResult(
        label=repr(learning_rule_type) if label is None else label,
        t=sim.trange(),
        us_stim=sim.data[net.p_us_stim],
        cs_stim=sim.data[net.p_cs_stim],
        us=sim.data[net.p_us],
        ur=sim.data[net.p_ur],
        cs=sim.data[net.p_cs],
        cr=sim.data[net.p_cr],
        error=sim.data[net.p_error],
        gate=sim.data[net.p_gate],
        error_spikes=sim.data[net.p_error_spikes][:, 0] * sim.dt,
        weights_t=weights_t,
        gini_t=np.array([gini_index(w) for w in weights]),
        weights_start=w0,
        weights_learn_end=weights[learn_end],
        weights_end=weights[-1],
        stimuli=net.stimuli,
        learn_window=net.learn_window,
        gate_strength=net.gate_strength,
        gate_needed=gate_requirement(built.gain, built.bias),
        error_neuron_type=net.error.neuron_type,
        error_gain=np.array(built.gain),
        error_bias=np.array(built.bias),
        wall_time=wall,
    )
