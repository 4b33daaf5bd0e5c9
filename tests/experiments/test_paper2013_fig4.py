"""Fig. 4 (paper2013.fig4): paired learning curves, the cache, the verdicts."""

import json

import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.paper2013 import fig4 as F
from nengo_hpes.experiments.paper2013 import learning as L


def test_run_fig4_quick():
    out = F.run_fig4(
        "transmission", seeds=[0], control_seeds=[0], mode="quick", verbose=False
    )
    assert out["learning_times"] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    for rule in ("hPES", "PES"):
        r = out["rules"][rule]
        assert len(r["mean"]) == 7
        assert r["summary"]["first_window"] > 3
        lo, hi = r["ci95"]
        assert np.allclose(lo, r["mean"]) and np.allclose(hi, r["mean"])  # 1 seed
    diff = out["paired_hpes_minus_pes"]
    h, p = out["rules"]["hPES"]["relative"][0], out["rules"]["PES"]["relative"][0]
    assert diff["last5_mean"] == pytest.approx(np.mean(h[-5:]) - np.mean(p[-5:]))
    assert diff["last5_t_ci95"] is None  # one seed
    assert diff["verdict"] in ("direction only", "not reproduced")


def test_run_fig4_resumes_from_its_cache(tmp_path):
    cache = tmp_path / "runs"
    kw = dict(mode="quick", verbose=False, cache_dir=str(cache), ci_seed=3)
    first = F.run_fig4("transmission", seeds=[0], control_seeds=[0], **kw)
    files = sorted(p.name for p in cache.iterdir())
    assert files == [
        "transmission-PES-seed0-quick.json",
        "transmission-control-seed0-quick.json",
        "transmission-hPES-seed0-quick.json",
    ]
    # a cached run is loaded, not rerun: a changed file shows in the result
    path = cache / "transmission-PES-seed0-quick.json"
    run = json.loads(path.read_text())
    run["window_errors"] = [2 * e for e in run["window_errors"]]
    path.write_text(json.dumps(run))
    again = F.run_fig4("transmission", seeds=[0], control_seeds=[0], **kw)
    assert np.allclose(
        again["rules"]["PES"]["relative"],
        2 * np.array(first["rules"]["PES"]["relative"]),
    )
    assert again["rules"]["hPES"] == first["rules"]["hPES"]
    # extended to a second seed, on two workers: only seed 1 runs, and its
    # networks are those of a serial, uncached run
    more = F.run_fig4("transmission", seeds=[0, 1], control_seeds=[0], workers=2, **kw)
    assert len(list(cache.iterdir())) == 5
    serial = L.run_learning("transmission", "hPES", seed=1, mode="quick")
    control = np.array(more["control_mean"])
    assert np.allclose(
        more["rules"]["hPES"]["relative"][1], np.array(serial.window_errors) / control
    )
    assert more["workers"] == 2
    # a cached run of other parameters is refused
    run["learning_rate"] = 1e-3
    path.write_text(json.dumps(run))
    with pytest.raises(ValidationError, match="Must be a run of this code") as info:
        F.run_fig4("transmission", seeds=[0], control_seeds=[0], **kw)
    assert info.value.attr == "cache_dir" and str(path) in str(info.value)


def test_paired_summary_verdicts():
    rng = np.random.RandomState(0)
    pes = 1.0 + 0.1 * rng.standard_normal((15, 21))
    better = pes - 0.07 + 0.01 * rng.standard_normal((15, 21))
    out = F.paired_summary(better, pes, np.random.RandomState(1))
    assert out["verdict"] == "reproduced"
    assert out["last5_t_ci95"][1] < 0 and out["windows_hpes_below_pes"] == 21
    assert out["last5_mean"] == pytest.approx(np.mean(better[:, -5:] - pes[:, -5:]))
    # lower at most windows, but not at the last five on average: direction only
    direction = pes.copy()
    direction[:, :16] -= 0.05
    direction[:, 16:] += 0.01
    out = F.paired_summary(direction, pes, np.random.RandomState(1))
    assert out["verdict"] == "direction only"
    out = F.paired_summary(pes + 0.05, pes, np.random.RandomState(1))
    assert out["verdict"] == "not reproduced" and out["windows_hpes_below_pes"] == 0


@pytest.mark.parametrize(
    "call, attr",
    [
        (lambda: F.run_fig4("binding", seeds=[], mode="quick"), "seeds"),
        (lambda: F.run_fig4("parity", seeds=[0], mode="quick"), "task"),
        (lambda: F.run_fig4("binding", seeds=[0], mode="slow"), "mode"),
        (lambda: F.run_fig4("binding", seeds=[0], rules=["BCM"]), "rules"),
        (lambda: F.variant_params("binding", "Oja"), "rules"),
        (lambda: F.variant_params("binding", "PES-rate-x3"), "rules"),
        (lambda: F.run_fig4("binding", seeds=[0], workers=0), "workers"),
    ],
)
def test_validation(call, attr):
    with pytest.raises(ValidationError, match="Must be") as info:
        call()
    assert info.value.attr == attr
    assert "got" in str(info.value)


def test_ablation_pes_at_kappa_s(tmp_path):
    h = L.PAPER_PARAMS["binding"]["hPES"]
    paper = dict(start="random", threshold="paper")
    assert F.variant_params("binding", "PES-at-kappa-S") == dict(
        rule="PES",
        learning_rate=h["learning_rate"] * h["supervision_ratio"],
        supervision_ratio=1.0,
        **paper,
    )
    assert F.variant_params("binding", "PES") == dict(
        rule="PES", learning_rate=None, supervision_ratio=None, **paper
    )
    out = F.run_fig4(
        "transmission",
        seeds=[0],
        control_seeds=[0],
        mode="quick",
        rules=("hPES", "PES-at-kappa-S"),
        verbose=False,
        cache_dir=str(tmp_path),
    )
    t = L.PAPER_PARAMS["transmission"]["hPES"]
    params = out["rules"]["PES-at-kappa-S"]["params"]
    assert params["learning_rate"] == pytest.approx(
        t["learning_rate"] * t["supervision_ratio"]
    )
    assert params["supervision_ratio"] == 1.0
    assert "paired_hpes_minus_pes" not in out
    pair = out["paired_hpes_minus_PES-at-kappa-S"]
    h_rel = np.array(out["rules"]["hPES"]["relative"])
    p_rel = np.array(out["rules"]["PES-at-kappa-S"]["relative"])
    assert pair["last5_mean"] == pytest.approx((h_rel - p_rel)[:, -5:].mean())
    # the ablation is not the paper's PES: another network run
    pes = L.run_learning("transmission", "PES", seed=0, mode="quick")
    assert not np.allclose(p_rel[0] * out["control_mean"], pes.window_errors)
    assert (tmp_path / "transmission-PES-at-kappa-S-seed0-quick.json").exists()


def test_cli_names_an_ablation_file(tmp_path):
    from nengo_hpes.experiments.paper2013.__main__ import main

    argv = ["fig4-transmission", "--seeds", "1", "--control-seeds", "1", "--quiet"]
    argv += ["--rules", "hPES", "PES-at-kappa-S", "--workers", "1"]
    path = main(argv + ["--out", str(tmp_path)])
    assert path.endswith("fig4-transmission-quick-hPES-PES-at-kappa-S.json")
    data = json.loads(open(path).read())
    assert set(data["rules"]) == {"hPES", "PES-at-kappa-S"}
    assert (tmp_path / "fig4-transmission-quick-runs").is_dir()


def _learned(net):
    return net.learned.transform.init, net.learned.learning_rule_type


@pytest.mark.parametrize(
    "variant, start, threshold",
    [
        ("hPES-zero-start", "zero", "paper"),
        ("PES-zero-start", "zero", "paper"),
        ("hPES-theta-rates", "random", "rates"),
        ("hPES-auto", "random", "auto"),
    ],
)
def test_ablation_networks_differ_only_in_their_ingredient(variant, start, threshold):
    kw = F.variant_params("binding", variant)
    assert (kw["start"], kw["threshold"]) == (start, threshold)
    assert kw["learning_rate"] is None and kw["supervision_ratio"] is None
    base = L.build_network("binding", kw["rule"], seed=3)
    net = L.build_network(
        "binding", kw["rule"], seed=3, start=start, threshold=threshold
    )
    # same random numbers everywhere else: same ensembles and input
    for a, b in zip(base.all_ensembles, net.all_ensembles):
        assert a.label == b.label
        assert np.array_equal(a.max_rates, b.max_rates)
        assert np.array_equal(a.intercepts, b.intercepts)
    w0, rule0 = _learned(base)
    w, rule = _learned(net)
    assert rule.learning_rate == rule0.learning_rate
    assert rule.supervision_ratio == rule0.supervision_ratio
    if start == "zero":
        assert np.all(w == 0) and np.any(w0 != 0)
    else:
        assert np.array_equal(w, w0)
    if threshold == "paper":
        assert rule.theta_synapse == rule0.theta_synapse
        assert np.array_equal(rule.theta_init, rule0.theta_init)
        assert rule.unsupervised_scale == rule0.unsupervised_scale
    else:
        assert rule0.theta_synapse.tau == 20.0 and rule.theta_synapse.tau == 1.0
        assert rule.theta_init == "rates"
        expected = "auto" if threshold == "auto" else rule0.unsupervised_scale
        assert rule.unsupervised_scale == expected
    assert net.package_params["start"] == start
    assert net.package_params["threshold"] == threshold


def test_ablation_variants_run_and_are_cached_apart(tmp_path):
    rules = ("hPES", "hPES-zero-start", "hPES-theta-rates", "hPES-auto")
    out = F.run_fig4(
        "transmission",
        seeds=[0],
        control_seeds=[0],
        mode="quick",
        rules=rules,
        verbose=False,
        cache_dir=str(tmp_path),
    )
    rel = {r: np.array(out["rules"][r]["relative"][0]) for r in rules}
    for r in rules[1:]:
        assert np.all(np.isfinite(rel[r]))
        assert not np.allclose(rel[r], rel["hPES"]), r  # another network ran
        pair = out[f"paired_hpes_minus_{r}"]
        assert pair["last5_mean"] == pytest.approx(
            np.mean(rel["hPES"][-5:] - rel[r][-5:])
        )
    # a cached run of another ingredient is refused, naming it
    path = tmp_path / "transmission-hPES-auto-seed0-quick.json"
    run = json.loads(path.read_text())
    run["package_params"]["threshold"] = "paper"
    path.write_text(json.dumps(run))
    with pytest.raises(ValidationError, match="'threshold': 'paper'") as info:
        F.run_fig4(
            "transmission",
            seeds=[0],
            control_seeds=[0],
            mode="quick",
            rules=rules,
            verbose=False,
            cache_dir=str(tmp_path),
        )
    assert info.value.attr == "cache_dir"


@pytest.mark.parametrize("option, value", [("start", "solved"), ("threshold", "bcm")])
def test_build_network_option_domains(option, value):
    with pytest.raises(ValidationError, match="Must be one of") as info:
        L.build_network("binding", "hPES", **{option: value})
    assert info.value.attr == option and repr(value) in str(info.value)


@pytest.mark.parametrize("task", L.TASKS)
def test_package_defaults_variants_are_hpes_and_pes_defaults(task):
    import nengo

    from nengo_hpes import HPES

    default = HPES()
    for variant, rate, S in (
        ("hPES-defaults", default.learning_rate, default.supervision_ratio),
        ("PES-defaults", nengo.PES().learning_rate, 1.0),
    ):
        kw = F.variant_params(task, variant)
        net = L.build_network(task, seed=1, **kw)
        rule = net.learned.learning_rule_type
        assert rule.learning_rate == pytest.approx(rate, rel=1e-12)
        assert rule.supervision_ratio == S
        if S < 1:
            for name in ("unsupervised_scale", "theta_init", "theta_synapse"):
                assert getattr(rule, name) == getattr(default, name), name
        assert rule.pre_synapse == default.pre_synapse
        assert rule.post_synapse == default.pre_synapse


@pytest.mark.parametrize("scale", F.RATE_SCALES)
@pytest.mark.parametrize("rule", ["hPES", "PES"])
def test_rate_variants_scale_only_the_learning_rate(rule, scale):
    name = f"{rule}-rate-x{scale:g}"
    assert name in F.FIG4_RULES
    kw = F.variant_params("binding", name)
    best = L.PAPER_PARAMS["binding"][rule]
    assert kw == dict(
        rule=rule,
        learning_rate=scale * best["learning_rate"],
        supervision_ratio=None,
        start="random",
        threshold="paper",
    )
    base = L.build_network("binding", rule, seed=2)
    net = L.build_network("binding", seed=2, **kw)
    w0, rule0 = _learned(base)
    w, swept = _learned(net)
    assert np.array_equal(w, w0)
    assert swept.learning_rate == pytest.approx(scale * rule0.learning_rate, rel=1e-12)
    assert swept.supervision_ratio == rule0.supervision_ratio
    assert np.array_equal(swept.theta_init, rule0.theta_init)
