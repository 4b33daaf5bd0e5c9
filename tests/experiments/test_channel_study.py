"""Multi-rule channel runs and the notebooks' small helpers."""

import matplotlib.pyplot as plt
import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes import HPES
from nengo_hpes.experiments.channel import (
    StartFrom,
    channel_table,
    identity,
    moving_rmse,
    run_channel,
    run_rules,
)
from nengo_hpes.experiments.notebook import (
    FIGURES_VARIABLE,
    MODE_VARIABLE,
    format_table,
    mean_sd,
    notebook_mode,
    save_key_figure,
)

SHORT = dict(learn_time=1.0, test_time=0.5)


@pytest.fixture(scope="module")
def runs():
    rules = {"PES": nengo.PES(1e-4), "hPES": HPES()}
    return run_rules(rules, seeds=[0, 1], **SHORT)


def test_start_from_identity_gives_a_working_channel():
    """Started from the NEF's identity weights, the channel works without learning."""
    nef = run_channel(None, seed=0, simulator=StartFrom(identity), **SHORT)
    wrong = run_channel(None, seed=0, **SHORT)
    assert nef.test_rmse < 0.06
    assert wrong.test_rmse > 3 * nef.test_rmse
    assert not np.allclose(nef.weights[0], wrong.weights[0])
    with pytest.raises(ValidationError, match="function: Must be callable"):
        StartFrom(0.5)


def test_run_rules_structure(runs):
    assert list(runs) == ["PES", "hPES"]
    for label, results in runs.items():
        assert len(results) == 2
        for res in results:
            assert res.label == label
            assert res.weights.shape == (2, 100, 100)  # only the ends are kept
            assert len(res.gini_t) == len(res.weights_t) > 2
            assert res.gini_start == pytest.approx(res.gini_t[0])
    # the same network for every rule, different networks for different seeds
    pes, hpes = runs["PES"], runs["hPES"]
    assert np.array_equal(pes[0].weights[0], hpes[0].weights[0])
    assert not np.array_equal(pes[0].weights[0], pes[1].weights[0])
    assert not np.array_equal(pes[0].weights[1], pes[0].weights[0])  # learned


def test_run_rules_keeps_all_weights_when_asked():
    res = run_rules({"PES": nengo.PES()}, keep_weights="all", **SHORT)["PES"][0]
    assert res.weights.shape[0] == len(res.weights_t)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"keep_weights": "some"}, "keep_weights: Must be 'ends' or 'all'"),
        ({"seeds": []}, "rules: Must have at least one rule and one seed"),
    ],
)
def test_run_rules_bad_arguments(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        run_rules({"PES": nengo.PES()}, **kwargs)


def test_moving_rmse_matches_time_to_rmse(runs):
    res = runs["PES"][0]
    t, rmse = moving_rmse(res, window=0.5)
    assert len(t) == len(rmse) == len(res.t) - 499
    threshold = float(np.median(rmse))
    first = t[np.flatnonzero(rmse < threshold)[0]]
    assert first == res.time_to_rmse(threshold, window=0.5)
    # the last point is the RMSE over the last window
    tail = res.post[-500:] - res.pre[-500:]
    assert rmse[-1] == pytest.approx(np.sqrt(np.mean(tail**2)))
    t, rmse = moving_rmse(res, window=res.t[-1] + 1)  # longer than the run
    assert t.size == rmse.size == 0
    with pytest.raises(
        ValidationError, match=r"window: Must be a finite number > 0 \(got 0"
    ):
        moving_rmse(res, window=0)


def test_channel_table(runs):
    rows = channel_table(runs, threshold=0.3, control=runs["PES"])
    assert [r["rule"] for r in rows] == ["PES", "hPES"]
    assert set(rows[0]) == {
        "rule",
        "test RMSE",
        "test RMSE / control",
        "t to RMSE <= 0.3 (s)",
        "Gini start",
        "Gini end",
    }
    assert rows[0]["test RMSE / control"] == "1.00 ± 0.00"
    rmse = [r.test_rmse for r in runs["hPES"]]
    assert rows[1]["test RMSE"] == mean_sd(rmse)
    assert "test RMSE / control" not in channel_table(runs, 0.3)[0]
    assert set(channel_table(runs, None)[0]) == {
        "rule",
        "test RMSE",
        "Gini start",
        "Gini end",
    }
    with pytest.raises(
        ValidationError, match=r"threshold: Must be a finite number > 0 or None \(got"
    ):
        channel_table(runs, threshold=0)
    with pytest.raises(ValidationError, match="control: Must have one run per seed"):
        channel_table(runs, 0.3, control=runs["PES"][:1])


def test_notebook_mode():
    assert notebook_mode({}) == "full"
    assert notebook_mode({MODE_VARIABLE: ""}) == "full"
    assert notebook_mode({MODE_VARIABLE: " Quick "}) == "quick"
    assert notebook_mode({MODE_VARIABLE: "full"}) == "full"
    with pytest.raises(ValidationError, match=f"{MODE_VARIABLE}: Must be one of"):
        notebook_mode({MODE_VARIABLE: "fast"})


def test_mean_sd():
    assert mean_sd([1.0]) == "1.000"
    assert mean_sd([1.0, 3.0], ".1f") == "2.0 ± 1.4"
    assert mean_sd([1.0, np.nan, 3.0], ".1f") == "2.0 ± 1.4 (2/3)"
    assert mean_sd([np.nan, np.nan]) == "never"
    with pytest.raises(ValidationError, match="values: Must have at least one"):
        mean_sd([])


def test_format_table():
    rows = [{"a": 1, "b": 0.123456, "c|d": True}, {"a": "x|y", "b": 2.0, "c|d": False}]
    text = format_table(rows)
    assert text.splitlines() == [
        "| a | b | c\\|d |",
        "|---|---|---|",
        "| 1 | 0.123 | yes |",
        "| x\\|y | 2 | no |",
    ]
    assert format_table(rows, columns=["b"], floatfmt=".1f").splitlines()[2] == (
        "| 0.1 |"
    )
    with pytest.raises(ValidationError, match="rows: Must have at least one row"):
        format_table([])
    with pytest.raises(ValidationError, match="columns: Must name keys present"):
        format_table(rows, columns=["z"])


def test_save_key_figure(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    assert save_key_figure(fig, "x", environ={}) is None
    env = {FIGURES_VARIABLE: str(tmp_path / "images")}
    path = save_key_figure(fig, "my-figure", environ=env)
    assert path == tmp_path / "images" / "my-figure.png"
    assert path.stat().st_size > 1000
    with pytest.raises(ValidationError, match="name: Must be a plain file name"):
        save_key_figure(fig, "../x", environ=env)
    plt.close(fig)
