"""Encoders, the online classifier experiment and the MNIST command line."""

import json

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes import HPES
from nengo_hpes.experiments import mnist
from nengo_hpes.experiments.classifier import (
    Teacher,
    classifier_network,
    run_classifier,
)
from nengo_hpes.experiments.data import synthetic_images
from nengo_hpes.experiments.encoders import (
    FeatureLayer,
    gabor_encoders,
    gabor_patches,
    gaussian_encoders,
    make_encoders,
    place_patches,
)
from nengo_hpes.experiments.metrics import confusion_matrix
from nengo_hpes.experiments.offline import lstsq_readout, offline_accuracy
from nengo_hpes.experiments.plots import plot_digits, plot_weight_histograms

SHAPE = (12, 12)


@pytest.fixture(scope="module")
def task():
    return synthetic_images(240, 80, n_classes=4, shape=SHAPE, seed=0)


@pytest.fixture(scope="module")
def pes_result(task):
    return run_classifier(
        *task, nengo.PES(learning_rate=1e-3), SHAPE, n_hidden=200, n_output=40, seed=1
    )


# ---------------------------------------------------------------- encoders
def test_gabor_patch_formula():
    from nengo.dists import Choice

    fixed = dict(theta=Choice([0.0]), freq=Choice([1.0]), phase=Choice([0.0]))
    g = gabor_patches(1, (11, 11), sigma=Choice([0.45]), **fixed)[0]
    assert g[5, 5] == pytest.approx(1.0)  # centre: envelope 1, cos(0) = 1
    x = np.linspace(-1, 1, 11)
    expected = np.exp(-(x**2) / (2 * 0.45**2)) * np.cos(2 * np.pi * x)
    assert np.allclose(g[5], expected)  # theta = 0: varies along the columns
    assert np.allclose(g[:, 5], np.exp(-(x**2) / (2 * 0.45**2)))
    rotated = gabor_patches(1, (11, 11), sigma=Choice([0.45]), **{
        **fixed, "theta": Choice([np.pi / 2])
    })[0]  # fmt: skip
    assert np.allclose(rotated, g.T)


def test_gabor_encoders_are_unit_norm_local_patches():
    enc = gabor_encoders(50, (28, 28), rng=0)
    assert enc.shape == (50, 784)
    assert np.allclose(np.linalg.norm(enc, axis=1), 1)
    for row in enc.reshape(50, 28, 28):
        rows, cols = np.nonzero(row)
        assert rows.max() - rows.min() < 11 and cols.max() - cols.min() < 11
    # the patches are placed at different positions and are seeded
    centres = [np.mean(np.nonzero(r), axis=1) for r in enc.reshape(50, 28, 28)]
    assert np.std(centres, axis=0).min() > 2
    assert np.array_equal(enc, gabor_encoders(50, (28, 28), rng=0))
    assert not np.allclose(enc, gabor_encoders(50, (28, 28), rng=1))


def test_gabor_patch_clipped_to_small_images():
    assert make_encoders("gabor", 3, (6, 5), rng=0).shape == (3, 30)


def test_place_patches_positions_cover_the_image():
    out = place_patches(np.ones((400, 2, 2)), (5, 5), rng=0).reshape(400, 5, 5)
    assert np.all(out.sum(axis=(1, 2)) == 4)
    assert np.all(out.sum(axis=0) > 0)  # every pixel is covered by some patch


def test_gaussian_encoders():
    enc = gaussian_encoders(300, 20, rng=0)
    assert np.allclose(np.linalg.norm(enc, axis=1), 1)
    assert abs(enc.mean()) < 0.02
    assert make_encoders("gaussian", 4, (3, 5), rng=0).shape == (4, 15)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_encoders("sobel", 4, (8, 8)), r"encoders: Must be one of "),
        (lambda: place_patches(np.ones((1, 9, 9)), (8, 8)), "must fit in the image"),
        (lambda: gabor_encoders(0, (8, 8)), r"n: Must be an integer >= 1 \(got 0\)"),
        (
            lambda: gabor_encoders(2, (8, -1)),
            r"image_shape: Must be two integers >= 1 \(got \(8, -1\)\)",
        ),
        (lambda: gaussian_encoders(2, 0), r"dimensions: Must be an integer >= 1"),
        (lambda: gabor_patches(2, freq=2.0), r"freq: Must be a nengo Distribution"),
    ],
)
def test_encoder_errors(call, match):
    with pytest.raises(ValidationError, match=match):
        call()


# ---------------------------------------------------------------- parts
def test_feature_layer_rates():
    layer = FeatureLayer.create(30, (4, 4), "gaussian", max_rate=100, intercept=0.1)
    e = layer.encoders
    assert np.allclose(np.diag(layer.rates(e)), 100)  # encoder @ x = 1
    assert np.all(np.diag(layer.rates(0.09 * e)) == 0)  # below the intercept
    assert np.all(np.diag(layer.rates(0.2 * e)) > 0)
    j = layer.currents(e[:3]) + layer.bias
    unit = np.ones(30)
    assert np.allclose(layer.neuron_type.rates(j, unit, 0 * unit), layer.rates(e[:3]))
    given = FeatureLayer.create(30, (4, 4), 3 * e)
    assert np.allclose(given.encoders, e)  # normalised


def test_feature_layer_identity_matches_explicit_eye():
    layer = FeatureLayer.create(16, (4, 4), "identity", max_rate=100, intercept=0.1)
    assert layer.identity and layer.n_hidden == layer.n_pixels == 16
    x = np.random.RandomState(0).uniform(-0.5, 1.5, size=(5, 16))
    assert np.array_equal(layer.project(x), x)
    assert np.allclose(layer.currents(x), x * layer.gain)
    eye = FeatureLayer.create(16, (4, 4), np.eye(16), max_rate=100, intercept=0.1)
    assert not eye.identity
    assert np.allclose(layer.rates(x), eye.rates(x))
    assert np.all(layer.rates(np.full((1, 16), 0.09)) == 0)  # below the intercept
    with pytest.raises(ValidationError, match=r"n_hidden: Must equal the number of"):
        FeatureLayer.create(15, (4, 4), "identity")


def test_identity_encoders_run_like_given_eye(task):
    (x, y), (xt, yt) = task
    kw = dict(n_hidden=144, n_output=20, seed=2)
    train, test = (x[:60], y[:60]), (xt[:20], yt[:20])
    a = run_classifier(train, test, nengo.PES(1e-3), SHAPE, encoders="identity", **kw)
    b = run_classifier(train, test, nengo.PES(1e-3), SHAPE, encoders=np.eye(144), **kw)
    assert np.allclose(a.weights, b.weights) and np.abs(a.weights).max() > 0
    assert np.array_equal(a.test_predictions, b.test_predictions)
    assert a.params["encoders"] == "identity"


def test_confusion_matrix():
    c = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 3)
    assert c.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert c.sum() == 6


def test_teacher_error_and_readout():
    labels = [2, 0]
    teacher = Teacher(labels, 3, presentation_time=0.005, settle_time=0.002, learn=True)
    step = teacher.make_step((3,), (6,), 0.001, None, {})
    x = np.array([0.5, 0.25, 0.0])
    outs = [step(0.001 * n, x * n).copy() for n in range(1, 11)]
    for n, out in enumerate(outs, start=1):
        j = (n - 1) % 5
        if j < 2:  # settling: no error, no readout
            assert np.all(out == 0)
        else:
            target = np.eye(3)[labels[(n - 1) // 5]]
            assert np.allclose(out[:3], x * n - target)
            first = n - j + 2  # first step of the readout window
            assert np.allclose(out[3:], x * np.mean(np.arange(first, n + 1)))
    silent = Teacher(labels, 3, 0.005, 0.002, learn=False)
    step = silent.make_step((3,), (6,), 0.001, None, {})
    out = [step(0.001 * n, x).copy() for n in range(1, 6)][-1]
    assert np.all(out[:3] == 0) and np.allclose(out[3:], x)


def test_one_readout_sample_per_image_at_its_end():
    # 0.0105 / 0.0007 is 15.000000000000002 in floating point: a plain
    # sample_every would sample one step late
    dt, present, settle = 0.0007, 0.0105, 0.0021
    (x, y), _ = synthetic_images(7, 1, n_classes=3, shape=(6, 6), seed=0)
    layer = FeatureLayer.create(20, (6, 6), "gaussian", seed=0)
    net = classifier_network(
        layer,
        x,
        y,
        3,
        weights=np.random.RandomState(0).randn(10, 20) * 1e-3,
        n_output=10,
        presentation_time=present,
        settle_time=settle,
        dt=dt,
    )
    with net:
        p_all = nengo.Probe(net.teacher, synapse=None)
    with nengo.Simulator(net, dt=dt) as sim:
        sim.run_steps(7 * 15)
    readout = sim.data[net.p_readout]
    assert readout.shape == (7, 3)
    ends = sim.data[p_all][14::15, 3:]  # the last step of each image
    assert np.allclose(readout, ends)
    assert np.all(np.abs(readout).sum(axis=1) > 0)


# ---------------------------------------------------------------- experiment
def test_pes_learns_easy_task(pes_result, task):
    res = pes_result
    n_test = len(task[1][1])
    assert res.confusion.shape == (4, 4)
    assert res.confusion.sum() == n_test
    assert res.confusion.sum(axis=1).tolist() == np.bincount(task[1][1]).tolist()
    assert res.accuracy == pytest.approx(np.trace(res.confusion) / n_test)
    assert res.accuracy > 0.8  # chance is 0.25
    assert len(res.train_correct) == 240
    seen, acc = res.learning_curve(60)
    assert seen.tolist() == [60, 120, 180, 240]
    assert acc[-1] > acc[0]
    assert res.weights.shape == (40, 200) and np.any(res.weights != 0)
    t = res.timings
    assert t["train"] > 0 and t["test"] > 0
    assert t["train_per_image"] == pytest.approx(t["train"] / 240)
    assert t["test_per_image"] == pytest.approx(t["test"] / 80)
    summary = json.loads(json.dumps(res.summary()))  # JSON-compatible
    assert summary["test_accuracy"] == res.accuracy
    assert summary["params"]["rule"] == "PES(learning_rate=0.001)"
    assert summary["params"]["rule_parameters"] == {
        "learning_rate": "0.001",
        "pre_synapse": "Lowpass(tau=0.005)",
    }


def test_no_learning_is_near_chance(task):
    res = run_classifier(*task, None, SHAPE, n_hidden=200, n_output=40, seed=1)
    assert res.accuracy < 0.45
    assert res.params["rule_parameters"] is None
    assert len(res.train_correct) == 0 and res.timings["train"] == 0
    assert np.all(res.weights == 0)


def test_hpes_runs_and_two_passes(task):
    (x, y), test = task
    res = run_classifier(
        (x[:40], y[:40]),
        test,
        HPES(learning_rate=1e-3 / 0.9, supervision_ratio=0.9),
        SHAPE,
        n_passes=2,
        shuffle=True,
        n_hidden=100,
        n_output=20,
    )
    assert len(res.train_correct) == 80
    assert res.params["n_passes"] == 2
    # every parameter is recorded, defaults included (a repr omits them)
    rp = res.params["rule_parameters"]
    assert rp["supervision_ratio"] == "0.9"
    assert rp["theta_synapse"] == repr(HPES().theta_synapse)
    assert rp["unsupervised_scale"] == "'auto'"
    assert "size_in" not in rp
    json.dumps(res.summary())
    assert np.any(res.weights != 0)
    assert res.confusion.sum() == len(test[1])


def test_offline_accuracy(task):
    layer = FeatureLayer.create(200, SHAPE, seed=1)
    assert offline_accuracy(layer, *task, chunk=50) > 0.9
    # a layer that sees nothing cannot do better than guessing
    blind = FeatureLayer.create(200, SHAPE, np.ones((200, 144)), intercept=0.99)
    assert offline_accuracy(blind, *task) < 0.45


def test_lstsq_readout(rng):
    a = rng.uniform(0, 50, size=(120, 7))
    y = rng.randint(0, 4, size=120)
    # reg=0: the least-squares solution, whatever the blocks
    exact = np.linalg.lstsq(a, np.eye(4)[y], rcond=None)[0]
    blocks = [(a[:50], y[:50]), (a[50:51], y[50:51]), (a[51:], y[51:])]
    assert np.allclose(lstsq_readout(blocks, 4, reg=0), exact)
    # nengo's LstsqL2 convention: n * (reg * max(a))^2 on the diagonal
    d = lstsq_readout([(a, y)], 4, reg=0.1)
    gram = a.T @ a + 120 * (0.1 * a.max()) ** 2 * np.eye(7)
    assert np.allclose(gram @ d, a.T @ np.eye(4)[y])
    assert not np.allclose(d, exact)


@pytest.mark.parametrize(
    "blocks, n_classes, reg, match",
    [
        ([], 3, 0.01, r"blocks: Must hold at least one sample"),
        ([(np.ones((2, 3)), [0, 1])], 0, 0.01, r"n_classes: Must be an integer >= 1"),
        ([(np.ones((2, 3)), [0, 1])], 3, -1, r"reg: Must be a finite number >= 0"),
        ([(np.ones((2, 3)), [0, 1])], 3, "a", r"reg: .* \(got 'a'\)"),
        ([(np.ones((2, 3)), [0, 1])], 3, np.inf, r"reg: .* \(got inf\)"),
    ],
)
def test_lstsq_readout_errors(blocks, n_classes, reg, match):
    with pytest.raises(ValidationError, match=match):
        lstsq_readout(blocks, n_classes, reg)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_passes": 0}, r"n_passes: Must be an integer >= 1 \(got 0\)"),
        ({"n_hidden": 0}, r"n_hidden: Must be an integer >= 1 \(got 0\)"),
        ({"n_output": 2.5}, r"n_output: Must be an integer >= 1 \(got 2.5\)"),
        ({"max_rate": 0}, r"max_rate: Must be a finite number > 0 \(got 0\)"),
        (
            {"intercept": 1.0},
            r"intercept: Must be a finite number in \[0, 1\) \(got 1.0\)",
        ),
        ({"encoders": "pixels"}, r"encoders: Must be one of .* \(got 'pixels'\)"),
        ({"encoders": np.ones((5, 3))}, r"encoders: Must have shape .* \(got \(5, 3\)"),
        (
            {"presentation_time": 0.0305},
            r"presentation_time: Must be a multiple of dt = 0.001 s and >= 0.001 s "
            r"\(got 0.0305\)",
        ),
        (
            {"settle_time": 0.03},
            r"settle_time: Must be < presentation_time = 0.03 s \(got 0.03\)",
        ),
        ({"settle_time": -0.001}, r"settle_time: Must be a multiple of dt"),
        ({"n_classes": 3}, r"labels: Must be < n_classes = 3 \(got 3\)"),
        (
            {"image_shape": (11, 12)},
            r"images: Images must have shape \(n, 132\) \(got shape \(240, 144\)\)",
        ),
    ],
)
def test_run_classifier_bad_arguments(task, kwargs, match):
    kwargs = {"image_shape": SHAPE, "n_hidden": 10, "n_output": 5, **kwargs}
    with pytest.raises(ValidationError, match=match):
        run_classifier(*task, nengo.PES(), **kwargs)


def test_bad_images_and_labels(task):
    (x, y), test = task
    with pytest.raises(ValidationError, match=r"train: Labels must be 240 integers"):
        run_classifier((x, y[:-1]), test, None, SHAPE)
    with pytest.raises(
        ValidationError, match=r"train: Labels must be >= 0 \(got values in \[-1, 2\]"
    ):
        run_classifier((x, y - 1), test, None, SHAPE)
    with pytest.raises(ValidationError, match=r"test: Images must be a non-empty 2-D"):
        run_classifier((x, y), (x[0], y[:1]), None, SHAPE)


# ---------------------------------------------------------------- figures
def test_plot_digits_shows_misclassified(task):
    import matplotlib.pyplot as plt

    (x, y), _ = task
    pred = y.copy()
    pred[[3, 7]] = (y[[3, 7]] + 1) % 4
    fig = plot_digits(x, y, pred, shape=SHAPE, n=5)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == [f"{y[i]} as {pred[i]}" for i in (3, 7)]
    assert np.allclose(fig.axes[0].images[0].get_array(), x[3].reshape(SHAPE))
    fig = plot_digits(x, y, shape=SHAPE, n=4)
    assert [ax.get_title() for ax in fig.axes] == [str(v) for v in y[:4]]
    plt.close("all")
    with pytest.raises(ValidationError, match=r"images: Must have shape \(m, 784\)"):
        plot_digits(x, y)
    with pytest.raises(ValidationError, match=r"predictions: Must have shape"):
        plot_digits(x, y, pred[:-1], shape=SHAPE)
    with pytest.raises(ValidationError, match=r"n: Must be an integer >= 1"):
        plot_digits(x, y, shape=SHAPE, n=0)


def test_plot_weight_histograms(pes_result, tmp_path):
    import matplotlib.pyplot as plt

    from nengo_hpes.experiments.metrics import gini_index

    fig = plot_weight_histograms([pes_result], path=tmp_path / "w.png")
    assert (tmp_path / "w.png").is_file()
    assert f"Gini {gini_index(pes_result.weights):.3f}" in fig.axes[0].get_title()
    counts = [p.get_height() for p in fig.axes[0].patches]
    assert sum(counts) == pes_result.weights.size
    plt.close("all")
    with pytest.raises(ValidationError, match=r"results: Must have at least one"):
        plot_weight_histograms([])


# ---------------------------------------------------------------- command line
def test_command_line(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["--dataset", "synthetic", "--n-train", "80", "--n-test", "40"]
    args += ["--n-hidden", "100", "--n-output", "20", "--rule", "pes"]
    args += ["--learning-rate", "1e-3", "--out", str(out), "--no-progress"]
    result = mnist.main(args + ["--offline"])
    name = "synthetic-pes-lr0.001-seed0"
    summary = json.loads((out / f"{name}.json").read_text())
    assert summary["test_accuracy"] == result.accuracy
    assert summary["params"]["n_train"] == 80 and summary["params"]["n_hidden"] == 100
    assert 0 <= summary["offline_accuracy"] <= 1
    assert np.sum(summary["confusion"]) == 40
    assert (out / f"{name}-curve.png").stat().st_size > 0
    assert (out / f"{name}-confusion.png").stat().st_size > 0
    assert "test accuracy" in capsys.readouterr().out
