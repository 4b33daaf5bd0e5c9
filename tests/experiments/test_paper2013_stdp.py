"""R1 / R2: Figs. 1 and 2 of the 2013 paper from HPES with S = 0."""

import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.paper2013 import stdp
from nengo_hpes.experiments.paper2013.report import FIG2_PUBLISHED

# docs/paper-2013.md section 3.2 (% change at 1, 2, 10, 20, 100 Hz)
FIG2_DETERMINISTIC = {
    "low": [-4.8, -2.4, 9.6, 13.9, 20.0],
    "high": [-14.7, -11.4, 4.9, 10.8, 20.0],
}


@pytest.fixture(scope="module")
def fig1():
    return stdp.stdp_curve(mode="quick")


@pytest.fixture(scope="module")
def fig2():
    return stdp.frequency_curves(mode="full")


def test_fig1_matches_script(fig1):
    # the package's rule reproduces the authors' NumPy model; the residual is
    # theta's hold filter (< 1e-8 relative drift over the run)
    assert fig1["max_rel_diff_reference"] < 1e-7
    ref = np.asarray(fig1["reference"])
    assert np.allclose(fig1["change"], ref / ref.max(), rtol=0, atol=1e-7)


def test_fig1_targets(fig1):
    x = np.asarray(fig1["x_ms"])
    y = np.asarray(fig1["change"]) * 100
    assert fig1["peak"]["change"] == 1.0
    assert -1.5 <= fig1["peak"]["x_ms"] <= 1.5
    assert fig1["ltd_min"]["change"] * 100 == pytest.approx(-70.7, abs=5)
    assert fig1["ltd_min"]["x_ms"] == pytest.approx(-9, abs=2)
    assert fig1["at_plus5ms"] * 100 == pytest.approx(66, abs=5)
    # LTP for pre-before-post up to 30 ms and just after (the lobe spills over
    # 0), LTD for post-before-pre from 3 to 33 ms
    assert np.all(y[(x >= -1) & (x <= 30)] > 0)
    assert np.all(y[(x >= -33) & (x <= -3)] < 0)
    assert len(x) == 50 and x.min() >= -50 and x.max() <= 50


def test_fig2_targets(fig2):
    assert fig2["max_rel_diff_reference"] < 1e-7
    for k in ("low", "high"):
        det = np.asarray(fig2["deterministic"][k])
        assert np.allclose(det, FIG2_DETERMINISTIC[k], atol=1.5)
        assert np.allclose(fig2["seed6"][k], FIG2_PUBLISHED[k], atol=1.5)
        assert np.all(np.diff(det) > 0)  # monotone in frequency
        lo, hi = np.asarray(fig2["seed6_ci95"][k]).T
        assert np.all(lo <= np.asarray(fig2["seed6"][k]) + 1e-9)
        assert np.all(hi >= np.asarray(fig2["seed6"][k]) - 1e-9)
    det_low = np.asarray(fig2["deterministic"]["low"])
    det_high = np.asarray(fig2["deterministic"]["high"])
    # a higher theta: more depression at 1-20 Hz; crossover between 2 and 10 Hz
    assert np.all(det_high[:4] < det_low[:4])
    for det in (det_low, det_high):
        assert det[1] < 0 < det[2]


def test_fig2_quick_has_no_trials():
    result = stdp.frequency_curves(mode="quick")
    assert "seed6" not in result
    assert np.allclose(
        result["deterministic"]["low"], FIG2_DETERMINISTIC["low"], atol=1.5
    )


def test_schedule_matches_script():
    # 5 Hz, 10 pairings at dt 0.5 ms: the script's arange(0, 2.0005, 0.0005)
    # has 4002 samples (float rounding adds one), post spikes every 400 steps
    n, post, pre = stdp.pairing_schedule(5.0, -0.0101, 10)
    assert n == 4002
    assert post == list(range(0, 4000, 400))
    assert pre[0] == int((0.2 - 0.0101) / stdp.DT) and len(pre) == 10


def test_bootstrap_ci_brackets_mean():
    rng = np.random.RandomState(0)
    data = rng.standard_normal((3, 40))
    lo, hi = stdp.bootstrap_ci(data, np.random.RandomState(1), n_samples=500, axis=1)
    mean = data.mean(axis=1)
    assert np.all(lo < mean) and np.all(mean < hi)
    assert np.all(hi - lo < 1.5)


@pytest.mark.parametrize(
    "call, attr",
    [
        (lambda: stdp.pairing_schedule(0.0, 0.001, 5), "pulse_rate"),
        (lambda: stdp.pairing_schedule(10.0, 0.2, 5), "pulse_delay"),
        (lambda: stdp.pairing_schedule(10.0, 0.001, 0), "num_pairings"),
        (lambda: stdp.script_filter(0.0001), "tau"),
        (lambda: stdp.stdp_curve(mode="slow"), "mode"),
        (lambda: stdp.stdp_curve(delays=[0.01, 0.02]), "delays"),
        (lambda: stdp.frequency_curves(mode=None), "mode"),
        (lambda: stdp.hpes_weight_changes([], 0.01, 0.01), "pairs"),
    ],
)
def test_validation(call, attr):
    with pytest.raises(ValidationError, match="Must be") as info:
        call()
    assert info.value.attr == attr
    assert "got" in str(info.value)
