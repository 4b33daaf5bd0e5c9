"""
Online learning of an image classifier in a spiking network, with any rule.

The network (`classifier_network`) is the single-layer NEF classifier of
nengo-extras' MNIST example, with its readout learned online:

* a hidden layer of LIF neurons with fixed encoders (`.FeatureLayer`: masked
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
while testing), and returns a `ClassifierResult`. The hidden layer is
`nengo_hpes.experiments.encoders.FeatureLayer`; the offline least-squares
readout of the same layer is in `nengo_hpes.experiments.offline`, the figures
in `nengo_hpes.experiments.plots`.
"""

import dataclasses
import time

import nengo
import numpy as np
from nengo.params import iter_params

from nengo_hpes.experiments.encoders import FeatureLayer
from nengo_hpes.experiments.metrics import confusion_matrix
from nengo_hpes.experiments.validation import check_images, check_int, fail


def _check_steps(attr, value, dt, low=0):
    finite = not isinstance(value, bool) and np.isfinite(value)
    steps = int(round(value / dt)) if finite else -1
    if steps < low or abs(steps * dt - value) > 1e-9:
        fail(
            attr,
            f"Must be a multiple of dt = {dt:g} s and >= {low * dt:g} s "
            f"(got {value!r})",
        )
    return steps


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
    n_classes = check_int("n_classes", n_classes, low=2)
    n_output = check_int("n_output", n_output, low=1)
    images, labels = check_images("images", images, labels, features.n_pixels)
    if labels.max() >= n_classes:
        fail("labels", f"Must be < n_classes = {n_classes} (got {labels.max()})")
    steps = _check_steps("presentation_time", presentation_time, dt, low=1)
    settle = _check_steps("settle_time", settle_time, dt, low=0)
    if settle >= steps:
        fail(
            "settle_time",
            f"Must be < presentation_time = {presentation_time:g} s "
            f"(got {settle_time!r})",
        )
    order = np.arange(len(images)) if order is None else np.asarray(order)
    if order.ndim != 1 or order.size == 0 or order.min() < 0:
        fail("order", f"Must be a non-empty 1-D array of indices (got {order!r})")
    if order.max() >= len(images):
        fail("order", f"Indices must be < {len(images)} (got {order.max()})")
    shape = (n_output, features.n_hidden)
    weights = np.zeros(shape) if weights is None else np.asarray(weights, dtype=float)
    if weights.shape != shape:
        fail("weights", f"Must have shape {shape} (got {weights.shape})")

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
        block = max(1, n // 20) if block is None else check_int("block", block, low=1)
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
        Hidden encoders (see `.FeatureLayer.create`).
    max_rate, intercept : float, optional
        Of the hidden neurons (see `.FeatureLayer.create`).
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
    n_passes = check_int("n_passes", n_passes, low=1)
    n_output = check_int("n_output", n_output, low=1)
    x_train, y_train = check_images("train", *train)
    x_test, y_test = check_images("test", *test)
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
