"""The in-place rank-one update used to apply HPES's change to the weights."""

import importlib.metadata

import nengo
import numpy as np
import pytest
from helpers import run_weights, weights_net

from nengo_hpes import HPES, _blas


def _bundles_openblas():
    """Whether this numpy is a wheel with its own OpenBLAS (independent of _blas)."""
    files = importlib.metadata.files("numpy") or []
    return any("openblas" in str(f).lower() for f in files)


class Spy:
    """Wraps the bound CBLAS function and counts the calls."""

    def __init__(self, fn):
        self.fn = fn
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


@pytest.fixture
def spies(monkeypatch):
    """The CBLAS ?ger of each dtype, wrapped in a Spy (None where not found)."""
    out = {}
    for dtype in (np.float64, np.float32):
        fn = _blas.numpy_cblas_ger(dtype)
        out[dtype] = None if fn is None else Spy(fn)
        monkeypatch.setitem(_blas._cache, np.dtype(dtype), out[dtype])
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("use_cblas", [True, False])
def test_rank_one_inc(dtype, use_cblas, monkeypatch, rng, spies):
    if use_cblas and spies[dtype] is None:
        pytest.skip("numpy has no CBLAS ?ger here (see test_numpy_cblas_found)")
    if not use_cblas:
        monkeypatch.setenv("NENGO_HPES_NUMPY_GER", "0")
    a = rng.uniform(-1, 1, (7, 5)).astype(dtype)
    x = rng.uniform(-1, 1, 7).astype(dtype)
    y = rng.uniform(-1, 1, 5).astype(dtype)
    expected = a + np.outer(x, y)
    before = a.__array_interface__["data"][0]
    step = _blas.rank_one_inc(x, y, a)
    step()
    tol = 1e-15 if dtype == np.float64 else 1e-6
    assert np.allclose(a, expected, rtol=0, atol=tol)
    assert a.__array_interface__["data"][0] == before  # in place
    # the closure reads the arrays' current values each call
    x[:] = 0
    y[:] = 1
    step()
    assert np.allclose(a, expected, rtol=0, atol=tol)
    calls = 0 if spies[dtype] is None else spies[dtype].calls
    assert calls == (2 if use_cblas else 0)


def test_numpy_cblas_found():
    """A numpy wheel bundles OpenBLAS, and _blas finds its ?ger for both dtypes."""
    if not _bundles_openblas():
        pytest.skip("this numpy bundles no OpenBLAS (not a wheel install)")
    assert _blas._numpy_blas_libraries()
    for dtype in (np.float64, np.float32):
        fn = _blas.numpy_cblas_ger(dtype)
        assert fn is not None, dtype
        assert _blas._works(fn, dtype)


@pytest.mark.parametrize("use_cblas", [True, False])
def test_simulation_uses_the_cblas_path(use_cblas, monkeypatch, seed, spies):
    """nengo.Simulator applies the change through CBLAS, or NumPy when disabled."""
    if use_cblas and not _bundles_openblas():
        pytest.skip("this numpy bundles no OpenBLAS (not a wheel install)")
    if not use_cblas:
        monkeypatch.setenv("NENGO_HPES_NUMPY_GER", "0")
    net = weights_net(HPES(1e-3, supervision_ratio=0.5), "ens", seed)
    _, w = run_weights(nengo.Simulator, net, steps=20)
    assert np.abs(w[-1] - w[0]).max() > 0
    calls = 0 if spies[np.float64] is None else spies[np.float64].calls
    # one call per step (the first at the step after the first change)
    assert calls == (20 if use_cblas else 0)


def test_numpy_cblas_can_be_disabled(monkeypatch):
    monkeypatch.setenv("NENGO_HPES_NUMPY_GER", "0")
    assert _blas.numpy_cblas_ger(np.float64) is None
    assert _blas.numpy_cblas_ger(np.int64) is None


def test_non_contiguous_uses_numpy(rng, spies):
    a = rng.uniform(-1, 1, (6, 8))[:, ::2]  # not C-contiguous
    x, y = rng.uniform(size=6), rng.uniform(size=4)
    expected = a + np.outer(x, y)
    _blas.rank_one_inc(x, y, a)()
    assert np.allclose(a, expected, rtol=0, atol=1e-15)
    assert spies[np.float64] is None or spies[np.float64].calls == 0


# --- non-finite values (issue 17, item 3): NumPy's error handling on both paths


@pytest.mark.parametrize("use_cblas", [True, False])
@pytest.mark.parametrize(
    "x0, y0, a0",
    [(np.inf, 0.0, 0.0), (np.inf, 1.0, -np.inf), (-np.inf, 0.5, np.inf)],
    ids=["inf*0", "inf-inf", "-inf+inf"],
)
def test_non_finite_raises_like_numpy(use_cblas, x0, y0, a0, monkeypatch, spies):
    """inf * 0 or inf - inf raise FloatingPointError under invalid="raise"."""
    if use_cblas and spies[np.float64] is None:
        pytest.skip("numpy has no CBLAS ?ger here (see test_numpy_cblas_found)")
    if not use_cblas:
        monkeypatch.setenv("NENGO_HPES_NUMPY_GER", "0")
    x = np.array([1.0, x0, 2.0])
    y = np.array([y0, 3.0])
    a = np.zeros((3, 2))
    a[1, 0] = a0
    expected = a.copy()
    step = _blas.rank_one_inc(x, y, a)
    with np.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError, match="invalid value"):
            step()
        with pytest.raises(FloatingPointError):  # what nengo.PES's ops do
            expected += np.outer(x, y)
    with np.errstate(invalid="ignore"):
        step()  # without the error setting: NumPy's NaN, on either path
        expected += np.outer(x, y)
    assert np.isnan(a[1, 0])
    assert np.array_equal(a, expected, equal_nan=True)
    if spies[np.float64] is not None:
        assert spies[np.float64].calls == 0  # CBLAS never saw the inf


@pytest.mark.parametrize("use_cblas", [True, False])
def test_nan_factors_propagate_like_numpy(use_cblas, monkeypatch, spies):
    """NaN is not an invalid operation for NumPy: both paths write NaN, no error."""
    if not use_cblas:
        monkeypatch.setenv("NENGO_HPES_NUMPY_GER", "0")
    x, y, a = np.array([np.nan, 1.0]), np.array([1.0, 2.0]), np.zeros((2, 2))
    with np.errstate(invalid="raise"):
        _blas.rank_one_inc(x, y, a)()
    assert np.isnan(a[0]).all() and np.array_equal(a[1], [1.0, 2.0])


def _overflowing_net(rule, seed):
    """A learned connection whose error overflows to inf after 10 ms."""
    with nengo.Network(seed=seed) as net:
        a = nengo.Ensemble(20, 1)
        b = nengo.Ensemble(20, 1)
        nengo.Connection(nengo.Node(np.sin), a)
        conn = nengo.Connection(
            a, b, solver=nengo.solvers.LstsqL2(weights=True), learning_rule_type=rule
        )
        big = nengo.Node(lambda t: 1e300 if t > 0.01 else 0.0)
        # 1e300 * 1e10 overflows (a RuntimeWarning) to inf in the error
        nengo.Connection(big, conn.learning_rule, transform=1e10, synapse=None)
    return net


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("use_cblas", [True, False])
@pytest.mark.parametrize("s", [1.0, 0.5])
def test_inf_error_raises_in_simulation_like_pes(use_cblas, s, monkeypatch, seed):
    if not use_cblas:
        monkeypatch.setenv("NENGO_HPES_NUMPY_GER", "0")
    with nengo.Simulator(_overflowing_net(nengo.PES(), seed)) as sim:
        with pytest.raises(FloatingPointError):
            sim.run_steps(50)
    with nengo.Simulator(_overflowing_net(HPES(supervision_ratio=s), seed)) as sim:
        with pytest.raises(FloatingPointError, match="invalid value"):
            sim.run_steps(50)
        assert 0.01 < sim.time < 0.02  # at the first inf, not later
