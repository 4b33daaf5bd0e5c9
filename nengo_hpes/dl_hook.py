"""
Optional dependencies, and the lazy registration of the NengoDL op builders.

NengoDL is optional. Its op builders for `.SimHPES` and `.RankOneInc` live in
`nengo_hpes.dl_builder`, which imports TensorFlow (slow to import), so
``import nengo_hpes`` does not import it. Instead, `install_dl_builders_on_import`
(called by the package ``__init__``) registers them

* at once, if ``nengo_dl`` is already imported, or
* right after ``nengo_dl`` is first imported, through a one-shot
  `sys.meta_path` hook that wraps the loader of the ``nengo_dl`` package (and
  nothing else), if ``nengo_dl`` is installed.

Either way the builders are in place before any `nengo_dl.Simulator` exists,
whatever the order of the imports, and a user who never imports ``nengo_dl``
never pays for TensorFlow. `install_dl_builders` registers them by hand.
"""

import importlib.abc
import importlib.util
import sys
import warnings


def _importable(name):
    """Whether ``name`` can be found, without importing it."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


HAS_NENGO_DL = _importable("nengo_dl")


def install_dl_builders():
    """
    Register the NengoDL op builders now (imports ``nengo_dl`` and TensorFlow).

    Idempotent: the registration is the import of `nengo_hpes.dl_builder`.
    """
    import nengo_hpes.dl_builder  # noqa: F401 (importing registers the builders)


class _RegisteringLoader(importlib.abc.Loader):
    """Runs ``nengo_dl``'s own loader, then registers the op builders."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        _remove_hooks()
        self.loader.exec_module(module)
        try:
            install_dl_builders()
        except Exception as e:  # pragma: no cover (a broken install)
            warnings.warn(
                f"nengo_hpes could not register its NengoDL builders ({e!r}); HPES "
                "will not build in nengo_dl.Simulator",
                stacklevel=2,
            )

    def __getattr__(self, name):  # e.g. get_resource_reader, is_package
        return getattr(self.loader, name)


class _NengoDLImportHook(importlib.abc.MetaPathFinder):
    """
    Finds ``nengo_dl`` with the other finders and wraps its loader.

    It stays in `sys.meta_path` until ``nengo_dl`` is executed: a mere
    ``importlib.util.find_spec("nengo_dl")`` (an optional-dependency check)
    must not use it up.
    """

    def find_spec(self, fullname, path, target=None):
        if fullname != "nengo_dl":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _RegisteringLoader(spec.loader)
                return spec
        return None


def _remove_hooks():
    sys.meta_path[:] = [
        f for f in sys.meta_path if not isinstance(f, _NengoDLImportHook)
    ]


def install_dl_builders_on_import():
    """Register the NengoDL op builders now or when ``nengo_dl`` is imported."""
    if sys.modules.get("nengo_dl") is not None:
        install_dl_builders()
    elif HAS_NENGO_DL and not any(
        isinstance(f, _NengoDLImportHook) for f in sys.meta_path
    ):
        sys.meta_path.insert(0, _NengoDLImportHook())
