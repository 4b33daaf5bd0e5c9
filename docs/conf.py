"""
Sphinx configuration of the nengo_hpes documentation.

Build with ``make docs`` (HTML in ``build/docs/html``, notebooks executed in quick
mode) or ``make docs-check`` (what ``make test`` runs: notebooks not executed,
then the doctest builder). Warnings are errors in both.
"""

import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import intersphinx_offline  # noqa: E402 (docs/intersphinx_offline.py)

import nengo_hpes  # noqa: E402
from nengo_hpes.experiments.data import MNIST_INSTALL  # noqa: E402

# -- project
project = "nengo_hpes"
author = "nengo_hpes developers"
copyright = "2025, nengo_hpes developers"
release = nengo_hpes.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # MathJax 3 copied into the site, so formulas render without a network
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "hpes_defaults",  # docs/hpes_defaults.py
    "repo_links",  # docs/repo_links.py
]

# -- sphinx
root_doc = "index"
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
nitpicky = True
default_role = "py:obj"
# Temporary, one entry per docstring outside docs/ that needs a fix (remove the
# entry with the fix):
nitpick_ignore = []
# Optuna and SQLAlchemy have no offline inventory here (docs/intersphinx_offline.py)
nitpick_ignore_regex = [("py:obj", r"(optuna|sqlalchemy)\..*")]
pygments_style = "sphinx"
templates_path = []

# -- sphinx.ext.autodoc
autoclass_content = "class"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": None}
# signatures show the `Default` sentinel as "Default", as nengo's docs do
autodoc_preserve_defaults = True
# a method that overrides nengo's or NengoDL's without a docstring of its own
# shows none (not theirs, whose cross-references point into their own docs)
autodoc_inherit_docstrings = False

# -- numpydoc (nengo's settings)
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- sphinx.ext.intersphinx, offline: see docs/intersphinx_offline.py
intersphinx_mapping = intersphinx_offline.mapping(ROOT / "build" / "docs" / "inv")
intersphinx_timeout = 1

# -- sphinx.ext.doctest
doctest_global_setup = """
import numpy as np
import nengo
import nengo_hpes
"""

# -- myst_parser / myst_nb
myst_enable_extensions = ["dollarmath", "colon_fence", "substitution"]
# pins are read from where they are kept, not repeated in the pages
myst_substitutions = {"mnist_install": f"`{MNIST_INSTALL}`"}
myst_heading_anchors = 3
# The notebooks are executed only when NENGO_HPES_DOCS_EXECUTE is set (make docs
# sets it; make test does not): in NENGO_HPES_NOTEBOOK_MODE, "quick" unless the
# caller chose "full". Results are cached by jupyter-cache per mode, so a
# rebuild re-executes only notebooks that changed.
NOTEBOOK_MODE = os.environ.setdefault("NENGO_HPES_NOTEBOOK_MODE", "quick")
if os.environ.get("NENGO_HPES_DOCS_EXECUTE", "") not in ("", "0"):
    nb_execution_mode = "cache"
else:
    nb_execution_mode = "off"
nb_execution_cache_path = str(ROOT / "build/docs" / f"jupyter-cache-{NOTEBOOK_MODE}")
nb_execution_timeout = 1800
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
# the notebooks display their tables as Markdown (GitHub-style tables)
nb_render_markdown_format = "gfm"

# -- HTML output
html_theme = "furo"
html_title = f"nengo_hpes {release}"
html_static_path = []
html_show_sourcelink = False
