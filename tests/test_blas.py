"""The in-place rank-one update used to apply HPES's change to the weights."""

import numpy as np
import pytest

from nengo_hpes import _blas


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("use_cblas", [True, False])
def test_rank_one_inc(dtype, use_cblas, monkeypatch, rng):
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


def test_numpy_cblas_found_on_wheel_numpy():
    """numpy's own BLAS provides ?ger here (a numpy wheel install)."""
    if not _blas._numpy_blas_libraries():
        pytest.skip("this numpy bundles no BLAS library (not a wheel install)")
    assert _blas.numpy_cblas_ger(np.float64) is not None
    assert _blas.numpy_cblas_ger(np.float32) is not None


def test_numpy_cblas_can_be_disabled(monkeypatch):
    monkeypatch.setenv("NENGO_HPES_NUMPY_GER", "0")
    assert _blas.numpy_cblas_ger(np.float64) is None
    assert _blas.numpy_cblas_ger(np.int64) is None


def test_non_contiguous_uses_numpy(rng):
    a = rng.uniform(-1, 1, (6, 8))[:, ::2]  # not C-contiguous
    x, y = rng.uniform(size=6), rng.uniform(size=4)
    expected = a + np.outer(x, y)
    _blas.rank_one_inc(x, y, a)()
    assert np.allclose(a, expected, rtol=0, atol=1e-15)
