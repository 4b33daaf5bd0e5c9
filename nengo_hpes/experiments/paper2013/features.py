"""
50-D image features for Exp. 3 (Table 3): a stack of RBMs trained greedily.

The paper's features came from a sparse 4-RBM deep belief network
(784-1000-500-300-50, Tang 2010); their file (``data/60k10kinput.csv`` of
``tbekolay/cogsci2013``) is not available. This module trains the same kind
of model with scikit-learn's ``sklearn.neural_network.BernoulliRBM``: layer by
layer (greedy), each RBM on the hidden probabilities of the one below, on the
*training* images only (pixels scaled to [0, 1]). The features of an image are
the top layer's hidden probabilities (50 values in [0, 1]). No sparsity
penalty and no fine-tuning (scikit-learn's RBM has neither), so these are not
the paper's features, only features of the same size and kind.

Trained stacks are cached on disk as ``.npz`` files of the weights and biases
(no pickle), in ``$NENGO_HPES_CACHE/paper2013-rbm`` if that variable is set,
else in ``build/cache/paper2013-rbm`` under the current folder. The file name
is a SHA-256 of the settings (layer sizes, epochs, learning rate, batch size,
seed, scikit-learn version) and of the training images' bytes, so a change of
either trains a new stack.
"""

import hashlib
import json
import os
import pathlib
import time

import numpy as np
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.paper2013.rule import check_number

#: The paper's DBN layer sizes above the 784 pixels.
PAPER_LAYERS = (1000, 500, 300, 50)
#: Full-mode training settings (see docs/paper-2013-table3.md for their cost).
FULL_SETTINGS = dict(n_iter=5, learning_rate=0.1, batch_size=50)
CACHE_ENV = "NENGO_HPES_CACHE"


def cache_dir():
    """Cache folder: ``$NENGO_HPES_CACHE/paper2013-rbm`` or ``build/cache/...``."""
    root = os.environ.get(CACHE_ENV)
    root = pathlib.Path(root) if root else pathlib.Path("build") / "cache"
    return root / "paper2013-rbm"


def _check_images(images):
    images = np.asarray(images)
    if images.ndim != 2 or images.shape[0] < 1 or images.shape[1] < 1:
        raise ValidationError(
            f"Must be a 2-D array (n_images, n_pixels) with n_images >= 1 "
            f"(got shape {images.shape})",
            attr="images",
        )
    images = images.astype(np.float64)
    if not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 1:
        raise ValidationError(
            f"Must be pixels in [0, 1] (got range [{np.nanmin(images)!r}, "
            f"{np.nanmax(images)!r}]); scale uint8 pixels by 1/255",
            attr="images",
        )
    return images


def _check_layers(layers):
    try:
        layers = tuple(int(n) for n in layers)
        ok = len(layers) >= 1 and all(n >= 1 for n in layers)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValidationError(
            f"Must be a non-empty sequence of integers >= 1 (got {layers!r})",
            attr="layers",
        )
    return layers


class RBMStack:
    """
    A trained stack of Bernoulli RBMs: weights and biases per layer.

    ``weights[k]`` has shape (n_hidden_k, n_visible_k) (scikit-learn's
    ``components_``), ``hidden_biases[k]`` (n_hidden_k,), ``visible_biases[k]``
    (n_visible_k,). `transform` gives the top layer's hidden probabilities.
    """

    def __init__(self, weights, hidden_biases, visible_biases, info=None):
        self.weights = [np.asarray(w, dtype=np.float64) for w in weights]
        self.hidden_biases = [np.asarray(b, dtype=np.float64) for b in hidden_biases]
        self.visible_biases = [np.asarray(b, dtype=np.float64) for b in visible_biases]
        self.info = {} if info is None else dict(info)

    @property
    def layers(self):
        """Sizes: (n_pixels, n_hidden_1, ..., n_top)."""
        return (self.weights[0].shape[1],) + tuple(w.shape[0] for w in self.weights)

    def transform(self, images, depth=None):
        """Hidden probabilities of layer ``depth`` (default: top), pixels in [0, 1]."""
        x = _check_images(images)
        if x.shape[1] != self.layers[0]:
            raise ValidationError(
                f"Must have {self.layers[0]} pixels per image (got {x.shape[1]})",
                attr="images",
            )
        depth = len(self.weights) if depth is None else depth
        depth = check_number(
            "depth", depth, low=1, high=len(self.weights), integer=True
        )
        for w, b in zip(self.weights[:depth], self.hidden_biases[:depth]):
            x = 1.0 / (1.0 + np.exp(-(x @ w.T + b)))
        return x

    def save(self, path):
        """Write the stack to an ``.npz`` file (arrays and a JSON info string)."""
        arrays = {}
        for k, (w, bh, bv) in enumerate(
            zip(self.weights, self.hidden_biases, self.visible_biases)
        ):
            arrays[f"w{k}"], arrays[f"bh{k}"], arrays[f"bv{k}"] = w, bh, bv
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, info=json.dumps(self.info), n_layers=len(self.weights), **arrays)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path):
        """Read a stack written by `save`."""
        with np.load(path, allow_pickle=False) as f:
            n = int(f["n_layers"])
            return cls(
                [f[f"w{k}"] for k in range(n)],
                [f[f"bh{k}"] for k in range(n)],
                [f[f"bv{k}"] for k in range(n)],
                info=json.loads(str(f["info"])),
            )


def train_rbm_stack(
    images,
    layers=PAPER_LAYERS,
    n_iter=FULL_SETTINGS["n_iter"],
    learning_rate=FULL_SETTINGS["learning_rate"],
    batch_size=FULL_SETTINGS["batch_size"],
    seed=0,
    verbose=False,
):
    """
    Train a stack of scikit-learn ``BernoulliRBM`` layers greedily.

    Parameters
    ----------
    images : (n_images, n_pixels) array_like
        Training images, pixels in [0, 1].
    layers : sequence of int
        Hidden sizes, bottom to top (the paper: 1000, 500, 300, 50).
    n_iter : int
        Epochs per layer (>= 1).
    learning_rate : float
        scikit-learn's learning rate (> 0).
    batch_size : int
        Minibatch size (>= 1).
    seed : int
        Seeds every layer (layer k gets ``seed + k``).

    Returns
    -------
    `RBMStack`, with ``info`` holding the settings and each layer's wall time.
    """
    from sklearn import __version__ as sklearn_version
    from sklearn.neural_network import BernoulliRBM

    x = _check_images(images)
    n_pixels = int(x.shape[1])
    layers = _check_layers(layers)
    n_iter = check_number("n_iter", n_iter, low=1, integer=True)
    learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)
    batch_size = check_number("batch_size", batch_size, low=1, integer=True)
    seed = check_number("seed", seed, low=0, integer=True)
    weights, hbias, vbias, walls = [], [], [], []
    for k, n_hidden in enumerate(layers):
        start = time.perf_counter()
        rbm = BernoulliRBM(
            n_components=n_hidden,
            learning_rate=learning_rate,
            batch_size=batch_size,
            n_iter=n_iter,
            random_state=seed + k,
            verbose=verbose,
        ).fit(x)
        weights.append(rbm.components_)
        hbias.append(rbm.intercept_hidden_)
        vbias.append(rbm.intercept_visible_)
        x = rbm.transform(x)
        walls.append(time.perf_counter() - start)
    info = dict(
        layers=[n_pixels] + list(layers),
        n_iter=n_iter,
        learning_rate=learning_rate,
        batch_size=batch_size,
        seed=seed,
        n_images=int(len(x)),
        sklearn=sklearn_version,
        layer_wall_s=walls,
        wall_s=float(sum(walls)),
    )
    return RBMStack(weights, hbias, vbias, info=info)


def stack_key(images, **settings):
    """SHA-256 (hex, 16 characters) of the settings and the images' bytes."""
    from sklearn import __version__ as sklearn_version

    h = hashlib.sha256()
    h.update(
        json.dumps(dict(settings, sklearn=sklearn_version), sort_keys=True).encode()
    )
    images = np.ascontiguousarray(images)
    h.update(str((images.shape, images.dtype.str)).encode())
    h.update(images.tobytes())
    return h.hexdigest()[:16]


def cached_rbm_stack(
    images,
    layers=PAPER_LAYERS,
    n_iter=FULL_SETTINGS["n_iter"],
    learning_rate=FULL_SETTINGS["learning_rate"],
    batch_size=FULL_SETTINGS["batch_size"],
    seed=0,
    directory=None,
    verbose=False,
):
    """
    `train_rbm_stack`, or the stack cached on disk for the same settings and images.

    ``directory`` defaults to `cache_dir`. Returns ``(stack, path, from_cache)``.
    """
    layers = _check_layers(layers)
    settings = dict(
        layers=list(layers),
        n_iter=n_iter,
        learning_rate=learning_rate,
        batch_size=batch_size,
        seed=seed,
    )
    path = pathlib.Path(cache_dir() if directory is None else directory)
    path = path / f"rbm-{stack_key(images, **settings)}.npz"
    if path.exists():
        return RBMStack.load(path), path, True
    stack = train_rbm_stack(images, verbose=verbose, **settings)
    stack.save(path)
    return stack, path, False


def mnist_features(stack, images_uint8):
    """Top-layer features of uint8 MNIST images (scaled by 1/255)."""
    return stack.transform(np.asarray(images_uint8, dtype=np.float64) / 255.0)
