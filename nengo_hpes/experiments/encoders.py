"""
Fixed input encoders for image classifiers: Gaussian and masked Gabor.

A masked Gabor encoder is a small Gabor patch (11 x 11 pixels by default)
placed at a random position in an otherwise zero image, so each hidden neuron
sees one oriented edge detector in one part of the image. This is the
encoder design of nengo-extras' single-layer MNIST example (Gabor parameters
drawn from the same ranges), implemented here from the formula. Every
encoder is returned with unit norm, as nengo normalises ensemble encoders.
"""

import numpy as np
from nengo.dists import Choice, Distribution, Uniform
from nengo.exceptions import ValidationError

ENCODER_KINDS = ("gabor", "gaussian")

# Gabor parameter distributions (the ranges of nengo-extras' Gabor defaults)
GABOR_THETA = Uniform(-np.pi, np.pi)
GABOR_FREQ = Uniform(0.2, 2.0)
GABOR_PHASE = Uniform(-np.pi, np.pi)
GABOR_SIGMA = Choice([0.45])


def _rng(rng):
    return rng if isinstance(rng, np.random.RandomState) else np.random.RandomState(rng)


def _check_shape(name, shape):
    try:
        ok = len(shape) == 2 and all(int(s) == s and s >= 1 for s in shape)
    except TypeError:
        ok = False
    if not ok:
        raise ValidationError(
            f"Must be two positive integers (got {shape!r})", attr=name
        )
    return int(shape[0]), int(shape[1])


def _check_count(name, n):
    if not (np.ndim(n) == 0 and int(n) == n and n >= 1):
        raise ValidationError(f"Must be an integer >= 1 (got {n!r})", attr=name)
    return int(n)


def _unit_rows(x):
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def gabor_patches(
    n,
    shape=(11, 11),
    theta=GABOR_THETA,
    freq=GABOR_FREQ,
    phase=GABOR_PHASE,
    sigma=GABOR_SIGMA,
    rng=None,
):
    r"""
    Random Gabor patches.

    On a grid spanning [-1, 1] along each axis, with coordinates rotated by
    :math:`\theta` (:math:`u = x\cos\theta + y\sin\theta`,
    :math:`v = -x\sin\theta + y\cos\theta`), a patch is

    .. math:: g(x, y) = \exp\left(-\frac{u^2 + v^2}{2 \sigma^2}\right)
              \cos(2 \pi f u + \phi)

    Parameters
    ----------
    n : int
        Number of patches.
    shape : (int, int), optional
        Patch shape (rows, columns).
    theta, freq, phase, sigma : `~nengo.dists.Distribution`, optional
        Distributions of the orientation :math:`\theta` (radians), the
        frequency :math:`f` (cycles per half-width of the patch), the phase
        :math:`\phi` and the envelope width :math:`\sigma` (in half-widths).
    rng : `numpy.random.RandomState` or int, optional
        Random generator or seed.

    Returns
    -------
    (n, rows, columns) ndarray
    """
    n = _check_count("n", n)
    rows, cols = _check_shape("shape", shape)
    rng = _rng(rng)
    for name, dist in (("theta", theta), ("freq", freq), ("phase", phase)):
        if not isinstance(dist, Distribution):
            raise ValidationError(
                f"Must be a nengo Distribution (got {dist!r})", attr=name
            )
    if not isinstance(sigma, Distribution):
        raise ValidationError(
            f"Must be a nengo Distribution (got {sigma!r})", attr="sigma"
        )
    th = theta.sample(n, rng=rng)[:, None, None]
    f = freq.sample(n, rng=rng)[:, None, None]
    ph = phase.sample(n, rng=rng)[:, None, None]
    sg = sigma.sample(n, rng=rng)[:, None, None]
    if np.any(sg <= 0):
        raise ValidationError("Must give values > 0", attr="sigma")

    y, x = np.meshgrid(
        np.linspace(-1, 1, rows), np.linspace(-1, 1, cols), indexing="ij"
    )
    u = x * np.cos(th) + y * np.sin(th)
    v = -x * np.sin(th) + y * np.cos(th)
    return np.exp(-(u**2 + v**2) / (2 * sg**2)) * np.cos(2 * np.pi * f * u + ph)


def place_patches(patches, image_shape, rng=None):
    """
    Put each patch at a uniformly random position in an otherwise zero image.

    Parameters
    ----------
    patches : (n, rows, columns) array_like
        The patches; each must fit in the image.
    image_shape : (int, int)
        Image shape (rows, columns).
    rng : `numpy.random.RandomState` or int, optional
        Random generator or seed.

    Returns
    -------
    (n, image_rows * image_columns) ndarray
        One flattened (row-major) image per patch.
    """
    patches = np.asarray(patches, dtype=np.float64)
    if patches.ndim != 3:
        raise ValidationError(
            f"Must be a 3-D array (n, rows, columns) (got shape {patches.shape})",
            attr="patches",
        )
    height, width = _check_shape("image_shape", image_shape)
    n, rows, cols = patches.shape
    if rows > height or cols > width:
        raise ValidationError(
            f"Patches ({rows} x {cols}) must fit in the image " f"({height} x {width})",
            attr="image_shape",
        )
    rng = _rng(rng)
    top = rng.randint(0, height - rows + 1, size=n)
    left = rng.randint(0, width - cols + 1, size=n)
    out = np.zeros((n, height, width))
    for k in range(n):
        out[k, top[k] : top[k] + rows, left[k] : left[k] + cols] = patches[k]
    return out.reshape(n, -1)


def gabor_encoders(n, image_shape, patch_shape=(11, 11), rng=None, **gabor_kwargs):
    """
    Unit-norm masked Gabor encoders: one random Gabor patch per encoder.

    Parameters
    ----------
    n : int
        Number of encoders (hidden neurons).
    image_shape : (int, int)
        Image shape (rows, columns).
    patch_shape : (int, int), optional
        Gabor patch shape; clipped to the image shape.
    rng : `numpy.random.RandomState` or int, optional
        Random generator or seed.
    **gabor_kwargs
        Distributions passed to `gabor_patches` (``theta``, ``freq``,
        ``phase``, ``sigma``).

    Returns
    -------
    (n, image_rows * image_columns) ndarray
    """
    height, width = _check_shape("image_shape", image_shape)
    rows, cols = _check_shape("patch_shape", patch_shape)
    rng = _rng(rng)
    patches = gabor_patches(
        n, (min(rows, height), min(cols, width)), rng=rng, **gabor_kwargs
    )
    return _unit_rows(place_patches(patches, (height, width), rng=rng))


def gaussian_encoders(n, dimensions, rng=None):
    """
    Unit-norm encoders with independent Gaussian entries (uniform on the sphere).

    Parameters
    ----------
    n : int
        Number of encoders.
    dimensions : int
        Dimensionality (pixels per image).
    rng : `numpy.random.RandomState` or int, optional
        Random generator or seed.

    Returns
    -------
    (n, dimensions) ndarray
    """
    n = _check_count("n", n)
    dimensions = _check_count("dimensions", dimensions)
    return _unit_rows(_rng(rng).randn(n, dimensions))


def make_encoders(kind, n, image_shape, rng=None):
    """
    Encoders of a named kind for images of ``image_shape``.

    Parameters
    ----------
    kind : {"gabor", "gaussian"}
        `gabor_encoders` (11 x 11 patches, smaller images get image-sized
        patches) or `gaussian_encoders`.
    n : int
        Number of encoders.
    image_shape : (int, int)
        Image shape (rows, columns).
    rng : `numpy.random.RandomState` or int, optional
        Random generator or seed.

    Returns
    -------
    (n, image_rows * image_columns) ndarray
    """
    height, width = _check_shape("image_shape", image_shape)
    if kind == "gabor":
        return gabor_encoders(n, (height, width), rng=rng)
    if kind == "gaussian":
        return gaussian_encoders(n, height * width, rng=rng)
    raise ValidationError(
        f"Must be one of {ENCODER_KINDS} (got {kind!r})", attr="encoders"
    )
