"""Version information for ``nengo_hpes`` (a literal, so ``setup.cfg`` can read it)."""

version = "0.1.0.dev0"
