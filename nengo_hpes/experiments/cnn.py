"""
NengoDL's spiking CNN for MNIST: build, train on rates, run with spikes.

`build_cnn` is the network of NengoDL's spiking-MNIST example: three 3 x 3
convolutions (32 filters; 64 and 128 with stride 2), each followed by LIF
neurons (``amplitude = 0.01``, maximum rate 100 Hz, intercept 0), and a dense
linear readout of the 10 classes, fed raw 0-255 pixels as the example
(``CNNSettings.input_scale``). `train_cnn` trains it on rates through
NengoDL's Keras API (the LIF neurons are swapped for
``nengo_dl.SoftLIFRate(sigma=lif_smoothing)`` while training); `run_spiking`
presents each image for ``n_steps`` steps with spiking LIF neurons and returns
the class read from the output filtered by a 0.1 s lowpass at the last step
(as the example) and the spike counts of the last convolutional layer (the
*features*, 5 x 5 x 128 = 3200 neurons), of which `nengo_hpes.experiments.hybrid`
learns online readouts.

Everything NengoDL computes is cached (`nengo_hpes.experiments.cache`):
nothing is downloaded, and a second run with the same settings and data
reuses the files. NengoDL and TensorFlow are imported inside the functions
that need them. Command line: ``python -m nengo_hpes.experiments.cnn``
(`nengo_hpes.experiments.cli`).
"""

import dataclasses
import json
import pathlib
import time
import warnings

import nengo
import numpy as np
from nengo.utils.progress import Progress, to_progressbar

from nengo_hpes.experiments.cache import (
    CACHE_FORMAT,
    data_digest,
    digest,
    ensure_cache_dir,
    file_digest,
)
from nengo_hpes.experiments.validation import (
    check_choice,
    check_images,
    check_int,
    check_number,
    check_type,
    fail,
)

#: The convolutions of NengoDL's spiking-MNIST network: (filters, stride),
#: 3 x 3 kernels, no padding.
CNN_CONVOLUTIONS = ((32, 1), (64, 2), (128, 2))
#: Shape of one MNIST image as the CNN sees it.
CNN_INPUT_SHAPE = (28, 28, 1)
OPTIMIZERS = ("rmsprop", "adam")


@dataclasses.dataclass(frozen=True)
class CNNSettings:
    """
    How the CNN is built and trained.

    Parameters
    ----------
    lif_smoothing : float
        Soft-LIF smoothing ``sigma`` (> 0) of the rate neurons used in training.
    max_rate, amplitude : float
        Firing rate (Hz, > 0) of every LIF neuron at input 1 (intercepts 0),
        and its output scale (> 0): a spike is ``amplitude / dt``.
    tau_rc, tau_ref : float
        LIF membrane time constant (> 0) and refractory period (>= 0), seconds.
    epochs, minibatch_size : int
        Training epochs and minibatch (>= 1; the number of training images
        must be a multiple of the minibatch).
    learning_rate : float
        Optimizer learning rate (> 0).
    optimizer : {"rmsprop", "adam"}
        ``tf.optimizers.RMSprop`` (as NengoDL's example) or ``Adam``.
    seed : int
        Seed of the network (initial weights) and of TensorFlow (>= 0).
    input_scale : float
        Factor (> 0) on the pixels (given in [0, 1]) before they enter the
        network. The default 255 feeds raw 0-255 pixels, as NengoDL's example
        does; it matters only for the spikes (``docs/results.md``).
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
        positive = dict(low=0, low_open=True, obj=self)
        check_number("lif_smoothing", self.lif_smoothing, **positive)
        check_number("max_rate", self.max_rate, **positive)
        check_number("amplitude", self.amplitude, **positive)
        check_number("tau_rc", self.tau_rc, **positive)
        check_number("tau_ref", self.tau_ref, low=0, obj=self)
        if self.max_rate * self.tau_ref >= 1:
            fail(
                "max_rate",
                f"Must be < 1 / tau_ref = {1 / self.tau_ref:g} Hz "
                f"(got {self.max_rate!r})",
                self,
            )
        check_int("epochs", self.epochs, low=1, obj=self)
        check_int("minibatch_size", self.minibatch_size, low=1, obj=self)
        check_number("learning_rate", self.learning_rate, **positive)
        check_choice("optimizer", self.optimizer, OPTIMIZERS, obj=self)
        check_int("seed", self.seed, low=0, obj=self)
        check_number("input_scale", self.input_scale, **positive)

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


_POSITIVE = dict(low=0, low_open=True)


def _images(name, images, labels):
    return check_images(name, images, labels, n_pixels=784, n_classes=10)


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
    n_threads = check_int("n_threads", n_threads, low=1)
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

    ``settings`` (default `CNNSettings()`) gives the neurons and seed;
    ``spiking`` chooses `nengo.LIF` neurons or ``nengo_dl.SoftLIFRate`` with
    the same parameters (for the rate accuracy); ``output_synapse`` (s, > 0)
    filters the output probe ``out_p_filt``.

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
    check_type("settings", settings, CNNSettings)
    output_synapse = check_number("output_synapse", output_synapse, **_POSITIVE)
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
    train_seconds, n_train, cached
        Training time of the call that trained it (read from the cache if
        cached), training images, and whether it came from the cache.
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

    ``train`` is ``(images, labels)``: ``(n, 784)`` pixels scaled to [0, 1]
    and ``(n,)`` labels 0-9, ``n`` a multiple of ``settings.minibatch_size``
    (`CNNSettings()` by default). ``cache_dir`` defaults to
    `.default_cache_dir()`; ``use_cache=False`` trains and overwrites;
    ``verbose`` is Keras' output of ``fit`` (0, 1 or 2); ``progress_bar``
    NengoDL's build progress bar.

    Returns
    -------
    CNNTraining
    """
    settings = CNNSettings() if settings is None else settings
    check_type("settings", settings, CNNSettings)
    x_train, y_train = _images("train", *train)
    if len(y_train) % settings.minibatch_size:
        fail(
            "train",
            f"The number of training images must be a multiple of minibatch_size "
            f"= {settings.minibatch_size} (got {len(y_train)})",
        )
    cache = ensure_cache_dir(cache_dir)
    key = digest(CACHE_FORMAT, settings.network_dict(), data_digest(x_train, y_train))
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
    n_steps, output_synapse : optional
        Presentation length in steps (1 to 255); readout lowpass (s, > 0).
    minibatch_size, chunk, block : int, optional
        Images simulated together (>= 1), per ``predict`` call (a multiple of
        ``minibatch_size``; bounds the memory) and per cache file (a multiple
        of ``chunk``).
    cache_dir, use_cache, progress_bar : optional
        As `train_cnn` (``progress_bar``: progress over the chunks).

    Returns
    -------
    SpikingRun
        ``seconds`` adds the simulation times of all blocks (those taken from
        the cache included).
    """
    check_type("training", training, CNNTraining)
    images = check_images("images", images, n_pixels=784)
    n_steps = check_int("n_steps", n_steps, low=1, high=255)
    output_synapse = check_number("output_synapse", output_synapse, **_POSITIVE)
    minibatch_size = check_int("minibatch_size", minibatch_size, low=1)
    chunk = check_int("chunk", chunk, low=1)
    if chunk % minibatch_size:
        fail(
            "chunk",
            f"Must be a multiple of minibatch_size = {minibatch_size} (got {chunk})",
        )
    block = check_int("block", block, low=1)
    if block % chunk:
        fail("block", f"Must be a multiple of chunk = {chunk} (got {block})")
    cache = ensure_cache_dir(cache_dir)
    params = pathlib.Path(training.params)
    params_key = file_digest(params.with_suffix(".npz"))
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
        key = digest(
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

    check_type("training", training, CNNTraining)
    x, y = _images("test", *test)
    minibatch_size = check_int("minibatch_size", minibatch_size, low=1)
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


if __name__ == "__main__":  # pragma: no cover
    from nengo_hpes.experiments.cli import cnn_main

    cnn_main()
