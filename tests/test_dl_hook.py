"""
The lazy NengoDL registration (`nengo_hpes.dl_hook`).

No module-level ``importorskip``: the import-without-TensorFlow test matters
most where NengoDL is not installed.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

HAS_NENGO_DL = importlib.util.find_spec("nengo_dl") is not None


def _run_python(code):
    """Run ``code`` in a fresh interpreter; return its stdout."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_import_without_tensorflow_or_nengo_dl():
    """nengo_hpes imports and learns with nengo_dl and TensorFlow unimportable."""
    out = _run_python("""
        import importlib.abc
        import sys

        class Blocker(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.partition(".")[0] in ("tensorflow", "nengo_dl"):
                    raise ModuleNotFoundError(f"{name} is blocked", name=name)

        sys.meta_path.insert(0, Blocker())
        import nengo
        import nengo_hpes

        assert not nengo_hpes.dl_hook.HAS_NENGO_DL
        with nengo.Network(seed=0) as net:
            a = nengo.Ensemble(10, 1)
            b = nengo.Ensemble(10, 1)
            conn = nengo.Connection(
                a.neurons,
                b.neurons,
                transform=[[1e-3] * 10] * 10,
                learning_rule_type=nengo_hpes.HPES(),
            )
            nengo.Connection(nengo.Node([0.5]), conn.learning_rule)
            nengo.Connection(nengo.Node([0.5]), a)
            p = nengo.Probe(conn, "weights")
        with nengo.Simulator(net, progress_bar=False) as sim:
            sim.run_steps(20)
        print(abs(sim.data[p][-1] - sim.data[p][0]).max() > 0)
        try:
            import nengo_dl  # noqa: F401
        except ImportError:
            print("blocked")
        print("tensorflow" in sys.modules, "nengo_dl" in sys.modules)
        """)
    assert out.split() == ["True", "blocked", "False", "False"]


def test_import_does_not_import_experiments_or_optional_packages():
    """import nengo_hpes loads the rule only: nengo and numpy."""
    out = _run_python("""
        import sys
        import nengo_hpes

        heavy = ("scipy", "matplotlib", "tensorflow", "nengo_dl")
        print([m for m in heavy if m in sys.modules])
        print([m for m in sys.modules if m.startswith("nengo_hpes.experiments")])
        """)
    # nengo itself may import scipy if it is installed; nothing else may appear
    loaded, experiments = out.strip().splitlines()
    assert eval(loaded) in ([], ["scipy"])  # noqa: S307
    assert experiments == "[]"


@pytest.mark.skipif(not HAS_NENGO_DL, reason="nengo_dl is not installed")
def test_registration_is_lazy():
    """
    import nengo_hpes does not import TensorFlow; importing nengo_dl afterwards
    registers the op builders (nothing else in this fresh interpreter imports
    nengo_hpes.dl_builder).
    """
    out = _run_python("""
        import sys
        import nengo_hpes

        print("tensorflow" in sys.modules, "nengo_hpes.dl_builder" in sys.modules)
        import nengo_dl
        print("nengo_hpes.dl_builder" in sys.modules)

        from nengo_dl.builder import Builder, NengoBuilder
        from nengo_hpes import HPES
        from nengo_hpes.builder import RankOneInc, SimHPES

        print(
            Builder.builders[SimHPES].__name__,
            Builder.builders[RankOneInc].__name__,
            NengoBuilder.builders[HPES].__module__,
        )
        """)
    assert out.split() == [
        "False",
        "False",
        "True",
        "SimHPESBuilder",
        "RankOneIncBuilder",
        "nengo_hpes.dl_builder",
    ]


@pytest.mark.skipif(not HAS_NENGO_DL, reason="nengo_dl is not installed")
def test_registration_survives_find_spec():
    """An optional-dependency check (find_spec) before the import does not use the
    hook up; importing nengo_dl still registers, and the hook is then removed."""
    out = _run_python("""
        import importlib.util
        import sys

        import nengo_hpes
        from nengo_hpes.dl_hook import _NengoDLImportHook

        assert importlib.util.find_spec("nengo_dl") is not None
        assert importlib.util.find_spec("nengo_dl") is not None
        import nengo_dl
        from nengo_dl.builder import Builder
        from nengo_hpes.builder import SimHPES

        print(Builder.builders[SimHPES].__name__)
        print(any(isinstance(f, _NengoDLImportHook) for f in sys.meta_path))
        """)
    assert out.split() == ["SimHPESBuilder", "False"]
