"""
Small helpers shared by the example notebooks in ``notebooks/``.

The notebooks read their run length from the environment (`notebook_mode`),
print their numbers as Markdown tables (`format_table`) and can write their key
figure for the README (`save_key_figure`).
"""

import os
import pathlib

import numpy as np
from nengo.exceptions import ValidationError

#: Environment variable selecting the notebooks' run length: "quick" or "full".
MODE_VARIABLE = "NENGO_HPES_NOTEBOOK_MODE"
#: Environment variable naming a folder for the notebooks' key figures.
FIGURES_VARIABLE = "NENGO_HPES_FIGURES_DIR"
MODES = ("quick", "full")


def notebook_mode(environ=None):
    """
    The notebooks' run length: ``"full"`` (default) or ``"quick"``.

    Read from the environment variable ``NENGO_HPES_NOTEBOOK_MODE``
    (case-insensitive; unset or empty means ``"full"``). Quick mode shortens
    every simulation so that a notebook runs in about a minute (the test suite
    uses it); full mode gives the numbers quoted in the text.

    Parameters
    ----------
    environ : mapping, optional
        Where to look (default: ``os.environ``).

    Returns
    -------
    str
        ``"quick"`` or ``"full"``.
    """
    environ = os.environ if environ is None else environ
    value = environ.get(MODE_VARIABLE, "").strip().lower() or "full"
    if value not in MODES:
        raise ValidationError(
            f"Must be one of {MODES} (got {environ.get(MODE_VARIABLE)!r})",
            attr=MODE_VARIABLE,
        )
    return value


def mean_sd(values, fmt=".3f"):
    """
    Format numbers as ``"mean ± sd"`` (sample standard deviation).

    One number is shown alone; NaN values are left out and counted
    (``"12.1 ± 0.4 (2/3)"`` means two of three values were finite);
    all-NaN gives ``"never"``.

    Parameters
    ----------
    values : array_like
        The numbers (e.g. one per seed).
    fmt : str, optional
        Format specification of each number.

    Returns
    -------
    str

    Examples
    --------
    .. testcode::

       import numpy as np
       from nengo_hpes.experiments.notebook import mean_sd

       print(mean_sd([1.0, 2.0, 3.0]))
       print(mean_sd([0.5, np.nan, 0.7], fmt=".1f"))

    .. testoutput::

       2.000 ± 1.000
       0.6 ± 0.1 (2/3)
    """
    values = np.atleast_1d(np.asarray(values, dtype=float))
    if values.size == 0:
        raise ValidationError("Must have at least one value (got [])", attr="values")
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return "never"
    text = format(finite.mean(), fmt)
    if finite.size > 1:
        text += " ± " + format(finite.std(ddof=1), fmt)
    if finite.size < values.size:
        text += f" ({finite.size}/{values.size})"
    return text


def format_table(rows, columns=None, floatfmt=".3g"):
    """
    Format a list of dictionaries as a Markdown table.

    Parameters
    ----------
    rows : list of dict
        One dictionary per row. Floats are formatted with ``floatfmt``,
        booleans as "yes"/"no", everything else with ``str``; a ``|`` in a
        header or cell is escaped.
    columns : list of str, optional
        Which keys, in which order (default: the first row's keys).
    floatfmt : str, optional
        Format specification of floats.

    Returns
    -------
    str

    Examples
    --------
    .. testcode::

       from nengo_hpes.experiments.notebook import format_table

       rows = [{"rule": "PES", "rmse": 0.0512}, {"rule": "HPES", "rmse": 0.04799}]
       print(format_table(rows))

    .. testoutput::

       | rule | rmse |
       |---|---|
       | PES | 0.0512 |
       | HPES | 0.048 |
    """
    rows = list(rows)
    if not rows:
        raise ValidationError("Must have at least one row (got [])", attr="rows")
    columns = list(rows[0]) if columns is None else list(columns)
    missing = [c for c in columns if any(c not in row for row in rows)]
    if missing:
        raise ValidationError(
            f"Must name keys present in every row (got {missing!r})", attr="columns"
        )

    def cell(value):
        if isinstance(value, (bool, np.bool_)):
            text = "yes" if value else "no"
        elif isinstance(value, (float, np.floating)):
            text = format(float(value), floatfmt)
        else:
            text = str(value)
        return text.replace("|", "\\|")

    lines = [
        "| " + " | ".join(cell(c) for c in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in rows:
        lines.append("| " + " | ".join(cell(row[c]) for c in columns) + " |")
    return "\n".join(lines)


def save_key_figure(fig, name, environ=None, dpi=100):
    """
    Save ``fig`` as ``<name>.png`` in ``$NENGO_HPES_FIGURES_DIR``, if it is set.

    ``notebooks/run_notebooks.py --figures DIR`` sets the variable, so a full
    run of the notebooks refreshes the README's figures; otherwise (a reader
    running the notebook) nothing is written.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    name : str
        File name without extension.
    environ : mapping, optional
        Where to look (default: ``os.environ``).
    dpi : int, optional
        Resolution of the PNG.

    Returns
    -------
    pathlib.Path or None
        The file written, or None.
    """
    environ = os.environ if environ is None else environ
    folder = environ.get(FIGURES_VARIABLE, "")
    if not folder:
        return None
    if not name or any(sep in name for sep in ("/", "\\")):
        raise ValidationError(
            f"Must be a plain file name without extension (got {name!r})", attr="name"
        )
    path = pathlib.Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path
