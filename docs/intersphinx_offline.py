"""
Intersphinx inventories for an offline docs build.

Sphinx's intersphinx downloads each project's ``objects.inv`` when the docs are
built. The build machines of this project reach package registries only, so
instead this module writes the inventories itself, from the lists below: each
entry is an object these docs link to, the page of the project's published docs
that documents it, and the name it is documented under there. ``conf.py`` calls
`mapping`, which writes the inventories (into ``build/docs/inv``) and returns
``intersphinx_mapping`` pointing at the real sites, so the links in the built
pages go to nengo.ai, numpy.org and docs.python.org.

How the lists were made, and how to extend them:

* **Names and pages** come from the sources of each project's docs at the
  version installed here: nengo v4.1.0 (``docs/frontend-api.rst``,
  ``docs/backend-api.rst``; the classes that its ``conf.py`` lists in
  ``autoautosummary_change_modules`` are documented under the ``nengo``
  namespace, e.g. ``nengo.PES``, ``nengo.Lowpass``, ``nengo.builder.Operator``,
  the rest under their module, e.g. ``nengo.synapses.Synapse``), nengo-dl
  v3.6.0 (``docs/reference.rst``: everything on ``reference.html``), numpy
  (every function, class and method on its own page,
  ``reference/generated/<name>.html``) and Python 3 (the page of the module,
  or of the built-in functions, types and constants).
* **Roles** (class, function, method, ...) are read from the installed
  objects: `mapping` imports every listed name and fails if one is missing,
  so a renamed or removed object is caught when the docs are built.
* A new cross-reference to one of these projects needs its name added below
  (the nitpicky build fails until it is). Check the page on the real site.

Run ``python docs/intersphinx_offline.py`` to write the inventories and list
their entries.
"""

import builtins
import importlib
import inspect
import pathlib
import sys
import zlib

#: project -> (base URL, version documented, {page: [names]}). A page with a
#: "{name}" is a pattern (one page per object).
PROJECTS = {
    "python": (
        "https://docs.python.org/3/",
        "3",
        {
            "library/functions.html": ["int", "float", "bool", "callable"],
            "library/stdtypes.html": ["str", "dict", "list", "tuple"],
            "library/constants.html": ["None"],
            "library/exceptions.html": ["ImportError", "ValueError"],
            "library/sys.html": ["sys.meta_path"],
            "library/ctypes.html": ["ctypes"],
            "library/functools.html": ["functools.lru_cache"],
            "library/pathlib.html": ["pathlib.Path"],
            "library/os.html": ["os.environ"],
        },
    ),
    "numpy": (
        "https://numpy.org/doc/stable/",
        "1.23",
        {
            "reference/generated/{name}.html": [
                "numpy.ndarray",
                "numpy.outer",
                "numpy.random.RandomState",
            ],
        },
    ),
    "matplotlib": (
        "https://matplotlib.org/stable/",
        "3",
        {"api/_as_gen/{name}.html": ["matplotlib.figure.Figure"]},
    ),
    "scipy": (
        "https://docs.scipy.org/doc/scipy/",
        "1",
        {"reference/generated/{name}.html": ["scipy.linalg.blas.dger"]},
    ),
    "nengo": (
        "https://www.nengo.ai/nengo/",
        "4.1.0",
        {
            "frontend-api.html": [
                "nengo.Network",
                "nengo.Ensemble",
                "nengo.ensemble.Neurons",
                "nengo.Node",
                "nengo.Connection",
                "nengo.connection.LearningRule",
                "nengo.Probe",
                "nengo.PES",
                "nengo.BCM",
                "nengo.learning_rules.LearningRuleType",
                "nengo.dists.Distribution",
                "nengo.neurons.NeuronType",
                "nengo.LIF",
                "nengo.LIFRate",
                "nengo.RectifiedLinear",
                "nengo.SpikingRectifiedLinear",
                "nengo.Lowpass",
                "nengo.Alpha",
                "nengo.Direct",
                "nengo.synapses.Synapse",
                "nengo.solvers.LstsqL2",
                "nengo.Process",
            ],
            "backend-api.html": [
                "nengo.Simulator",
                "nengo.builder.Model",
                "nengo.builder.Builder",
                "nengo.builder.Operator",
                "nengo.builder.Signal",
                "nengo.builder.operator.Copy",
                "nengo.builder.operator.ElementwiseInc",
                "nengo.builder.learning_rules.SimBCM",
                "nengo.builder.learning_rules.SimPES",
                "nengo.builder.processes.SimProcess",
                "nengo.exceptions.ValidationError",
                "nengo.exceptions.BuildError",
            ],
        },
    ),
    "nengo_dl": (
        "https://www.nengo.ai/nengo-dl/",
        "3.6.0",
        {
            "reference.html": [
                "nengo_dl.Simulator",
                "nengo_dl.simulator.SimulationData",
                "nengo_dl.configure_settings",
                "nengo_dl.builder.Builder",
                "nengo_dl.builder.NengoBuilder",
                "nengo_dl.builder.OpBuilder",
                "nengo_dl.signals.SignalDict",
            ],
        },
    ),
}


def resolve(name):
    """Import the object documented as ``name`` (a dotted path, or a builtin)."""
    if name == "None":
        return None
    if "." not in name and hasattr(builtins, name):
        return getattr(builtins, name)
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)  # AttributeError: the name is wrong
        return obj
    raise ImportError(f"cannot import any part of {name!r}")


def role(name, obj):
    """The Python-domain role under which Sphinx would document ``obj``."""
    if name == "None" or name in ("sys.meta_path", "os.environ"):
        return "py:data"
    if inspect.ismodule(obj):
        return "py:module"
    if inspect.isclass(obj):
        return "py:exception" if issubclass(obj, BaseException) else "py:class"
    parent = name.rsplit(".", 1)[0] if "." in name else ""
    if inspect.isroutine(obj):
        if parent and inspect.isclass(resolve(parent)):
            return "py:method"
        return "py:function"
    return "py:attribute" if parent and inspect.isclass(resolve(parent)) else "py:data"


def entries(project):
    """``(name, role, uri)`` for every name listed for ``project``."""
    _, _, pages = PROJECTS[project]
    out = []
    for page, names in pages.items():
        for name in names:
            role_ = role(name, resolve(name))
            anchor = f"module-{name}" if role_ == "py:module" else name
            out.append((name, role_, page.format(name=name) + "#" + anchor))
    return out


def write_inventory(project, path):
    """Write ``project``'s inventory (Sphinx ``objects.inv`` format 2) to ``path``."""
    _, version, _ = PROJECTS[project]
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = "".join(
        f"{name} {role_} 1 {uri} -\n" for name, role_, uri in entries(project)
    )
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))
    return path


def mapping(folder):
    """Write every inventory into ``folder``; return ``intersphinx_mapping``."""
    return {
        project: (url, str(write_inventory(project, pathlib.Path(folder) / project)))
        for project, (url, _, _) in PROJECTS.items()
    }


if __name__ == "__main__":
    root = pathlib.Path(__file__).resolve().parents[1]
    folder = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "build/docs/inv"
    for project, (url, _) in mapping(folder).items():
        for name, role_, uri in entries(project):
            print(f"{project:9s} {role_:13s} {name:45s} {url}{uri}")
