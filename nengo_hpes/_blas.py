"""
In-place rank-one update ``A += outer(x, y)`` through numpy's own BLAS.

Why not `scipy.linalg.blas.dger`: numpy and scipy wheels each bundle their own
OpenBLAS, each with its own thread pool; numpy's computes the connection's
``W @ x``, so scipy's applying the update would make the two pools fight for
the cores every step (the benchmarks page has the timings). SciPy is also not a
dependency.

numpy does not expose ``?ger``, so `rank_one_inc` finds the CBLAS function in
the BLAS library bundled with numpy (``numpy.libs`` on Linux wheels) with
`ctypes`, checks it on a small problem, and otherwise falls back to NumPy with a
buffer allocated once.
"""

import ctypes
import glob
import math
import os

import numpy as np

_ROW_MAJOR = 101  # CblasRowMajor
_SYMBOLS = {
    # numpy >= 2 wheels (scipy-openblas64), numpy 1.x wheels (openblas64_), plain
    np.dtype(np.float64): ("scipy_cblas_dger64_", "cblas_dger64_", "cblas_dger"),
    np.dtype(np.float32): ("scipy_cblas_sger64_", "cblas_sger64_", "cblas_sger"),
}
_cache = {}


def _numpy_blas_libraries():
    """Shared libraries shipped inside the numpy installation."""
    root = os.path.dirname(np.__file__)
    patterns = [
        os.path.join(root, os.pardir, "numpy.libs", "*"),  # Linux wheels
        os.path.join(root, ".libs", "*"),
        os.path.join(root, ".dylibs", "*"),  # macOS wheels
    ]
    paths = sorted(p for pattern in patterns for p in glob.glob(pattern))
    return [p for p in paths if "blas" in os.path.basename(p).lower()]


def _bind(lib, name, dtype):
    try:
        fn = getattr(lib, name)
    except AttributeError:
        return None
    int_t = ctypes.c_int64 if "64_" in name else ctypes.c_int
    real_t = ctypes.c_double if dtype == np.float64 else ctypes.c_float
    ptr = ctypes.c_void_p
    fn.restype = None
    fn.argtypes = [ctypes.c_int, int_t, int_t, real_t, ptr, int_t, ptr, int_t]
    fn.argtypes += [ptr, int_t]
    return fn


def _works(fn, dtype):
    """Check the bound function on a small problem against NumPy."""
    a = np.zeros((3, 4), dtype=dtype)
    x = np.array([1.0, -2.0, 0.5], dtype=dtype)
    y = np.array([3.0, 0.25, -1.0, 2.0], dtype=dtype)
    fn(_ROW_MAJOR, 3, 4, 1.0, x.ctypes.data, 1, y.ctypes.data, 1, a.ctypes.data, 4)
    return np.array_equal(a, np.outer(x, y))


def numpy_cblas_ger(dtype):
    """
    Return numpy's own CBLAS ``?ger`` for ``dtype`` (float32/64), or None.

    The result is cached. Set the environment variable
    ``NENGO_HPES_NUMPY_GER=0`` to disable it (then `rank_one_inc` uses NumPy).
    """
    dtype = np.dtype(dtype)
    if os.environ.get("NENGO_HPES_NUMPY_GER", "1") == "0" or dtype not in _SYMBOLS:
        return None
    if dtype not in _cache:
        _cache[dtype] = None
        for path in _numpy_blas_libraries():
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for name in _SYMBOLS[dtype]:
                fn = _bind(lib, name, dtype)
                if fn is not None and _works(fn, dtype):
                    _cache[dtype] = fn
                    break
            if _cache[dtype] is not None:
                break
    return _cache[dtype]


def _numpy_inc(x, y, a, buffer=None):
    """``a += outer(x, y)`` with NumPy's ufuncs, as nengo's PES applies its delta."""
    np.multiply(x[:, None], y, out=buffer)  # np.outer's arithmetic
    np.add(a, buffer, out=a)


def rank_one_inc(x, y, a):
    """
    Return a function of no arguments that performs ``a += outer(x, y)`` in place.

    ``x``, ``y`` and ``a`` are the arrays the function will read and write each
    time it is called (their memory must not be reallocated, as with nengo's
    signal arrays). No temporary of ``a``'s size is made per call.

    Floating-point errors are NumPy's on both paths: when ``x`` or ``y`` holds a
    non-finite value, the CBLAS path does that step with NumPy's ufuncs (the
    multiply of `numpy.outer`, then an add, as nengo's ``SimPES`` and ``Copy``),
    so ``inf * 0`` or ``inf - inf`` raise ``FloatingPointError`` under nengo's
    ``np.seterr(invalid="raise")`` exactly as `nengo.PES` does. BLAS would write
    NaN silently. The check is two dot products of the factors per call.
    """
    fn = numpy_cblas_ger(a.dtype)
    usable = (
        fn is not None
        and a.ndim == 2
        and a.flags.c_contiguous
        and a.flags.writeable
        and x.dtype == y.dtype == a.dtype
        and x.flags.c_contiguous
        and y.flags.c_contiguous
    )
    if usable:
        m, n = a.shape
        px, py, pa = x.ctypes.data, y.ctypes.data, a.ctypes.data
        dot, isfinite = np.dot, math.isfinite

        def ger():
            # NaN and inf propagate into the sum (squares cannot cancel); an
            # overflow of the squares only sends a finite step to NumPy
            if isfinite(float(dot(x, x)) + float(dot(y, y))):
                fn(_ROW_MAJOR, m, n, 1.0, px, 1, py, 1, pa, n)
            else:
                _numpy_inc(x, y, a, np.empty(a.shape, dtype=a.dtype))

        ger.arrays = (x, y, a)  # keep the memory alive as long as the closure
        return ger

    buffer = np.empty(a.shape, dtype=a.dtype)

    def outer_add():
        _numpy_inc(x, y, a, buffer)

    return outer_add
