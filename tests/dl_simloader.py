"""
Run the package's behavioural tests on NengoDL, checked against nengo.Simulator.

Every behavioural test takes the ``Simulator`` fixture of nengo's pytest plugin,
which honours the ``nengo_simloader`` ini option. So::

    pytest tests -p dl_simloader \\
        -o nengo_simloader=dl_simloader.make_dl_sim

reruns them on `nengo_dl.Simulator` without copying them. ``-p`` (optional)
loads this module as a plugin too, which deselects the tests that do not take
the ``Simulator`` fixture (they do not depend on the backend and already ran).

The simulator that `make_dl_sim` returns

* runs at float64 (``nengo_dl.configure_settings(dtype="float64")``, unless the
  network already sets a dtype);
* runs ``NENGO_HPES_DL_MINIBATCH`` (default 1) minibatch elements; with more
  than one, ``sim.data[probe]`` checks that every element equals the first
  (to the same tolerances) and returns the first, so that tests written for
  one network run unchanged;
* steps a `nengo.Simulator` of the same network beside itself, and checks
  every probe of every minibatch element against it when it is closed (and
  on every ``sim.data[probe]``): connection weights to ``atol=1e-10``, other
  probes (activities in Hz, theta, errors) to ``1e-9`` times their largest
  magnitude or ``1e-9``, whichever is larger. The check is skipped for
  networks with unseeded stochastic processes (NengoDL and nengo draw
  different random numbers), and after a run that nengo cannot mirror
  (``data=...``, ``stateful=False``, a partial ``reset``). Set
  ``NENGO_HPES_DL_REFERENCE=0`` to turn it off.

``NENGO_HPES_DL_DTYPE`` and ``NENGO_HPES_DL_UNROLL`` set the dtype and
``unroll_simulation``. `make_dl_sim_minibatch3` is `make_dl_sim` with three
minibatch elements, whatever the environment says.

Importing this module imports nengo_dl (and TensorFlow).
"""

import os
import warnings

import nengo
import numpy as np
from nengo.builder.processes import SimProcess
from nengo.synapses import Synapse

with warnings.catch_warnings():
    # NengoDL 3.6 warns on import that it was not tested with Nengo 4
    warnings.filterwarnings("ignore", "This version of NengoDL", UserWarning)
    import nengo_dl
from nengo_dl.config import get_setting

WEIGHTS_ATOL = 1e-10
RELATIVE_TOL = 1e-9


def _stochastic(model):
    """Whether a model has a process that draws from an unseeded RNG."""
    return any(
        isinstance(op, SimProcess)
        and not isinstance(op.process, Synapse)
        and op.process.seed is None
        for op in model.operators
    )


def _max_error(actual, expected):
    return float(np.max(np.abs(actual - expected))) if actual.size else 0.0


def _check_close(probe, actual, expected, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        raise AssertionError(
            f"{what}: {probe} has shape {actual.shape}, expected {expected.shape}"
        )
    if probe.attr == "weights" and isinstance(probe.target, nengo.Connection):
        tol = WEIGHTS_ATOL
    else:
        tol = RELATIVE_TOL * max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    err = _max_error(actual, expected)
    if not err <= tol:
        raise AssertionError(f"{what}: {probe} differs by {err:g} (tolerance {tol:g})")


class CheckedData(nengo_dl.simulator.SimulationData):
    """Probe data of the first minibatch element, checked (see the module)."""

    def __getitem__(self, obj):
        if not isinstance(obj, nengo.Probe):
            with warnings.catch_warnings():
                # tests read built constants (gains, encoders) after the
                # simulator closed, as on nengo.Simulator; NengoDL then returns
                # the initial values, which is what they want
                warnings.filterwarnings(
                    "ignore", "Checking parameters after simulator is closed"
                )
                return super().__getitem__(obj)
        data = super().__getitem__(obj)
        if len(data) == 0:
            return data
        sim = self.sim
        batch = data if self.minibatched else data[None]
        if self.minibatched and not sim.stochastic:
            for i in range(1, len(batch)):
                _check_close(obj, batch[i], batch[0], f"minibatch element {i}")
        sim.check_reference(obj, batch)
        return batch[0]


class CheckedSimulator(nengo_dl.Simulator):
    """
    A `nengo_dl.Simulator` checked against `nengo.Simulator` (see the module).

    Parameters
    ----------
    network : nengo.Network
        The network to simulate.
    *args
        Passed to `nengo_dl.Simulator`.
    reference : bool, optional
        Whether to step a `nengo.Simulator` alongside and compare the probes.
    **kwargs
        Passed to `nengo_dl.Simulator`.
    """

    def __init__(self, network, *args, reference=True, **kwargs):
        self.reference = None
        super().__init__(network, *args, **kwargs)
        self.data = CheckedData(self, self.data.minibatched)
        self.stochastic = _stochastic(self.model)
        if reference and network is not None and not self.stochastic:
            self.reference = nengo.Simulator(
                network, dt=self.dt, seed=self.seed, progress_bar=False
            )

    def check_reference(self, probe, batch):
        """Compare each minibatch element of a probe's data with nengo's."""
        if self.reference is None:
            return
        expected = self.reference.data[probe]
        for i, element in enumerate(batch):
            _check_close(probe, element, expected, f"nengo.Simulator, element {i}")

    def stop_checking(self):
        """Close the reference simulator and stop comparing with it."""
        if self.reference is not None:
            self.reference.close()
            self.reference = None

    def run_steps(self, n_steps, data=None, progress_bar=None, stateful=True):
        super().run_steps(
            n_steps, data=data, progress_bar=progress_bar, stateful=stateful
        )
        if data is not None or not stateful:
            self.stop_checking()  # nengo cannot mirror this run
        elif self.reference is not None:
            self.reference.run_steps(self.unroll * -(-n_steps // self.unroll))

    def reset(self, seed=None, **kwargs):
        super().reset(seed=seed, **kwargs)
        if seed is None and all(kwargs.values()):
            if self.reference is not None:
                self.reference.reset()
        else:
            self.stop_checking()  # a partial reset, which nengo cannot mirror

    def close(self):
        self.stop_checking()
        super().close()

    def __exit__(self, exc_type, *args):
        try:
            if exc_type is None and self.reference is not None:
                for probe in self.model.probes:
                    self.data[probe]  # checks it
        finally:
            self.stop_checking()
            super().__exit__(exc_type, *args)


def make_dl_sim(request, minibatch_size=None):
    """
    Return a NengoDL Simulator factory for pytest_nengo's ``Simulator`` fixture.

    Parameters
    ----------
    request : pytest.FixtureRequest
        The fixture request (unused; the ``nengo_simloader`` signature).
    minibatch_size : int, optional
        Minibatch elements; default ``NENGO_HPES_DL_MINIBATCH`` or 1.

    Returns
    -------
    callable
        ``Simulator(network, **kwargs)``, returning a `CheckedSimulator`.
    """
    dtype = os.environ.get("NENGO_HPES_DL_DTYPE", "float64")
    unroll = int(os.environ.get("NENGO_HPES_DL_UNROLL", 1))
    if minibatch_size is None:
        minibatch_size = int(os.environ.get("NENGO_HPES_DL_MINIBATCH", 1))
    reference = os.environ.get("NENGO_HPES_DL_REFERENCE", "1") != "0"

    def Simulator(network, *args, **kwargs):
        if network is not None and get_setting(network, "dtype") is None:
            with network:
                nengo_dl.configure_settings(dtype=dtype)
        kwargs.setdefault("progress_bar", False)
        kwargs.setdefault("unroll_simulation", unroll)
        if minibatch_size != 1:
            kwargs.setdefault("minibatch_size", minibatch_size)
        return CheckedSimulator(network, *args, reference=reference, **kwargs)

    return Simulator


def make_dl_sim_minibatch3(request):
    """`make_dl_sim` with three minibatch elements."""
    return make_dl_sim(request, minibatch_size=3)


def pytest_collection_modifyitems(config, items):
    """Keep only the tests that take the ``Simulator`` fixture (as a ``-p`` plugin)."""
    keep, drop = [], []
    for item in items:
        uses_sim = "Simulator" in getattr(item, "fixturenames", ())
        (keep if uses_sim else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
