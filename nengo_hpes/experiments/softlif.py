"""
Soft-LIF training: smooth LIF rate curves, and deep networks trained on rates.

Two halves, used by ``notebooks/soft-lif-training.ipynb``:

- **Rate curves** (NumPy only): the steady-state firing rate of a LIF neuron
  as a function of its input current, with the hard rectifier
  ``rho(x) = max(x, 0)`` (`lif_rate` with ``sigma=None``, as `nengo.LIFRate`)
  or the softplus ``rho(x) = sigma * log(1 + exp(x / sigma))`` (as
  ``nengo_dl.SoftLIFRate``; Hunsberger & Eliasmith 2015), and their
  derivatives (`lif_rate_derivative`).
- **Train, convert, evaluate** (NengoDL): `build_network` makes a small dense
  network of ``nengo_dl.Layer`` objects; `train_and_evaluate` trains it on
  rates (soft-LIF, hard LIF rate, or ReLU) and runs it with spiking neurons
  (LIF or `nengo.SpikingRectifiedLinear`); `results_table` turns the results
  into rows for `nengo_hpes.experiments.notebook.format_table`. MNIST comes
  from `nengo_hpes.experiments.data.mnist_data` (``low=0``), the figure from
  `nengo_hpes.experiments.plots.plot_rate_curves`.

NengoDL and TensorFlow are imported inside the functions that need them, so
``import nengo_hpes.experiments.softlif`` stays free of TensorFlow.

The current ``j`` in the rate functions is the neuron's input current in
units of its threshold (the neuron fires for ``j > 1``), as in Nengo.
"""

import os
import tempfile
from dataclasses import dataclass

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.validation import check_int, check_number

#: Nengo's LIF defaults (seconds).
NENGO_TAU_RC, NENGO_TAU_REF = 0.02, 0.002
#: The Neuromorphic Engineering book's differentiable-LIF example: tau_rc = 5 ms,
#: tau_ref = 10 ms, smoothing lambda (sigma) = 0.05.
BOOK_TAU_RC, BOOK_TAU_REF, BOOK_SIGMA = 0.005, 0.010, 0.05

NEURON_KINDS = ("lif", "relu")
#: Softplus argument beyond which log(1 + exp(x)) is computed as x (no overflow).
_SOFTPLUS_LINEAR = 30.0
#: Softplus argument below which log(1 + 1/z) is computed by its asymptote.
_SOFTPLUS_TAIL = -20.0


def _check_positive(name, value, allow_zero=False):
    return check_number(name, value, low=0, low_open=not allow_zero)


def _check_sigma(sigma):
    return None if sigma is None else _check_positive("sigma", sigma)


def _check_lif(tau_rc, tau_ref, amplitude=1.0):
    return (
        _check_positive("tau_rc", tau_rc),
        _check_positive("tau_ref", tau_ref, allow_zero=True),
        _check_positive("amplitude", amplitude),
    )


# --- rate curves -------------------------------------------------------------


def softplus(x, sigma):
    """
    The smoothed rectifier ``sigma * log(1 + exp(x / sigma))`` (no overflow).

    Tends to ``max(x, 0)`` as ``sigma -> 0``; its derivative is the logistic
    function of ``x / sigma``.
    """
    sigma = _check_positive("sigma", sigma)
    xs = np.asarray(x, dtype=float) / sigma
    return sigma * np.logaddexp(0.0, xs)


def lif_rate(j, tau_rc=NENGO_TAU_RC, tau_ref=NENGO_TAU_REF, sigma=None, amplitude=1.0):
    """
    Steady-state LIF firing rate for input current ``j`` (threshold 1).

    ``rate = amplitude / (tau_ref + tau_rc * log(1 + 1 / rho(j - 1)))`` with
    ``rho(x) = max(x, 0)`` (``sigma=None``: nengo's `~nengo.LIFRate`) or
    ``rho = softplus(x, sigma)`` (``nengo_dl.SoftLIFRate(sigma)``).

    Parameters
    ----------
    j : array_like
        Input current (1 is the firing threshold).
    tau_rc, tau_ref : float, optional
        Membrane time constant (> 0) and refractory period (>= 0), in seconds.
    sigma : float or None, optional
        Smoothing (> 0); None for the hard rectifier.
    amplitude : float, optional
        Output scale (> 0).

    Returns
    -------
    ndarray
        Rates in Hz times ``amplitude``.
    """
    tau_rc, tau_ref, amplitude = _check_lif(tau_rc, tau_ref, amplitude)
    sigma = _check_sigma(sigma)
    x = np.asarray(j, dtype=float) - 1.0
    if sigma is None:
        out = np.zeros_like(x)
        on = x > 0
        out[on] = amplitude / (tau_ref + tau_rc * np.log1p(1.0 / x[on]))
        return out
    q = _soft_log_term(x, sigma)
    return amplitude / (tau_ref + tau_rc * q)


def _soft_log_term(x, sigma):
    """``log(1 + 1 / softplus(x, sigma))``, by its asymptote far below threshold."""
    xs = x / sigma
    tail = xs <= _SOFTPLUS_TAIL
    z = sigma * np.logaddexp(0.0, np.where(tail, 0.0, xs))
    return np.where(tail, -xs - np.log(sigma), np.log1p(1.0 / z))


def lif_rate_derivative(
    j, tau_rc=NENGO_TAU_RC, tau_ref=NENGO_TAU_REF, sigma=None, amplitude=1.0
):
    """
    Derivative of `lif_rate` with respect to the input current ``j``.

    ``d rate / dj = rate**2 * tau_rc / (amplitude * z * (1 + z)) * rho'(j - 1)``
    with ``z = rho(j - 1)``. For the hard rectifier it is 0 below threshold and
    grows without bound as ``j -> 1`` from above (returned as ``inf`` at
    ``j == 1``); for the softplus it is finite everywhere.

    Parameters are those of `lif_rate`.

    Returns
    -------
    ndarray
        Hz per unit current, times ``amplitude``.
    """
    tau_rc, tau_ref, amplitude = _check_lif(tau_rc, tau_ref, amplitude)
    sigma = _check_sigma(sigma)
    x = np.asarray(j, dtype=float) - 1.0
    if sigma is None:
        out = np.zeros_like(x)
        on = x > 0
        z = x[on]
        r = 1.0 / (tau_ref + tau_rc * np.log1p(1.0 / z))
        out[on] = amplitude * r**2 * tau_rc / (z * (1.0 + z))
        out[x == 0] = np.inf
        return out
    xs = x / sigma
    tail = xs <= _SOFTPLUS_TAIL
    xs_safe = np.where(tail, 0.0, xs)
    z = sigma * np.logaddexp(0.0, xs_safe)
    # rho'(x) / z: the logistic over the softplus; it tends to 1 / sigma far
    # below threshold, where both underflow
    ratio = np.where(tail, 1.0 / sigma, (1.0 / (1.0 + np.exp(-xs_safe))) / z)
    z = np.where(tail, 0.0, z)
    r = 1.0 / (tau_ref + tau_rc * _soft_log_term(x, sigma))
    return amplitude * r**2 * tau_rc * ratio / (1.0 + z)


def rate_curves(j, sigmas, tau_rc=NENGO_TAU_RC, tau_ref=NENGO_TAU_REF):
    """
    Rates and derivatives of the hard LIF and of soft LIFs, on currents ``j``.

    Returns
    -------
    dict
        Label (``"hard"``, ``"sigma = 0.05"``, ...) -> ``(rates, derivatives)``.
    """
    curves = {
        "hard": (
            lif_rate(j, tau_rc, tau_ref),
            lif_rate_derivative(j, tau_rc, tau_ref),
        )
    }
    for sigma in sigmas:
        curves[f"sigma = {sigma:g}"] = (
            lif_rate(j, tau_rc, tau_ref, sigma=sigma),
            lif_rate_derivative(j, tau_rc, tau_ref, sigma=sigma),
        )
    return curves


# --- networks ------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    """
    One way to train a network and run it with spikes.

    Parameters
    ----------
    kind : {"lif", "relu"}
        ``"lif"``: trained with LIF rates (soft-LIF if ``sigma`` is set, hard
        `nengo.LIFRate` otherwise), run with `nengo.LIF`. ``"relu"``: trained
        with `nengo.RectifiedLinear`, run with `nengo.SpikingRectifiedLinear`.
    sigma : float or None
        Soft-LIF smoothing (``"lif"`` only).
    """

    kind: str
    sigma: float = None

    def __post_init__(self):
        if self.kind not in NEURON_KINDS:
            raise ValidationError(
                f"Must be one of {NEURON_KINDS} (got {self.kind!r})", attr="kind"
            )
        _check_sigma(self.sigma)
        if self.kind == "relu" and self.sigma is not None:
            raise ValidationError(
                f"Must be None for kind 'relu' (got {self.sigma!r})", attr="sigma"
            )

    @property
    def label(self):
        if self.kind == "relu":
            return "ReLU"
        if self.sigma is None:
            return "LIF, hard rate"
        return f"soft LIF, sigma = {self.sigma:g}"

    def describe(self):
        """``"trained as <rate neuron>, run as <spiking neuron>"``."""
        if self.kind == "relu":
            return "trained as RectifiedLinear, run as SpikingRectifiedLinear"
        if self.sigma is None:
            return "trained as LIFRate, run as LIF"
        return f"trained as SoftLIFRate(sigma={self.sigma:g}), run as LIF"

    def neuron_types(self, tau_rc=NENGO_TAU_RC, tau_ref=NENGO_TAU_REF, amplitude=0.01):
        """``(rate neuron type trained, spiking neuron type run)``."""
        if self.kind == "relu":
            return (
                nengo.RectifiedLinear(amplitude=amplitude),
                nengo.SpikingRectifiedLinear(amplitude=amplitude),
            )
        spiking = nengo.LIF(tau_rc=tau_rc, tau_ref=tau_ref, amplitude=amplitude)
        if self.sigma is None:
            rate = nengo.LIFRate(tau_rc=tau_rc, tau_ref=tau_ref, amplitude=amplitude)
        else:
            import nengo_dl

            rate = nengo_dl.SoftLIFRate(
                sigma=self.sigma, tau_rc=tau_rc, tau_ref=tau_ref, amplitude=amplitude
            )
        return rate, spiking


def build_network(
    neuron_type,
    hidden=(128,),
    n_inputs=784,
    n_classes=10,
    max_rate=100.0,
    lif_smoothing=None,
    seed=0,
):
    """
    A dense network of ``nengo_dl.Layer`` objects: input, hidden layers of
    ``neuron_type``, linear readout.

    Each hidden layer is a ``tf.keras.layers.Dense`` followed by an ensemble of
    ``neuron_type`` (intercepts 0, maximum rate ``max_rate`` at input 1, so a
    rate neuron of amplitude ``1 / max_rate`` has slope 1 above 0).

    Returns
    -------
    net : nengo.Network
        With attributes ``inp`` (the input node) and ``out_p`` (probe of the
        readout, no synapse).
    """
    import nengo_dl
    import tensorflow as tf

    hidden = tuple(check_int("hidden", n, low=1) for n in hidden)
    if not hidden:
        raise ValidationError(
            "Must have at least one hidden layer size (got ())", attr="hidden"
        )
    n_inputs = check_int("n_inputs", n_inputs, low=1)
    n_classes = check_int("n_classes", n_classes, low=2)
    _check_positive("max_rate", max_rate)
    _check_sigma(lif_smoothing)
    with nengo.Network(seed=seed) as net:
        net.config[nengo.Ensemble].max_rates = nengo.dists.Choice([max_rate])
        net.config[nengo.Ensemble].intercepts = nengo.dists.Choice([0])
        net.config[nengo.Connection].synapse = None
        nengo_dl.configure_settings(stateful=False, lif_smoothing=lif_smoothing)
        net.inp = nengo.Node(np.zeros(n_inputs), label="input")
        x = net.inp
        for n in hidden:
            x = nengo_dl.Layer(tf.keras.layers.Dense(units=n))(x)
            x = nengo_dl.Layer(neuron_type)(x)
        out = nengo_dl.Layer(tf.keras.layers.Dense(units=n_classes))(x)
        net.out_p = nengo.Probe(out, label="out_p")
    return net


# --- evaluation ----------------------------------------------------------------


def spiking_accuracy(outputs, labels, steps, synapses, dt=0.001):
    """
    Accuracy of the readout at several presentation lengths and output synapses.

    Parameters
    ----------
    outputs : (n, n_steps, n_classes) array_like
        Unfiltered readout over time (one image presented for ``n_steps``).
    labels : (n,) array_like
        True classes.
    steps : iterable of int
        Presentation lengths (1 to ``n_steps``); the prediction is the argmax
        of the filtered readout at the last of these steps.
    synapses : iterable of float or None
        Lowpass time constants in seconds (None: unfiltered).
    dt : float, optional
        Time step (s).

    Returns
    -------
    dict
        ``(n_steps, synapse) -> accuracy``.
    """
    outputs = np.asarray(outputs, dtype=float)
    labels = np.asarray(labels)
    if outputs.ndim != 3 or outputs.shape[0] != labels.shape[0]:
        raise ValidationError(
            f"Must have shape (n, n_steps, n_classes) with n = {labels.shape[0]} "
            f"(got {outputs.shape})",
            attr="outputs",
        )
    dt = _check_positive("dt", dt)
    steps = [check_int("steps", n, low=1) for n in steps]
    if max(steps) > outputs.shape[1]:
        raise ValidationError(
            f"Must be <= n_steps = {outputs.shape[1]} (got {max(steps)})",
            attr="steps",
        )
    result = {}
    for tau in synapses:
        if tau is None:
            filtered = outputs
        else:
            _check_positive("synapses", tau)
            filtered = nengo.Lowpass(tau).filt(outputs, dt=dt, axis=1, y0=0)
        for n in steps:
            pred = np.argmax(filtered[:, n - 1], axis=-1)
            result[(n, tau)] = float(np.mean(pred == labels))
    return result


@dataclass
class Result:
    """What `train_and_evaluate` measured for one `ModelSpec`."""

    spec: ModelSpec
    rate_accuracy: float
    spiking: dict  # (n_steps, synapse) -> accuracy
    train_seconds: float
    mean_rate: float  # mean hidden firing rate of the spiking net (Hz)


def train_and_evaluate(
    spec,
    data,
    hidden=(128,),
    epochs=1,
    steps=(10, 30, 100),
    synapses=(None, 0.005, 0.02),
    minibatch_size=100,
    learning_rate=1e-3,
    max_rate=100.0,
    tau_rc=NENGO_TAU_RC,
    tau_ref=NENGO_TAU_REF,
    seed=0,
    verbose=0,
):
    """
    Train a network on rates with NengoDL, then test it with rates and spikes.

    The spiking network (LIF or `nengo.SpikingRectifiedLinear`) is trained
    directly: NengoDL swaps its neurons for their rate versions during
    training (``lif_smoothing = spec.sigma`` makes LIF use ``SoftLIFRate``).
    The trained parameters are then loaded into the same network with the
    rate neurons, to measure the rate accuracy.

    Parameters
    ----------
    spec : ModelSpec
        Neuron model.
    data : ((X_train, y_train), (X_test, y_test))
        As `nengo_hpes.experiments.data.mnist_data` with ``low=0``. The sizes
        must be multiples of ``minibatch_size``.
    hidden : tuple of int
        Hidden layer sizes.
    epochs : int
        Training epochs (Adam, cross-entropy on the readout).
    steps, synapses
        As `spiking_accuracy`.

    Returns
    -------
    Result
    """
    import time

    import nengo_dl
    import tensorflow as tf

    if not isinstance(spec, ModelSpec):
        raise ValidationError(f"Must be a ModelSpec (got {spec!r})", attr="spec")
    (x_train, y_train), (x_test, y_test) = data
    minibatch_size = check_int("minibatch_size", minibatch_size, low=1)
    for name, n in (("n_train", len(y_train)), ("n_test", len(y_test))):
        if n % minibatch_size:
            raise ValidationError(
                f"Must be a multiple of minibatch_size = {minibatch_size} (got {n})",
                attr=name,
            )
    epochs = check_int("epochs", epochs, low=1)
    _check_positive("learning_rate", learning_rate)
    steps = sorted({check_int("steps", n, low=1) for n in steps})
    amplitude = 1.0 / _check_positive("max_rate", max_rate)
    rate_type, spiking_type = spec.neuron_types(tau_rc, tau_ref, amplitude)
    kw = dict(hidden=hidden, n_inputs=x_train.shape[1], max_rate=max_rate, seed=seed)
    tf.random.set_seed(seed)

    net = build_network(spiking_type, lif_smoothing=spec.sigma, **kw)
    with tempfile.TemporaryDirectory() as tmp:
        params = os.path.join(tmp, "params")
        with net:
            hidden_p = [
                nengo.Probe(ens.neurons)
                for ens in net.all_ensembles
                if isinstance(ens.neuron_type, type(spiking_type))
            ]
        with nengo_dl.Simulator(
            net, minibatch_size=minibatch_size, progress_bar=False, seed=seed
        ) as sim:
            sim.compile(
                optimizer=tf.optimizers.Adam(learning_rate),
                loss={
                    net.out_p: tf.losses.SparseCategoricalCrossentropy(from_logits=True)
                },
            )
            t0 = time.perf_counter()
            sim.fit(
                x_train[:, None, :],
                {net.out_p: y_train[:, None, None]},
                epochs=epochs,
                verbose=verbose,
            )
            train_seconds = time.perf_counter() - t0
            sim.save_params(params)
            # in chunks: the tiled input and the neuron probes are large
            chunk = minibatch_size * max(1, 1000 // minibatch_size)
            readout, rates = [], []
            for i in range(0, len(y_test), chunk):
                x_spk = np.tile(x_test[i : i + chunk, None, :], (1, max(steps), 1))
                out = sim.predict(x_spk, verbose=0)
                readout.append(out[net.out_p])
                rates.append([np.mean(out[p]) / amplitude for p in hidden_p])
            readout = np.concatenate(readout)
            spiking = spiking_accuracy(readout, y_test, steps, synapses)
            mean_rate = float(np.mean(rates))

        rate_net = build_network(rate_type, lif_smoothing=spec.sigma, **kw)
        with nengo_dl.Simulator(
            rate_net, minibatch_size=minibatch_size, progress_bar=False, seed=seed
        ) as sim:
            sim.load_params(params)
            out = sim.predict(x_test[:, None, :], verbose=0)[rate_net.out_p]
            rate_accuracy = float(np.mean(np.argmax(out[:, -1], -1) == y_test))
    return Result(spec, rate_accuracy, spiking, train_seconds, mean_rate)


def _synapse_label(tau):
    return "none" if tau is None else f"{tau * 1e3:g} ms"


def results_table(results, dt=0.001):
    """
    Rows for `nengo_hpes.experiments.notebook.format_table`: one per model and output
    synapse, with the rate accuracy and the spiking accuracy per presentation.
    """
    results = list(results)
    if not results:
        raise ValidationError("Must have at least one result (got [])", attr="results")
    rows = []
    for res in results:
        synapses = sorted(
            {tau for _, tau in res.spiking}, key=lambda t: -1 if t is None else t
        )
        steps = sorted({n for n, _ in res.spiking})
        for tau in synapses:
            row = {
                "model": res.spec.label,
                "rate acc.": f"{res.rate_accuracy:.4f}",
                "output synapse": _synapse_label(tau),
            }
            for n in steps:
                key = f"spiking, {n} steps ({n * dt * 1e3:g} ms)"
                row[key] = f"{res.spiking[(n, tau)]:.4f}"
            rows.append(row)
    return rows


def summary_table(results, n_steps=None, synapse=None):
    """
    One row per model: rate accuracy, spiking accuracy at one setting (default:
    the longest presentation with the longest synapse), their gap, the mean
    hidden firing rate and the training time.
    """
    rows = []
    for res in results:
        steps = sorted({n for n, _ in res.spiking})
        taus = [t for _, t in res.spiking if t is not None]
        n = steps[-1] if n_steps is None else n_steps
        tau = (max(taus) if taus else None) if synapse is None else synapse
        if (n, tau) not in res.spiking:
            raise ValidationError(
                f"Must be a measured (n_steps, synapse) pair, one of "
                f"{sorted(res.spiking, key=str)} (got {(n, tau)})",
                attr="n_steps",
            )
        spk = res.spiking[(n, tau)]
        rows.append(
            {
                "model": res.spec.label,
                "rate acc.": f"{res.rate_accuracy:.4f}",
                f"spiking acc. ({n} steps, {_synapse_label(tau)})": f"{spk:.4f}",
                "loss from spikes": f"{res.rate_accuracy - spk:+.4f}",
                "mean hidden rate (Hz)": f"{res.mean_rate:.1f}",
                "training (s)": f"{res.train_seconds:.1f}",
            }
        )
    return rows


def derivative_table(j, sigmas, tau_rc=NENGO_TAU_RC, tau_ref=NENGO_TAU_REF):
    """
    Rows for `.notebook.format_table`: rate and slope of the hard and
    soft LIF curves at a few currents ``j``.
    """
    rows = []
    for jj in np.atleast_1d(j):
        row = {"current j": f"{jj:g}"}
        for label, (rates, slopes) in rate_curves(
            np.array([jj]), sigmas, tau_rc, tau_ref
        ).items():
            row[f"{label}: rate (Hz)"] = f"{rates[0]:.3g}"
            row[f"{label}: slope"] = f"{slopes[0]:.3g}"
        rows.append(row)
    return rows
