"""Front end: HPES parameters, validation messages, repr, equality, pickling."""

import copy
import pickle
import re

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError
from nengo.learning_rules import LearningRuleType
from nengo.synapses import Alpha, LinearFilter, Lowpass

import nengo_hpes
from nengo_hpes import HPES


def test_type_and_metadata():
    rule = HPES()
    assert isinstance(rule, LearningRuleType)
    assert not isinstance(rule, (nengo.PES, nengo.BCM))
    assert rule.modifies == "weights"
    assert rule.size_in == "post_state"
    assert rule.probeable == (
        "error",
        "pre_filtered",
        "post_filtered",
        "theta",
        "delta",
    )


def test_defaults():
    """The documented defaults, as literals (docs/defaults.md chose them)."""
    rule = HPES()
    assert rule.learning_rate == 1e-4 / 0.999
    assert rule.learning_rate * rule.supervision_ratio == pytest.approx(1e-4, rel=1e-15)
    assert rule.supervision_ratio == 0.999
    assert rule.unsupervised_scale == "auto"
    assert rule.pre_synapse == Lowpass(0.005)
    # post_synapse=Default means "same as pre_synapse", as in nengo.BCM
    assert rule.post_synapse == Lowpass(0.005)
    assert HPES(pre_synapse=Alpha(0.01)).post_synapse == Alpha(0.01)
    assert HPES(post_synapse=None).post_synapse is None
    assert rule.theta_synapse == Lowpass(1.0)
    assert rule.theta_init == "rates"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"learning_rate": 2e-4, "supervision_ratio": 0.5},
        {"unsupervised_scale": 1e-7},
        {"unsupervised_scale": "auto", "theta_init": None},
        {"theta_init": 30.0},
        {"theta_init": [10.0, 20.0, 30.0]},
        {"theta_init": "max_rates", "theta_synapse": Lowpass(1.0)},
        {"pre_synapse": Alpha(0.01), "post_synapse": None},
        {"pre_synapse": Lowpass(0.01), "post_synapse": Lowpass(0.02)},
        {"theta_synapse": None, "theta_init": None},
    ],
)
def test_repr_eq_hash_pickle(kwargs):
    from nengo.synapses import Alpha, Lowpass  # noqa: F401 (used by eval)

    rule = HPES(**kwargs)
    again = eval(repr(rule))
    assert again == rule
    assert hash(again) == hash(rule)
    assert pickle.loads(pickle.dumps(rule)) == rule
    assert copy.deepcopy(rule) == rule
    assert repr(rule).startswith("HPES(")


def test_repr_shows_only_non_defaults():
    assert repr(HPES()) == "HPES()"
    assert repr(HPES(supervision_ratio=0.5)) == "HPES(supervision_ratio=0.5)"
    # post_synapse equal to pre_synapse is the default and is not shown
    assert "post_synapse" not in repr(HPES(pre_synapse=Lowpass(0.01)))


def test_inequality():
    assert HPES() != HPES(supervision_ratio=0.5)
    assert HPES(theta_init=[1.0, 2.0]) != HPES(theta_init=[1.0, 3.0])
    assert HPES() != nengo.PES()


def test_theta_init_array_is_stored_as_tuple():
    rule = HPES(theta_init=np.array([1, 2.5]))
    assert rule.theta_init == (1.0, 2.5)
    assert HPES(theta_init=np.float64(3)).theta_init == 3.0


def test_readonly():
    rule = HPES()
    with pytest.raises(ValidationError, match="read-only"):
        rule.supervision_ratio = 0.5
    with pytest.raises(ValidationError, match="read-only"):
        rule.theta_init = None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"learning_rate": -1e-4}, r"HPES.learning_rate: .*greater than or equal to 0"),
        ({"learning_rate": "fast"}, r"HPES.learning_rate: Must be a finite number"),
        (
            {"learning_rate": float("nan")},
            r"learning_rate: .*finite and >= 0 \(got nan",
        ),
        (
            {"learning_rate": float("inf")},
            r"learning_rate: .*finite and >= 0 \(got inf",
        ),
        (
            {"learning_rate": True},
            r"learning_rate: Must be a finite number.*\(got True",
        ),
        ({"learning_rate": None}, r"learning_rate: Must be a finite number.*got None"),
        ({"supervision_ratio": float("nan")}, r"ratio: .*finite and in \[0, 1\]"),
        ({"supervision_ratio": True}, r"ratio: Must be a finite number in \[0, 1\]"),
        ({"supervision_ratio": "half"}, r"ratio: Must be a finite number.*'half'"),
        ({"supervision_ratio": -0.1}, r"supervision_ratio: .*greater than or equal"),
        ({"supervision_ratio": 1.5}, r"supervision_ratio: .*less than or equal to 1"),
        (
            {"unsupervised_scale": -1.0},
            r"unsupervised_scale: .*greater.*0 \(got -1.0\)",
        ),
        ({"unsupervised_scale": float("nan")}, r"unsupervised_scale: .*finite"),
        ({"unsupervised_scale": float("inf")}, r"unsupervised_scale: .*finite"),
        ({"unsupervised_scale": "big"}, r"unsupervised_scale: .*'auto'.*got 'big'"),
        ({"unsupervised_scale": True}, r"unsupervised_scale: Must be a number"),
        ({"unsupervised_scale": None}, r"unsupervised_scale: .*got None"),
        ({"pre_synapse": "slow"}, r"pre_synapse"),
        ({"post_synapse": "fast"}, r"post_synapse"),
        ({"theta_synapse": "x"}, r"theta_synapse"),
        ({"theta_init": -1.0}, r"theta_init: .*greater than or equal to 0 \(got -1.0"),
        ({"theta_init": [1.0, -2.0]}, r"theta_init: .*greater than or equal to 0"),
        ({"theta_init": [1.0, np.nan]}, r"theta_init: .*finite"),
        ({"theta_init": "mean"}, r"theta_init: .*\('rates', 'max_rates'\).*'mean'"),
        ({"theta_init": [[1.0, 2.0]]}, r"theta_init: .*1-D array"),
        ({"theta_init": []}, r"theta_init: .*1-D array"),
        ({"theta_init": ["a"]}, r"theta_init: .*1-D array"),
        (
            {"theta_synapse": None, "theta_init": 10.0},
            r"theta_init: theta_init needs a theta_synapse",
        ),
        # a synapse without state (a pure gain) cannot start at theta_init
        ({"theta_synapse": 0}, r"theta_init: .*Lowpass\(tau=0\) has none.*'rates'"),
        ({"theta_synapse": Lowpass(0), "theta_init": 5.0}, r"has none.*got.*5.0"),
        ({"theta_synapse": Alpha(0)}, r"theta_init: .*Alpha\(tau=0\) has none"),
        (
            {"theta_synapse": LinearFilter([1], [1]), "theta_init": "max_rates"},
            r"theta_init: .*LinearFilter.*has none",
        ),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        HPES(**kwargs)


def test_theta_synapse_none_default_init_is_rejected_clearly():
    # the default theta_init ("rates") needs a filter state to start from
    with pytest.raises(ValidationError, match="theta_init=None"):
        HPES(theta_synapse=None)
    assert HPES(theta_synapse=None, theta_init=None).theta_synapse is None


def test_stateless_theta_synapse_without_theta_init_is_accepted():
    for synapse in (0, Lowpass(0), LinearFilter([1], [1])):
        assert HPES(theta_synapse=synapse, theta_init=None).theta_init is None


def test_high_learning_rate_warns():
    with pytest.warns(UserWarning, match="learning rate is very high") as record:
        HPES(learning_rate=2.0, supervision_ratio=1.0)
    # the warning points at the line that made the rule (stacklevel)
    assert record[0].filename == __file__
    with pytest.warns(UserWarning, match="learning_rate \\* supervision_ratio = 1"):
        HPES(learning_rate=2.0, supervision_ratio=0.5)


def test_moderate_learning_rate_does_not_warn(recwarn):
    HPES(learning_rate=1.5, supervision_ratio=0.5)  # supervised rate 0.75
    HPES(learning_rate=1e-4)
    assert not [w for w in recwarn if "learning rate" in str(w.message)]


def test_version_and_public_api():
    from nengo_hpes.version import version

    assert nengo_hpes.__version__ == version
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", version)
    assert sorted(nengo_hpes.__all__) == ["HPES", "__version__"]
    for name in nengo_hpes.__all__:
        assert hasattr(nengo_hpes, name), name


def test_configurable_defaults():
    with nengo.Network() as net:
        net.config.configures(HPES)
        net.config[HPES].supervision_ratio = 0.3
        assert HPES().supervision_ratio == 0.3
    assert HPES().supervision_ratio == 0.999
