"""
The hybrid: online readouts of the frozen spiking CNN's features.

The CNN of `nengo_hpes.experiments.cnn` is trained once and frozen; a new
readout of its spiking features (last-layer spike counts) is learned online by
any learning rule (hPES, PES) with
`nengo_hpes.experiments.classifier.run_classifier`, as Bekolay et al. (2013)
learned the readout of a deep belief network's features online.
`ReadoutSettings` holds the readout's hidden layer and run lengths;
`hybrid_readout` learns one readout; `run_hybrid_experiment` runs the whole
experiment (CNN, features, readouts) on MNIST, and `comparison_table` puts
its numbers beside published ones. Command line:
``python -m nengo_hpes.experiments.hybrid`` (`nengo_hpes.experiments.cli`).
"""

import dataclasses

import numpy as np

from nengo_hpes.experiments.cache import machine, versions
from nengo_hpes.experiments.cnn import (
    CNNSettings,
    CNNTraining,
    SpikingRun,
    rate_accuracy,
    run_spiking,
    train_cnn,
)
from nengo_hpes.experiments.data import MNIST_SIZES, mnist_data
from nengo_hpes.experiments.rules import make_rule, matched_learning_rates
from nengo_hpes.experiments.validation import (
    check_choice,
    check_int,
    check_number,
    check_type,
    fail,
)

#: How the readout's hidden layer sees the features: ``"direct"``, one hidden
#: neuron per feature (identity encoders); ``"gaussian"``, random unit-norm
#: Gaussian encoders on the centred features.
READOUT_ENCODERS = ("direct", "gaussian")
#: Readout rules by name (`nengo_hpes.experiments.rules.make_rule`).
READOUT_RULES = ("hpes", "pes", "pes-s1")
#: Supervised learning rate of the readouts (`hybrid_learning_rates`), chosen
#: on training data only (``docs/results.md``).
HYBRID_LEARNING_RATE = 6e-5
#: Hidden neurons of a ``"gaussian"`` readout when `ReadoutSettings` gives none.
GAUSSIAN_N_HIDDEN = 6400


@dataclasses.dataclass(frozen=True)
class ReadoutSettings:
    """
    The hybrid readout: its hidden layer, output and passes.

    Parameters
    ----------
    encoders : {"direct", "gaussian"}
        See `READOUT_ENCODERS`.
    n_hidden : int or None
        Hidden neurons (>= 1); ``"direct"`` needs (and defaults to)
        ``n_features``, ``"gaussian"`` defaults to `GAUSSIAN_N_HIDDEN`.
    max_rate : float
        Firing rate (Hz, > 0) of the hidden neurons at ``encoder @ x = 1``.
    projection_sd : float
        ``"gaussian"`` only (> 0): see `FeatureScaling`.
    n_passes : int
        Online passes over the training features (>= 1).
    n_output : int
        Output neurons (>= 1).
    seed : int
        Seed of the encoders and the network (>= 0).
    """

    encoders: str = "gaussian"
    n_hidden: int = None
    max_rate: float = 200.0
    projection_sd: float = 0.3
    n_passes: int = 1
    n_output: int = 250
    seed: int = 0

    def __post_init__(self):
        check_choice("encoders", self.encoders, READOUT_ENCODERS, obj=self)
        check_int("n_hidden", self.n_hidden, low=1, optional=True, obj=self)
        check_number("max_rate", self.max_rate, low=0, low_open=True, obj=self)
        check_number(
            "projection_sd", self.projection_sd, low=0, low_open=True, obj=self
        )
        check_int("n_passes", self.n_passes, low=1, obj=self)
        check_int("n_output", self.n_output, low=1, obj=self)
        check_int("seed", self.seed, low=0, obj=self)


@dataclasses.dataclass
class FeatureScaling:
    """
    Maps spike counts to the readout's input vectors (fitted on training data).

    ``x = (counts - offset) / scale``. For ``"direct"`` encoders ``offset`` is
    0 and ``scale`` the 99th percentile of the nonzero training counts, so a
    hidden neuron (intercept 0.1, maximum rate at 1) fires from about a tenth
    of a large count and reaches its maximum rate near the largest counts. For
    ``"gaussian"`` encoders ``offset`` is the mean training feature vector and
    ``scale`` makes the projection on a random unit encoder have standard
    deviation ``projection_sd`` on the training set (``E|x|^2 / d =
    projection_sd^2``).
    """

    encoders: str
    offset: np.ndarray
    scale: float

    @classmethod
    def fit(cls, train_counts, encoders="direct", projection_sd=0.3):
        """Fit the scaling to the training features' spike counts."""
        check_choice("encoders", encoders, READOUT_ENCODERS)
        projection_sd = check_number(
            "projection_sd", projection_sd, low=0, low_open=True
        )
        counts = np.asarray(train_counts, dtype=np.float64)
        if counts.ndim != 2 or counts.shape[0] == 0:
            fail(
                "train_counts",
                f"Must be a non-empty (n, n_features) array (got {counts.shape})",
            )
        if encoders == "direct":
            nonzero = counts[counts > 0]
            scale = float(np.percentile(nonzero, 99)) if nonzero.size else 1.0
            return cls(encoders, np.zeros(counts.shape[1]), scale)
        offset = counts.mean(axis=0)
        mean_sq = float(np.mean(np.sum((counts - offset) ** 2, axis=1)))
        scale = np.sqrt(mean_sq / counts.shape[1]) / projection_sd
        return cls(encoders, offset, float(scale) if scale > 0 else 1.0)

    def transform(self, counts):
        """Input vectors (float32) of the readout."""
        counts = np.asarray(counts, dtype=np.float32)
        if counts.ndim != 2 or counts.shape[1] != self.offset.size:
            fail(
                "counts",
                f"Must have shape (n, {self.offset.size}) (got {counts.shape})",
            )
        return ((counts - self.offset.astype(np.float32)) / self.scale).astype(
            np.float32
        )


def hybrid_readout(
    train, test, learning_rule_type, settings=None, label=None, progress_bar=True
):
    """
    Learn a readout of the frozen CNN's spiking features online.

    The features (``SpikingRun.counts``) are scaled by a `FeatureScaling`
    fitted on the training features, then presented to
    `nengo_hpes.experiments.classifier.run_classifier` as "images": a hidden
    LIF layer (identity or Gaussian encoders) drives an output ensemble
    through a learned ``hidden.neurons -> output.neurons`` weight matrix,
    trained online with ``learning_rule_type`` and tested with learning off.

    Parameters
    ----------
    train, test : (counts, labels)
        ``(n, n_features)`` spike counts and ``(n,)`` labels.
    learning_rule_type : `~nengo.learning_rules.LearningRuleType` or None
        E.g. ``nengo_hpes.HPES()`` or ``nengo.PES(1e-4)``.
    settings : ReadoutSettings, optional
        Default ``ReadoutSettings()``.
    label : str, optional
        Name of the run.
    progress_bar : bool, optional
        Nengo's progress bars.

    Returns
    -------
    `nengo_hpes.experiments.classifier.ClassifierResult`
        Its ``params`` also hold ``readout_encoders``, ``feature_scale``,
        ``n_features`` and ``projection_sd``.
    """
    from nengo_hpes.experiments.classifier import run_classifier

    s = ReadoutSettings() if settings is None else settings
    check_type("settings", s, ReadoutSettings)
    c_train, y_train = train
    c_test, y_test = test
    c_train = np.asarray(c_train)
    if c_train.ndim != 2 or c_train.shape[0] == 0:
        fail(
            "train",
            f"Features must be a non-empty (n, n_features) array "
            f"(got shape {c_train.shape})",
        )
    d = c_train.shape[1]
    scaling = FeatureScaling.fit(c_train, s.encoders, s.projection_sd)
    if s.encoders == "direct":
        if s.n_hidden is not None and s.n_hidden != d:
            fail(
                "n_hidden",
                f"Must be None or n_features = {d} for direct encoders "
                f"(got {s.n_hidden!r})",
                s,
            )
        n_hidden, enc = d, "identity"
    else:
        n_hidden = GAUSSIAN_N_HIDDEN if s.n_hidden is None else s.n_hidden
        enc = "gaussian"
    result = run_classifier(
        (scaling.transform(c_train), y_train),
        (scaling.transform(c_test), y_test),
        learning_rule_type,
        (1, d),
        n_classes=10,
        n_passes=s.n_passes,
        n_hidden=n_hidden,
        encoders=enc,
        max_rate=s.max_rate,
        n_output=s.n_output,
        seed=s.seed,
        label=label,
        progress_bar=progress_bar,
    )
    result.params.update(
        readout_encoders=s.encoders,
        feature_scale=scaling.scale,
        n_features=d,
        projection_sd=s.projection_sd if s.encoders == "gaussian" else None,
    )
    return result


def hybrid_learning_rates(rate=HYBRID_LEARNING_RATE):
    """`READOUT_RULES`' learning rates with the supervised rate ``rate``."""
    return matched_learning_rates(rate)


#: Run lengths of the notebook and the command lines.
MODES = {
    "full": dict(n_train=60000, n_test=10000, epochs=10, readout_n_train=60000),
    "quick": dict(n_train=5000, n_test=500, epochs=1, readout_n_train=1000),
}


def mode_settings(mode):
    """Keyword arguments of `run_hybrid_experiment` for ``"quick"`` or ``"full"``."""
    return dict(MODES[check_choice("mode", mode, tuple(MODES))])


@dataclasses.dataclass
class HybridExperiment:
    """
    What `run_hybrid_experiment` measured.

    Attributes
    ----------
    training : CNNTraining
        The trained CNN.
    rate_accuracy : float
        Test accuracy of the CNN with ``SoftLIFRate`` neurons.
    spiking_test : SpikingRun
        The spiking CNN on the test images.
    spiking_train : SpikingRun or None
        The spiking CNN on the readout's training images (its features).
    y_test, y_train : ndarray
        Labels of those images.
    readouts : dict
        Rule name (`READOUT_RULES`) -> `~.classifier.ClassifierResult`.
    settings : dict
        The arguments of the run.
    """

    training: CNNTraining
    rate_accuracy: float
    spiking_test: SpikingRun
    spiking_train: object
    y_test: np.ndarray
    y_train: np.ndarray
    readouts: dict
    settings: dict

    @property
    def spiking_accuracy(self):
        """Test accuracy of the spiking CNN."""
        return self.spiking_test.accuracy(self.y_test)

    def summary(self):
        """The numbers, settings, versions and machine as a JSON-compatible dict."""
        n_test = len(self.y_test)
        out = {
            "settings": self.settings,
            "cnn": {
                **self.training.summary(),
                "rate_test_accuracy": self.rate_accuracy,
                "spiking_test_accuracy": self.spiking_accuracy,
                "n_test": n_test,
                "n_steps": self.spiking_test.n_steps,
                "spiking_test_seconds": self.spiking_test.seconds,
                "spiking_test_seconds_per_image": self.spiking_test.seconds / n_test,
            },
            "readouts": {},
            "versions": versions(),
            "machine": machine(),
        }
        if self.spiking_train is not None:
            n = len(self.y_train)
            out["cnn"]["spiking_train_accuracy"] = self.spiking_train.accuracy(
                self.y_train
            )
            out["features"] = {
                "n_train": n,
                "n_features": int(self.spiking_train.counts.shape[1]),
                "extraction_seconds": self.spiking_train.seconds,
                "extraction_seconds_per_image": self.spiking_train.seconds / n,
                "mean_rate_hz": float(self.spiking_train.rates().mean()),
                "fraction_active": float(np.mean(self.spiking_train.counts > 0)),
            }
        from nengo_hpes.experiments.metrics import gini_index

        for name, res in self.readouts.items():
            s = res.summary()
            s["weight_gini"] = float(gini_index(res.weights))
            out["readouts"][name] = s
        return out


def _check_rules(rules, learning_rates):
    """``rules`` as a tuple and ``learning_rates`` as a dict (see below)."""
    rules = tuple(rules)
    for rule in rules:
        if rule not in READOUT_RULES:
            fail("rules", f"Must name rules in {READOUT_RULES} (got {rule!r})")
    if learning_rates is None:
        learning_rates = {
            k: v for k, v in hybrid_learning_rates().items() if k in rules
        }
    learning_rates = dict(learning_rates)
    if set(learning_rates) - set(rules):
        fail(
            "learning_rates",
            f"Must name rules in {rules} (got {sorted(learning_rates)})",
        )
    return rules, learning_rates


def run_hybrid_experiment(
    n_train=60000,
    n_test=10000,
    epochs=10,
    readout_n_train=None,
    rules=("hpes", "pes-s1"),
    learning_rates=None,
    readout=None,
    features_only=False,
    n_steps=30,
    output_synapse=0.1,
    settings=None,
    cache_dir=None,
    progress_bar=True,
    verbose=1,
):
    """
    Train the spiking CNN, test it with spikes, then learn hybrid readouts.

    1. `.train_cnn` on the first ``n_train`` MNIST training images (cached).
    2. Rate accuracy and spiking accuracy (`.run_spiking`: ``n_steps`` steps,
       ``output_synapse``) on the first ``n_test`` test images, and their
       spiking features (cached).
    3. Spiking features of the first ``readout_n_train`` training images
       (cached).
    4. For each rule, `hybrid_readout`: ``readout.n_passes`` online passes
       over the training features (in order), then the test with learning
       off.

    Parameters
    ----------
    n_train, n_test, epochs : int, optional
        MNIST images for the CNN's training and for the tests; CNN training
        epochs (overrides ``settings.epochs``).
    readout_n_train : int, optional
        Training images of the readout (default ``n_train``; at most 60000).
    rules : sequence of {"hpes", "pes", "pes-s1"}, optional
        Readout rules (empty: no readout).
    learning_rates : dict, optional
        Rule name -> learning rate; rules not named get `.rules.make_rule`'s
        defaults (HPES's own, PES 1e-4). Default: `hybrid_learning_rates()`
        (supervised rate `HYBRID_LEARNING_RATE`, chosen on validation data).
    readout : ReadoutSettings, optional
        The readouts' hidden layer, passes and seed (default
        ``ReadoutSettings()``).
    features_only : bool, optional
        Steps 1-3 only: compute (and cache) the CNN and the features, learn
        no readout (``rules`` are not run). Lets several processes then learn
        readouts side by side from the cache (``make mnist-cnn``).
    n_steps, output_synapse, settings, cache_dir : optional
        See `.run_spiking` and `.train_cnn`.
    progress_bar, verbose : optional
        Progress bars; Keras' training output and progress lines (0: quiet).

    Returns
    -------
    HybridExperiment
    """
    epochs = check_int("epochs", epochs, low=1)
    settings = CNNSettings() if settings is None else settings
    check_type("settings", settings, CNNSettings)
    settings = dataclasses.replace(settings, epochs=epochs)
    n_train = check_int("n_train", n_train, low=1, high=MNIST_SIZES["train"])
    n_test = check_int("n_test", n_test, low=1, high=MNIST_SIZES["test"])
    readout_n_train = check_int(
        "readout_n_train",
        n_train if readout_n_train is None else readout_n_train,
        low=1,
        high=MNIST_SIZES["train"],
    )
    rules, learning_rates = _check_rules(rules, learning_rates)
    if features_only:
        rules, learning_rates = (), {}
    readout = ReadoutSettings() if readout is None else readout
    check_type("readout", readout, ReadoutSettings)
    args = dict(
        n_train=n_train,
        n_test=n_test,
        epochs=epochs,
        readout_n_train=readout_n_train,
        rules=list(rules),
        learning_rates=learning_rates,
        readout=dataclasses.asdict(readout),
        features_only=bool(features_only),
        n_steps=n_steps,
        output_synapse=output_synapse,
    )

    def say(text):
        if verbose:
            print(text, flush=True)

    (x_train, y_train), (x_test, y_test) = mnist_data(
        max(n_train, readout_n_train), n_test, low=0.0
    )
    say(f"CNN: training on {n_train} images, {epochs} epoch(s)")
    training = train_cnn(
        (x_train[:n_train], y_train[:n_train]),
        settings,
        cache_dir=cache_dir,
        verbose=2 if verbose else 0,
        progress_bar=progress_bar,
    )
    say(
        f"CNN: trained in {training.train_seconds:.0f} s"
        + (" (cached)" if training.cached else "")
    )
    spike_kw = dict(
        n_steps=n_steps,
        output_synapse=output_synapse,
        cache_dir=cache_dir,
        progress_bar=progress_bar,
    )
    rate_acc = rate_accuracy(training, (x_test, y_test))
    spiking_test = run_spiking(training, x_test, **spike_kw)
    say(
        f"CNN: rate accuracy {100 * rate_acc:.2f} %, spiking accuracy "
        f"{100 * spiking_test.accuracy(y_test):.2f} % ({n_test} test images, "
        f"{n_steps} steps)"
    )
    readouts, spiking_train = {}, None
    if features_only:
        say("features only: no readouts")
    if rules or features_only:
        spiking_train = run_spiking(training, x_train[:readout_n_train], **spike_kw)
        say(
            f"features: {readout_n_train} training images in "
            f"{spiking_train.seconds:.0f} s"
        )
        for rule in rules:
            lr = learning_rates.get(rule)
            rule_type = make_rule(rule, lr)
            say(f"readout: {rule_type!r} on {readout_n_train} feature vectors")
            res = hybrid_readout(
                (spiking_train.counts, y_train[:readout_n_train]),
                (spiking_test.counts, y_test),
                rule_type,
                readout,
                label=f"{rule_type!r} on CNN features",
                progress_bar=progress_bar,
            )
            say(f"readout: {rule}: test accuracy {100 * res.accuracy:.2f} %")
            readouts[rule] = res
    return HybridExperiment(
        training,
        rate_acc,
        spiking_test,
        spiking_train,
        y_test,
        y_train[:readout_n_train],
        readouts,
        args,
    )


# --- the whole experiment ------------------------------------------------------

#: Published MNIST results to compare with: (system, test accuracy %, source).
ANCHORS = (
    (
        "Bekolay et al. 2013: online hPES readout of 50-D DBN features (S = 0.725), "
        "single run",
        98.47,
        "Bekolay, Kolbeck & Eliasmith, CogSci 2013 (tbekolay/cogsci2013: "
        "paper/bekolay_1_31.tex)",
    ),
    (
        "Bekolay et al. 2013: same with PES (S = 1), single run",
        96.31,
        "same",
    ),
    (
        "Diehl & Cook 2015: unsupervised STDP, 400 excitatory neurons",
        91.6,
        "Front. Comput. Neurosci. 9:99 (doi:10.3389/fncom.2015.00099)",
    ),
    (
        "Diehl & Cook 2015: unsupervised STDP, 6400 excitatory neurons",
        95.0,
        "same",
    ),
    (
        "BindsNET reproductions of Diehl & Cook (100 to 6400 neurons)",
        "77-90",
        "github.com/BindsNET/bindsnet issues 553, 575",
    ),
    (
        "NengoDL spiking-MNIST CNN, 30 steps, 0.1 s output synapse",
        98.74,
        "nengo.ai/nengo-dl/examples/spiking-mnist.html (v3.5.0)",
    ),
    (
        "nengo-extras single layer, 1000 LIFRate neurons, Gabor encoders, "
        "offline LstsqL2",
        97.37,
        "nengo/nengo-extras: examples/mnist_single_layer.ipynb",
    ),
)


def comparison_table(experiment=None, pixel_results=()):
    """
    Rows for `nengo_hpes.experiments.notebook.format_table`: measured results (this
    package) beside the published anchors, each with its source.

    Parameters
    ----------
    experiment : HybridExperiment, optional
        The CNN and hybrid readouts measured here.
    pixel_results : sequence of ClassifierResult, optional
        Online readouts learned from pixels (`~.classifier.run_classifier`).
    """
    rows = [
        {"system": name, "MNIST test accuracy (%)": acc, "source": source}
        for name, acc, source in ANCHORS
    ]

    def measured(name, acc, n_test):
        rows.append(
            {
                "system": name,
                "MNIST test accuracy (%)": f"{100 * acc:.2f}",
                "source": f"measured here ({n_test} test images)",
            }
        )

    for res in pixel_results:
        p = res.params
        measured(
            f"{res.label}: online readout of {p['n_hidden']} {p['encoders']} LIF "
            f"neurons on pixels, {p['n_train']} images x {p['n_passes']} pass",
            res.accuracy,
            p["n_test"],
        )
    if experiment is not None:
        s = experiment.training.settings
        measured(
            f"spiking CNN (NengoDL's network), pixels x {s.input_scale:g}, "
            f"soft-LIF sigma = {s.lif_smoothing:g}, "
            f"{s.epochs} epoch(s) on {experiment.training.n_train} images, "
            f"{experiment.spiking_test.n_steps} steps",
            experiment.spiking_accuracy,
            len(experiment.y_test),
        )
        for res in experiment.readouts.values():
            p = res.params
            measured(
                f"hybrid: {res.label}, {p['n_hidden']} hidden "
                f"({p['readout_encoders']}, {p['max_rate']:g} Hz), {p['n_train']} "
                f"images x {p['n_passes']} pass" + ("es" if p["n_passes"] > 1 else ""),
                res.accuracy,
                p["n_test"],
            )
    for row in rows:
        acc = row["MNIST test accuracy (%)"]
        row["MNIST test accuracy (%)"] = acc if isinstance(acc, str) else f"{acc:.2f}"
    return rows


if __name__ == "__main__":  # pragma: no cover
    from nengo_hpes.experiments.cli import hybrid_main

    hybrid_main()
