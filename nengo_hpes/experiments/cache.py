"""
Where the NengoDL experiments cache their results, and what computed them.

The spiking CNN (`nengo_hpes.experiments.cnn`) saves its trained parameters
and spiking features under `default_cache_dir`, each file named by a hash
(`digest`) of everything it depends on, so a second run with the same
settings and data reuses them. `versions` and `machine` record what computed
a result.
"""

import hashlib
import json
import os
import pathlib
import platform

import nengo
import numpy as np

#: Environment variable naming the cache folder.
CACHE_VARIABLE = "NENGO_HPES_CACHE_DIR"
#: Version of the cached files' layout (part of every cache key).
CACHE_FORMAT = 1


def default_cache_dir(environ=None):
    """
    Folder of the cached CNN parameters and features.

    ``$NENGO_HPES_CACHE_DIR`` if set; otherwise ``build/cache`` in the
    source checkout that holds this package (next to ``setup.cfg``), or
    ``~/.cache/nengo_hpes`` for an installed package.
    """
    environ = os.environ if environ is None else environ
    if environ.get(CACHE_VARIABLE):
        return pathlib.Path(environ[CACHE_VARIABLE])
    root = pathlib.Path(__file__).resolve().parents[2]  # experiments, nengo_hpes
    if (root / "setup.cfg").is_file():
        return root / "build" / "cache"
    return pathlib.Path.home() / ".cache" / "nengo_hpes"


def digest(*parts):
    """A short hash of arrays and JSON-compatible values (a cache key)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(str((part.shape, part.dtype.str)).encode())
            h.update(np.ascontiguousarray(part).tobytes())
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def data_digest(images, labels=None):
    """A short hash of a data set (part of the cache keys)."""
    return digest(np.asarray(images), *(() if labels is None else (labels,)))


def file_digest(path):
    """A short hash of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def write_atomic(path, data):
    """
    Write ``data`` (str or bytes) to ``path`` through a temporary file.

    The temporary file is named after the process and moved into place with
    ``os.replace``, so a run killed while writing leaves no half-written file and
    two processes never write the same temporary file.
    """
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.replace(tmp, path)


def ensure_cache_dir(path=None):
    """``path`` (default `default_cache_dir`), created if missing."""
    path = default_cache_dir() if path is None else pathlib.Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def versions():
    """Versions of Python and the packages that computed the results."""
    out = {"python": platform.python_version(), "nengo": nengo.__version__}
    for name in ("numpy", "nengo_dl", "tensorflow"):
        try:
            module = __import__(name)
            out[name] = module.__version__
        except ImportError:  # pragma: no cover
            out[name] = None
    from nengo_hpes.version import version

    out["nengo_hpes"] = version
    return out


def machine():
    """The machine, in a few words (processor, cores, system)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": platform.platform(),
    }
