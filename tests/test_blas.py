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
