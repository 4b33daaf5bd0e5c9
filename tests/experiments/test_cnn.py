"""Tests of the spiking CNN: settings, training, spiking runs and features."""

import dataclasses
import pathlib

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments import cnn as mnist_cnn
from nengo_hpes.experiments.cache import default_cache_dir
from nengo_hpes.experiments.cnn import CNNSettings
from nengo_hpes.experiments.data import synthetic_images

N_TRAIN = 400


@pytest.fixture(scope="module")
def images():
    """An easy 4-class task of 28 x 28 images (pixels in [0, 1])."""
    return synthetic_images(N_TRAIN, 100, n_classes=4, shape=(28, 28), seed=3)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cnn-cache")


@pytest.fixture(scope="module")
def trained(images, cache):
    pytest.importorskip("nengo_dl")
    settings = CNNSettings(epochs=2, minibatch_size=20, seed=1)
    return mnist_cnn.train_cnn(
        images[0], settings, cache_dir=cache, verbose=0, progress_bar=False
    )


@pytest.fixture(scope="module")
def spiking(trained, images, cache):
    return mnist_cnn.run_spiking(
        trained,
        images[1][0],
        n_steps=20,
        minibatch_size=50,
        chunk=50,
        block=50,
        cache_dir=cache,
        progress_bar=False,
    )


# ---------------------------------------------------------------- settings
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"lif_smoothing": 0},
            r"^CNNSettings.lif_smoothing: Must be a finite number > 0 \(got 0\)",
        ),
        ({"max_rate": -1.0}, r"max_rate: Must be a finite number > 0 \(got -1.0\)"),
        ({"max_rate": 500, "tau_ref": 0.002}, r"max_rate: Must be < 1 / tau_ref"),
        ({"amplitude": float("nan")}, r"amplitude: Must be a finite number > 0"),
        ({"tau_rc": 0}, r"tau_rc: Must be a finite number > 0 \(got 0\)"),
        ({"tau_ref": -0.001}, r"tau_ref: Must be a finite number >= 0 \(got -0.001\)"),
        ({"epochs": 0}, r"epochs: Must be an integer >= 1 \(got 0\)"),
        ({"epochs": 1.5}, r"epochs: Must be an integer >= 1 \(got 1.5\)"),
        ({"minibatch_size": True}, r"minibatch_size: Must be an integer >= 1"),
        ({"learning_rate": "fast"}, r"learning_rate: Must be a finite number > 0"),
        ({"optimizer": "sgd"}, r"optimizer: Must be one of \('rmsprop', 'adam'\)"),
        ({"seed": -1}, r"seed: Must be an integer >= 0 \(got -1\)"),
        ({"input_scale": 0}, r"input_scale: Must be a finite number > 0 \(got 0\)"),
        ({"input_scale": "raw"}, r"input_scale: Must be a finite number > 0"),
    ],
)
def test_settings_errors(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        CNNSettings(**kwargs)


def test_network_dict_leaves_out_epochs():
    a, b = CNNSettings(epochs=1), CNNSettings(epochs=5)
    assert a.network_dict() == b.network_dict()
    assert "epochs" not in a.network_dict()
    assert CNNSettings(seed=2).network_dict() != a.network_dict()
    # input_scale is part of the key, except at 1 (the files cached before it)
    assert "input_scale" not in CNNSettings(input_scale=1).network_dict()
    assert CNNSettings(input_scale=255).network_dict()["input_scale"] == 255


def test_inputs_scale_pixels():
    x = np.array([[0.0, 0.5, 1.0]])
    out = CNNSettings(input_scale=255).inputs(x)
    assert out.dtype == np.float32
    assert np.array_equal(out, np.array([[0, 127.5, 255]], dtype=np.float32))
    assert np.array_equal(CNNSettings(input_scale=1).inputs(x), x.astype(np.float32))
    assert CNNSettings().input_scale == 255  # raw pixels, as NengoDL's example


def test_default_cache_dir(tmp_path):
    assert default_cache_dir({"NENGO_HPES_CACHE_DIR": str(tmp_path)}) == (tmp_path)
    path = default_cache_dir({})
    root = pathlib.Path(mnist_cnn.__file__).resolve().parents[2]
    if (root / "setup.cfg").is_file():  # a source checkout: its build folder
        assert path == root / "build" / "cache"
    else:
        assert path == pathlib.Path.home() / ".cache" / "nengo_hpes"


def test_limit_threads():
    assert mnist_cnn.limit_threads(None) is False
    with pytest.raises(ValidationError, match=r"n_threads: Must be an integer >= 1"):
        mnist_cnn.limit_threads(0)


# ---------------------------------------------------------------- the CNN
def test_build_cnn_is_nengo_dl_spiking_mnist():
    pytest.importorskip("nengo_dl")
    net = mnist_cnn.build_cnn(CNNSettings())
    assert net.n_features == 5 * 5 * 128 and net.feature_shape == (5, 5, 128)
    ens = net.all_ensembles
    assert [e.n_neurons for e in ens] == [26 * 26 * 32, 12 * 12 * 64, 5 * 5 * 128]
    assert all(isinstance(e.neuron_type, nengo.LIF) for e in ens)
    assert all(e.neuron_type.amplitude == 0.01 for e in ens)
    assert net.out_p.size_in == 10
    assert net.out_p_filt.synapse == nengo.Lowpass(0.1)
    rate = mnist_cnn.build_cnn(CNNSettings(), spiking=False)
    assert all(not e.neuron_type.spiking for e in rate.all_ensembles)
    with pytest.raises(ValidationError, match=r"output_synapse: Must be a finite"):
        mnist_cnn.build_cnn(output_synapse=0)
    with pytest.raises(ValidationError, match=r"settings: Must be a CNNSettings"):
        mnist_cnn.build_cnn(settings="default")


def test_train_learns_and_caches(trained, images, cache):
    assert not trained.cached
    assert [h["epoch"] for h in trained.history] == [1, 2]
    assert trained.history[1]["loss"] < trained.history[0]["loss"]
    for epoch in (1, 2):
        stem = trained.params.parent / trained.params.name.replace(
            "epoch2", f"epoch{epoch}"
        )
        assert stem.with_suffix(".npz").is_file()
        assert stem.with_suffix(".json").is_file()
    again = mnist_cnn.train_cnn(
        images[0], trained.settings, cache_dir=cache, verbose=0, progress_bar=False
    )
    assert again.cached and again.params == trained.params
    assert again.history == trained.history
    # other data: another cache key
    (x, y), _ = images
    other = mnist_cnn.train_cnn(
        (x[:100], y[:100]),
        CNNSettings(epochs=1, minibatch_size=50, seed=1),
        cache_dir=cache,
        verbose=0,
        progress_bar=False,
    )
    assert (
        other.params.name.split("-epoch")[0] != trained.params.name.split("-epoch")[0]
    )
    assert mnist_cnn.rate_accuracy(trained, images[1], minibatch_size=30) > 0.9


def test_train_errors(images, cache):
    (x, y), _ = images
    with pytest.raises(ValidationError, match=r"train: The number of training images"):
        mnist_cnn.train_cnn((x[:150], y[:150]), CNNSettings(minibatch_size=100))
    with pytest.raises(
        ValidationError, match=r"train: Images must have shape \(n, 784\)"
    ):
        mnist_cnn.train_cnn((x[:, :100], y), cache_dir=cache)
    with pytest.raises(ValidationError, match=r"train: Labels must be >= 0 and < 10"):
        mnist_cnn.train_cnn((x, y + 9), cache_dir=cache)
    with pytest.raises(ValidationError, match=r"settings: Must be a CNNSettings"):
        mnist_cnn.train_cnn((x, y), settings={"epochs": 1}, cache_dir=cache)


def test_spiking_run(spiking, trained, images, cache):
    _, (x_test, y_test) = images
    assert spiking.counts.shape == (100, 3200) and spiking.counts.dtype == np.uint8
    # at most one spike per step (tau_ref = 2 ms > dt), and some neurons fire
    assert spiking.counts.max() <= 20 and spiking.counts.mean() > 0.05
    assert np.allclose(spiking.rates(), spiking.counts / 0.02)
    assert spiking.accuracy(y_test) > 0.9
    assert spiking.seconds > 0
    # cached in blocks: a second call, and a call on a subset, read the files
    again = mnist_cnn.run_spiking(
        trained,
        x_test,
        n_steps=20,
        minibatch_size=50,
        chunk=50,
        block=50,
        cache_dir=cache,
    )
    assert np.array_equal(again.counts, spiking.counts)
    assert np.array_equal(again.predictions, spiking.predictions)
    first = mnist_cnn.run_spiking(
        trained,
        x_test[:50],
        n_steps=20,
        minibatch_size=50,
        chunk=50,
        block=50,
        cache_dir=cache,
    )
    assert np.array_equal(first.counts, spiking.counts[:50])
    assert len(list(cache.glob("mnist-cnn-spiking-*.npz"))) == 2


def test_spiking_run_odd_sizes_and_fewer_steps(trained, images, spiking, cache):
    _, (x_test, y_test) = images
    # 37 images: padded to the minibatch, not cached in the 50-image blocks
    run = mnist_cnn.run_spiking(
        trained,
        x_test[:37],
        n_steps=5,
        minibatch_size=25,
        chunk=25,
        block=25,
        cache_dir=cache,
        progress_bar=False,
    )
    assert run.counts.shape == (37, 3200) and run.n_steps == 5
    assert run.counts.max() <= 5
    # a shorter presentation gives fewer spikes than the 20-step one
    assert run.counts.sum() < spiking.counts[:37].sum()


def test_spiking_run_scales_inputs(trained, images, spiking, cache):
    # the same parameters fed 4x dimmer pixels: fewer spikes, not the cached ones
    x_test = images[1][0]
    s = trained.settings
    dimmer = dataclasses.replace(
        trained, settings=dataclasses.replace(s, input_scale=s.input_scale / 4)
    )
    kw = dict(n_steps=20, minibatch_size=50, chunk=50, block=50, cache_dir=cache)
    run = mnist_cnn.run_spiking(dimmer, x_test[:50], progress_bar=False, **kw)
    assert run.counts.sum() < spiking.counts[:50].sum()  # 0.87x measured
    again = mnist_cnn.run_spiking(dimmer, x_test[:50], progress_bar=False, **kw)
    assert np.array_equal(again.counts, run.counts) and again.seconds == run.seconds


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_steps": 0}, r"n_steps: Must be an integer in \[1, 255\] \(got 0\)"),
        ({"n_steps": 256}, r"n_steps: Must be an integer in \[1, 255\]"),
        ({"output_synapse": -0.1}, r"output_synapse: Must be a finite number > 0"),
        ({"minibatch_size": 0}, r"minibatch_size: Must be an integer >= 1"),
        ({"chunk": 150}, r"chunk: Must be a multiple of minibatch_size = 200"),
        ({"chunk": 200, "block": 300}, r"block: Must be a multiple of chunk = 200"),
    ],
)
def test_spiking_errors(trained, images, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        mnist_cnn.run_spiking(trained, images[1][0], **kwargs)


def test_spiking_needs_training(images):
    with pytest.raises(ValidationError, match=r"training: Must be a CNNTraining"):
        mnist_cnn.run_spiking("params.npz", images[1][0])
    with pytest.raises(ValidationError, match=r"training: Must be a CNNTraining"):
        mnist_cnn.rate_accuracy(None, images[1])
