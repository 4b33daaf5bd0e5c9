"""Tests of the hybrid readout of the spiking CNN's features."""

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes import HPES
from nengo_hpes.experiments import hybrid
from nengo_hpes.experiments.data import synthetic_images
from nengo_hpes.experiments.hybrid import (
    FeatureScaling,
    ReadoutSettings,
    hybrid_readout,
    run_hybrid_experiment,
)


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


def test_comparison_table():
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
