"""
A spiking CNN for MNIST (NengoDL), and an online hPES readout of its features.

Two parts, used by ``notebooks/mnist.ipynb`` and its command line:

- **The spiking CNN** of NengoDL's spiking-MNIST example (`build_cnn`): three
  3 x 3 convolutions (32 filters; 64 and 128 with stride 2), each followed by
  LIF neurons (``amplitude = 0.01``, maximum rate 100 Hz, intercept 0), and a
  dense linear readout of the 10 classes, fed raw 0-255 pixels as the example
  (``CNNSettings.input_scale``). `train_cnn` trains it on rates
  through NengoDL's Keras API (the LIF neurons are swapped for
  ``nengo_dl.SoftLIFRate(sigma=lif_smoothing)`` while training), caching the
  parameters; `run_spiking` presents each image for ``n_steps`` steps with
  spiking LIF neurons and returns the class read from the output filtered by a
  0.1 s lowpass at the last step (as the example) and the spike counts of the
  last convolutional layer (the *features*, 5 x 5 x 128 = 3200 neurons).
- **The hybrid** (`hybrid_readout`): the trained CNN is frozen, and a new
  readout of its spiking features is learned online by any learning rule
  (hPES, PES) with `nengo_hpes.experiments.classifier.run_classifier`, as Bekolay et al.
  (2013) learned the readout of a deep belief network's features online.

Everything that NengoDL computes is cached under ``cache_dir`` (the parameters
after each epoch, the spiking features): nothing is downloaded, and a second
run with the same settings and data reuses the files. NengoDL and TensorFlow
are imported inside the functions that need them.
"""

import dataclasses
import hashlib
import json
import os
import pathlib
import platform
import time
import warnings

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.utils.progress import Progress, to_progressbar

#: The convolutions of NengoDL's spiking-MNIST network: (filters, stride),
#: 3 x 3 kernels, no padding.
CNN_CONVOLUTIONS = ((32, 1), (64, 2), (128, 2))
#: Shape of one MNIST image as the CNN sees it.
CNN_INPUT_SHAPE = (28, 28, 1)
#: Environment variable naming the cache folder.
CACHE_VARIABLE = "NENGO_HPES_CACHE_DIR"
#: Version of the cached files' layout (part of every cache key).
CACHE_FORMAT = 1
OPTIMIZERS = ("rmsprop", "adam")


# --- validation ------------------------------------------------------------


def _fail(attr, msg):
    raise ValidationError(msg, attr=attr)


def _check_int(attr, value, low=1, high=None):
    ok = (
        not isinstance(value, (bool, np.bool_))
        and np.ndim(value) == 0
        and isinstance(value, (int, np.integer, float, np.floating))
        and np.isfinite(value)
        and int(value) == value
        and value >= low
        and (high is None or value <= high)
    )
    if not ok:
        domain = f">= {low}" if high is None else f"in [{low}, {high}]"
        _fail(attr, f"Must be an integer {domain} (got {value!r})")
    return int(value)


def _check_float(attr, value, low=0.0, low_open=True, high=None, allow_none=False):
    if value is None and allow_none:
        return None
    try:
        x = float(value)
        ok = (
            not isinstance(value, (bool, np.bool_, str))
            and np.isfinite(x)
            and (x > low if low_open else x >= low)
            and (high is None or x <= high)
        )
    except (TypeError, ValueError):
        ok = False
    if not ok:
        domain = f"{'>' if low_open else '>='} {low:g}"
        if high is not None:
            domain += f" and <= {high:g}"
        _fail(
            attr,
            f"Must be a finite number {domain}"
            + (" or None" if allow_none else "")
            + f" (got {value!r})",
        )
    return x


def _check_images(attr, images, labels=None, n_pixels=784):
    images = np.asarray(images)
    if images.ndim != 2 or images.shape[0] == 0 or images.shape[1] != n_pixels:
        _fail(
            attr,
            f"Images must be a non-empty (n, {n_pixels}) array "
            f"(got shape {images.shape})",
        )
    if labels is None:
        return images
    labels = np.asarray(labels)
    if labels.shape != (images.shape[0],) or labels.dtype.kind not in "iu":
        _fail(
            attr,
            f"Labels must be {images.shape[0]} integers, one per image "
            f"(got shape {labels.shape}, dtype {labels.dtype})",
        )
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        _fail(
            attr,
            f"Labels must be in 0-9 (got values in [{labels.min()}, {labels.max()}])",
        )
    return images, labels


# --- settings and caching ---------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CNNSettings:
    """
    How the CNN is built and trained.

    Parameters
    ----------
    lif_smoothing : float
        Soft-LIF smoothing ``sigma`` (> 0) of the rate neurons used in training.
    max_rate : float
        Firing rate (Hz, > 0) of every LIF neuron at input 1 (intercepts 0).
    amplitude : float
        LIF output scale (> 0): a spike is ``amplitude / dt``.
    tau_rc, tau_ref : float
        LIF membrane time constant (> 0) and refractory period (>= 0), seconds.
    epochs : int
        Training epochs (>= 1).
    minibatch_size : int
        Training minibatch (>= 1); the number of training images must be a
        multiple of it.
    learning_rate : float
        Optimizer learning rate (> 0).
    optimizer : {"rmsprop", "adam"}
        ``tf.optimizers.RMSprop`` (as NengoDL's example) or ``Adam``.
    seed : int
        Seed of the network (initial weights) and of TensorFlow.
    input_scale : float
        Factor (> 0) on the pixels (given in [0, 1]) before they enter the
        network. The default 255 feeds raw 0-255 pixels, as NengoDL's example
        does. It matters only for the spikes: trained on rates, the network
        with [0, 1] pixels (``input_scale = 1``) scores as well (98.88 % vs
        98.84 %), but its first layer fires only 1.4 spikes per active
        neuron in 30 steps (10.2 with raw pixels), and it loses a point with
        spikes (97.90 % vs 98.84 %; ``benchmarks/mnist_cnn_rates.py``).
    """

    lif_smoothing: float = 0.01
    max_rate: float = 100.0
    amplitude: float = 0.01
    tau_rc: float = 0.02
    tau_ref: float = 0.002
    epochs: int = 10
    minibatch_size: int = 200
    learning_rate: float = 1e-3
    optimizer: str = "rmsprop"
    seed: int = 0
    input_scale: float = 255.0

    def __post_init__(self):
        _check_float("lif_smoothing", self.lif_smoothing)
        _check_float("max_rate", self.max_rate)
        _check_float("amplitude", self.amplitude)
        _check_float("tau_rc", self.tau_rc)
        _check_float("tau_ref", self.tau_ref, low_open=False)
        if self.max_rate * self.tau_ref >= 1:
            _fail(
                "max_rate",
                f"Must be < 1 / tau_ref = {1 / self.tau_ref:g} Hz "
                f"(got {self.max_rate!r})",
            )
        _check_int("epochs", self.epochs)
        _check_int("minibatch_size", self.minibatch_size)
        _check_float("learning_rate", self.learning_rate)
        if self.optimizer not in OPTIMIZERS:
            _fail("optimizer", f"Must be one of {OPTIMIZERS} (got {self.optimizer!r})")
        _check_int("seed", self.seed, low=0)
        _check_float("input_scale", self.input_scale)

    def network_dict(self):
        """The settings that define the network (not how long it trained)."""
        d = dataclasses.asdict(self)
        d.pop("epochs")
        if d["input_scale"] == 1:
            # (the key of the files cached before this setting existed)
            d.pop("input_scale")
        return d

    def inputs(self, images):
        """The network's input (float32): ``images * input_scale``."""
        return np.asarray(images, dtype=np.float32) * np.float32(self.input_scale)


def default_cache_dir(environ=None):
    """
    Folder of the cached CNN parameters and features.

    ``$NENGO_HPES_CACHE_DIR`` if set; otherwise ``build/cache`` in the
    source checkout that holds this package (next to ``setup.cfg``), or
    ``~/.cache/nengo_hpes`` for an installed package.
    """
    environ = os.environ if environ is None else environ
    if environ.get(CACHE_VARIABLE):
        return pathlib.Path(environ[CACHE_VARIABLE])
    root = pathlib.Path(__file__).resolve().parents[1]
    if (root / "setup.cfg").is_file():
        return root / "build" / "cache"
    return pathlib.Path.home() / ".cache" / "nengo_hpes"


def _digest(*parts):
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(str((part.shape, part.dtype.str)).encode())
            h.update(np.ascontiguousarray(part).tobytes())
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def data_digest(images, labels=None):
    """A short hash of a data set (part of the cache keys)."""
    return _digest(np.asarray(images), *(() if labels is None else (labels,)))


def _file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def _cache_dir(cache_dir):
    path = default_cache_dir() if cache_dir is None else pathlib.Path(cache_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def limit_threads(n_threads):
    """
    Make TensorFlow use ``n_threads`` threads (intra- and inter-op).

    Works only before TensorFlow runs anything (later, it warns and changes
    nothing); None leaves TensorFlow's default (all cores).

    Returns
    -------
    bool
        Whether the setting was applied.
    """
    if n_threads is None:
        return False
    n_threads = _check_int("n_threads", n_threads)
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(n_threads)
        tf.config.threading.set_inter_op_parallelism_threads(n_threads)
    except RuntimeError:
        warnings.warn(
            f"TensorFlow is already running: cannot limit it to {n_threads} "
            "thread(s) now (set TF_NUM_INTRAOP_THREADS and TF_NUM_INTEROP_THREADS "
            "before starting Python instead)",
            stacklevel=2,
        )
        return False
    return True


# --- the network -----------------------------------------------------------


def build_cnn(settings=None, spiking=True, output_synapse=0.1):
    """
    NengoDL's spiking-MNIST convolutional network.

    ``input (784) -> [Conv2D 3x3 -> LIF] x 3 -> Dense(10)``, the convolutions
    as in `CNN_CONVOLUTIONS`. Connections have no synapses; the network is
    configured ``stateful=False`` and with ``lif_smoothing`` (so NengoDL
    trains the LIF neurons as ``SoftLIFRate``).

    Parameters
    ----------
    settings : CNNSettings, optional
        Neuron parameters and seed (default `CNNSettings()`).
    spiking : bool, optional
        `nengo.LIF` neurons (True) or ``nengo_dl.SoftLIFRate`` with the same
        parameters (False; to measure the rate accuracy).
    output_synapse : float, optional
        Time constant (s, > 0) of the filtered output probe.

    Returns
    -------
    nengo.Network
        With attributes ``inp`` (input node), ``out_p`` (readout probe, no
        synapse), ``out_p_filt`` (readout through ``output_synapse``),
        ``feature_p`` (probe of the last convolutional layer's neurons) and
        ``n_features``.
    """
    import nengo_dl
    import tensorflow as tf

    settings = CNNSettings() if settings is None else settings
    if not isinstance(settings, CNNSettings):
        _fail("settings", f"Must be a CNNSettings (got {settings!r})")
    output_synapse = _check_float("output_synapse", output_synapse)
    s = settings
    if spiking:
        neuron_type = nengo.LIF(
            tau_rc=s.tau_rc, tau_ref=s.tau_ref, amplitude=s.amplitude
        )
    else:
        neuron_type = nengo_dl.SoftLIFRate(
            sigma=s.lif_smoothing,
            tau_rc=s.tau_rc,
            tau_ref=s.tau_ref,
            amplitude=s.amplitude,
        )
    with nengo.Network(seed=s.seed, label="spiking CNN") as net:
        net.config[nengo.Ensemble].max_rates = nengo.dists.Choice([s.max_rate])
        net.config[nengo.Ensemble].intercepts = nengo.dists.Choice([0])
        net.config[nengo.Connection].synapse = None
        nengo_dl.configure_settings(stateful=False, lif_smoothing=s.lif_smoothing)
        net.inp = nengo.Node(np.zeros(int(np.prod(CNN_INPUT_SHAPE))), label="input")
        x, shape = net.inp, CNN_INPUT_SHAPE
        for filters, stride in CNN_CONVOLUTIONS:
            x = nengo_dl.Layer(
                tf.keras.layers.Conv2D(filters=filters, kernel_size=3, strides=stride)
            )(x, shape_in=shape)
            shape = (
                (shape[0] - 3) // stride + 1,
                (shape[1] - 3) // stride + 1,
                filters,
            )
            x = nengo_dl.Layer(neuron_type)(x)
        net.n_features = int(np.prod(shape))
        net.feature_shape = shape
        net.feature_p = nengo.Probe(x, label="feature_p")
        out = nengo_dl.Layer(tf.keras.layers.Dense(units=10))(x)
        net.out_p = nengo.Probe(out, label="out_p")
        net.out_p_filt = nengo.Probe(out, synapse=output_synapse, label="out_p_filt")
    return net


# --- training ----------------------------------------------------------------


@dataclasses.dataclass
class CNNTraining:
    """
    What `train_cnn` produced.

    Attributes
    ----------
    settings : CNNSettings
        The settings trained with.
    params : pathlib.Path
        The parameters file (``sim.load_params`` takes it without ``.npz``).
    history : list of dict
        Per epoch: ``epoch``, ``loss`` (training cross-entropy), ``seconds``.
    train_seconds : float
        Training time of the epochs run by the call that trained them (taken
        from the cache when it was cached).
    n_train : int
        Training images.
    cached : bool
        Whether the parameters came from the cache.
    """

    settings: CNNSettings
    params: pathlib.Path
    history: list
    train_seconds: float
    n_train: int
    cached: bool

    def summary(self):
        """JSON-compatible summary."""
        return {
            "settings": dataclasses.asdict(self.settings),
            "params_file": str(self.params),
            "history": self.history,
            "train_seconds": self.train_seconds,
            "train_seconds_per_image_epoch": self.train_seconds
            / (self.n_train * max(1, len(self.history))),
            "n_train": self.n_train,
            "cached": self.cached,
        }


def _params_stem(cache, key, epoch):
    return cache / f"mnist-cnn-{key}-epoch{epoch}"


def train_cnn(
    train,
    settings=None,
    cache_dir=None,
    use_cache=True,
    verbose=1,
    progress_bar=True,
):
    """
    Train the CNN on rates (soft-LIF) with NengoDL, or load it from the cache.

    The loss is the cross-entropy of the unfiltered readout (one time step per
    image, as NengoDL's example). The parameters after every epoch are saved
    in ``cache_dir`` as ``mnist-cnn-<key>-epoch<k>.npz`` (with a ``.json`` of
    the loss history and timings), the key a hash of the network settings
    and the training data; the epochs of one call run in one ``fit`` loop
    with one optimizer. If the file of the last epoch exists (and
    ``use_cache``), nothing is trained.

    Parameters
    ----------
    train : (images, labels)
        ``(n, 784)`` pixels scaled to [0, 1] and ``(n,)`` labels 0-9; ``n``
        must be a multiple of ``settings.minibatch_size``.
    settings : CNNSettings, optional
        Default `CNNSettings()`.
    cache_dir : str or Path, optional
        Default `default_cache_dir()`.
    use_cache : bool, optional
        Reuse a cached result (otherwise train and overwrite it).
    verbose : int, optional
        Keras' progress output of ``fit`` (0 silent, 1 progress bar, 2 one
        line per epoch).
    progress_bar : bool, optional
        NengoDL's build progress bar.

    Returns
    -------
    CNNTraining
    """
    settings = CNNSettings() if settings is None else settings
    if not isinstance(settings, CNNSettings):
        _fail("settings", f"Must be a CNNSettings (got {settings!r})")
    x_train, y_train = _check_images("train", *train)
    if len(y_train) % settings.minibatch_size:
        _fail(
            "train",
            f"The number of training images must be a multiple of minibatch_size "
            f"= {settings.minibatch_size} (got {len(y_train)})",
        )
    cache = _cache_dir(cache_dir)
    key = _digest(CACHE_FORMAT, settings.network_dict(), data_digest(x_train, y_train))
    final = _params_stem(cache, key, settings.epochs)
    if use_cache and final.with_suffix(".npz").is_file():
        meta = json.loads(final.with_suffix(".json").read_text())
        return CNNTraining(
            settings,
            final,
            meta["history"],
            meta["train_seconds"],
            len(y_train),
            cached=True,
        )

    import nengo_dl
    import tensorflow as tf

    tf.random.set_seed(settings.seed)
    net = build_cnn(settings)
    optimizer = {"rmsprop": tf.optimizers.RMSprop, "adam": tf.optimizers.Adam}[
        settings.optimizer
    ](settings.learning_rate)
    history, total = [], 0.0
    with nengo_dl.Simulator(
        net,
        minibatch_size=settings.minibatch_size,
        seed=settings.seed,
        progress_bar=progress_bar,
    ) as sim:
        sim.compile(
            optimizer=optimizer,
            loss={net.out_p: tf.losses.SparseCategoricalCrossentropy(from_logits=True)},
        )
        for epoch in range(1, settings.epochs + 1):
            t0 = time.perf_counter()
            hist = sim.fit(
                settings.inputs(x_train)[:, None, :],
                {net.out_p: y_train[:, None, None].astype(np.int32)},
                epochs=1,
                verbose=verbose,
            )
            seconds = time.perf_counter() - t0
            total += seconds
            loss = float(hist.history["loss"][-1])
            history.append({"epoch": epoch, "loss": loss, "seconds": seconds})
            stem = _params_stem(cache, key, epoch)
            sim.save_params(str(stem))
            stem.with_suffix(".json").write_text(
                json.dumps(
                    {
                        "settings": dataclasses.asdict(settings),
                        "history": history,
                        "train_seconds": total,
                        "n_train": len(y_train),
                        "data": data_digest(x_train, y_train),
                    },
                    indent=1,
                )
            )
            if verbose:
                print(
                    f"epoch {epoch}/{settings.epochs}: loss {loss:.4f}, "
                    f"{seconds:.0f} s",
                    flush=True,
                )
    return CNNTraining(settings, final, history, total, len(y_train), cached=False)


# --- spiking evaluation and features -----------------------------------------


@dataclasses.dataclass
class SpikingRun:
    """
    What `run_spiking` measured on a set of images.

    Attributes
    ----------
    predictions : (n,) ndarray of int
        Class of each image: argmax of the filtered readout at the last step.
    counts : (n, n_features) ndarray of uint8
        Spikes of each last-layer neuron during the presentation.
    n_steps : int
        Steps per image.
    dt : float
        Time step (s).
    seconds : float
        Wall time of the simulation (without building).
    """

    predictions: np.ndarray
    counts: np.ndarray
    n_steps: int
    dt: float
    seconds: float

    def accuracy(self, labels):
        """Fraction of ``predictions`` equal to ``labels``."""
        return float(np.mean(self.predictions == np.asarray(labels)))

    def rates(self):
        """Feature firing rates in Hz (``counts / presentation time``)."""
        return self.counts.astype(np.float32) / np.float32(self.n_steps * self.dt)


def run_spiking(
    training,
    images,
    n_steps=30,
    output_synapse=0.1,
    minibatch_size=200,
    chunk=1000,
    block=10000,
    cache_dir=None,
    use_cache=True,
    progress_bar=True,
):
    """
    Run the trained CNN with spiking LIF neurons on ``images``.

    Each image is presented for ``n_steps`` steps (dt = 1 ms; NengoDL resets
    the network between images). Returns the class read at the last step from
    the readout filtered by ``output_synapse`` (NengoDL's example: 30 steps,
    0.1 s), and every last-layer neuron's spike count. The results are cached
    in blocks of ``block`` images (key: the parameters file, ``n_steps``,
    ``output_synapse`` and the block's images), so an interrupted run resumes
    at the last finished block.

    Parameters
    ----------
    training : CNNTraining
        The trained network (`train_cnn`).
    images : (n, 784) array_like
        Pixels scaled to [0, 1].
    n_steps : int, optional
        Presentation length in steps (1 to 255).
    output_synapse : float, optional
        Lowpass time constant (s, > 0) of the readout.
    minibatch_size : int, optional
        Images simulated together (>= 1).
    chunk : int, optional
        Images per ``predict`` call (a multiple of ``minibatch_size``; bounds
        the memory of the tiled input and the feature probe).
    block : int, optional
        Images per cache file (a multiple of ``chunk``).
    cache_dir : str or Path, optional
        Default `default_cache_dir()`.
    use_cache : bool, optional
        Reuse cached blocks.
    progress_bar : bool, optional
        Show progress over the chunks.

    Returns
    -------
    SpikingRun
        ``seconds`` adds the simulation times of all blocks (those taken from
        the cache included).
    """
    if not isinstance(training, CNNTraining):
        _fail("training", f"Must be a CNNTraining (got {training!r})")
    images = _check_images("images", images)
    n_steps = _check_int("n_steps", n_steps, low=1, high=255)
    output_synapse = _check_float("output_synapse", output_synapse)
    minibatch_size = _check_int("minibatch_size", minibatch_size)
    chunk = _check_int("chunk", chunk)
    if chunk % minibatch_size:
        _fail(
            "chunk",
            f"Must be a multiple of minibatch_size = {minibatch_size} (got {chunk})",
        )
    block = _check_int("block", block)
    if block % chunk:
        _fail("block", f"Must be a multiple of chunk = {chunk} (got {block})")
    cache = _cache_dir(cache_dir)
    params = pathlib.Path(training.params)
    params_key = _file_digest(params.with_suffix(".npz"))
    dt = 0.001
    n = len(images)
    predictions = np.zeros(n, dtype=np.int64)
    counts = None
    seconds = 0.0
    todo = []
    # (input_scale 1 is left out of the key: the files cached before it existed)
    scale = training.settings.network_dict().get("input_scale")
    scale_key = () if scale is None else (scale,)
    for start in range(0, n, block):
        x = images[start : start + block]
        key = _digest(
            CACHE_FORMAT,
            params_key,
            n_steps,
            output_synapse,
            data_digest(x),
            *scale_key,
        )
        path = cache / f"mnist-cnn-spiking-{key}.npz"
        if use_cache and path.is_file():
            with np.load(path) as f:
                if counts is None:
                    counts = np.zeros((n, f["counts"].shape[1]), dtype=np.uint8)
                predictions[start : start + len(x)] = f["predictions"]
                counts[start : start + len(x)] = f["counts"]
                seconds += float(f["seconds"])
        else:
            todo.append((start, path))
    if not todo:
        return SpikingRun(predictions, counts, n_steps, dt, seconds)

    import nengo_dl

    net = build_cnn(training.settings, spiking=True, output_synapse=output_synapse)
    if counts is None:
        counts = np.zeros((n, net.n_features), dtype=np.uint8)
    scale = dt / training.settings.amplitude  # probe value -> spikes
    bar = to_progressbar(progress_bar)
    n_chunks = sum(int(np.ceil(min(block, n - start) / chunk)) for start, _ in todo)
    with (
        nengo_dl.Simulator(
            net, minibatch_size=minibatch_size, progress_bar=False, dt=dt
        ) as sim,
        Progress("Spiking CNN", "Spiking CNN", max_steps=n_chunks) as progress,
    ):
        sim.load_params(str(params))
        for block_start, path in todo:
            block_end = min(block_start + block, n)
            t0 = time.perf_counter()
            for start in range(block_start, block_end, chunk):
                x = training.settings.inputs(
                    images[start : min(start + chunk, block_end)]
                )
                m = len(x)
                pad = -m % minibatch_size
                if pad:
                    x = np.concatenate([x, np.zeros((pad, x.shape[1]), x.dtype)])
                out = sim.predict(np.tile(x[:, None, :], (1, n_steps, 1)), verbose=0)
                predictions[start : start + m] = np.argmax(
                    out[net.out_p_filt][:m, -1], axis=-1
                )
                spikes = np.rint(out[net.feature_p][:m].sum(axis=1) * scale)
                counts[start : start + m] = spikes.astype(np.uint8)
                progress.step()
                bar.update(progress)
            block_seconds = time.perf_counter() - t0
            seconds += block_seconds
            np.savez_compressed(
                path,
                predictions=predictions[block_start:block_end],
                counts=counts[block_start:block_end],
                seconds=np.array(block_seconds),
            )
    bar.close()
    return SpikingRun(predictions, counts, n_steps, dt, seconds)


def rate_accuracy(training, test, minibatch_size=200):
    """
    Test accuracy of the trained CNN with ``SoftLIFRate`` neurons (one step).

    Parameters
    ----------
    training : CNNTraining
        The trained network.
    test : (images, labels)
        Pixels scaled to [0, 1] and labels.
    minibatch_size : int, optional
        Images simulated together; ``len(images)`` need not be a multiple.

    Returns
    -------
    float
    """
    import nengo_dl

    if not isinstance(training, CNNTraining):
        _fail("training", f"Must be a CNNTraining (got {training!r})")
    x, y = _check_images("test", *test)
    minibatch_size = _check_int("minibatch_size", minibatch_size)
    n_pad = -len(y) % minibatch_size
    x = training.settings.inputs(
        np.concatenate([x, np.zeros((n_pad, x.shape[1]), x.dtype)])
    )
    net = build_cnn(training.settings, spiking=False)
    with (
        nengo_dl.Simulator(
            net, minibatch_size=minibatch_size, progress_bar=False
        ) as sim,
        warnings.catch_warnings(),
    ):
        # (one step: the filtered probe, unused here, would be delayed)
        warnings.filterwarnings("ignore", message="Running for one timestep")
        sim.load_params(str(training.params))
        out = sim.predict(x[:, None, :], verbose=0)[net.out_p][: len(y), -1]
    return float(np.mean(np.argmax(out, axis=-1) == y))


def versions():
    """Versions of Python and the packages that computed the results."""
    out = {"python": platform.python_version(), "nengo": nengo.__version__}
    for name in ("numpy", "nengo_dl", "tensorflow"):
        try:
            module = __import__(name)
            out[name] = module.__version__
        except ImportError:  # pragma: no cover
            out[name] = None
    from nengo_hpes.version import version

    out["nengo_hpes"] = version
    return out


def machine():
    """The machine, in a few words (processor, cores, system)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": platform.platform(),
    }


# --- data --------------------------------------------------------------------


def cnn_data(n_train=60000, n_test=10000):
    """
    The first ``n_train`` training and ``n_test`` test MNIST images (MNIST
    order), pixels scaled to [0, 1] (float32), labels int64.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
    """
    from nengo_hpes.experiments.data import MNIST_SIZES, load_mnist, scale_pixels

    n_train = _check_int("n_train", n_train, high=MNIST_SIZES["train"])
    n_test = _check_int("n_test", n_test, high=MNIST_SIZES["test"])
    (xtr, ytr), (xte, yte) = load_mnist()
    return (
        (scale_pixels(xtr[:n_train], low=0.0), ytr[:n_train].astype(np.int64)),
        (scale_pixels(xte[:n_test], low=0.0), yte[:n_test].astype(np.int64)),
    )


# --- the hybrid: an online readout of the frozen CNN's spiking features -------

#: How the readout's hidden layer sees the features: ``"direct"``, one hidden
#: neuron per feature (identity encoders); ``"gaussian"``, random unit-norm
#: Gaussian encoders on the centred features.
READOUT_ENCODERS = ("direct", "gaussian")

#: The hybrid readout's hidden layer (`run_hybrid_experiment`'s defaults):
#: encoder kind (`READOUT_ENCODERS`), number of neurons and their firing rate
#: (Hz) at ``encoder @ x = 1``. See ``benchmarks/mnist_feature_ceiling.py``.
HYBRID_READOUT = dict(encoders="gaussian", n_hidden=6400, max_rate=200.0)


@dataclasses.dataclass
class FeatureScaling:
    """
    Maps spike counts to the readout's input vectors (fitted on training data).

    ``x = (counts - offset) / scale``. For ``"direct"`` encoders ``offset`` is
    0 and ``scale`` the 99th percentile of the nonzero training counts, so a
    hidden neuron (intercept 0.1, maximum rate at 1) fires from about a tenth
    of a large count and reaches its maximum rate near the largest counts. For
    ``"gaussian"`` encoders ``offset`` is the mean training feature vector and
    ``scale`` makes the projection on a random unit encoder have standard
    deviation ``projection_sd`` on the training set (``E|x|^2 / d =
    projection_sd^2``).
    """

    encoders: str
    offset: np.ndarray
    scale: float

    @classmethod
    def fit(cls, train_counts, encoders="direct", projection_sd=0.3):
        """Fit the scaling to the training features' spike counts."""
        if encoders not in READOUT_ENCODERS:
            _fail("encoders", f"Must be one of {READOUT_ENCODERS} (got {encoders!r})")
        projection_sd = _check_float("projection_sd", projection_sd)
        counts = np.asarray(train_counts, dtype=np.float64)
        if counts.ndim != 2 or counts.shape[0] == 0:
            _fail(
                "train_counts",
                f"Must be a non-empty (n, n_features) array (got {counts.shape})",
            )
        if encoders == "direct":
            nonzero = counts[counts > 0]
            scale = float(np.percentile(nonzero, 99)) if nonzero.size else 1.0
            return cls(encoders, np.zeros(counts.shape[1]), scale)
        offset = counts.mean(axis=0)
        mean_sq = float(np.mean(np.sum((counts - offset) ** 2, axis=1)))
        scale = np.sqrt(mean_sq / counts.shape[1]) / projection_sd
        return cls(encoders, offset, float(scale) if scale > 0 else 1.0)

    def transform(self, counts):
        """Input vectors (float32) of the readout."""
        counts = np.asarray(counts, dtype=np.float32)
        if counts.ndim != 2 or counts.shape[1] != self.offset.size:
            _fail(
                "counts",
                f"Must have shape (n, {self.offset.size}) (got {counts.shape})",
            )
        return ((counts - self.offset.astype(np.float32)) / self.scale).astype(
            np.float32
        )


def hybrid_readout(
    train,
    test,
    learning_rule_type,
    encoders=HYBRID_READOUT["encoders"],
    n_hidden=None,
    max_rate=HYBRID_READOUT["max_rate"],
    projection_sd=0.3,
    label=None,
    seed=0,
    progress_bar=True,
    **kwargs,
):
    """
    Learn a readout of the frozen CNN's spiking features online.

    The features (last-layer spike counts, ``SpikingRun.counts``) are scaled by
    a `FeatureScaling` fitted on the training features, then presented to
    `nengo_hpes.experiments.classifier.run_classifier` as "images": a hidden LIF layer
    (identity or Gaussian encoders) drives an output ensemble through a
    learned ``hidden.neurons -> output.neurons`` weight matrix, trained in
    one pass with ``learning_rule_type`` and tested with learning off.

    Parameters
    ----------
    train, test : (counts, labels)
        ``(n, n_features)`` spike counts and ``(n,)`` labels.
    learning_rule_type : `~nengo.learning_rules.LearningRuleType` or None
        E.g. ``nengo_hpes.HPES()`` or ``nengo.PES(1e-4)``.
    encoders : {"direct", "gaussian"}, optional
        See `READOUT_ENCODERS` (default: `HYBRID_READOUT`).
    n_hidden : int, optional
        Hidden neurons; ``"direct"`` needs (and defaults to) ``n_features``,
        ``"gaussian"`` defaults to ``HYBRID_READOUT["n_hidden"]``.
    max_rate : float, optional
        Firing rate (Hz) of the hidden neurons at ``encoder @ x = 1`` (default:
        `HYBRID_READOUT`).
    projection_sd : float, optional
        ``"gaussian"`` only: see `FeatureScaling`.
    label : str, optional
        Name of the run.
    seed : int, optional
        Seed of the encoders and the network.
    progress_bar : bool, optional
        Nengo's progress bars.
    **kwargs
        More arguments of `.run_classifier` (``n_output``,
        ``presentation_time``, ``n_passes``, ...).

    Returns
    -------
    `nengo_hpes.experiments.classifier.ClassifierResult`
        Its ``params`` also hold ``readout_encoders``, ``feature_scale`` and
        ``n_features``.
    """
    from nengo_hpes.experiments.classifier import run_classifier

    c_train, y_train = train
    c_test, y_test = test
    c_train = np.asarray(c_train)
    if c_train.ndim != 2 or c_train.shape[0] == 0:
        _fail(
            "train",
            f"Features must be a non-empty (n, n_features) array "
            f"(got shape {c_train.shape})",
        )
    d = c_train.shape[1]
    scaling = FeatureScaling.fit(c_train, encoders, projection_sd)
    if encoders == "direct":
        if n_hidden is not None and n_hidden != d:
            _fail(
                "n_hidden",
                f"Must be None or n_features = {d} for direct encoders "
                f"(got {n_hidden!r})",
            )
        n_hidden, enc = d, "identity"
    else:
        n_hidden = (
            HYBRID_READOUT["n_hidden"]
            if n_hidden is None
            else _check_int("n_hidden", n_hidden)
        )
        enc = "gaussian"
    result = run_classifier(
        (scaling.transform(c_train), y_train),
        (scaling.transform(c_test), y_test),
        learning_rule_type,
        (1, d),
        n_classes=10,
        n_hidden=n_hidden,
        encoders=enc,
        max_rate=max_rate,
        seed=seed,
        label=label,
        progress_bar=progress_bar,
        **kwargs,
    )
    result.params.update(
        readout_encoders=encoders,
        feature_scale=scaling.scale,
        n_features=d,
        projection_sd=projection_sd if encoders == "gaussian" else None,
    )
    return result


# --- the whole experiment ------------------------------------------------------

#: Published MNIST results to compare with: (system, test accuracy %, source).
ANCHORS = (
    (
        "Bekolay et al. 2013: online hPES readout of 50-D DBN features (S = 0.725), "
        "single run",
        98.47,
        "Bekolay, Kolbeck & Eliasmith, CogSci 2013 (tbekolay/cogsci2013: "
        "paper/bekolay_1_31.tex)",
    ),
    (
        "Bekolay et al. 2013: same with PES (S = 1), single run",
        96.31,
        "same",
    ),
    (
        "Diehl & Cook 2015: unsupervised STDP, 400 excitatory neurons",
        91.6,
        "Front. Comput. Neurosci. 9:99 (doi:10.3389/fncom.2015.00099)",
    ),
    (
        "Diehl & Cook 2015: unsupervised STDP, 6400 excitatory neurons",
        95.0,
        "same",
    ),
    (
        "BindsNET reproductions of Diehl & Cook (100 to 6400 neurons)",
        "77-90",
        "github.com/BindsNET/bindsnet issues 553, 575",
    ),
    (
        "NengoDL spiking-MNIST CNN, 30 steps, 0.1 s output synapse",
        98.74,
        "nengo.ai/nengo-dl/examples/spiking-mnist.html (v3.5.0)",
    ),
    (
        "nengo-extras single layer, 1000 LIFRate neurons, Gabor encoders, "
        "offline LstsqL2",
        97.37,
        "nengo/nengo-extras: examples/mnist_single_layer.ipynb",
    ),
)

#: Run lengths of the notebook and the command line.
MODES = {
    "full": dict(
        n_train=60000,
        n_test=10000,
        epochs=10,
        readout_n_train=60000,
    ),
    "quick": dict(n_train=5000, n_test=500, epochs=1, readout_n_train=1000),
}


def mode_settings(mode):
    """Keyword arguments of `run_hybrid_experiment` for ``"quick"`` or ``"full"``."""
    if mode not in MODES:
        _fail("mode", f"Must be one of {tuple(MODES)} (got {mode!r})")
    return dict(MODES[mode])


@dataclasses.dataclass
class HybridExperiment:
    """
    What `run_hybrid_experiment` measured.

    Attributes
    ----------
    training : CNNTraining
        The trained CNN.
    rate_accuracy : float
        Test accuracy of the CNN with ``SoftLIFRate`` neurons.
    spiking_test : SpikingRun
        The spiking CNN on the test images.
    spiking_train : SpikingRun or None
        The spiking CNN on the readout's training images (its features).
    y_test, y_train : ndarray
        Labels of those images.
    readouts : dict
        Rule name (`READOUT_RULES`) -> `~.classifier.ClassifierResult`.
    settings : dict
        The arguments of the run.
    """

    training: CNNTraining
    rate_accuracy: float
    spiking_test: SpikingRun
    spiking_train: object
    y_test: np.ndarray
    y_train: np.ndarray
    readouts: dict
    settings: dict

    @property
    def spiking_accuracy(self):
        """Test accuracy of the spiking CNN."""
        return self.spiking_test.accuracy(self.y_test)

    def summary(self):
        """The numbers, settings, versions and machine as a JSON-compatible dict."""
        n_test = len(self.y_test)
        out = {
            "settings": self.settings,
            "cnn": {
                **self.training.summary(),
                "rate_test_accuracy": self.rate_accuracy,
                "spiking_test_accuracy": self.spiking_accuracy,
                "n_test": n_test,
                "n_steps": self.spiking_test.n_steps,
                "spiking_test_seconds": self.spiking_test.seconds,
                "spiking_test_seconds_per_image": self.spiking_test.seconds / n_test,
            },
            "readouts": {},
            "versions": versions(),
            "machine": machine(),
        }
        if self.spiking_train is not None:
            n = len(self.y_train)
            out["cnn"]["spiking_train_accuracy"] = self.spiking_train.accuracy(
                self.y_train
            )
            out["features"] = {
                "n_train": n,
                "n_features": int(self.spiking_train.counts.shape[1]),
                "extraction_seconds": self.spiking_train.seconds,
                "extraction_seconds_per_image": self.spiking_train.seconds / n,
                "mean_rate_hz": float(self.spiking_train.rates().mean()),
                "fraction_active": float(np.mean(self.spiking_train.counts > 0)),
            }
        from nengo_hpes.experiments.metrics import gini_index

        for name, res in self.readouts.items():
            s = res.summary()
            s["weight_gini"] = float(gini_index(res.weights))
            out["readouts"][name] = s
        return out


#: Readout rules by name (see `readout_rule`).
READOUT_RULES = ("hpes", "pes", "pes-s1")
#: Supervised learning rate of the hybrid readout (`hybrid_learning_rates`),
#: chosen on training data only (``benchmarks/mnist_readout_validation.py``;
#: PES as HPES(S=1), the `HYBRID_READOUT` hidden layer, the default CNN).
#: Learning from the spiking features of the first 50 000 MNIST training
#: images and validating on the last 10 000 (as long as the full run): 98.46 %
#: at 3e-5, 98.57 % at 6e-5, 98.53 % at 1.2e-4, 96.98 % at 3e-4
#: (``benchmarks/results/mnist_readout_validation_gaussian6400.json``). With
#: one hidden neuron per feature at 100 Hz (before), 3e-4 was best on the
#: same split: 97.89 % at 1e-4, 98.21 % at 3e-4, 97.87 % at 1e-3; a short
#: split (8000, then the next 2000) preferred larger rates (97.05 % at 1e-3).
HYBRID_LEARNING_RATE = 6e-5


def hybrid_learning_rates(rate=HYBRID_LEARNING_RATE):
    """
    Learning rates of the hybrid readout's rules with the same supervised rate.

    PES gets ``rate``; HPES gets ``rate / supervision_ratio`` (its default
    ratio), so that its supervised term equals ``nengo.PES(rate)``.

    Returns
    -------
    dict
        Rule name (`READOUT_RULES`) -> learning rate.
    """
    from nengo_hpes.learning_rules import HPES

    rate = _check_float("rate", rate)
    return {"hpes": rate / HPES().supervision_ratio, "pes": rate, "pes-s1": rate}


def readout_rule(name, learning_rate=None):
    """
    The readout's learning rule, by name.

    - ``"hpes"``: `nengo_hpes.HPES` with its defaults (``learning_rate`` if
      given);
    - ``"pes"``: `nengo.PES` (``learning_rate`` default 1e-4);
    - ``"pes-s1"``: PES computed by HPES, ``HPES(learning_rate,
      supervision_ratio=1)`` (default 1e-4): the same weights as `nengo.PES`
      with the same learning rate (to 1e-12, tested in ``tests/test_hpes.py``)
      but with HPES's rank-one update, several times faster on the large
      readouts here.
    """
    from nengo_hpes.experiments.mnist import make_rule
    from nengo_hpes.learning_rules import HPES

    if name not in READOUT_RULES:
        _fail("rule", f"Must be one of {READOUT_RULES} (got {name!r})")
    if name == "hpes":
        return make_rule("hpes", learning_rate)
    learning_rate = 1e-4 if learning_rate is None else learning_rate
    if name == "pes":
        return make_rule("pes", learning_rate)
    return HPES(learning_rate=learning_rate, supervision_ratio=1)


def _check_rules(rules, learning_rates):
    """``rules`` as a tuple and ``learning_rates`` as a dict (see below)."""
    rules = tuple(rules)
    for rule in rules:
        if rule not in READOUT_RULES:
            _fail("rules", f"Must name rules in {READOUT_RULES} (got {rule!r})")
    if learning_rates is None:
        learning_rates = {
            k: v for k, v in hybrid_learning_rates().items() if k in rules
        }
    learning_rates = dict(learning_rates)
    if set(learning_rates) - set(rules):
        _fail(
            "learning_rates",
            f"Must name rules in {rules} (got {sorted(learning_rates)})",
        )
    return rules, learning_rates


def run_hybrid_experiment(
    n_train=60000,
    n_test=10000,
    epochs=10,
    readout_n_train=None,
    rules=("hpes", "pes-s1"),
    learning_rates=None,
    readout_encoders=HYBRID_READOUT["encoders"],
    n_hidden=None,
    readout_max_rate=HYBRID_READOUT["max_rate"],
    readout_passes=1,
    features_only=False,
    n_steps=30,
    output_synapse=0.1,
    settings=None,
    cache_dir=None,
    progress_bar=True,
    verbose=1,
    seed=0,
):
    """
    Train the spiking CNN, test it with spikes, then learn hybrid readouts.

    1. `train_cnn` on the first ``n_train`` MNIST training images (cached).
    2. Rate accuracy and spiking accuracy (`run_spiking`: ``n_steps`` steps,
       ``output_synapse``) on the first ``n_test`` test images, and their
       spiking features (cached).
    3. Spiking features of the first ``readout_n_train`` training images
       (cached).
    4. For each rule, `hybrid_readout`: ``readout_passes`` online passes
       over the training features (in order), then the test with learning
       off.

    Parameters
    ----------
    n_train, n_test : int, optional
        MNIST images for the CNN's training and for the tests.
    epochs : int, optional
        CNN training epochs (overrides ``settings.epochs``).
    readout_n_train : int, optional
        Training images of the readout (default ``n_train``; at most 60000).
    rules : sequence of {"hpes", "pes", "pes-s1"}, optional
        Readout rules (empty: no readout).
    learning_rates : dict, optional
        Rule name -> learning rate; rules not named get `readout_rule`'s
        defaults (HPES's own, PES 1e-4). Default: `hybrid_learning_rates()`
        (supervised rate `HYBRID_LEARNING_RATE`, chosen on validation data).
    readout_encoders, n_hidden : optional
        See `hybrid_readout`. Default: `HYBRID_READOUT`.
    readout_max_rate : float, optional
        Firing rate (Hz) of the readout's hidden neurons at ``encoder @ x =
        1`` (> 0). Default: `HYBRID_READOUT`.
    readout_passes : int, optional
        Passes over the readout's training features (>= 1).
    features_only : bool, optional
        Steps 1-3 only: compute (and cache) the CNN and the features, learn
        no readout (``rules`` are not run). Lets several processes then learn
        readouts side by side from the cache (``make mnist-cnn``).
    n_steps, output_synapse : optional
        See `run_spiking`.
    settings : CNNSettings, optional
        CNN settings (``epochs`` replaced by ``epochs``).
    cache_dir : str or Path, optional
        Default `default_cache_dir()`.
    progress_bar : bool, optional
        Progress bars.
    verbose : int, optional
        Keras' training output and progress lines (0: quiet).
    seed : int, optional
        Seed of the readout networks.

    Returns
    -------
    HybridExperiment
    """
    from nengo_hpes.experiments.data import MNIST_SIZES

    epochs = _check_int("epochs", epochs)
    settings = CNNSettings() if settings is None else settings
    if not isinstance(settings, CNNSettings):
        _fail("settings", f"Must be a CNNSettings (got {settings!r})")
    settings = dataclasses.replace(settings, epochs=epochs)
    n_train = _check_int("n_train", n_train, high=MNIST_SIZES["train"])
    n_test = _check_int("n_test", n_test, high=MNIST_SIZES["test"])
    readout_n_train = _check_int(
        "readout_n_train",
        n_train if readout_n_train is None else readout_n_train,
        high=MNIST_SIZES["train"],
    )
    rules, learning_rates = _check_rules(rules, learning_rates)
    if features_only:
        rules, learning_rates = (), {}
    if readout_encoders not in READOUT_ENCODERS:
        _fail(
            "readout_encoders",
            f"Must be one of {READOUT_ENCODERS} (got {readout_encoders!r})",
        )
    if n_hidden is not None:
        n_hidden = _check_int("n_hidden", n_hidden)
    readout_max_rate = _check_float("readout_max_rate", readout_max_rate)
    readout_passes = _check_int("readout_passes", readout_passes)
    args = dict(
        n_train=n_train,
        n_test=n_test,
        epochs=epochs,
        readout_n_train=readout_n_train,
        rules=list(rules),
        learning_rates=learning_rates,
        readout_encoders=readout_encoders,
        n_hidden=n_hidden,
        readout_max_rate=readout_max_rate,
        readout_passes=readout_passes,
        features_only=bool(features_only),
        n_steps=n_steps,
        output_synapse=output_synapse,
        seed=seed,
    )

    def say(text):
        if verbose:
            print(text, flush=True)

    (x_train, y_train), (x_test, y_test) = cnn_data(
        max(n_train, readout_n_train), n_test
    )
    say(f"CNN: training on {n_train} images, {epochs} epoch(s)")
    training = train_cnn(
        (x_train[:n_train], y_train[:n_train]),
        settings,
        cache_dir=cache_dir,
        verbose=2 if verbose else 0,
        progress_bar=progress_bar,
    )
    say(
        f"CNN: trained in {training.train_seconds:.0f} s"
        + (" (cached)" if training.cached else "")
    )
    spike_kw = dict(
        n_steps=n_steps,
        output_synapse=output_synapse,
        cache_dir=cache_dir,
        progress_bar=progress_bar,
    )
    rate_acc = rate_accuracy(training, (x_test, y_test))
    spiking_test = run_spiking(training, x_test, **spike_kw)
    say(
        f"CNN: rate accuracy {100 * rate_acc:.2f} %, spiking accuracy "
        f"{100 * spiking_test.accuracy(y_test):.2f} % ({n_test} test images, "
        f"{n_steps} steps)"
    )
    readouts, spiking_train = {}, None
    if features_only:
        say("features only: no readouts")
    if rules or features_only:
        spiking_train = run_spiking(training, x_train[:readout_n_train], **spike_kw)
        say(
            f"features: {readout_n_train} training images in "
            f"{spiking_train.seconds:.0f} s"
        )
        for rule in rules:
            lr = learning_rates.get(rule)
            rule_type = readout_rule(rule, lr)
            say(f"readout: {rule_type!r} on {readout_n_train} feature vectors")
            res = hybrid_readout(
                (spiking_train.counts, y_train[:readout_n_train]),
                (spiking_test.counts, y_test),
                rule_type,
                encoders=readout_encoders,
                n_hidden=n_hidden,
                max_rate=readout_max_rate,
                n_passes=readout_passes,
                label=f"{rule_type!r} on CNN features",
                seed=seed,
                progress_bar=progress_bar,
            )
            say(f"readout: {rule}: test accuracy {100 * res.accuracy:.2f} %")
            readouts[rule] = res
    return HybridExperiment(
        training,
        rate_acc,
        spiking_test,
        spiking_train,
        y_test,
        y_train[:readout_n_train],
        readouts,
        args,
    )


# --- plots and tables ----------------------------------------------------------


def comparison_table(experiment=None, pixel_results=()):
    """
    Rows for `nengo_hpes.experiments.notebook.format_table`: measured results (this
    package) beside the published anchors, each with its source.

    Parameters
    ----------
    experiment : HybridExperiment, optional
        The CNN and hybrid readouts measured here.
    pixel_results : sequence of ClassifierResult, optional
        Online readouts learned from pixels (`~.classifier.run_classifier`).
    """
    rows = [
        {"system": name, "MNIST test accuracy (%)": acc, "source": source}
        for name, acc, source in ANCHORS
    ]

    def measured(name, acc, n_test):
        rows.append(
            {
                "system": name,
                "MNIST test accuracy (%)": f"{100 * acc:.2f}",
                "source": f"measured here ({n_test} test images)",
            }
        )

    for res in pixel_results:
        p = res.params
        measured(
            f"{res.label}: online readout of {p['n_hidden']} {p['encoders']} LIF "
            f"neurons on pixels, {p['n_train']} images x {p['n_passes']} pass",
            res.accuracy,
            p["n_test"],
        )
    if experiment is not None:
        s = experiment.training.settings
        measured(
            f"spiking CNN (NengoDL's network), pixels x {s.input_scale:g}, "
            f"soft-LIF sigma = {s.lif_smoothing:g}, "
            f"{s.epochs} epoch(s) on {experiment.training.n_train} images, "
            f"{experiment.spiking_test.n_steps} steps",
            experiment.spiking_accuracy,
            len(experiment.y_test),
        )
        for res in experiment.readouts.values():
            p = res.params
            measured(
                f"hybrid: {res.label}, {p['n_hidden']} hidden "
                f"({p['readout_encoders']}, {p['max_rate']:g} Hz), {p['n_train']} "
                f"images x {p['n_passes']} pass" + ("es" if p["n_passes"] > 1 else ""),
                res.accuracy,
                p["n_test"],
            )
    for row in rows:
        acc = row["MNIST test accuracy (%)"]
        row["MNIST test accuracy (%)"] = acc if isinstance(acc, str) else f"{acc:.2f}"
    return rows


def plot_training_loss(training, path=None):
    """The CNN's training loss per epoch (log scale)."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    epochs = [h["epoch"] for h in training.history]
    ax.semilogy(epochs, [h["loss"] for h in training.history], marker="o")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cross-entropy (rates)")
    ax.set_title("Spiking CNN trained on soft-LIF rates")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


# --- command line ----------------------------------------------------------------


def parser():
    """The command-line parser of ``python -m nengo_hpes.experiments.cnn``."""
    import argparse

    p = argparse.ArgumentParser(
        prog="python -m nengo_hpes.experiments.cnn",
        description="Train NengoDL's spiking MNIST CNN on soft-LIF rates, test it "
        "with spikes, and learn online hPES / PES readouts of its frozen spiking "
        "features. Writes <out>/<name>.json and PNG plots.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--mode",
        choices=tuple(MODES),
        default="full",
        help="run lengths (quick: "
        + ", ".join(f"{k}={v}" for k, v in MODES["quick"].items())
        + "); the options below override them",
    )
    p.add_argument("--n-train", type=int, help="CNN training images")
    p.add_argument("--n-test", type=int, help="test images")
    p.add_argument("--epochs", type=int, help="CNN training epochs")
    p.add_argument("--readout-n-train", type=int, help="readout training images")
    p.add_argument("--minibatch-size", type=int, default=200)
    p.add_argument("--cnn-learning-rate", type=float, default=1e-3)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="rmsprop")
    p.add_argument("--lif-smoothing", type=float, default=CNNSettings.lif_smoothing)
    p.add_argument(
        "--max-rate",
        type=float,
        default=CNNSettings.max_rate,
        help="firing rate (Hz) of every CNN neuron at input 1 (NengoDL's example: 100)",
    )
    p.add_argument(
        "--input-scale",
        type=float,
        default=CNNSettings.input_scale,
        help="factor on the [0, 1] pixels (NengoDL's example: 255, raw pixels)",
    )
    p.add_argument("--n-steps", type=int, default=30)
    p.add_argument("--output-synapse", type=float, default=0.1)
    p.add_argument(
        "--rules",
        nargs="*",
        choices=READOUT_RULES,
        default=["hpes", "pes-s1"],
        help="pes-s1: PES computed as HPES(supervision_ratio=1), same weights, "
        "faster",
    )
    p.add_argument(
        "--hpes-learning-rate",
        type=float,
        help=f"default: {HYBRID_LEARNING_RATE:g} / HPES's supervision ratio",
    )
    p.add_argument(
        "--pes-learning-rate",
        type=float,
        help=f"PES and pes-s1 (default {HYBRID_LEARNING_RATE:g})",
    )
    p.add_argument(
        "--rule-defaults",
        action="store_true",
        help="readout rules at their own defaults (HPES(), PES 1e-4) where no "
        "rate is given",
    )
    p.add_argument(
        "--readout-encoders",
        choices=READOUT_ENCODERS,
        default=HYBRID_READOUT["encoders"],
        help="direct: one hidden neuron per CNN feature",
    )
    p.add_argument(
        "--n-hidden",
        type=int,
        help=f"gaussian readout: hidden neurons (default {HYBRID_READOUT['n_hidden']})",
    )
    p.add_argument(
        "--readout-max-rate",
        type=float,
        default=HYBRID_READOUT["max_rate"],
        help="firing rate (Hz) of the readout's hidden neurons at encoder @ x = 1",
    )
    p.add_argument(
        "--readout-passes",
        type=int,
        default=1,
        help="passes over the readout's training features",
    )
    p.add_argument(
        "--features-only",
        action="store_true",
        help="train and test the CNN and extract the readout's features (all "
        "cached), learn no readout",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads", type=int, help="TensorFlow threads (default: all cores)"
    )
    p.add_argument("--cache-dir", help=f"default: ${CACHE_VARIABLE} or build/cache")
    p.add_argument("--out", default="mnist-output", help="output folder")
    p.add_argument(
        "--name", default=None, help="file name stem (default mnist-cnn-MODE)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def main(argv=None):
    """Run the command line; returns the `HybridExperiment`."""
    import sys

    from nengo_hpes.experiments.classifier import (
        plot_confusion_matrix,
        plot_learning_curves,
    )

    args = parser().parse_args(argv)
    limit_threads(args.threads)
    kw = mode_settings(args.mode)
    for key in ("n_train", "n_test", "epochs", "readout_n_train"):
        if getattr(args, key) is not None:
            kw[key] = getattr(args, key)
    learning_rates = {} if args.rule_defaults else hybrid_learning_rates()
    if args.pes_learning_rate is not None:
        learning_rates.update(
            pes=args.pes_learning_rate, **{"pes-s1": args.pes_learning_rate}
        )
    if args.hpes_learning_rate is not None:
        learning_rates["hpes"] = args.hpes_learning_rate
    learning_rates = {k: v for k, v in learning_rates.items() if k in args.rules}
    settings = CNNSettings(
        lif_smoothing=args.lif_smoothing,
        max_rate=args.max_rate,
        input_scale=args.input_scale,
        minibatch_size=args.minibatch_size,
        learning_rate=args.cnn_learning_rate,
        optimizer=args.optimizer,
        seed=args.seed,
    )
    t0 = time.perf_counter()
    exp = run_hybrid_experiment(
        rules=args.rules,
        learning_rates=learning_rates,
        readout_encoders=args.readout_encoders,
        n_hidden=args.n_hidden,
        readout_max_rate=args.readout_max_rate,
        readout_passes=args.readout_passes,
        features_only=args.features_only,
        n_steps=args.n_steps,
        output_synapse=args.output_synapse,
        settings=settings,
        cache_dir=args.cache_dir,
        progress_bar=not args.no_progress,
        seed=args.seed,
        **kw,
    )
    summary = exp.summary()
    summary["wall_seconds"] = time.perf_counter() - t0
    summary["command"] = " ".join(
        [
            "python -m nengo_hpes.experiments.cnn",
            *(sys.argv[1:] if argv is None else argv),
        ]
    )
    summary["mode"] = args.mode
    summary["threads"] = args.threads
    name = args.name or f"mnist-cnn-{args.mode}"
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(summary, indent=1))
    plot_training_loss(exp.training, out / f"{name}-cnn-loss.png")
    if exp.readouts:
        plot_learning_curves(list(exp.readouts.values()), out / f"{name}-readout.png")
        for rule, res in exp.readouts.items():
            plot_confusion_matrix(res, out / f"{name}-{rule}-confusion.png")
    c = summary["cnn"]
    print(
        f"spiking CNN: {100 * c['spiking_test_accuracy']:.2f} % "
        f"(rates {100 * c['rate_test_accuracy']:.2f} %), trained "
        f"{c['train_seconds']:.0f} s, spiking test "
        f"{1e3 * c['spiking_test_seconds_per_image']:.1f} ms/image"
    )
    for rule, r in summary["readouts"].items():
        t = r["timings_s"]
        print(
            f"hybrid {rule}: {100 * r['test_accuracy']:.2f} %, train "
            f"{1e3 * t['train_per_image']:.1f} ms/image, test "
            f"{1e3 * t['test_per_image']:.1f} ms/image"
        )
    print(f"wrote {out / name}.json and plots")
    return exp


if __name__ == "__main__":  # pragma: no cover
    main()
