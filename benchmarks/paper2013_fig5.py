"""
The 2013 paper's Fig. 5 from finished search studies: median and IQR per condition.

Reads the JSON that ``python -m nengo_hpes.experiments.search`` writes at the
end of a study (``--out DIR``: ``DIR/<study>.json``) and the control networks'
losses (Fig. 5's unit: each loss is divided by their mean), and prints, for
each study, the median, quartiles and IQR of the normalised losses of its
complete trials beside the paper's values (``docs/paper-2013.md``; the digitised
Fig. 5). The studies and the control losses are made by::

    python -m nengo_hpes.experiments.search --task transmission --rule hpes \\
        --trials 50 --workers 2 --study fig5-transmission-hpes --out DIR
    # ... and --rule pes, and --task binding
    python benchmarks/paper2013_fig5.py DIR/fig5-transmission-hpes.json \\
        DIR/fig5-transmission-pes.json --control DIR/control-transmission.json

where the control file holds ``{"losses": [...]}``, the search loss of
``run_learning(task, "control", seed=s, mode="full", schedule="one")`` for the
paper's seeds 0-9.
"""

import argparse
import json

import numpy as np

# the published boxes (docs/paper-2013.md, section 3.5) and the summary of one
# study live in the package, with the rest of the paper's values
from nengo_hpes.experiments.paper2013.report import FIG5_PUBLISHED as PAPER
from nengo_hpes.experiments.paper2013.report import fig5_summary as summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("studies", nargs="+", help="study JSON files")
    parser.add_argument("--control", required=True, help="control losses JSON")
    args = parser.parse_args(argv)
    with open(args.control) as f:
        control = float(np.mean(json.load(f)["losses"]))
    print(f"control mean loss {control:.1f}")
    print("| condition | trials | median | Q1-Q3 | IQR | paper median | paper IQR |")
    print("|---|---|---|---|---|---|---|")
    for path in args.studies:
        task, rule, n, med, q1, q3 = summary(path, control)
        p = PAPER[(task, rule)]
        p_med, p_q1, p_q3 = p["med"], p["q1"], p["q3"]
        print(
            f"| {task} {rule} | {n} | {med:.3f} | {q1:.3f}-{q3:.3f} | {q3 - q1:.3f} "
            f"| {p_med:.3f} | {p_q3 - p_q1:.3f} |"
        )


if __name__ == "__main__":
    main()
