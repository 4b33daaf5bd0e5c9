"""
Reproduction of Bekolay, Kolbeck & Eliasmith (2013), the hPES paper.

``rule``: the paper's Nengo 1.4 hPES (units, gains, theta) expressed with
`nengo_hpes.HPES`; ``stdp``: Figs. 1 and 2 (pair STDP curve and frequency
dependence) from the rule with S = 0; ``learning``: the networks of Exp. 2
(learning transmission and binding) and the loss of the Fig. 5 search;
``fig4``: Fig. 4, their paired learning curves;
``fig3`` and ``table3``: Exp. 1 and Exp. 3; ``report`` and ``report_plots``:
the published values, the committed results, the verdicts and the figures of
``notebooks/paper-2013.ipynb``.
Run ``python -m nengo_hpes.experiments.paper2013 --help`` for the command line.
See ``docs/paper-2013.md``.
"""
