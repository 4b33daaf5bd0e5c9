"""
Online learning of an image classifier in a spiking network, with any rule.

The network (`classifier_network`) is the single-layer NEF classifier of
nengo-extras' MNIST example, with its readout learned online:

* a hidden layer of LIF neurons with fixed encoders (`FeatureLayer`: masked
  Gabor or Gaussian; 100 Hz maximum rate, intercept 0.1). Each image's input
  current ``gain * (encoders @ image)`` is computed once when the image
  appears and fed straight into ``hidden.neurons`` (no 784-D ensemble);
* an output ensemble (``n_output`` LIF neurons representing one dimension
  per class) reached from ``hidden.neurons`` through a full, learned weight
  matrix (``hidden.neurons -> output.neurons``, starting at zero);
* a teacher: each image is shown for ``presentation_time``; for the first
  ``settle_time`` the error is zero, then it is the decoded output minus the
  one-hot label (nengo's ``actual - target`` sign), and the readout is the
  decoded output averaged over that window. One sample per image is stored.

`run_classifier` trains online for one or more passes, then tests in a second
simulator whose connection has the learned weights and no learning rule (so
that an unsupervised term, e.g. hPES's BCM part, cannot change the weights
while testing), and returns a `ClassifierResult`.
"""

import dataclasses
import time

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import iter_params

from nengo_hpes.experiments.encoders import ENCODER_KINDS, make_encoders


def _fail(attr, msg):
    raise ValidationError(msg, attr=attr)


def _check_int(attr, value, low=1):
    if not (np.ndim(value) == 0 and int(value) == value and value >= low):
        _fail(attr, f"Must be an integer >= {low} (got {value!r})")
    return int(value)


def _check_steps(attr, value, dt, low=0):
    steps = int(round(value / dt)) if np.isfinite(value) else -1
    if steps < low or abs(steps * dt - value) > 1e-9:
        _fail(
            attr,
            f"Must be a multiple of dt = {dt:g} s and >= {low * dt:g} s "
            f"(got {value!r})",
        )
    return steps


def _check_images(attr, images, labels, n_pixels=None):
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 2 or images.shape[0] == 0:
        _fail(attr, f"Images must be a non-empty 2-D array (got shape {images.shape})")
    if n_pixels is not None and images.shape[1] != n_pixels:
        _fail(
            attr,
            f"Images must have {n_pixels} pixels (image_shape) "
            f"(got {images.shape[1]})",
        )
    if labels.shape != (images.shape[0],) or labels.dtype.kind not in "iu":
        _fail(
            attr,
            f"Labels must be {images.shape[0]} integers, one per image "
            f"(got shape {labels.shape}, dtype {labels.dtype})",
        )
    if labels.min() < 0:
        _fail(attr, f"Labels must be >= 0 (got {labels.min()})")
    return images, labels.astype(np.int64)


def confusion_matrix(labels, predictions, n_classes):
    """
    Count matrix ``C[true, predicted]``.

    Parameters
    ----------
    labels, predictions : (n,) array_like of int
        True and predicted classes, in ``[0, n_classes)``.
    n_classes : int
        Number of classes.

    Returns
    -------
    (n_classes, n_classes) ndarray of int
        Rows are true classes, columns predicted ones; it sums to ``n``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    predictions = np.asarray(predictions, dtype=np.int64)
    return np.bincount(
        labels * n_classes + predictions, minlength=n_classes * n_classes
    ).reshape(n_classes, n_classes)


@dataclasses.dataclass
class FeatureLayer:
    """
    The fixed hidden layer: encoders, gains and biases of its neurons.

    The input current of hidden neuron ``i`` for image ``x`` is
    ``gain[i] * encoders[i] @ x + bias[i]``.

    Attributes
    ----------
    encoders : (n_hidden, n_pixels) ndarray
        Unit-norm encoders.
    gain, bias : (n_hidden,) ndarray
        Gains and biases (from ``max_rate`` and ``intercept``).
    neuron_type : `~nengo.neurons.NeuronType`
        The hidden neurons' type.
    identity : bool
        Whether ``encoders`` is the identity (then the products with it are
        skipped: neuron ``i`` sees input ``i``).
    """

    encoders: np.ndarray
    gain: np.ndarray
    bias: np.ndarray
    neuron_type: nengo.neurons.NeuronType
    identity: bool = False

    @classmethod
    def create(
        cls,
        n_hidden,
        image_shape,
        encoders="gabor",
        max_rate=100.0,
        intercept=0.1,
        neuron_type=None,
        seed=None,
    ):
        """
        Make a hidden layer with encoders of a named kind (or given ones).

        Parameters
        ----------
        n_hidden : int
            Number of hidden neurons.
        image_shape : (int, int)
            Image shape (rows, columns).
        encoders : {"gabor", "gaussian", "identity"} or array_like
            Encoder kind (see `nengo_hpes.experiments.encoders.make_encoders`;
            ``"identity"``: one neuron per input value, which needs
            ``n_hidden == n_pixels``) or the encoders themselves, an
            ``(n_hidden, n_pixels)`` array (normalised to unit length).
        max_rate : float
            Firing rate of every neuron at ``encoder @ x = 1``, in Hz (> 0).
        intercept : float
            ``encoder @ x`` at which every neuron starts firing, in [0, 1).
        neuron_type : `~nengo.neurons.NeuronType`, optional
            Default `nengo.LIF`.
        seed : int, optional
            Seed of the encoders.
        """
        n_hidden = _check_int("n_hidden", n_hidden)
        if not max_rate > 0:
            _fail("max_rate", f"Must be > 0 Hz (got {max_rate!r})")
        if not 0 <= intercept < 1:
            _fail("intercept", f"Must be in [0, 1) (got {intercept!r})")
        neuron_type = nengo.LIF() if neuron_type is None else neuron_type
        identity = isinstance(encoders, str) and encoders == "identity"
        if identity:
            n_pixels = int(np.prod(image_shape))
            if n_hidden != n_pixels:
                _fail(
                    "n_hidden",
                    f"Must equal the number of pixels ({n_pixels}) for identity "
                    f"encoders (got {n_hidden})",
                )
            enc = np.eye(n_hidden)
        elif isinstance(encoders, str):
            kinds = (*ENCODER_KINDS, "identity")
            if encoders not in kinds:
                _fail("encoders", f"Must be one of {kinds} (got {encoders!r})")
            enc = make_encoders(encoders, n_hidden, image_shape, rng=seed)
        else:
            enc = np.asarray(encoders, dtype=np.float64)
            n_pixels = int(np.prod(image_shape))
            if enc.shape != (n_hidden, n_pixels):
                _fail(
                    "encoders",
                    f"Must have shape (n_hidden, n_pixels) = {(n_hidden, n_pixels)} "
                    f"(got {enc.shape})",
                )
            norms = np.linalg.norm(enc, axis=1, keepdims=True)
            enc = enc / np.where(norms > 0, norms, 1)
        gain, bias = neuron_type.gain_bias(
            np.full(n_hidden, float(max_rate)), np.full(n_hidden, float(intercept))
        )
        return cls(enc, np.asarray(gain), np.asarray(bias), neuron_type, identity)

    @property
    def n_hidden(self):
        """Number of hidden neurons."""
        return self.encoders.shape[0]

    @property
    def n_pixels(self):
        """Pixels per image."""
        return self.encoders.shape[1]

    def project(self, images):
        """Encoder projections ``images @ encoders.T`` (float64)."""
        images = np.asarray(images, dtype=np.float64)
        return images.copy() if self.identity else images @ self.encoders.T

    def currents(self, images):
        """Input currents without the bias, ``gain * (images @ encoders.T)``."""
        return self.project(images) * self.gain

    def rates(self, images):
        """Steady-state firing rates (Hz) of the hidden neurons for ``images``."""
        return self.neuron_type.rates(self.project(images), self.gain, self.bias)


class PresentCurrents(nengo.Process):
    """
    Present images one after another as hidden-layer input currents.

    Image ``order[k]`` is shown from ``k * presentation_time`` on; its current
    ``features.currents(images[order[k]])`` is computed once, when it appears.
    After the last image the output is zero.

    Parameters
    ----------
    features : FeatureLayer
        The hidden layer.
    images : (n, n_pixels) array_like
        The images.
    order : (m,) array_like of int
        Indices into ``images``, in presentation order.
    presentation_time : float
        Seconds per image.
    """

    def __init__(self, features, images, order, presentation_time, **kwargs):
        self.features = features
        self.images = images
        self.order = np.asarray(order, dtype=np.int64)
        self.presentation_time = presentation_time
        super().__init__(
            default_size_in=0, default_size_out=features.n_hidden, **kwargs
        )

    def make_step(self, shape_in, shape_out, dt, rng, state):
        steps = int(round(self.presentation_time / dt))
        project = self.features.project
        gain = self.features.gain
        images, order = self.images, self.order
        current = np.zeros(shape_out)
        shown = [-1]

        def step_presentcurrents(t):
            k = (int(round(t / dt)) - 1) // steps
            if k != shown[0]:
                shown[0] = k
                if k < len(order):
                    np.multiply(project(images[order[k]]), gain, out=current)
                else:
                    current[...] = 0
            return current

        return step_presentcurrents


class Teacher(nengo.Process):
    """
    Turn the decoded output into the error and the per-image readout.

    Input: the decoded output (``n_classes``). Output: ``2 * n_classes``
    values, ``[error, readout]``. In each presentation, the first
    ``settle_time`` gives zero error and zero readout; afterwards the error is
    ``output - onehot(label)`` (zero if ``learn`` is False) and the readout is
    the mean of the output since the end of the settle time.

    Parameters
    ----------
    labels : (m,) array_like of int
        The label of each presented image, in presentation order.
    n_classes : int
        Number of classes.
    presentation_time, settle_time : float
        Seconds per image, and seconds without error at its start.
    learn : bool
        Whether to output the error.
    """

    def __init__(
        self, labels, n_classes, presentation_time, settle_time, learn, **kwargs
    ):
        self.labels = np.asarray(labels, dtype=np.int64)
        self.n_classes = n_classes
        self.presentation_time = presentation_time
        self.settle_time = settle_time
        self.learn = learn
        super().__init__(
            default_size_in=n_classes, default_size_out=2 * n_classes, **kwargs
        )

    def make_step(self, shape_in, shape_out, dt, rng, state):
        steps = int(round(self.presentation_time / dt))
        settle = int(round(self.settle_time / dt))
        n = self.n_classes
        labels, learn = self.labels, self.learn
        out = np.zeros(2 * n)
        error, readout = out[:n], out[n:]
        total = np.zeros(n)

        def step_teacher(t, x):
            i = int(round(t / dt)) - 1
            k, j = divmod(i, steps)
            if j < settle or k >= len(labels):
                out[...] = 0
                total[...] = 0
                return out
            if j == settle:
                total[...] = 0
            np.add(total, x, out=total)
            np.multiply(total, 1.0 / (j - settle + 1), out=readout)
            if learn:
                error[...] = x
                error[labels[k]] -= 1.0
            return out

        return step_teacher


def classifier_network(
    features,
    images,
    labels,
    n_classes,
    learning_rule_type=None,
    weights=None,
    order=None,
    n_output=250,
    presentation_time=0.03,
    settle_time=0.01,
    synapse=0.005,
    readout_synapse=0.005,
    dt=0.001,
    seed=0,
):
    """
    Build the classifier network (see the module docstring).

    Parameters
    ----------
    features : FeatureLayer
        The fixed hidden layer.
    images : (n, n_pixels) array_like
        Images to present (floats; e.g. pixels scaled to [-1, 1]).
    labels : (n,) array_like of int
        Their classes, in ``[0, n_classes)``.
    n_classes : int
        Number of classes (dimensions of the output ensemble).
    learning_rule_type : `~nengo.learning_rules.LearningRuleType`, optional
        Rule on ``hidden.neurons -> output.neurons`` (None: fixed weights).
    weights : (n_output, n_hidden) array_like, optional
        Starting weights (default zeros).
    order : array_like of int, optional
        Presentation order (indices into ``images``; default each once, in
        order).
    n_output : int, optional
        Output neurons.
    presentation_time, settle_time : float, optional
        Seconds per image, and seconds at its start without error or readout.
    synapse : float, optional
        Time constant of the ``hidden -> output`` connection.
    readout_synapse : float, optional
        Time constant of the decoded output used for error and readout.
    dt : float, optional
        Simulator time step (to check the times against).
    seed : int, optional
        Seed of the network; the output ensemble and its decoding get fixed
        seeds derived from it, so a training and a test network built with the
        same seed have the same output population.

    Returns
    -------
    `nengo.Network`
        With attributes ``stim``, ``hidden``, ``output``, ``conn`` (the learned
        connection), ``teacher``, ``p_readout`` (one sample of the readout per
        image, at its last step), ``order``, ``labels`` (in presentation
        order), ``steps_per_image`` and ``n_classes``.
    """
    n_classes = _check_int("n_classes", n_classes, low=2)
    n_output = _check_int("n_output", n_output)
    images, labels = _check_images("images", images, labels, features.n_pixels)
    if labels.max() >= n_classes:
        _fail("labels", f"Must be < n_classes = {n_classes} (got {labels.max()})")
    steps = _check_steps("presentation_time", presentation_time, dt, low=1)
    settle = _check_steps("settle_time", settle_time, dt, low=0)
    if settle >= steps:
        _fail(
            "settle_time",
            f"Must be < presentation_time = {presentation_time:g} s "
            f"(got {settle_time!r})",
        )
    order = np.arange(len(images)) if order is None else np.asarray(order)
    if order.ndim != 1 or order.size == 0 or order.min() < 0:
        _fail("order", f"Must be a non-empty 1-D array of indices (got {order!r})")
    if order.max() >= len(images):
        _fail("order", f"Indices must be < {len(images)} (got {order.max()})")
    shape = (n_output, features.n_hidden)
    weights = np.zeros(shape) if weights is None else np.asarray(weights, dtype=float)
    if weights.shape != shape:
        _fail("weights", f"Must have shape {shape} (got {weights.shape})")

    seeds = np.random.RandomState(seed).randint(np.iinfo(np.int32).max, size=3)
    with nengo.Network(seed=seed, label="online classifier") as net:
        net.order = order
        net.labels = labels[order]
        net.steps_per_image = steps
        net.n_classes = n_classes
        net.stim = nengo.Node(
            PresentCurrents(features, images, order, presentation_time),
            label="input currents",
        )
        net.hidden = nengo.Ensemble(
            features.n_hidden,
            1,
            neuron_type=features.neuron_type,
            gain=features.gain,
            bias=features.bias,
            seed=seeds[0],
            label="hidden",
        )
        nengo.Connection(net.stim, net.hidden.neurons, synapse=None)
        net.output = nengo.Ensemble(n_output, n_classes, seed=seeds[1], label="output")
        net.conn = nengo.Connection(
            net.hidden.neurons,
            net.output.neurons,
            transform=weights,
            synapse=synapse,
            learning_rule_type=learning_rule_type,
        )
        net.teacher = nengo.Node(
            Teacher(
                net.labels,
                n_classes,
                presentation_time,
                settle_time,
                learn=learning_rule_type is not None,
            ),
            label="teacher",
        )
        nengo.Connection(
            net.output, net.teacher, synapse=readout_synapse, seed=seeds[2]
        )
        if learning_rule_type is not None:
            nengo.Connection(
                net.teacher[:n_classes], net.conn.learning_rule, synapse=None
            )
        # one sample per image, at its last step. sample_every is a hair under
        # the presentation time: nengo samples when n_steps % (sample_every / dt)
        # < 1, and a ratio that rounds to just above `steps` would sample one
        # step late
        net.p_readout = nengo.Probe(
            net.teacher[n_classes:], sample_every=steps * dt * (1 - 1e-9)
        )
    return net


@dataclasses.dataclass
class ClassifierResult:
    """
    What `run_classifier` measured.

    Attributes
    ----------
    label : str
        Name of the run.
    accuracy : float
        Test accuracy (learning off).
    confusion : (n_classes, n_classes) ndarray of int
        Test confusion matrix, ``[true, predicted]``.
    test_predictions : (n_test,) ndarray of int
        Predicted class of each test image.
    train_correct : (n_presented,) ndarray of bool
        Whether each training presentation's readout (averaged over its
        learning window, i.e. while it was being learned) picked its label.
    weights : (n_output, n_hidden) ndarray
        The learned weights.
    timings : dict
        Seconds: ``build`` (both simulators), ``train``, ``test``, and
        ``train_per_image``, ``test_per_image``.
    params : dict
        The settings of the run (JSON-compatible).
    """

    label: str
    accuracy: float
    confusion: np.ndarray
    test_predictions: np.ndarray
    train_correct: np.ndarray
    weights: np.ndarray
    timings: dict
    params: dict

    @property
    def n_classes(self):
        """Number of classes."""
        return self.confusion.shape[0]

    def learning_curve(self, block=None):
        """
        Training accuracy in consecutive blocks of presentations.

        Parameters
        ----------
        block : int, optional
            Presentations per block (default: about 20 blocks, at least 1).

        Returns
        -------
        seen : ndarray of int
            Presentations seen at the end of each block.
        accuracy : ndarray
            Fraction correct within each block.
        """
        n = len(self.train_correct)
        if n == 0:
            return np.zeros(0, dtype=int), np.zeros(0)
        block = max(1, n // 20) if block is None else _check_int("block", block)
        ends = np.arange(block, n + block, block).clip(max=n)
        starts = np.r_[0, ends[:-1]]
        acc = np.array([self.train_correct[s:e].mean() for s, e in zip(starts, ends)])
        return ends, acc

    def summary(self):
        """The headline numbers and settings as a JSON-compatible dict."""
        seen, acc = self.learning_curve()
        return {
            "label": self.label,
            "test_accuracy": self.accuracy,
            "train_accuracy_last_block": float(acc[-1]) if acc.size else None,
            "timings_s": self.timings,
            "params": self.params,
            "confusion": self.confusion.tolist(),
            "learning_curve": {"seen": seen.tolist(), "accuracy": acc.tolist()},
        }


def _rule_parameters(rule):
    """Every parameter of a learning rule (defaults included), as reprs."""
    if rule is None:
        return None
    return {
        name: repr(getattr(rule, name))
        for name in iter_params(rule)
        if name != "size_in"
    }


def _predictions(sim, net):
    readout = sim.data[net.p_readout]
    if len(readout) != len(net.order):  # pragma: no cover (sampling bug)
        raise RuntimeError(
            f"Expected one readout sample per image ({len(net.order)}), "
            f"got {len(readout)}"
        )
    return readout.argmax(axis=1)


def run_classifier(
    train,
    test,
    learning_rule_type,
    image_shape,
    n_classes=None,
    n_passes=1,
    shuffle=False,
    n_hidden=1000,
    encoders="gabor",
    max_rate=100.0,
    intercept=0.1,
    n_output=250,
    presentation_time=0.03,
    settle_time=0.01,
    synapse=0.005,
    readout_synapse=0.005,
    dt=0.001,
    seed=0,
    label=None,
    progress_bar=True,
    simulator=nengo.Simulator,
):
    """
    Train the classifier online, test it with learning off, return the results.

    Parameters
    ----------
    train, test : (images, labels)
        ``images``: ``(n, n_pixels)`` floats (row-major images; for MNIST,
        e.g. `nengo_hpes.experiments.data.scale_pixels`); ``labels``: ``(n,)`` ints.
    learning_rule_type : `~nengo.learning_rules.LearningRuleType` or None
        The rule (e.g. ``nengo.PES(1e-4)`` or ``nengo_hpes.HPES()``); None
        skips training and tests the starting (zero) weights.
    image_shape : (int, int)
        Shape of one image (for Gabor encoders).
    n_classes : int, optional
        Default: the largest label + 1.
    n_passes : int, optional
        Passes over the training set, in one continuous simulation.
    shuffle : bool, optional
        Shuffle the training set at each pass (otherwise its order is kept).
    n_hidden : int, optional
        Hidden neurons.
    encoders : {"gabor", "gaussian", "identity"} or array_like, optional
        Hidden encoders (see `FeatureLayer.create`).
    max_rate, intercept : float, optional
        Of the hidden neurons (see `FeatureLayer.create`).
    n_output, presentation_time, settle_time, synapse, readout_synapse : optional
        See `classifier_network`.
    dt : float, optional
        Simulator time step.
    seed : int, optional
        Seed of the encoders, the network and the shuffling.
    label : str, optional
        Name of the run (default: the rule's repr).
    progress_bar : bool, optional
        Show nengo's progress bars.
    simulator : callable, optional
        Simulator class.

    Returns
    -------
    ClassifierResult
    """
    n_passes = _check_int("n_passes", n_passes)
    n_output = _check_int("n_output", n_output)
    x_train, y_train = _check_images("train", *train)
    x_test, y_test = _check_images("test", *test)
    if n_classes is None:
        n_classes = int(max(y_train.max(), y_test.max())) + 1
    features = FeatureLayer.create(
        n_hidden, image_shape, encoders, max_rate, intercept, seed=seed
    )
    kwargs = dict(
        n_classes=n_classes,
        n_output=n_output,
        presentation_time=presentation_time,
        settle_time=settle_time,
        synapse=synapse,
        readout_synapse=readout_synapse,
        dt=dt,
        seed=seed,
    )
    rng = np.random.RandomState(seed)
    n = len(x_train)
    passes = [rng.permutation(n) if shuffle else np.arange(n) for _ in range(n_passes)]
    timings = {}
    weights = np.zeros((n_output, n_hidden))
    train_correct = np.zeros(0, dtype=bool)

    if learning_rule_type is not None:
        t0 = time.perf_counter()
        net = classifier_network(
            features,
            x_train,
            y_train,
            learning_rule_type=learning_rule_type,
            order=np.concatenate(passes),
            **kwargs,
        )
        with simulator(net, dt=dt, progress_bar=progress_bar) as sim:
            timings["build_train"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            for _ in range(n_passes):
                sim.run_steps(n * net.steps_per_image, progress_bar=progress_bar)
            timings["train"] = time.perf_counter() - t0
            weights = np.array(sim.signals[sim.model.sig[net.conn]["weights"]])
            train_correct = _predictions(sim, net) == net.labels
    else:
        timings["build_train"] = timings["train"] = 0.0

    t0 = time.perf_counter()
    net = classifier_network(features, x_test, y_test, weights=weights, **kwargs)
    with simulator(net, dt=dt, progress_bar=progress_bar) as sim:
        timings["build_test"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        sim.run_steps(len(x_test) * net.steps_per_image, progress_bar=progress_bar)
        timings["test"] = time.perf_counter() - t0
        predictions = _predictions(sim, net)

    timings["train_per_image"] = timings["train"] / max(1, len(train_correct))
    timings["test_per_image"] = timings["test"] / len(x_test)
    params = dict(
        rule=repr(learning_rule_type),
        # every parameter's value, defaults included: a repr such as "HPES()"
        # means different rules when the package's defaults change
        rule_parameters=_rule_parameters(learning_rule_type),
        n_train=n,
        n_test=len(x_test),
        n_passes=n_passes,
        shuffle=shuffle,
        n_hidden=n_hidden,
        encoders=encoders if isinstance(encoders, str) else "given",
        max_rate=max_rate,
        intercept=intercept,
        image_shape=list(image_shape),
        **kwargs,
    )
    return ClassifierResult(
        label=repr(learning_rule_type) if label is None else label,
        accuracy=float(np.mean(predictions == y_test)),
        confusion=confusion_matrix(y_test, predictions, n_classes),
        test_predictions=predictions,
        train_correct=train_correct,
        weights=weights,
        timings=timings,
        params=params,
    )


def lstsq_readout(blocks, n_classes, reg=0.01):
    """
    Least-squares decoders from activities to one-hot labels (ridge).

    Accumulates ``A.T @ A`` and ``A.T @ Y`` over blocks of activities ``A``
    and one-hot targets ``Y``, then solves with nengo's
    `~nengo.solvers.LstsqL2` regularisation: ``n * (reg * max(A))**2`` on the
    diagonal, ``n`` the number of samples. No bias term (rates and spike
    counts are >= 0 and a silent input predicts nothing).

    Parameters
    ----------
    blocks : iterable of (activities, labels)
        ``(m, n_inputs)`` activities (rates, counts...) and ``(m,)`` labels.
    n_classes : int
        Number of classes (one-hot width).
    reg : float, optional
        Regularisation relative to the largest activity (>= 0).

    Returns
    -------
    (n_inputs, n_classes) ndarray
        Decoders: the predicted class is ``argmax(activities @ decoders)``.
    """
    n_classes = _check_int("n_classes", n_classes)
    try:
        ok = not isinstance(reg, str) and bool(np.isfinite(reg) and reg >= 0)
    except TypeError:
        ok = False
    if not ok:
        _fail("reg", f"Must be a finite number >= 0 (got {reg!r})")
    gram = rhs = None
    a_max, n = 0.0, 0
    for a, y in blocks:
        a = np.asarray(a, dtype=np.float64)
        if gram is None:
            gram = np.zeros((a.shape[1], a.shape[1]))
            rhs = np.zeros((a.shape[1], n_classes))
        gram += a.T @ a
        rhs += a.T @ np.eye(n_classes)[np.asarray(y)]
        a_max = max(a_max, float(a.max(initial=0.0)))
        n += len(a)
    if gram is None or n == 0:
        _fail("blocks", "Must hold at least one sample")
    gram[np.diag_indices_from(gram)] += n * (reg * a_max) ** 2
    return np.linalg.solve(gram, rhs)


def offline_accuracy(features, train, test, n_classes=None, reg=0.01, chunk=5000):
    """
    Test accuracy of a least-squares readout of the hidden rates (no spikes).

    The ceiling that an online rule learning the same readout can approach:
    ridge regression from the steady-state hidden rates to one-hot labels
    (`lstsq_readout`), predictions by the largest output.

    Parameters
    ----------
    features : FeatureLayer
        The hidden layer.
    train, test : (images, labels)
        As for `run_classifier`.
    n_classes : int, optional
        Default: the largest label + 1.
    reg : float, optional
        Regularisation relative to the largest rate.
    chunk : int, optional
        Images per block when accumulating (bounds the memory).

    Returns
    -------
    float
    """
    x_train, y_train = _check_images("train", *train, features.n_pixels)
    x_test, y_test = _check_images("test", *test, features.n_pixels)
    if n_classes is None:
        n_classes = int(max(y_train.max(), y_test.max())) + 1
    decoders = lstsq_readout(
        (
            (features.rates(x_train[s : s + chunk]), y_train[s : s + chunk])
            for s in range(0, len(x_train), chunk)
        ),
        n_classes,
        reg,
    )
    correct = 0
    for s in range(0, len(x_test), chunk):
        out = features.rates(x_test[s : s + chunk]) @ decoders
        correct += int(np.sum(out.argmax(axis=1) == y_test[s : s + chunk]))
    return correct / len(x_test)


def plot_learning_curves(results, path=None, block=None):
    """
    Training accuracy (per block of presentations) of each result.

    Parameters
    ----------
    results : list of ClassifierResult
        The runs to show.
    path : str or Path, optional
        Where to save the figure (PNG).
    block : int, optional
        Presentations per block (see `ClassifierResult.learning_curve`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for res in results:
        seen, acc = res.learning_curve(block)
        ax.plot(seen, 100 * acc, marker=".", label=f"{res.label}")
        ax.axhline(100 * res.accuracy, ls="--", lw=0.8, color=ax.lines[-1].get_color())
    ax.set_xlabel("training images presented")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Training accuracy while learning (dashed: test, learning off)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def plot_confusion_matrix(result, path=None):
    """
    The test confusion matrix of one result, with counts.

    Parameters
    ----------
    result : ClassifierResult
        The run to show.
    path : str or Path, optional
        Where to save the figure (PNG).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    conf = result.confusion
    n = conf.shape[0]
    fig, ax = plt.subplots(figsize=(1.0 + 0.5 * n, 0.6 + 0.5 * n))
    ax.imshow(conf, cmap="Blues")
    high = conf.max() / 2 if conf.size else 0
    for (i, j), count in np.ndenumerate(conf):
        ax.text(
            j,
            i,
            str(count),
            ha="center",
            va="center",
            fontsize="x-small",
            color="white" if count > high else "black",
        )
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{result.label}\ntest accuracy {100 * result.accuracy:.2f} %")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def plot_digits(images, labels, predictions=None, shape=(28, 28), n=12, path=None):
    """
    A row of images with their labels (and predictions, if given).

    Parameters
    ----------
    images : (m, n_pixels) array_like
        Images (any scale; each is shown with its own grey range).
    labels : (m,) array_like of int
        True classes.
    predictions : (m,) array_like of int, optional
        Predicted classes; with them, only misclassified images are shown.
    shape : (int, int), optional
        Image shape.
    n : int, optional
        At most this many images.
    path : str or Path, optional
        Where to save the figure (PNG).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    n = _check_int("n", n)
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 2 or images.shape[1] != int(np.prod(shape)):
        _fail(
            "images",
            f"Must have shape (m, {int(np.prod(shape))}) (got {images.shape})",
        )
    if labels.shape != (len(images),):
        _fail("labels", f"Must have shape ({len(images)},) (got {labels.shape})")
    index = np.arange(len(images))
    if predictions is not None:
        predictions = np.asarray(predictions)
        if predictions.shape != labels.shape:
            _fail(
                "predictions",
                f"Must have shape {labels.shape} (got {predictions.shape})",
            )
        index = np.flatnonzero(predictions != labels)
    index = index[:n]
    fig, axes = plt.subplots(1, max(1, len(index)), figsize=(1.2 * max(1, n), 1.6))
    axes = np.atleast_1d(axes)
    for ax in axes:
        ax.axis("off")
    for ax, i in zip(axes, index):
        ax.imshow(images[i].reshape(shape), cmap="gray_r")
        title = (
            f"{labels[i]}"
            if predictions is None
            else (f"{labels[i]} as {predictions[i]}")
        )
        ax.set_title(title, fontsize="small")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def plot_weight_histograms(results, path=None, bins=100):
    """
    Histograms of each result's learned weights, with their Gini index.

    The Gini index (`nengo_hpes.experiments.metrics.gini_index` of the absolute weights)
    is 0 when all weights have the same magnitude and tends to 1 when a few
    weights carry all of it.

    Parameters
    ----------
    results : list of ClassifierResult
        The runs to show.
    path : str or Path, optional
        Where to save the figure (PNG).
    bins : int, optional
        Histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from nengo_hpes.experiments.metrics import gini_index

    results = list(results)
    if not results:
        _fail("results", "Must have at least one result (got [])")
    fig, axes = plt.subplots(1, len(results), figsize=(4.5 * len(results), 3.2))
    for ax, res in zip(np.atleast_1d(axes), results):
        w = res.weights.ravel()
        ax.hist(w, bins=bins, log=True, color="C0")
        ax.set_title(f"{res.label}\nGini {gini_index(res.weights):.3f}", fontsize=9)
        ax.set_xlabel("weight")
    np.atleast_1d(axes)[0].set_ylabel("count (log)")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
