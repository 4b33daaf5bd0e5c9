"""
Test setup shared by every test, as in nengo's own ``conftest.py``.

Each test starts from nengo's default rc with the decoder cache and progress
bars off, full exception messages and fail-fast simulators, so no test has to
pass ``progress_bar=False`` and no user nengorc leaks in.
"""

import importlib.util

from nengo.rc import rc


def pytest_runtest_setup(item):
    rc.reload_rc([])
    rc["decoder_cache"]["enabled"] = "False"
    rc["exceptions"]["simplified"] = "False"
    rc["nengo.Simulator"]["fail_fast"] = "True"
    rc["progress"]["progress_bar"] = "False"


def pytest_configure(config):
    # nengo's pytest plugin loads every class in its `nengo_neurons` ini option
    # for every test function, and its default list ends with
    # nengo.tests.test_neurons.SpikingTanh, whose module imports matplotlib.
    # Without matplotlib (the rule needs none), drop that test-only type so the
    # rule's tests still collect. (`nengo_neurons` in setup.cfg would do the
    # same through the public route.)
    if importlib.util.find_spec("matplotlib") is None:
        neurons = config.getini("nengo_neurons")
        config._inicache["nengo_neurons"] = [
            n for n in neurons if not n.startswith("nengo.tests.")
        ]
