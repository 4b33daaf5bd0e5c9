"""R4: Exp. 2 networks (learning transmission and binding), quick mode."""

import json

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.paper2013 import learning as L
from nengo_hpes.experiments.paper2013.__main__ import main


def test_full_schedules_are_the_papers():
    s = L.make_schedule("transmission")
    assert s.length == pytest.approx(154.5)
    assert len(s.windows) == 61
    assert s.learning_times[0] == 0 and s.learning_times[-1] == pytest.approx(30)
    assert s.windows[0] == (0.0, 2.0) and s.windows[1] == (2.5, 4.5)
    assert s.switch(1.0) == 0 and s.switch(2.2) == 1 and s.switch(2.6) == 0
    b = L.make_schedule("binding")
    assert b.length == pytest.approx(194.0)
    assert len(b.windows) == 21 and b.learning_times[-1] == pytest.approx(80)
    one = L.make_schedule("binding", kind="one")
    assert one.length == 100 and one.windows == [(0.0, 20.0)]
    assert one.switch(10.0) == 1 and one.switch(85.0) == 0


def test_fourier_signal_is_nengo14s():
    proc = L.FourierSignal(base=0.25, high=40, rms=0.5, seed=3)
    dt = 0.001
    x = proc.run(8.0, dt=dt)
    period = int(round(4.0 / dt))
    assert x.shape == (8000, 1)
    assert np.allclose(x[:period], x[period : 2 * period], atol=1e-9)  # 4 s
    assert np.sqrt(np.mean(x[:period] ** 2)) == pytest.approx(0.5, rel=0.01)
    spectrum = np.abs(np.fft.rfft(x[:period, 0]))
    freqs = np.fft.rfftfreq(period, dt)
    assert np.max(spectrum[freqs > 40.5]) < 1e-6 * np.max(spectrum)
    # pink on average: low harmonics carry far more amplitude than high ones
    assert (
        spectrum[(freqs > 0) & (freqs <= 4)].mean()
        > 5 * spectrum[(freqs > 20) & (freqs <= 40)].mean()
    )
    f, amps, phases = proc.coefficients(2, np.random.RandomState(0))
    assert len(f) == 160 and amps.shape == phases.shape == (2, 160)
    assert np.all((phases >= -0.5) & (phases <= 1.5))


def test_circconv():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    expected = [sum(a[j] * b[(k - j) % 3] for j in range(3)) for k in range(3)]
    assert np.allclose(L.circconv(np.concatenate([a, b])), expected)


def test_networks_paired_by_seed():
    nets = {r: L.build_network("binding", r, seed=4) for r in L.RULES}
    ens = {r: {e.label: e for e in n.all_ensembles} for r, n in nets.items()}
    for label in ("pre", "post"):
        for r in ("PES", "control"):
            assert np.array_equal(ens[r][label].max_rates, ens["hPES"][label].max_rates)
            assert np.array_equal(
                ens[r][label].intercepts, ens["hPES"][label].intercepts
            )
    assert ens["hPES"]["pre"].n_neurons == 150 and ens["hPES"]["post"].n_neurons == 75
    assert "error" not in ens["control"] and nets["control"].learned is None
    learned = nets["hPES"].learned
    assert learned.pre_obj == ens["hPES"]["pre"].neurons
    w = learned.transform.init
    assert w.shape == (75, 150) and np.max(np.abs(w)) <= 1e-3
    params = nets["hPES"].package_params
    assert params["learning_rate"] == pytest.approx(0.00237897495282 * 150 * 1e-3)
    assert params["unsupervised_scale"] == pytest.approx(2e-8 / 150)
    assert nets["PES"].learned.learning_rule_type.supervision_ratio == 1.0
    # the built encoders too (nengo would otherwise seed them by position)
    built = {}
    for r, n in nets.items():
        with nengo.Simulator(n) as sim:
            built[r] = {k: sim.data[ens[r][k]].encoders for k in ("pre", "post")}
    for r in ("PES", "control"):
        for k in ("pre", "post"):
            assert np.array_equal(built[r][k], built["hPES"][k])


def test_learning_reduces_error():
    """Transmission, quick: learning beats the same network without learning."""
    kwargs = dict(task="transmission", seed=0, mode="quick")
    frozen = L.run_learning(rule="hPES", learning_rate=0.0, **kwargs)
    control = L.run_learning(rule="control", **kwargs)
    assert len(frozen.window_errors) == 7
    # the random start is far worse than the NEF control (paper: 6.4 x)
    assert frozen.window_errors[0] > 3 * control.window_errors[0]
    for rule in ("hPES", "PES"):
        learned = L.run_learning(rule=rule, **kwargs)
        # identical first window (nothing learned yet), then much lower error
        assert learned.window_errors[0] == pytest.approx(
            frozen.window_errors[0], rel=0.05
        )
        ratio = np.sum(learned.window_errors[-3:]) / np.sum(frozen.window_errors[-3:])
        assert ratio < 0.75
        assert learned.loss == pytest.approx(np.sum(learned.window_errors[-5:]))


def test_gate_stops_supervised_learning():
    """With S = 1, the weights only move while the switch says 'learn'."""
    sched = L.make_schedule("transmission", mode="quick")
    net = L.build_network("transmission", "PES", seed=2, schedule=sched)
    with net:
        p_w = nengo.Probe(net.learned, "weights", sample_every=0.01)
    with nengo.Simulator(net) as sim:
        sim.run(sched.length)
    t = sim.trange(sample_every=0.01)
    change = np.sum(np.abs(np.diff(sim.data[p_w], axis=0)), axis=(1, 2))
    t = t[1:]
    phase = t % (sched.train + sched.test)
    # allow 0.1 s for the switch, the gate and the error's filters to settle
    testing = (phase > 0.1) & (phase <= sched.test)
    learning = phase > sched.test + 0.1
    assert np.median(change[learning]) > 0
    assert np.max(change[testing]) < 0.02 * np.median(change[learning])


def test_search_loss_is_a_float():
    loss = L.search_loss(
        "transmission",
        learning_rate=3.5e-3,
        supervision_ratio=0.8,
        seed=1,
        mode="quick",
    )
    assert type(loss) is float and np.isfinite(loss) and loss > 0
    again = L.search_loss(
        "transmission",
        learning_rate=3.5e-3,
        supervision_ratio=0.8,
        seed=1,
        mode="quick",
    )
    assert again == loss
    # the loss sees the learning rate: a frozen network does worse
    frozen = L.search_loss(
        "transmission", learning_rate=0.0, supervision_ratio=0.8, seed=1, mode="quick"
    )
    assert frozen > loss


def test_cli_quick(tmp_path):
    path = main(["fig1", "--mode", "quick", "--out", str(tmp_path)])
    data = json.loads(open(path).read())
    assert data["experiment"] == "fig1" and data["ltd_min"]["change"] < -0.65
    assert data["command"].endswith("fig1 --mode quick --out " + str(tmp_path))
    path = main(
        [
            "search-loss",
            "--task",
            "transmission",
            "--learning-rate",
            "0.002",
            "--supervision-ratio",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    data = json.loads(open(path).read())
    assert data["loss"] > 0 and data["supervision_ratio"] == 1.0


def test_cli_fig5_control(tmp_path):
    argv = ["fig5-control", "--task", "transmission", "--control-seeds", "2"]
    path = main(argv + ["--out", str(tmp_path)])
    assert path == str(tmp_path / "control-transmission.json")
    data = json.loads(open(path).read())
    assert data["seeds"] == [0, 1] and len(data["losses"]) == 2
    assert data["losses"][0] != data["losses"][1]  # two networks
    assert data["mean"] == pytest.approx(np.mean(data["losses"]))
    assert data["losses"][1] == pytest.approx(
        L.control_search_loss("transmission", seeds=[1], mode="quick")
    )


@pytest.mark.parametrize(
    "call, attr",
    [
        (lambda: L.make_schedule("parity"), "task"),
        (lambda: L.make_schedule("binding", kind="two"), "kind"),
        (lambda: L.make_schedule("binding", mode="slow"), "mode"),
        (lambda: L.build_network("binding", "Oja"), "rule"),
        (lambda: L.build_network("binding", seed=-1), "seed"),
        (lambda: L.build_network("binding", learning_rate=-1e-3), "learning_rate"),
        (
            lambda: L.build_network("binding", supervision_ratio=1.2),
            "supervision_ratio",
        ),
        (
            lambda: L.build_network("binding", "PES", supervision_ratio=0.5),
            "supervision_ratio",
        ),
        (
            lambda: L.build_network("binding", "control", learning_rate=1e-3),
            "learning_rate",
        ),
        (lambda: L.FourierSignal(base=0.0), "base"),
        (lambda: L.FourierSignal(base=1.0, high=0.5), "high"),
        (lambda: L.FourierSignal(rms=-1), "rms"),
    ],
)
def test_validation(call, attr):
    with pytest.raises(ValidationError, match="Must be") as info:
        call()
    assert info.value.attr == attr
    assert "got" in str(info.value)
