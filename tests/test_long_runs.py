"""
Long runs (issue 17): 1000 s simulated of the README's channel, at the defaults
and at S = 0.9, fp64 on the reference simulator and fp32 on NengoDL: the
weights stay finite and bounded, and the error after learning is comparable
to nengo.PES's (fp64, reference). Slow: ``pytest tests/test_long_runs.py -m slow
--slow``; they print their numbers (``-s``).
"""

import importlib.util

import nengo
import numpy as np
import pytest
from helpers import channel_net, tail_rmse

from nengo_hpes import HPES

SIM_TIME = 1000.0
LEARN_TIME = 990.0  # then 10 s with the error silenced (the BCM term still runs)
RULES = {
    "defaults": lambda: HPES(),
    "S=0.9": lambda: HPES(1e-4 / 0.9, supervision_ratio=0.9),
}


def _run_reference(rule, seed):
    net = channel_net(rule, LEARN_TIME, seed=seed, weights_sample_every=10.0)
    with nengo.Simulator(net) as sim:
        sim.run(SIM_TIME)
    return tail_rmse(sim, net), sim.data[net.p_weights]


def _run_nengo_dl(rule, seed):
    import nengo_dl

    net = channel_net(rule, LEARN_TIME, seed=seed, weights_sample_every=10.0)
    with net:
        nengo_dl.configure_settings(dtype="float32")
    with nengo_dl.Simulator(net, progress_bar=False) as sim:
        # NengoDL keeps every step of a probe within one run: run in pieces
        for _ in range(int(SIM_TIME / 10)):
            sim.run(10.0)
    return tail_rmse(sim, net), sim.data[net.p_weights]


@pytest.fixture(scope="module")
def pes_reference():
    """nengo.PES, fp64 on the reference simulator: the baseline (seed 0)."""
    return _run_reference(nengo.PES(), seed=0)


def _check(name, backend, rmse, w, pes_reference):
    rmse_pes, w_pes = pes_reference
    w_max, w_pes_max = np.abs(w).max(), np.abs(w_pes).max()
    print(
        f"\n{name} ({backend}): RMSE {rmse:.4f} (PES {rmse_pes:.4f}), "
        f"max |w| {w_max:.3g} (PES {w_pes_max:.3g}), final |w| "
        f"{np.linalg.norm(w[-1]):.3g} (PES {np.linalg.norm(w_pes[-1]):.3g})"
    )
    # the Frobenius norm every 100 s: does a drift level off or keep growing?
    norms = np.linalg.norm(w.reshape(len(w), -1), axis=1)
    every = max(1, len(w) // 10)
    print(
        "|w| every 100 s: " + ", ".join(f"{n:.3g}" for n in norms[every - 1 :: every])
    )
    assert np.all(np.isfinite(w))
    assert w_max <= 5 * w_pes_max
    assert rmse <= 1.5 * rmse_pes + 0.01


#: S = 0.9 drifts, on both backends alike (docs/what-can-go-wrong.md, "Long
#: runs"): a known property of the rule, kept strict so that a change shows
S09_DRIFTS = pytest.mark.xfail(
    strict=True,
    reason=(
        "measured (seed 0): the weights grow under the unsupervised term, max |w| "
        "0.151 against PES's 0.0255 after 1000 s (norm 1.06 vs 0.285); RMSE "
        "0.047 vs 0.034; the same on NengoDL fp32, where the norm was still "
        "growing at 1000 s, more slowly after 500 s"
    ),
)
NAMES = ["defaults", pytest.param("S=0.9", marks=S09_DRIFTS)]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_reference_1000s(name, pes_reference):
    rmse, w = _run_reference(RULES[name](), seed=0)
    _check(name, "nengo, fp64", rmse, w, pes_reference)


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("nengo_dl") is None, reason="nengo_dl is not installed"
)
@pytest.mark.parametrize("name", NAMES)
def test_nengo_dl_float32_1000s(name, pes_reference):
    rmse, w = _run_nengo_dl(RULES[name](), seed=0)
    assert w.dtype == np.float32
    _check(name, "NengoDL, fp32", rmse, w, pes_reference)
