"""
Execute the example notebooks and write them as HTML.

Usage (from the repository root, in the environment that has the package)::

    python notebooks/run_notebooks.py                  # every notebook, full mode
    python notebooks/run_notebooks.py --mode quick     # short runs (as the tests)
    python notebooks/run_notebooks.py --figures docs/images pavlovian-conditioning

Each notebook in this folder (or each one named, by file name or stem) runs in
a fresh ``python3`` kernel, in this folder (so that its ``nengorc`` applies),
with ``NENGO_HPES_NOTEBOOK_MODE`` set to ``--mode``. The executed notebook is
written as ``<out>/<name>.html`` (``--out``, default ``build/notebooks``), also
when a cell fails, so that the error can be read there. The stored ``.ipynb``
files are never modified. ``--figures DIR`` sets ``NENGO_HPES_FIGURES_DIR``,
which makes the notebooks save their key figure there (for the README).

The exit status is the number of notebooks that failed (0: all ran). Needs
nbformat, nbclient, nbconvert and ipykernel; does not import nengo_hpes.
"""

import argparse
import os
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
MODE_VARIABLE = "NENGO_HPES_NOTEBOOK_MODE"
FIGURES_VARIABLE = "NENGO_HPES_FIGURES_DIR"


def find_notebooks(names=()):
    """The notebooks to run: all in this folder, or those named (name or stem)."""
    available = {p.stem: p for p in sorted(HERE.glob("*.ipynb"))}
    if not names:
        return list(available.values())
    chosen = []
    for name in names:
        stem = pathlib.Path(name).stem
        if stem not in available:
            raise SystemExit(
                f"no notebook {name!r} in {HERE} (have: {', '.join(available)})"
            )
        chosen.append(available[stem])
    return chosen


def run_notebook(path, out_dir, env, timeout):
    """
    Execute one notebook and write its HTML; return (ok, seconds, message).
    """
    import nbclient
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    t0 = time.perf_counter()
    ok, message = True, ""
    try:
        client.execute(env=env)
    except Exception as e:  # keep going: write what ran, report the failure
        ok, message = False, f"{type(e).__name__}: {str(e).strip().splitlines()[-1]}"
    seconds = time.perf_counter() - t0
    body, _ = HTMLExporter().from_notebook_node(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{path.stem}.html").write_text(body, encoding="utf-8")
    return ok, seconds, message


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.strip().splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebooks", nargs="*", help="names or stems (default: all)")
    parser.add_argument("--mode", choices=("full", "quick"), default="full")
    parser.add_argument("--out", default="build/notebooks", help="HTML folder")
    parser.add_argument("--figures", help="folder for the notebooks' key figures")
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds allowed per cell"
    )
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env[MODE_VARIABLE] = args.mode
    env.pop(FIGURES_VARIABLE, None)
    if args.figures:
        env[FIGURES_VARIABLE] = str(pathlib.Path(args.figures).resolve())
    out_dir = pathlib.Path(args.out)

    failed = 0
    for path in find_notebooks(args.notebooks):
        # (the kernel may print warnings of its own in between)
        print(f"{path.name}: running in {args.mode} mode", flush=True)
        ok, seconds, message = run_notebook(path, out_dir, env, args.timeout)
        print(f"{path.name}: {'ok' if ok else 'FAILED'} in {seconds:.0f} s", flush=True)
        if not ok:
            failed += 1
            print(f"    {message}", flush=True)
    print(f"HTML in {out_dir}/")
    return failed


if __name__ == "__main__":
    sys.exit(main())
