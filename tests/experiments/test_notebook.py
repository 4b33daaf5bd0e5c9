"""The notebooks' small helpers."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.notebook import (
    FIGURES_VARIABLE,
    MODE_VARIABLE,
    format_table,
    mean_sd,
    notebook_mode,
    save_key_figure,
)


def test_notebook_mode():
    assert notebook_mode({}) == "full"
    assert notebook_mode({MODE_VARIABLE: ""}) == "full"
    assert notebook_mode({MODE_VARIABLE: " Quick "}) == "quick"
    assert notebook_mode({MODE_VARIABLE: "full"}) == "full"
    with pytest.raises(ValidationError, match=f"{MODE_VARIABLE}: Must be one of"):
        notebook_mode({MODE_VARIABLE: "fast"})


def test_mean_sd():
    assert mean_sd([1.0]) == "1.000"
    assert mean_sd([1.0, 3.0], ".1f") == "2.0 ± 1.4"
    assert mean_sd([1.0, np.nan, 3.0], ".1f") == "2.0 ± 1.4 (2/3)"
    assert mean_sd([np.nan, np.nan]) == "never"
    with pytest.raises(ValidationError, match="values: Must have at least one"):
        mean_sd([])


def test_format_table():
    rows = [{"a": 1, "b": 0.123456, "c|d": True}, {"a": "x|y", "b": 2.0, "c|d": False}]
    text = format_table(rows)
    assert text.splitlines() == [
        "| a | b | c\\|d |",
        "|---|---|---|",
        "| 1 | 0.123 | yes |",
        "| x\\|y | 2 | no |",
    ]
    assert format_table(rows, columns=["b"], floatfmt=".1f").splitlines()[2] == (
        "| 0.1 |"
    )
    with pytest.raises(ValidationError, match="rows: Must have at least one row"):
        format_table([])
    with pytest.raises(ValidationError, match="columns: Must name keys present"):
        format_table(rows, columns=["z"])


def test_save_key_figure(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    assert save_key_figure(fig, "x", environ={}) is None
    env = {FIGURES_VARIABLE: str(tmp_path / "images")}
    path = save_key_figure(fig, "my-figure", environ=env)
    assert path == tmp_path / "images" / "my-figure.png"
    assert path.stat().st_size > 1000
    with pytest.raises(ValidationError, match="name: Must be a plain file name"):
        save_key_figure(fig, "../x", environ=env)
    plt.close(fig)
