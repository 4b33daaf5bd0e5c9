"""Metrics used to judge learned networks (no simulator dependencies)."""

import numpy as np
from nengo.exceptions import ValidationError
from scipy import stats


def gini_index(weights, axis=None):
    r"""
    Gini index of the absolute values of a weight matrix: 0 dense, 1 sparse.

    The measure used by Bekolay et al. (2013) to show that BCM sparsifies
    weights (Hurley & Rickard, 2009). For sorted magnitudes
    :math:`c_{(1)} \le \dots \le c_{(N)}`:

    .. math:: G = 1 - 2 \sum_{k=1}^{N} \frac{c_{(k)}}{\|c\|_1}
                  \frac{N - k + 1/2}{N}

    Parameters
    ----------
    weights : array_like
        The weights. Their absolute values are used.
    axis : int, optional
        Compute one index per slice along this axis' complement (e.g. ``axis=1``
        gives one index per row). None (default) uses every element.

    Returns
    -------
    float or ndarray
        The index; 0 where all magnitudes are zero.

    Examples
    --------
    Equal magnitudes are dense; one non-zero weight out of four is sparse:

    .. testcode::

       from nengo_hpes.experiments.metrics import gini_index

       print(gini_index([1, -1, 1, 1]), gini_index([0, 0, 0, 2]))
       print(gini_index([[1, 1, 1, 1], [0, 0, 0, 5]], axis=1))

    .. testoutput::

       0.0 0.75
       [0.   0.75]
    """
    c = np.abs(np.asarray(weights, dtype=np.float64))
    if c.size == 0:
        raise ValidationError(
            "Must have at least one element (got an empty array)", attr="weights"
        )
    if axis is None:
        c = c.reshape(1, -1)
        axis = 1
        squeeze = True
    else:
        squeeze = False
    c = np.sort(np.moveaxis(c, axis, -1), axis=-1)
    n = c.shape[-1]
    k = np.arange(1, n + 1)
    total = c.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = 1 - 2 * np.sum(c / total * (n - k + 0.5) / n, axis=-1)
    g = np.where(total[..., 0] > 0, g, 0.0)
    return float(g[0]) if squeeze else g


def rmse(actual, target, axis=None):
    """
    Root mean squared error between two arrays.

    Parameters
    ----------
    actual, target : array_like
        The arrays (broadcast against each other).
    axis : int, optional
        Average along this axis only. None (default) averages everything.

    Returns
    -------
    float or ndarray

    Examples
    --------
    .. testcode::

       from nengo_hpes.experiments.metrics import rmse

       print(rmse([[0, 0], [3, 4]], 0, axis=1))

    .. testoutput::

       [0.         3.53553391]
    """
    actual = np.asarray(actual)
    target = np.asarray(target)
    return np.sqrt(np.mean((actual - target) ** 2, axis=axis))


def paired_difference(a, b, confidence=0.95):
    r"""
    Mean of the paired differences ``a - b`` and its Student-t confidence interval.

    For comparing two rules run with the same seeds (the same network, data
    order and noise for each pair): the differences :math:`d_k = a_k - b_k`
    have mean :math:`\bar d` and sample standard deviation :math:`s`, and the
    interval is :math:`\bar d \pm t_{(1+c)/2,\,n-1}\, s / \sqrt{n}`. Pairing
    removes the seed-to-seed spread that both rules share.

    Parameters
    ----------
    a, b : array_like
        One value per seed each, in the same seed order (at least 2 seeds).
    confidence : float, optional
        Confidence level of the interval, in (0, 1). Default 0.95.

    Returns
    -------
    mean, low, high : float
        The mean difference and the interval's ends.

    Examples
    --------
    .. testcode::

       from nengo_hpes.experiments.metrics import paired_difference

       mean, low, high = paired_difference([0.95, 0.96, 0.94], [0.94, 0.94, 0.93])
       print(f"{mean:.4f} [{low:.4f}, {high:.4f}]")

    .. testoutput::

       0.0133 [-0.0010, 0.0277]
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValidationError(
            f"a and b must be 1-D with the same length (got shapes {a.shape} and "
            f"{b.shape})",
            attr="a",
        )
    if a.size < 2:
        raise ValidationError(f"need at least 2 paired values (got {a.size})", attr="a")
    if not 0 < confidence < 1:
        raise ValidationError(
            f"confidence must be in (0, 1) (got {confidence})", attr="confidence"
        )
    d = a - b
    mean = float(d.mean())
    half = float(
        stats.t.ppf((1 + confidence) / 2, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    )
    return mean, mean - half, mean + half


def confusion_matrix(labels, predictions, n_classes):
    """
    Count matrix ``C[true, predicted]``.

    Parameters
    ----------
    labels, predictions : (n,) array_like of int
        True and predicted classes, in ``[0, n_classes)``.
    n_classes : int
        Number of classes.

    Returns
    -------
    (n_classes, n_classes) ndarray of int
        Rows are true classes, columns predicted ones; it sums to ``n``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    predictions = np.asarray(predictions, dtype=np.int64)
    return np.bincount(
        labels * n_classes + predictions, minlength=n_classes * n_classes
    ).reshape(n_classes, n_classes)


def response_correlation(a, b):
    """
    Correlation of two multidimensional time series, each dimension centred.

    Each column (dimension) of ``a`` and ``b`` is centred on its own mean,
    then the columns are correlated together (Pearson over every sample of
    every dimension). A constant offset in one dimension therefore does not
    count as a response; what counts is moving in the same direction at the
    same time.

    Parameters
    ----------
    a, b : array_like
        Arrays of the same shape ``(n_samples, n_dims)`` (or ``(n_samples,)``).

    Returns
    -------
    float
        In [-1, 1]; NaN if either array is constant.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValidationError(
            f"Must be an array of the same shape as a {a.shape} (got {b!r})", attr="b"
        )
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    denom = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / denom) if denom > 0 else float("nan")
