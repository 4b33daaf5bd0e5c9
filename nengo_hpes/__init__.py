"""
nengo_hpes: the hPES learning rule (supervised PES + unsupervised BCM) for Nengo.

Use ``nengo.Connection(..., learning_rule_type=nengo_hpes.HPES(...))``.
"""

# Importing the builder registers build_hpes with nengo's Builder (registration
# is an import side effect, as in nengo.builder)
from nengo_hpes import builder  # noqa: F401
from nengo_hpes.dl_hook import install_dl_builders_on_import
from nengo_hpes.learning_rules import HPES
from nengo_hpes.version import version as __version__

__all__ = ["HPES", "__version__"]

# The NengoDL op builders import TensorFlow, so they are registered only once
# nengo_dl is imported (now, if it already is); see nengo_hpes.dl_hook
install_dl_builders_on_import()
