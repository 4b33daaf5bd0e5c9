"""The 2013 reproduction's report: published values, loaders, verdicts."""

import json
import pathlib
import shutil

import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.paper2013 import report

ROOT = pathlib.Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "paper2013"


@pytest.fixture(scope="module")
def table():
    return report.verdict_table()


def _rows(table, rid):
    return [r for r in table if r["id"] == rid]


# ---------------------------------------------------------------- committed files
def test_default_folder_is_the_repository_results():
    assert report.results_path() == RESULTS
    assert report.results_path(str(RESULTS)) == RESULTS


def test_fig1_loaded_as_documented():
    # docs/paper-2013.md: "LTD minimum -70.7 % at -9.1 ms"
    fig1 = report.load_json("fig1-full.json")
    assert fig1["_source"] == "fig1-full.json"
    assert round(fig1["ltd_min"]["change"] * 100, 1) == -70.7
    assert round(fig1["ltd_min"]["x_ms"], 1) == -9.1
    assert report.FIG1_LTD_MIN == (-9.1, -70.7)
    assert report.verdict_fig1(fig1) == "reproduced"


def test_fig5_transmission_loaded_as_documented():
    # docs/paper-2013.md, Fig. 5: hPES median 1.269, IQR 0.452; PES 1.430, 0.822
    f5 = report.load_fig5("transmission")
    assert f5["missing"] == []
    assert f5["control_mean"] == pytest.approx(364.6, abs=0.05)
    h, p = f5["rules"]["hpes"], f5["rules"]["pes"]
    assert (h["n"], p["n"]) == (50, 50)
    assert round(h["med"], 3) == 1.269 and round(h["iqr"], 3) == 0.452
    assert round(p["med"], 3) == 1.430 and round(p["iqr"], 3) == 0.822
    assert np.median(h["losses"]) == pytest.approx(h["med"])
    assert report.verdict_fig5(f5) == "direction only"


def test_fig4_full_loaded_as_documented():
    # docs/paper-2013.md, full runs: binding -0.114 (t CI -0.200..-0.027),
    # transmission +0.003 (-0.099..+0.105), 15 paired seeds each
    for task, mean, ci, verdict in (
        ("binding", -0.114, (-0.200, -0.027), "reproduced"),
        ("transmission", 0.003, (-0.099, 0.105), "not reproduced"),
    ):
        data = report.load_fig4(task)
        assert data["_source"] == f"fig4-{task}-full.json"
        paired = report.fig4_paired(data)
        assert paired["n"] == 15
        assert paired["mean"] == pytest.approx(mean, abs=5e-4)
        assert paired["ci95"] == pytest.approx(ci, abs=5e-4)
        # the same numbers as the run's own paired summary
        stored = data["paired_hpes_minus_pes"]
        assert paired["ci95"] == pytest.approx(tuple(stored["last5_t_ci95"]))
        assert report.verdict_fig4(task, paired) == verdict


def test_table3_seed_files_pooled():
    # docs/paper-2013-table3.md: 2000 images +1.7 (-7.0 .. +10.4); 8000 images
    # +34.9 (-1.9 .. +71.7) pooled over three seed files, seeds 0-4
    groups = report.load_table3()
    assert {(2000, 500), (8000, 500)} <= set(groups)
    g8 = groups[(8000, 500)]
    assert g8["seeds"] == [0, 1, 2, 3, 4] and len(g8["sources"]) == 3
    assert g8["hPES"] == [0.308, 0.748, 0.264, 0.358, 0.748]
    for key, expected in (
        ((2000, 500), (1.7, -7.0, 10.4)),
        ((8000, 500), (34.9, -1.9, 71.7)),
    ):
        verdict, stats = report.verdict_table3(groups[key]["hPES"], groups[key]["PES"])
        assert verdict == "not reproduced"
        assert np.round(np.multiply(stats, 100), 1).tolist() == list(expected)


def test_verdict_table_on_committed_results(table):
    assert {r["verdict"] for r in table} <= set(report.VERDICTS)
    assert [r["id"] for r in table] == sorted(r["id"] for r in table)
    assert [r["verdict"] for r in _rows(table, "R1") + _rows(table, "R2")] == [
        "reproduced",
        "reproduced",
    ]
    r3 = {r["details"]["variant"]: r for r in _rows(table, "R3")}
    assert r3["paper"]["verdict"] == "reproduced"
    assert r3["auto"]["verdict"] == "not reproduced"
    assert r3["paper"]["n"] == "10"
    for row in _rows(table, "R4"):
        assert str(row["details"]["paired"]["n"]) in row["n"]
        if row["source"].startswith("prelim-3seeds/"):
            assert "preliminary" in row["n"]
            expected = {"binding": "direction only", "transmission": "not reproduced"}
            assert row["verdict"] == expected[row["details"]["task"]]
    r5 = {r["experiment"].rsplit(" ", 1)[1]: r for r in _rows(table, "R5")}
    assert r5["transmission"]["verdict"] == "direction only"
    if not (RESULTS / "fig5" / "fig5-binding-pes.json").exists():
        assert r5["binding"]["verdict"] == "not run yet"
        assert "--task binding --rule pes" in r5["binding"]["source"]
    r6 = _rows(table, "R6")
    assert [r["verdict"] for r in r6[:2]] == ["not reproduced"] * 2
    assert "5/5 seeds" in r6[1]["ours"]
    # the 8000-image row says how much of hPES's accuracy the sorted test adds
    assert (
        "sorted minus shuffled test +14.9 points (95 % CI +3.1 to +26.8, 4 seeds)"
        in (r6[1]["ours"])
    )


def test_r0_quote_is_in_the_docs(table):
    # the R0 row quotes the test's measured values from the docs: they must
    # still be there
    docs = (ROOT / "docs" / "paper-2013.md").read_text(encoding="utf-8")
    assert f"(measured: {report.R0_FROM_TEST};" in docs
    (r0,) = _rows(table, "R0")
    assert "test_paper2013_rule.py" in r0["source"] and "test" in r0["experiment"]


def test_markdown(table):
    text = report.verdict_markdown(table)
    lines = text.splitlines()
    assert len(lines) == len(table) + 2
    assert lines[0] == "| id | experiment | paper | ours | n | verdict | source |"


# ------------------------------------------------------------------------ verdicts
def test_verdict_fig1():
    def result(x_min, change, x_peak=1.0):
        return dict(
            ltd_min=dict(x_ms=x_min, change=change),
            peak=dict(x_ms=x_peak, change=1.0),
        )

    assert report.verdict_fig1(result(-9.1, -0.72)) == "reproduced"
    assert report.verdict_fig1(result(-10.9, -0.66)) == "reproduced"
    assert report.verdict_fig1(result(-9.1, -0.60)) == "direction only"
    assert report.verdict_fig1(result(-12.0, -0.70)) == "direction only"
    assert report.verdict_fig1(result(9.1, -0.70, x_peak=-1.0)) == "not reproduced"


def test_verdict_fig2():
    pub = {k: np.array(v) for k, v in report.FIG2_PUBLISHED.items()}
    assert report.verdict_fig2(dict(seed6=pub)) == ("reproduced", 0.0)
    shifted = {k: v + np.array([0, 0, 2.0, 0, 0]) for k, v in pub.items()}
    assert report.verdict_fig2(dict(seed6=shifted)) == ("direction only", 2.0)
    swapped = dict(low=pub["high"], high=pub["low"])
    assert report.verdict_fig2(dict(seed6=swapped))[0] == "not reproduced"


def _fig4(hpes, pes):
    return dict(rules=dict(hPES=dict(relative=hpes), PES=dict(relative=pes)))


def test_fig4_ablations_table(tmp_path):
    rng = np.random.RandomState(2)
    pes = 1.0 + 0.1 * rng.rand(4, 21)
    rules = {
        "hPES": pes - 0.1,
        "PES": pes,
        "PES-at-kappa-S": pes + 0.2,
        "hPES-zero-start": pes + 0.5,
        "PES-zero-start": pes + 0.5 + np.array([0.1, -0.1, 0.1, 0.1])[:, None],
    }
    data = dict(rules={r: dict(relative=v.tolist()) for r, v in rules.items()})
    rows = {row["a - b"]: row for row in report.fig4_ablations(data)}
    # the pairs whose two rules ran, in ABLATION_PAIRS order
    assert list(rows) == [
        "hPES - PES",
        "hPES - PES-at-kappa-S",
        "hPES-zero-start - PES-zero-start",
        "hPES - hPES-zero-start",
        "PES - PES-zero-start",
    ]
    zero = rows["hPES-zero-start - PES-zero-start"]
    assert zero["difference"] == pytest.approx(-0.05)
    assert zero["a lower"] == "3 of 4"
    assert rows["hPES - PES"]["95 % CI"] == "-0.100 to -0.100"
    assert rows["hPES - hPES-zero-start"]["a"] == pytest.approx(
        np.mean(pes[:, -5:]) - 0.1
    )
    # the binding file with the most rules is the one loaded
    for name, rules_in in (
        ("fig4-binding-full.json", ("hPES", "PES")),
        ("fig4-binding-full-hPES-PES-PES-at-kappa-S.json", tuple(rules)[:3]),
        ("fig4-binding-full-PES-at-kappa-S.json", ("PES-at-kappa-S",)),
    ):
        subset = dict(rules={r: data["rules"][r] for r in rules_in})
        (tmp_path / name).write_text(json.dumps(subset))
    loaded = report.load_fig4_ablations(tmp_path)
    assert loaded["_source"] == "fig4-binding-full-hPES-PES-PES-at-kappa-S.json"
    (tmp_path / "empty").mkdir()
    assert report.load_fig4_ablations(tmp_path / "empty") is None


def test_fig4_rate_sweep_keeps_the_papers_network_at_each_rate(plt):
    from nengo_hpes.experiments.paper2013 import report_plots as rp

    rng = np.random.RandomState(3)
    base = 1.0 + 0.1 * rng.rand(3, 21)
    offsets = {
        "hPES": 0.0,
        "PES": 0.1,
        "hPES-rate-x0.5": -0.05,
        "PES-rate-x0.5": 0.0,
        "PES-defaults": 0.02,
        "hPES-auto": 0.3,  # another threshold: not a point of the sweep
        "control": 0.0,  # not a rule
    }
    rates = {
        "hPES": 2.0,
        "PES": 1.0,
        "hPES-rate-x0.5": 1.0,
        "PES-rate-x0.5": 0.5,
        "PES-defaults": 0.45,
        "hPES-auto": 2.0,
        "control": 0.0,
    }
    data = dict(
        task="binding",
        seeds=[0, 1, 2],
        rules={
            r: dict(
                relative=(base + off).tolist(),
                params=dict(learning_rate=rates[r], supervision_ratio=0.7),
            )
            for r, off in offsets.items()
        },
    )
    rows = report.fig4_rate_sweep(data)
    assert [r["rule"] for r in rows] == [
        "PES-defaults",
        "PES-rate-x0.5",
        "PES",
        "hPES-rate-x0.5",
        "hPES",
    ]
    final = base[:, -5:].mean(axis=1)
    for row in rows:
        assert row["final"] == pytest.approx(final.mean() + offsets[row["rule"]])
        lo, hi = row["ci95"]
        assert lo < row["final"] < hi
        assert row["base"] == row["rule"].split("-")[0]
    fig = rp.plot_fig4_rates(data)
    lines = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o"]
    assert [line.get_label() for line in lines] == ["hPES", "PES"]
    assert lines[1].get_xdata().tolist() == [0.45, 0.5, 1.0]
    with pytest.raises(ValidationError, match="result"):
        rp.plot_fig4_rates(dict(rules={}))


def _fig5(hpes, pes):
    rules = {}
    for rule, losses in (("hpes", hpes), ("pes", pes)):
        q1, med, q3 = np.percentile(losses, [25, 50, 75])
        rules[rule] = dict(losses=np.asarray(losses), med=med, iqr=q3 - q1)
    return dict(rules=rules)


def test_fig5_bootstrap():
    rng = np.random.RandomState(4)
    pes = 1.5 + 0.5 * rng.randn(50)
    narrow = report.fig5_bootstrap(_fig5(1.2 + 0.1 * rng.randn(50), pes))
    est, lo, hi = narrow["iqr_ratio"]
    assert lo < est < hi < 1 and est == pytest.approx(0.2, abs=0.1)
    est, lo, hi = narrow["median_difference"]
    assert lo < est < hi < 0
    # the same distribution: both intervals contain the null
    same = report.fig5_bootstrap(_fig5(1.5 + 0.5 * rng.randn(50), pes))
    assert same["iqr_ratio"][1] < 1 < same["iqr_ratio"][2]
    assert same["median_difference"][1] < 0 < same["median_difference"][2]
    assert report.fig5_bootstrap(dict(rules=dict(hpes=None, pes=None))) is None
    # the committed binding searches (docs/paper-2013.md, Fig. 5)
    binding = report.fig5_bootstrap(report.load_fig5("binding"))
    assert binding["median_difference"] == pytest.approx(
        (-0.309, -0.729, -0.016), abs=1e-3
    )
    assert binding["iqr_ratio"] == pytest.approx((0.162, 0.111, 0.278), abs=1e-3)


def test_verdict_fig4_binding():
    rng = np.random.RandomState(0)
    pes = 1.0 + 0.1 * rng.rand(5, 21)
    below = report.fig4_paired(_fig4(pes - 0.1 + 0.01 * rng.rand(5, 21), pes))
    assert below["ci95"][1] < 0
    assert report.verdict_fig4("binding", below) == "reproduced"
    # the CI straddles 0, the mean is on the paper's side
    shift = np.array([-0.3, 0.2, -0.25, 0.15, -0.1])[:, None]
    straddle = report.fig4_paired(_fig4(pes + shift, pes))
    assert straddle["mean"] < 0 < straddle["ci95"][1]
    assert report.verdict_fig4("binding", straddle) == "direction only"
    above = report.fig4_paired(_fig4(pes + 0.1, pes))
    assert report.verdict_fig4("binding", above) == "not reproduced"
    one_seed = report.fig4_paired(_fig4(pes[:1] - 0.1, pes[:1]))
    assert one_seed["ci95"] is None
    assert report.verdict_fig4("binding", one_seed) == "direction only"


def test_verdict_fig4_transmission():
    rng = np.random.RandomState(1)
    pes = np.full((4, 61), 1.3) + 0.02 * rng.randn(4, 61)
    same = report.fig4_paired(_fig4(pes + 0.02 * rng.randn(4, 61), pes))
    assert same["ci95"][0] < 0 < same["ci95"][1]
    assert report.verdict_fig4("transmission", same) == "reproduced"
    high = report.fig4_paired(_fig4(pes + 0.2 + 0.02 * rng.randn(4, 61), pes + 0.2))
    assert report.verdict_fig4("transmission", high) == "not reproduced"  # band
    lower = report.fig4_paired(_fig4(pes - 0.05, pes))
    assert report.verdict_fig4("transmission", lower) == "not reproduced"  # CI < 0
    with pytest.raises(ValidationError, match="task"):
        report.verdict_fig4("bind", same)


def test_verdict_fig5_and_table3():
    def f5(h, p):
        def box(med, iqr):
            return dict(med=med, iqr=iqr)

        return dict(rules=dict(hpes=box(*h) if h else None, pes=box(*p)))

    assert report.verdict_fig5(f5((1.1, 0.2), (1.2, 0.4))) == "direction only"
    assert report.verdict_fig5(f5((1.1, 0.5), (1.2, 0.4))) == "not reproduced"
    assert report.verdict_fig5(f5((1.3, 0.2), (1.2, 0.4))) == "not reproduced"
    assert report.verdict_fig5(f5(None, (1.2, 0.4))) == "not run yet"
    verdict, stats = report.verdict_table3([0.9, 0.92, 0.95], [0.8, 0.83, 0.84])
    assert verdict == "reproduced" and stats[1] > 0
    verdict, stats = report.verdict_table3([0.9, 0.7, 0.95], [0.8, 0.83, 0.84])
    assert verdict == "not reproduced" and stats[1] < 0 < stats[0]
    assert report.verdict_table3([0.9], [0.8]) == ("not reproduced", None)


# ------------------------------------------------------------------ missing files
def test_missing_results_are_not_run_yet(tmp_path):
    rows = report.verdict_table(tmp_path)
    assert {r["id"] for r in rows} == {f"R{k}" for k in range(7)}
    for row in rows:
        if row["id"] == "R0":
            continue
        assert row["verdict"] == "not run yet", row
        assert row["source"].startswith("python "), row
        assert str(tmp_path) in row["source"]
    assert report.load_fig4("binding", tmp_path) is None
    assert report.load_table3(tmp_path) == {}


def test_fig4_full_run_preferred(tmp_path):
    prelim = RESULTS / "prelim-3seeds" / "fig4-binding-full.json"
    (tmp_path / "prelim-3seeds").mkdir()
    shutil.copy(prelim, tmp_path / "prelim-3seeds")
    assert report.load_fig4("binding", tmp_path)["_source"].startswith("prelim")
    data = json.loads(prelim.read_text())
    for rule in ("hPES", "PES"):  # a "full" run of two seeds
        data["rules"][rule]["relative"] = data["rules"][rule]["relative"][:2]
    (tmp_path / "fig4-binding-full.json").write_text(json.dumps(data))
    (row,) = report.verdict_table(tmp_path, ids=["R4"])[1:]
    assert row["source"] == "fig4-binding-full.json"
    assert row["n"] == "2 paired (paper 15)"


def test_fig5_half_missing(tmp_path):
    (tmp_path / "fig5").mkdir()
    shutil.copy(RESULTS / "fig5" / "fig5-transmission-hpes.json", tmp_path / "fig5")
    f5 = report.load_fig5("transmission", tmp_path)
    assert f5["rules"] == dict(hpes=None, pes=None)  # no control: no unit
    assert set(f5["missing"]) == {
        "fig5/control-transmission.json",
        "fig5/fig5-transmission-pes.json",
    }
    (row,) = report.verdict_table(tmp_path, ids=["R5"])[:1]
    assert row["verdict"] == "not run yet"
    assert "fig5-control --task transmission" in row["source"]
    assert "--rule pes" in row["source"] and "--rule hpes" not in row["source"]


def test_fig5_reads_only_full_mode_files(tmp_path):
    (tmp_path / "fig5").mkdir()
    for name in (
        "control-binding.json",
        "fig5-binding-hpes.json",
        "fig5-binding-pes.json",
    ):
        shutil.copy(RESULTS / "fig5" / name, tmp_path / "fig5")
    assert report.load_fig5("binding", tmp_path)["rules"]["pes"] is not None
    path = tmp_path / "fig5" / "fig5-binding-pes.json"
    study = json.loads(path.read_text())
    study["spec"]["options"]["mode"] = "quick"
    path.write_text(json.dumps(study))
    f5 = report.load_fig5("binding", tmp_path)
    assert f5["rules"]["pes"] is None and f5["rules"]["hpes"] is not None
    assert f5["missing"] == f5["not_full"] == ["fig5/fig5-binding-pes.json"]
    (row,) = report.verdict_table(tmp_path, ids=["R5"])[1:]
    assert row["verdict"] == "not run yet" and "--rule pes" in row["source"]
    control = tmp_path / "fig5" / "control-binding.json"
    control.write_text(json.dumps(dict(json.loads(control.read_text()), mode="quick")))
    f5 = report.load_fig5("binding", tmp_path)
    assert f5["control_mean"] is None and f5["rules"]["hpes"] is None
    assert "fig5/control-binding.json" in f5["not_full"]


def test_bad_arguments(tmp_path):
    missing = tmp_path / "nothing-here"
    with pytest.raises(ValidationError, match="results_dir.*nothing-here"):
        report.verdict_table(missing)
    with pytest.raises(ValidationError, match="results_dir"):
        report.load_fig5("binding", results_dir=3.5)
    with pytest.raises(ValidationError, match=r"ids.*R7"):
        report.verdict_table(ids=["R7"])
    with pytest.raises(ValidationError, match=r"task.*'transmission'.*'bind'"):
        report.load_fig4("bind")


# ------------------------------------------------------------------------ figures
@pytest.fixture(scope="module")
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _paper_lines(ax, prefix="paper"):
    return [line for line in ax.get_lines() if str(line.get_label()).startswith(prefix)]


def test_plot_fig1_and_fig2(plt, tmp_path):
    from nengo_hpes.experiments.paper2013 import report_plots as rp

    path = tmp_path / "fig1.png"
    fig = rp.plot_fig1(report.load_json("fig1-full.json"), path=path)
    assert path.stat().st_size > 0
    (line,) = _paper_lines(fig.axes[0])
    assert len(line.get_xdata()) == len(report.FIG1_PUBLISHED) == 10
    assert np.min(line.get_ydata()) == report.FIG1_LTD_MIN[1]
    fig = rp.plot_fig2(report.load_json("fig2-full.json"))
    (line,) = _paper_lines(fig.axes[0])
    assert line.get_ydata().tolist() == list(report.FIG2_PUBLISHED["low"])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "ours, θ = 216 (seed6)" in labels and "paper" in labels
    with pytest.raises(ValidationError, match="result"):
        rp.plot_fig1(None)


def test_plot_fig3(plt):
    from matplotlib.colors import to_rgb

    from nengo_hpes.experiments.paper2013 import fig3
    from nengo_hpes.experiments.paper2013 import report_plots as rp

    data = report.load_json("fig3-full.json")
    fig = rp.plot_fig3(data)
    for ax, name in zip(fig.axes, ("accuracy", "gini")):
        # one segment per window, and the window means as "paper" markers
        means = [
            line.get_ydata()[0]
            for line in ax.get_lines()
            if len(line.get_xdata()) == 2 and to_rgb(line.get_color()) == (0, 0, 0)
        ]
        assert means == fig3.PAPER_VALUES[name]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["ours, paper variant", "ours, auto variant", "paper"]
    with pytest.raises(ValidationError, match="variants"):
        rp.plot_fig3(data, variants=("nope",))


def test_plot_fig4(plt):
    from nengo_hpes.experiments.paper2013 import report_plots as rp

    for task in ("transmission", "binding"):
        fig = rp.plot_fig4(report.load_fig4(task))
        lines = _paper_lines(fig.axes[0])
        assert [line.get_label() for line in lines] == ["paper, hPES", "paper, PES"]
        pub = report.FIG4_PUBLISHED[task]
        for line, rule in zip(lines, ("hPES", "PES")):
            assert line.get_ydata().tolist() == list(pub[rule])
            assert line.get_xdata().tolist() == list(pub["learning_time"])


def test_plot_fig5_and_table3(plt):
    from nengo_hpes.experiments.paper2013 import report_plots as rp

    fig5s = [report.load_fig5(t) for t in ("transmission", "binding")]
    fig = rp.plot_fig5(fig5s)
    trans, bind = fig.axes
    # ours: 2 boxes with the trials as dots; the paper's: 2 hatched boxes
    assert len(trans.patches) == 4
    hatched = [p for p in trans.patches if p.get_hatch() == "//"]
    assert len(hatched) == 2
    drawn = {round(y, 3) for line in trans.get_lines() for y in line.get_ydata()}
    # the paper's medians and outer whiskers
    assert {1.206, 1.288, 0.958, 2.595} <= drawn
    if fig5s[1]["rules"]["pes"] is None:
        assert "not run yet" in [t.get_text() for t in bind.texts]
    stats = rp.box_stats([1.0, 2.0, 3.0, 4.0, 100.0])
    assert (stats["med"], stats["q1"], stats["q3"]) == (3.0, 2.0, 4.0)
    assert (stats["whislo"], stats["whishi"]) == (1.0, 4.0)  # 100 is out
    with pytest.raises(ValidationError, match="fig5s"):
        rp.plot_fig5([])

    groups = report.load_table3()
    fig = rp.plot_table3(groups)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "paper, hPES (98.47 %)" in labels and "paper, PES (96.31 %)" in labels
    ours = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o"]
    # one dot per run: every seed of every size, both rules
    n_runs = sum(2 * len(g["seeds"]) for g in groups.values())
    assert n_runs >= 20  # the 2000- and 8000-image sizes have 5 seeds each
    assert sum(len(line.get_xdata()) for line in ours) == n_runs
    with pytest.raises(ValidationError, match="groups"):
        rp.plot_table3({})


def test_table3_test_order_pairs_the_same_network(tmp_path):
    def run(rule, seed, acc):
        return dict(rule=rule, seed=seed, accuracy=acc)

    files = {
        "table3-a": ("sorted", "a", [run("hPES", 0, 0.5), run("hPES", 1, 0.6)]),
        "table3-b": ("sorted", "b", [run("hPES", 2, 0.7), run("PES", 0, 0.2)]),
        "table3-c-shuffled": (
            "shuffled",
            "a",
            [run("hPES", 0, 0.2), run("hPES", 1, 0.4), run("PES", 0, 0.15)],
        ),
        "table3-d-shuffled": ("shuffled", "b", [run("PES", 0, 0.15)]),
        # other features than the sorted run's: not paired
        "table3-e-shuffled": ("shuffled", "a", [run("hPES", 2, 0.1)]),
    }
    for name, (order, stack, runs) in files.items():
        (tmp_path / name).mkdir()
        data = dict(n_train=100, n_test=10, test_order=order, runs=runs)
        data["rbm"] = dict(path=f"/some/cache/rbm-{stack}.npz")
        (tmp_path / name / "table3-full.json").write_text(json.dumps(data))
    out = report.table3_test_order(tmp_path)
    assert set(out) == {(100, 10, "hPES"), (100, 10, "PES")}
    h = out[100, 10, "hPES"]
    assert (h["seeds"], h["sorted"], h["shuffled"]) == ([0, 1], [0.5, 0.6], [0.2, 0.4])
    mean, lo, hi = h["difference"]
    assert mean == pytest.approx(0.25) and lo < 0.25 < hi
    assert h["sources"] == [
        "table3-a/table3-full.json",
        "table3-c-shuffled/table3-full.json",
    ]
    p = out[100, 10, "PES"]
    assert p["seeds"] == [0] and p["difference"] is None
    assert p["sorted"] == [0.2] and p["shuffled"] == [0.15]
    assert p["sources"] == [
        "table3-b/table3-full.json",
        "table3-d-shuffled/table3-full.json",
    ]


def test_table3_pools_only_paired_sorted_runs(tmp_path):
    src = json.loads((RESULTS / "table3-8k" / "table3-full.json").read_text())
    for name, change in [
        ("table3-a", lambda d: d),
        ("table3-b-shuffled", lambda d: dict(d, test_order="shuffled")),
        ("table3-c-one-rule", lambda d: dict(d, runs=d["runs"][:1])),
    ]:
        data = change(json.loads(json.dumps(src)))
        for run in data["runs"]:
            run["accuracy"] += 0.0 if name == "table3-a" else 0.5
        (tmp_path / name).mkdir()
        (tmp_path / name / "table3-full.json").write_text(json.dumps(data))
    (group,) = report.load_table3(tmp_path).values()
    assert group["sources"] == ["table3-a/table3-full.json"]
    acc = {(r["seed"], r["rule"]): r["accuracy"] for r in src["runs"]}
    assert group["hPES"] == [acc[s, "hPES"] for s in group["seeds"]]
