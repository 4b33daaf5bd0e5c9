"""The ``make paper2013`` target's commands parse with this code's command lines."""

import pathlib
import shlex
import shutil
import subprocess

import pytest

from nengo_hpes.experiments import search
from nengo_hpes.experiments.paper2013 import __main__ as paper_cli
from nengo_hpes.experiments.paper2013 import fig3, fig4, table3

REPO = pathlib.Path(__file__).resolve().parents[2]
PARSERS = {
    "nengo_hpes.experiments.paper2013": paper_cli.make_parser,
    "nengo_hpes.experiments.paper2013.fig3": fig3.make_parser,
    "nengo_hpes.experiments.paper2013.table3": table3.make_parser,
    "nengo_hpes.experiments.search": search.parser,
}


def _commands(mode):
    if shutil.which("make") is None:
        pytest.skip("no make")
    out = subprocess.run(
        ["make", "-n", "-W", ".venv/.installed-stamp", "paper2013"]
        + [f"PAPER_MODE={mode}", "PAPER_OUT=out"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = out.replace("\\\n", " ").splitlines()
    return [shlex.split(line) for line in lines if "-m nengo_hpes" in line]


@pytest.mark.parametrize("mode", ["quick", "full"])
def test_paper2013_target_commands_parse(mode):
    commands = _commands(mode)
    seen = []
    for argv in commands:
        module = argv[argv.index("-m") + 1]
        args = PARSERS[module]().parse_args(argv[argv.index("-m") + 2 :])
        seen.append(module.rsplit(".", 1)[1])
        if module.endswith("search"):
            assert args.task in ("transmission", "binding")
            assert args.study == f"fig5-{args.task}-{args.rule}"
            assert args.options == [f"mode={mode}"]
            assert args.trials == 50 and args.storage == "sqlite:///out/fig5/fig5.db"
        else:
            assert args.mode == mode
        if getattr(args, "rules", None) and len(args.rules) > 2:
            # the ablations and the rate sweep: every Fig. 4 rule
            assert set(args.rules) == set(fig4.FIG4_RULES)
        if module.endswith("table3") and mode == "full":
            assert (args.n_train, args.n_test, args.out) == (8000, 500, "out/table3")
    experiments = [
        a[a.index("-m") + 2]
        for a in commands
        if a[a.index("-m") + 1] == ("nengo_hpes.experiments.paper2013")
    ]
    assert (
        experiments
        == ["fig1", "fig2"]
        + ["fig4-transmission"]
        + ["fig4-binding"] * 2
        + ["fig5-control"] * 2
    )
    assert seen.count("search") == 4 and "fig3" in seen and "table3" in seen
