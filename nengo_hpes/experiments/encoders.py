"""
Fixed input encoders for image classifiers: Gaussian and masked Gabor.

A masked Gabor encoder is a small Gabor patch (11 x 11 pixels by default)
placed at a random position in an otherwise zero image, so each hidden neuron
sees one oriented edge detector in one part of the image. This is the
encoder design of nengo-extras' single-layer MNIST example (Gabor parameters
drawn from the same ranges), implemented here from the formula. Every
encoder is returned with unit norm, as nengo normalises ensemble encoders.
`FeatureLayer` is a classifier's fixed hidden layer built on these encoders.
"""

import dataclasses

import nengo
import numpy as np
from nengo.dists import Choice, Distribution, Uniform

from nengo_hpes.experiments.validation import (
    check_choice,
    check_int,
    check_number,
    check_shape,
    fail,
)

ENCODER_KINDS = ("gabor", "gaussian")

# Gabor parameter distributions (the ranges of nengo-extras' Gabor defaults)
GABOR_THETA = Uniform(-np.pi, np.pi)
GABOR_FREQ = Uniform(0.2, 2.0)
GABOR_PHASE = Uniform(-np.pi, np.pi)
GABOR_SIGMA = Choice([0.45])


def _rng(rng):
    return rng if isinstance(rng, np.random.RandomState) else np.random.RandomState(rng)


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
    n = check_int("n", n, low=1)
    rows, cols = check_shape("shape", shape)
    rng = _rng(rng)
    for name, dist in (("theta", theta), ("freq", freq), ("phase", phase)):
        if not isinstance(dist, Distribution):
            fail(name, f"Must be a nengo Distribution (got {dist!r})")
    if not isinstance(sigma, Distribution):
        fail("sigma", f"Must be a nengo Distribution (got {sigma!r})")
    th = theta.sample(n, rng=rng)[:, None, None]
    f = freq.sample(n, rng=rng)[:, None, None]
    ph = phase.sample(n, rng=rng)[:, None, None]
    sg = sigma.sample(n, rng=rng)[:, None, None]
    if np.any(sg <= 0):
        fail("sigma", f"Must give values > 0 (got min {sg.min():g})")

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
        fail(
            "patches",
            f"Must be a 3-D array (n, rows, columns) (got shape {patches.shape})",
        )
    height, width = check_shape("image_shape", image_shape)
    n, rows, cols = patches.shape
    if rows > height or cols > width:
        fail(
            "image_shape",
            f"Patches ({rows} x {cols}) must fit in the image ({height} x {width})",
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
    height, width = check_shape("image_shape", image_shape)
    rows, cols = check_shape("patch_shape", patch_shape)
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
    n = check_int("n", n, low=1)
    dimensions = check_int("dimensions", dimensions, low=1)
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
    height, width = check_shape("image_shape", image_shape)
    check_choice("encoders", kind, ENCODER_KINDS)
    if kind == "gabor":
        return gabor_encoders(n, (height, width), rng=rng)
    return gaussian_encoders(n, height * width, rng=rng)


@dataclasses.dataclass
class FeatureLayer:
    """
    The fixed hidden layer: encoders, gains and biases of its neurons.

    The input current of hidden neuron ``i`` for image ``x`` is
    ``gain[i] * encoders[i] @ x + bias[i]``.

    Attributes
    ----------
    encoders : (n_hidden, n_pixels) ndarray
        Unit-norm encoders.
    gain, bias : (n_hidden,) ndarray
        Gains and biases (from ``max_rate`` and ``intercept``).
    neuron_type : `~nengo.neurons.NeuronType`
        The hidden neurons' type.
    identity : bool
        Whether ``encoders`` is the identity (then the products with it are
        skipped: neuron ``i`` sees input ``i``).
    """

    encoders: np.ndarray
    gain: np.ndarray
    bias: np.ndarray
    neuron_type: nengo.neurons.NeuronType
    identity: bool = False

    @classmethod
    def create(
        cls,
        n_hidden,
        image_shape,
        encoders="gabor",
        max_rate=100.0,
        intercept=0.1,
        neuron_type=None,
        seed=None,
    ):
        """
        Make a hidden layer with encoders of a named kind (or given ones).

        Parameters
        ----------
        n_hidden : int
            Number of hidden neurons.
        image_shape : (int, int)
            Image shape (rows, columns).
        encoders : {"gabor", "gaussian", "identity"} or array_like
            Encoder kind (see `nengo_hpes.experiments.encoders.make_encoders`;
            ``"identity"``: one neuron per input value, which needs
            ``n_hidden == n_pixels``) or the encoders themselves, an
            ``(n_hidden, n_pixels)`` array (normalised to unit length).
        max_rate : float
            Firing rate of every neuron at ``encoder @ x = 1``, in Hz (> 0).
        intercept : float
            ``encoder @ x`` at which every neuron starts firing, in [0, 1).
        neuron_type : `~nengo.neurons.NeuronType`, optional
            Default `nengo.LIF`.
        seed : int, optional
            Seed of the encoders.
        """
        n_hidden = check_int("n_hidden", n_hidden, low=1)
        check_number("max_rate", max_rate, low=0, low_open=True)
        check_number("intercept", intercept, low=0, high=1, high_open=True)
        neuron_type = nengo.LIF() if neuron_type is None else neuron_type
        identity = isinstance(encoders, str) and encoders == "identity"
        if identity:
            n_pixels = int(np.prod(image_shape))
            if n_hidden != n_pixels:
                fail(
                    "n_hidden",
                    f"Must equal the number of pixels ({n_pixels}) for identity "
                    f"encoders (got {n_hidden})",
                )
            enc = np.eye(n_hidden)
        elif isinstance(encoders, str):
            check_choice("encoders", encoders, (*ENCODER_KINDS, "identity"))
            enc = make_encoders(encoders, n_hidden, image_shape, rng=seed)
        else:
            enc = np.asarray(encoders, dtype=np.float64)
            n_pixels = int(np.prod(image_shape))
            if enc.shape != (n_hidden, n_pixels):
                fail(
                    "encoders",
                    f"Must have shape (n_hidden, n_pixels) = {(n_hidden, n_pixels)} "
                    f"(got {enc.shape})",
                )
            norms = np.linalg.norm(enc, axis=1, keepdims=True)
            enc = enc / np.where(norms > 0, norms, 1)
        gain, bias = neuron_type.gain_bias(
            np.full(n_hidden, float(max_rate)), np.full(n_hidden, float(intercept))
        )
        return cls(enc, np.asarray(gain), np.asarray(bias), neuron_type, identity)

    @property
    def n_hidden(self):
        """Number of hidden neurons."""
        return self.encoders.shape[0]

    @property
    def n_pixels(self):
        """Pixels per image."""
        return self.encoders.shape[1]

    def project(self, images):
        """Encoder projections ``images @ encoders.T`` (float64)."""
        images = np.asarray(images, dtype=np.float64)
        return images.copy() if self.identity else images @ self.encoders.T

    def currents(self, images):
        """Input currents without the bias, ``gain * (images @ encoders.T)``."""
        return self.project(images) * self.gain

    def rates(self, images):
        """Steady-state firing rates (Hz) of the hidden neurons for ``images``."""
        return self.neuron_type.rates(self.project(images), self.gain, self.bias)
