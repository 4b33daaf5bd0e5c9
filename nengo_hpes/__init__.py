"""
nengo_hpes: the hPES learning rule (supervised PES + unsupervised BCM) for Nengo.

Use ``nengo.Connection(..., learning_rule_type=nengo_hpes.HPES(...))``.
"""

from nengo_hpes.version import version as __version__
from nengo_hpes.learning_rules import HPES

# Import the builder so that build_hpes is registered with nengo's Builder
# (registration is an import side effect, as in nengo.builder).
from nengo_hpes import builder  # noqa: F401  isort:skip

__all__ = ["HPES", "__version__"]
