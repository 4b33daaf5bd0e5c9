"""
Offline least-squares readouts: the ceiling that an online rule can approach.

`lstsq_readout` solves ridge regression from activities (rates, spike counts)
to one-hot labels, block by block; `offline_accuracy` applies it to the
steady-state rates of a classifier's hidden layer
(`nengo_hpes.experiments.encoders.FeatureLayer`).
"""

import numpy as np

from nengo_hpes.experiments.validation import (
    check_images,
    check_int,
    check_number,
    fail,
)


def lstsq_readout(blocks, n_classes, reg=0.01):
    """
    Least-squares decoders from activities to one-hot labels (ridge).

    Accumulates ``A.T @ A`` and ``A.T @ Y`` over blocks of activities ``A``
    and one-hot targets ``Y``, then solves with nengo's
    `~nengo.solvers.LstsqL2` regularisation: ``n * (reg * max(A))**2`` on the
    diagonal, ``n`` the number of samples. No bias term (rates and spike
    counts are >= 0 and a silent input predicts nothing).

    Parameters
    ----------
    blocks : iterable of (activities, labels)
        ``(m, n_inputs)`` activities (rates, counts...) and ``(m,)`` labels.
    n_classes : int
        Number of classes (one-hot width).
    reg : float, optional
        Regularisation relative to the largest activity (>= 0).

    Returns
    -------
    (n_inputs, n_classes) ndarray
        Decoders: the predicted class is ``argmax(activities @ decoders)``.
    """
    n_classes = check_int("n_classes", n_classes, low=1)
    reg = check_number("reg", reg, low=0)
    gram = rhs = None
    a_max, n = 0.0, 0
    for a, y in blocks:
        a = np.asarray(a, dtype=np.float64)
        if gram is None:
            gram = np.zeros((a.shape[1], a.shape[1]))
            rhs = np.zeros((a.shape[1], n_classes))
        gram += a.T @ a
        rhs += a.T @ np.eye(n_classes)[np.asarray(y)]
        a_max = max(a_max, float(a.max(initial=0.0)))
        n += len(a)
    if gram is None or n == 0:
        fail("blocks", "Must hold at least one sample")
    gram[np.diag_indices_from(gram)] += n * (reg * a_max) ** 2
    return np.linalg.solve(gram, rhs)


def offline_accuracy(features, train, test, n_classes=None, reg=0.01, chunk=5000):
    """
    Test accuracy of a least-squares readout of the hidden rates (no spikes).

    The ceiling that an online rule learning the same readout can approach:
    ridge regression from the steady-state hidden rates to one-hot labels
    (`lstsq_readout`), predictions by the largest output.

    Parameters
    ----------
    features : FeatureLayer
        The hidden layer.
    train, test : (images, labels)
        As for `.classifier.run_classifier`.
    n_classes : int, optional
        Default: the largest label + 1.
    reg : float, optional
        Regularisation relative to the largest rate.
    chunk : int, optional
        Images per block when accumulating (bounds the memory).

    Returns
    -------
    float
    """
    x_train, y_train = check_images("train", *train, features.n_pixels)
    x_test, y_test = check_images("test", *test, features.n_pixels)
    if n_classes is None:
        n_classes = int(max(y_train.max(), y_test.max())) + 1
    decoders = lstsq_readout(
        (
            (features.rates(x_train[s : s + chunk]), y_train[s : s + chunk])
            for s in range(0, len(x_train), chunk)
        ),
        n_classes,
        reg,
    )
    correct = 0
    for s in range(0, len(x_test), chunk):
        out = features.rates(x_test[s : s + chunk]) @ decoders
        correct += int(np.sum(out.argmax(axis=1) == y_test[s : s + chunk]))
    return correct / len(x_test)
