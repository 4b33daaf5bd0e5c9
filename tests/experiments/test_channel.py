"""Metrics, the channel network and its multi-rule studies, and the demo."""

import json

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes import HPES
from nengo_hpes.experiments import demo
from nengo_hpes.experiments.channel import (
    StartFrom,
    channel_table,
    communication_channel,
    identity,
    moving_rmse,
    run_channel,
    run_rules,
)
from nengo_hpes.experiments.metrics import gini_index, paired_difference, rmse
from nengo_hpes.experiments.notebook import mean_sd
from nengo_hpes.experiments.plots import plot_channel_runs


def test_gini_index_known_values():
    assert gini_index(np.ones(10)) == 0.0
    assert gini_index([0, 0, 0, 1]) == pytest.approx(0.75)  # 1 - 1/N
    assert gini_index([0, 0, 0, -1]) == pytest.approx(0.75)  # magnitudes
    assert gini_index(np.zeros(5)) == 0.0
    rows = gini_index(np.array([[1, 1, 1, 1], [0, 0, 0, 2.0]]), axis=1)
    assert np.allclose(rows, [0.0, 0.75])
    # sparser is larger; scale does not matter
    rng = np.random.RandomState(0)
    dense = rng.uniform(0.5, 1, 100)
    sparse = dense * (rng.uniform(size=100) < 0.2)
    assert gini_index(sparse) > gini_index(dense)
    assert gini_index(3 * dense) == pytest.approx(gini_index(dense))


def test_gini_index_empty_rejected():
    with pytest.raises(ValidationError, match="weights: Must have at least one"):
        gini_index([])


def test_paired_difference():
    # d = [0.01, 0.02, 0.01]: mean 0.01333, s = 0.005774, t(0.975, 2) = 4.3027
    mean, low, high = paired_difference([0.95, 0.96, 0.94], [0.94, 0.94, 0.93])
    half = 4.302652729911275 * np.std([0.01, 0.02, 0.01], ddof=1) / np.sqrt(3)
    assert mean == pytest.approx(0.04 / 3)
    assert (low, high) == pytest.approx((mean - half, mean + half))
    # pairing: a constant shift is known exactly, whatever the seeds' spread
    rng = np.random.RandomState(1)
    b = rng.uniform(0.9, 0.99, 5)
    assert paired_difference(b + 0.003, b) == pytest.approx((0.003,) * 3)
    # a wider confidence gives a wider interval around the same mean
    a = b + rng.normal(0.001, 0.002, 5)
    m90, lo90, hi90 = paired_difference(a, b, confidence=0.9)
    m99, lo99, hi99 = paired_difference(a, b, confidence=0.99)
    assert m90 == m99 and lo99 < lo90 < m90 < hi90 < hi99


@pytest.mark.parametrize(
    "a, b, kwargs, match",
    [
        ([0.9, 0.9], [0.9], {}, "same length"),
        ([[0.9, 0.9]], [[0.9, 0.9]], {}, "must be 1-D"),
        ([0.9], [0.9], {}, "at least 2 paired values"),
        (
            [0.9, 0.8],
            [0.9, 0.9],
            {"confidence": 1.0},
            r"confidence must be in \(0, 1\)",
        ),
        ([0.9, 0.8], [0.9, 0.9], {"confidence": 0}, r"\(got 0\)"),
    ],
)
def test_paired_difference_rejects(a, b, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        paired_difference(a, b, **kwargs)


def test_rmse():
    assert rmse([1, 2], [1, 2]) == 0
    assert rmse([0, 0], [3, 4]) == pytest.approx(np.sqrt(12.5))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"dimensions": 0}, r"^dimensions: Must be an integer >= 1 \(got 0\)"),
        ({"dimensions": 1.5}, r"dimensions: Must be an integer >= 1 \(got 1.5\)"),
        ({"n_neurons": -3}, r"n_neurons: Must be an integer >= 1 \(got -3\)"),
        (
            {"learn_time": -1.0},
            r"learn_time: Must be a finite number >= 0 \(got -1.0\)",
        ),
        (
            {"weights_sample_every": 0},
            r"weights_sample_every: Must be a finite number > 0 \(got 0\)",
        ),
    ],
)
def test_channel_bad_arguments(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        communication_channel(nengo.PES(), **kwargs)


def test_run_channel_bad_test_time():
    with pytest.raises(
        ValidationError, match=r"test_time: Must be a finite number > 0 \(got 0\)"
    ):
        run_channel(nengo.PES(), test_time=0)


def test_channel_same_network_for_every_rule():
    """Initial weights do not depend on the rule (same object graph, same seeds)."""
    w0 = []
    for rule in (None, nengo.PES(), HPES()):
        net = communication_channel(rule, seed=3)
        with nengo.Simulator(net) as sim:
            w0.append(sim.data[net.conn].weights)
    assert np.array_equal(w0[0], w0[1]) and np.array_equal(w0[0], w0[2])


def test_error_gate_stops_learning(Simulator, seed):
    net = communication_channel(nengo.PES(1e-4), learn_time=0.3, seed=seed)
    with Simulator(net) as sim:
        sim.run(0.6)
    t = sim.trange()
    err = sim.data[net.p_error]
    assert np.abs(err[t > 0.4]).max() < 1e-3  # silenced
    assert np.abs(err[(t > 0.05) & (t < 0.3)]).max() > 0.05  # active before
    w = sim.data[net.p_weights]
    wt = sim.trange(sample_every=net.p_weights.sample_every)
    late = np.flatnonzero(wt > 0.45)
    assert np.array_equal(w[late[0]], w[late[-1]])  # PES stopped


def test_hpes_defaults_learn_channel_like_pes(plt):
    """
    With the defaults and learning_rate * supervision_ratio equal to the PES
    rate, HPES learns the channel about as well as nengo.PES (3 seeds).
    """
    assert HPES().learning_rate * HPES().supervision_ratio == pytest.approx(1e-4)
    ratios = []
    for seed in range(3):
        kw = dict(seed=seed, learn_time=10.0, test_time=5.0)
        pes = run_channel(nengo.PES(1e-4), **kw)
        hpes = run_channel(HPES(), **kw)
        assert pes.test_rmse < 0.1
        ratios.append(hpes.test_rmse / pes.test_rmse)
    plt.plot(pes.t, pes.post - pes.pre, label="PES")
    plt.plot(hpes.t, hpes.post - hpes.pre, label="HPES")
    plt.legend()
    assert np.mean(ratios) < 1.2, ratios


def test_sparsity_rises_as_supervision_falls():
    """The unsupervised term does something measurable: weight Gini index."""
    gini = {}
    for s in (1.0, 0.0):
        res = run_channel(HPES(1e-4, supervision_ratio=s), seed=1, learn_time=10)
        gini[s] = res.gini_end
    assert gini[0.0] > gini[1.0] + 0.05, gini


def test_time_to_rmse():
    res = run_channel(nengo.PES(1e-4), seed=0, learn_time=3.0, test_time=1.0)
    t_hit = res.time_to_rmse(0.15)
    assert 0 < t_hit < 4.0
    assert np.isnan(res.time_to_rmse(1e-6))
    with pytest.raises(ValidationError, match=r"window: Must be in \(0, 4\] s"):
        res.time_to_rmse(0.1, window=10.0)
    summary = res.summary()
    assert set(summary) == {
        "rule",
        "test_rmse",
        "gini_start",
        "gini_end",
        "wall_time_s",
    }


def test_demo_writes_table_and_plot(tmp_path, capsys):
    demo.main(["--out", str(tmp_path), "--learn-time", "0.5", "--test-time", "0.2"])
    out = capsys.readouterr().out
    assert "nengo.PES" in out and "HPES (defaults)" in out and "test RMSE" in out
    assert (tmp_path / "channel.png").stat().st_size > 10_000
    rows = json.loads((tmp_path / "channel.json").read_text())
    assert [r["rule"] for r in rows] == [
        "no learning",
        "nengo.PES",
        "HPES (defaults)",
        "HPES (S = 0.95)",
    ]
    assert all(np.isfinite(r["test_rmse"]) for r in rows)


def test_plot_channel_runs_returns_figure(tmp_path):
    res = run_channel(nengo.PES(), seed=0, learn_time=0.2, test_time=0.1)
    fig = plot_channel_runs([res, res], title="t")
    assert len(fig.axes) == 6
    fig.savefig(tmp_path / "x.png")
    assert (tmp_path / "x.png").exists()


# ---------------------------------------------------------------- studies
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
