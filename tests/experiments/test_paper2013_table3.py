"""Exp. 3 / Table 3 of the 2013 paper: RBM features and the online classifier."""

import json

import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.data import synthetic_images
from nengo_hpes.experiments.paper2013 import features as feat
from nengo_hpes.experiments.paper2013 import table3

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_images(
        n_train=300, n_test=200, n_classes=4, shape=(12, 12), noise=0.3, seed=1
    )


@pytest.fixture(scope="module")
def stack(synthetic):
    (xtr, _), _ = synthetic
    return feat.train_rbm_stack(
        xtr, layers=(40, 20), n_iter=10, learning_rate=0.05, batch_size=10, seed=0
    )


def test_rbm_features_separate_classes(synthetic, stack):
    (xtr, ytr), (xte, yte) = synthetic
    ftr, fte = stack.transform(xtr), stack.transform(xte)
    assert ftr.shape == (300, 20) and fte.shape == (200, 20)
    assert np.all((ftr > 0) & (ftr < 1))
    assert stack.layers == (144, 40, 20)
    assert stack.info["n_images"] == 300 and len(stack.info["layer_wall_s"]) == 2
    # a linear readout of the top layer beats chance (0.25) by far on held-out data
    acc = table3.linear_readout_accuracy(ftr, ytr, fte, yte)
    assert acc > 0.7
    # an untrained stack (shuffled trained weights) does worse on the same task
    rng = np.random.RandomState(0)
    shuffled = feat.RBMStack(
        [rng.permutation(w.ravel()).reshape(w.shape) for w in stack.weights],
        stack.hidden_biases,
        stack.visible_biases,
    )
    acc_shuffled = table3.linear_readout_accuracy(
        shuffled.transform(xtr), ytr, shuffled.transform(xte), yte
    )
    assert acc > acc_shuffled


def test_rbm_stack_cache(tmp_path, synthetic, monkeypatch):
    (xtr, _), _ = synthetic
    settings = dict(layers=(8, 4), n_iter=1, learning_rate=0.05, batch_size=10)
    s1, p1, c1 = feat.cached_rbm_stack(xtr, directory=tmp_path, **settings)
    s2, p2, c2 = feat.cached_rbm_stack(xtr, directory=tmp_path, **settings)
    assert (c1, c2) == (False, True) and p1 == p2 and p1.exists()
    assert np.array_equal(s1.transform(xtr), s2.transform(xtr))
    assert s2.info["n_iter"] == 1
    # other images or other settings: another file
    _, p3, c3 = feat.cached_rbm_stack(xtr[:-1], directory=tmp_path, **settings)
    _, p4, c4 = feat.cached_rbm_stack(xtr, directory=tmp_path, **dict(settings, seed=1))
    assert not c3 and not c4 and len({p1, p3, p4}) == 3
    # the default folder follows the environment variable
    monkeypatch.setenv(feat.CACHE_ENV, str(tmp_path / "env"))
    assert feat.cache_dir() == tmp_path / "env" / "paper2013-rbm"


def test_training_and_test_order():
    labels = np.repeat(np.arange(10), 30)  # 300 images, 30 per class
    order = table3.training_order(labels, np.random.RandomState(0))
    assert sorted(order) == list(range(300))
    ordered = labels[order]
    n_blocked = 250  # 5/6 of 300, whole blocks of 10
    blocks = ordered[:n_blocked].reshape(-1, 10)
    assert np.all(blocks == blocks[:, :1])  # one class per block
    assert list(blocks[:10, 0]) == list(range(10))  # classes cycle 0..9
    assert list(blocks[10:20, 0]) == list(range(10))
    rest = ordered[n_blocked:]
    assert len(rest) == 50 and not np.all(np.diff(rest) == 0)
    test = table3.test_order(np.array([3, 1, 2, 1, 0]))
    assert list(test) == [4, 1, 3, 2, 0]


def _easy_task(n, rng, n_classes=4, n_features=8):
    labels = rng.randint(0, n_classes, n)
    x = 0.2 * rng.rand(n, n_features)
    x[np.arange(n), labels] += 1.5
    return x, labels


@pytest.fixture(scope="module")
def easy_runs():
    rng = np.random.RandomState(0)
    xtr, ytr = _easy_task(300, rng)
    xte, yte = _easy_task(60, rng)
    kwargs = dict(n_classes=4, nperd=10, seed=0)  # the paper's rates and order
    pes = table3.run_classifier(xtr, ytr, xte, yte, rule="PES", **kwargs)
    hpes = table3.run_classifier(xtr, ytr, xte, yte, rule="hPES", **kwargs)
    return pes, hpes


def test_classifier_learns(easy_runs):
    for r in easy_runs:
        assert r.n_train == 300 and r.n_test == 60
        assert r.accuracy > 0.4  # chance 0.25 (measured 0.517 for both rules)
        assert r.test_margin > 0.2  # measured 0.40 (PES), 0.56 (hPES)
        assert r.weight_norm[1] > r.weight_norm[0]


def test_gate_stops_supervised_term_only(easy_runs):
    pes, hpes = easy_runs
    # PES: nothing changes while the error is gated off
    assert pes.weight_change_rate_test < 1e-6 * pes.weight_change_rate_train
    # hPES: the BCM term keeps changing the weights during the test
    assert hpes.weight_change_rate_test > 1e-3 * hpes.weight_change_rate_train
    assert hpes.weight_norm[2] != hpes.weight_norm[1]


def test_shuffled_test_order_keeps_the_training():
    rng = np.random.RandomState(1)
    xtr, ytr = _easy_task(60, rng)
    xte, yte = _easy_task(40, rng)
    kw = dict(n_classes=4, nperd=5, seed=2, rule="hPES")
    sorted_ = table3.run_classifier(xtr, ytr, xte, yte, **kw)
    shuffled = table3.run_classifier(xtr, ytr, xte, yte, test_shuffled=True, **kw)
    assert (sorted_.test_order, shuffled.test_order) == ("sorted", "shuffled")
    # the same training (the order is drawn before the test's), another test
    assert shuffled.weight_norm[:2] == sorted_.weight_norm[:2]
    assert shuffled.weight_norm[2] != sorted_.weight_norm[2]
    with pytest.raises(ValidationError) as e:
        table3.run_classifier(xtr, ytr, xte, yte, test_shuffled="yes", **kw)
    assert e.value.attr == "test_shuffled"


def test_paper_parameters_converted():
    rng = np.random.RandomState(0)
    x, y = _easy_task(4, rng, n_features=50)
    net = table3.build_network(x, y, [1, 1, 0, 0], 10, rule="hPES")
    p = net.package_params
    assert p["learning_rate"] == pytest.approx(7.434e-3, rel=1e-3)
    assert p["supervision_ratio"] == pytest.approx(0.725195232663)
    assert p["unsupervised_scale"] == pytest.approx(6.4e-12, rel=1e-9)
    net = table3.build_network(x, y, [1, 1, 0, 0], 10, rule="PES")
    assert net.package_params["learning_rate"] == pytest.approx(4.577e-3, rel=1e-3)
    assert net.package_params["supervision_ratio"] == 1
    ens = {e.label: e for e in net.all_ensembles}
    assert ens["pre"].n_neurons == 1250 and ens["pre"].radius == 4.5
    assert ens["post"].n_neurons == 250 and ens["post"].radius == 2.5
    assert ens["post"].dimensions == 10 and ens["error"].n_neurons == 250
    assert ens["gate"].n_neurons == 40
    w = net.learned.transform.init
    assert w.shape == (250, 1250) and np.abs(w).max() <= 1e-3
    assert net.steps_per_image == 50


def test_run_table3_quick(tmp_path):
    out = table3.run_table3(
        mode="quick",
        seeds=[0, 1],
        n_train=40,
        n_test=20,
        verbose=False,
        cache_directory=tmp_path,
    )
    assert out["rbm"]["layers"][-1] == 50
    assert len(out["runs"]) == 4
    pair = out["paired_hpes_minus_pes"]
    acc = out["accuracy"]
    assert pair["per_seed"] == pytest.approx(
        np.subtract(acc["hPES"]["per_seed"], acc["PES"]["per_seed"]).tolist()
    )
    assert pair["t_ci95"][0] <= pair["mean"] <= pair["t_ci95"][1]
    assert out["test_order"] == "sorted"
    json.dumps(out)  # serialisable


def test_run_table3_resumes_from_its_partial_file(tmp_path, monkeypatch):
    partial = tmp_path / "table3-quick.partial.jsonl"
    kw = dict(mode="quick", n_train=20, n_test=10, verbose=False)
    kw.update(cache_directory=tmp_path, partial_path=str(partial))
    first = table3.run_table3(seeds=[0], **kw)
    assert len(partial.read_text().splitlines()) == 2
    with open(partial, "a") as f:
        f.write('{"rule": "hPES", "seed": 1, "acc')  # a line cut by a kill
    calls = []
    run_one = table3._run_one
    monkeypatch.setattr(
        table3, "_run_one", lambda job: calls.append(job["seed"]) or run_one(job)
    )
    out = table3.run_table3(seeds=[0, 1], **kw)
    assert calls == [1, 1]  # seed 0 of both rules came from the file
    assert [(r["rule"], r["seed"]) for r in out["runs"]] == [
        ("hPES", 0),
        ("PES", 0),
        ("hPES", 1),
        ("PES", 1),
    ]
    assert json.dumps(out["runs"][:2]) == json.dumps(first["runs"])  # NaN-safe
    assert out["accuracy"]["hPES"]["per_seed"][0] == first["runs"][0]["accuracy"]
    # other test images: nothing in the file is theirs
    calls.clear()
    table3.run_table3(seeds=[0], **dict(kw, n_test=5))
    assert calls == [0, 0]


def test_cli_one_rule_shuffled(tmp_path, monkeypatch):
    monkeypatch.setenv("NENGO_HPES_CACHE", str(tmp_path / "cache"))
    argv = ["--mode", "quick", "--seeds", "1", "--n-train", "30", "--n-test", "10"]
    argv += ["--rules", "hPES", "--test-order", "shuffled", "--quiet"]
    path = table3.main(argv + ["--out", str(tmp_path)])
    out = json.loads(open(path).read())
    assert out["test_order"] == "shuffled" and "paired_hpes_minus_pes" not in out
    assert [(r["rule"], r["test_order"]) for r in out["runs"]] == [("hPES", "shuffled")]


@pytest.mark.parametrize(
    "kwargs, attr",
    [
        (dict(rule="BCM"), "rule"),
        (dict(n_classes=1), "n_classes"),
        (dict(switch=[1, 2, 0, 0]), "switch"),
        (dict(switch=[1, 0]), "switch"),
        (dict(presentation=0.0505), "presentation"),
        (dict(rule="PES", supervision_ratio=0.5), "supervision_ratio"),
        (dict(supervision_ratio=1.5), "supervision_ratio"),
        (dict(learning_rate=-1.0), "learning_rate"),
        (dict(nperd=0), "nperd"),
        (dict(pre_radius=0), "pre_radius"),
        (dict(labels=[0, 1, 2, 12]), "labels"),
        (dict(inputs=np.full((4, 8), np.nan)), "inputs"),
    ],
)
def test_build_network_validation(kwargs, attr):
    rng = np.random.RandomState(0)
    x, y = _easy_task(4, rng)
    args = dict(inputs=x, labels=y, switch=[1, 1, 0, 0], n_classes=10)
    args.update(kwargs)
    with pytest.raises(ValidationError) as e:
        table3.build_network(**args)
    assert e.value.attr == attr


def test_other_validation(synthetic):
    (xtr, _), _ = synthetic
    with pytest.raises(ValidationError, match="pixels in"):
        feat.train_rbm_stack(xtr * 255, layers=(4,), n_iter=1)
    with pytest.raises(ValidationError) as e:
        feat.train_rbm_stack(xtr, layers=(4, 0), n_iter=1)
    assert e.value.attr == "layers"
    with pytest.raises(ValidationError) as e:
        feat.train_rbm_stack(xtr, layers=(4,), n_iter=0)
    assert e.value.attr == "n_iter"
    with pytest.raises(ValidationError) as e:
        feat.train_rbm_stack(xtr, layers=(4,), learning_rate=0)
    assert e.value.attr == "learning_rate"
    with pytest.raises(ValidationError) as e:
        table3.run_table3(mode="medium")
    assert e.value.attr == "mode"
    with pytest.raises(ValidationError) as e:
        table3.run_table3(mode="quick", workers=0)
    assert e.value.attr == "workers"
    with pytest.raises(ValidationError) as e:
        table3.training_order([0, 1], np.random.RandomState(0), blocked_fraction=2)
    assert e.value.attr == "blocked_fraction"
    stack = feat.RBMStack([np.zeros((3, 5))], [np.zeros(3)], [np.zeros(5)])
    with pytest.raises(ValidationError, match="5 pixels"):
        stack.transform(np.zeros((2, 4)))
