"""
Test setup shared by every test, as in nengo's own ``conftest.py``.

Each test starts from nengo's default rc with the decoder cache and progress
bars off, full exception messages and fail-fast simulators, so no test has to
pass ``progress_bar=False`` and no user nengorc leaks in.
"""

from nengo.rc import rc


def pytest_runtest_setup(item):
    rc.reload_rc([])
    rc["decoder_cache"]["enabled"] = "False"
    rc["exceptions"]["simplified"] = "False"
    rc["nengo.Simulator"]["fail_fast"] = "True"
    rc["progress"]["progress_bar"] = "False"
