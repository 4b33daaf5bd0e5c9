"""
Experiments with the hPES rule: networks, data, metrics, plots and command lines.

Not imported by ``import nengo_hpes``. Needs the ``experiments`` extra
(``pip install nengo-hpes[experiments]``); each module with a command line runs
as ``python -m nengo_hpes.experiments.<name>``.
"""
