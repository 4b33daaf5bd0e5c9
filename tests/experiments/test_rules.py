"""The rule factory of the experiments."""

import nengo
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes import HPES
from nengo_hpes.experiments.rules import make_rule, matched_learning_rates


def test_make_rule():
    assert make_rule("pes", 3e-4) == nengo.PES(3e-4)
    assert make_rule("pes") == nengo.PES(1e-4)
    assert make_rule("hpes") == HPES()  # the package's defaults
    assert make_rule("hpes", 1e-3, 0.8, 2.0) == HPES(1e-3, 0.8, 2.0)
    assert make_rule("pes-s1") == HPES(1e-4, supervision_ratio=1)
    assert make_rule("pes-s1", 3e-5) == HPES(3e-5, supervision_ratio=1)
    assert make_rule("none") is None
    with pytest.raises(ValidationError, match="Only HPES has a supervision ratio"):
        make_rule("pes", supervision_ratio=0.5)
    with pytest.raises(ValidationError, match="Only HPES has .* \\(got rule 'pes-s1'"):
        make_rule("pes-s1", unsupervised_scale="auto")
    with pytest.raises(ValidationError, match=r"rule: Must be one of .* \(got 'bcm'\)"):
        make_rule("bcm")


def test_matched_learning_rates():
    rates = matched_learning_rates(2e-3)
    assert rates["pes"] == rates["pes-s1"] == 2e-3
    # HPES's supervised part is nengo.PES(rate)
    hpes = HPES(rates["hpes"])
    assert hpes.learning_rate * hpes.supervision_ratio == pytest.approx(2e-3)
    with pytest.raises(ValidationError, match=r"rate: Must be a finite number > 0"):
        matched_learning_rates(-1)
