"""The one argument-checking helper of the experiment modules."""

import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments.validation import (
    check_choice,
    check_images,
    check_int,
    check_number,
    check_shape,
    check_type,
    require,
)


@pytest.mark.parametrize("value", [3, np.int64(3), 3.0, np.float32(3.0)])
def test_int_accepts_integral_values(value):
    out = check_int("n", value, low=1)
    assert out == 3 and type(out) is int


@pytest.mark.parametrize(
    "value, kwargs, match",
    [
        (True, {}, r"n: Must be an integer \(got True\)"),
        (np.bool_(True), {"low": 1}, r"n: Must be an integer >= 1 \(got True\)"),
        (3.5, {"low": 1}, r"n: Must be an integer >= 1 \(got 3.5\)"),
        (float("nan"), {"low": 1}, r"n: Must be an integer >= 1 \(got nan\)"),
        (float("inf"), {}, r"n: Must be an integer \(got inf\)"),
        ("3", {}, r"n: Must be an integer \(got '3'\)"),
        (None, {}, r"n: Must be an integer \(got None\)"),
        ([3], {}, r"n: Must be an integer \(got \[3\]\)"),
        (0, {"low": 1}, r"n: Must be an integer >= 1 \(got 0\)"),
        (11, {"low": 1, "high": 10}, r"n: Must be an integer in \[1, 10\] \(got 11\)"),
        (11, {"high": 10}, r"n: Must be an integer <= 10 \(got 11\)"),
        (0, {"low": 1, "optional": True}, r"n: .* >= 1 or None \(got 0\)"),
    ],
)
def test_int_rejects(value, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        check_int("n", value, **kwargs)


def test_int_optional_and_owner():
    assert check_int("n", None, optional=True) is None

    class Owner:
        pass

    with pytest.raises(ValidationError, match=r"^Owner\.n: Must be an integer >= 0"):
        check_int("n", -1, low=0, obj=Owner())


@pytest.mark.parametrize("value", [0.5, 1, np.float64(0.5), np.int32(1)])
def test_number_accepts(value):
    out = check_number("x", value, low=0, low_open=True, high=1)
    assert out == value and type(out) is float


@pytest.mark.parametrize(
    "value, kwargs, match",
    [
        (True, {}, r"x: Must be a finite number \(got True\)"),
        (float("nan"), {"low": 0}, r"x: Must be a finite number >= 0 \(got nan\)"),
        (float("inf"), {"low": 0}, r"x: Must be a finite number >= 0 \(got inf\)"),
        ("fast", {}, r"x: Must be a finite number \(got 'fast'\)"),
        (None, {}, r"x: Must be a finite number \(got None\)"),
        (np.ones(2), {}, r"x: Must be a finite number \(got array"),
        (0, {"low": 0, "low_open": True}, r"x: Must be a finite number > 0 \(got 0\)"),
        (-1e-3, {"low": 0}, r"x: Must be a finite number >= 0 \(got -0.001\)"),
        (1, {"low": 0, "high": 1, "high_open": True}, r"in \[0, 1\) \(got 1\)"),
        (2, {"high": 1}, r"x: Must be a finite number <= 1 \(got 2\)"),
        (-1, {"low": 0, "optional": True}, r">= 0 or None \(got -1\)"),
    ],
)
def test_number_rejects(value, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        check_number("x", value, **kwargs)


def test_number_optional():
    assert check_number("x", None, optional=True) is None


def test_choice_and_type():
    assert check_choice("kind", "a", ("a", "b")) == "a"
    with pytest.raises(ValidationError, match=r"kind: Must be one of \('a', 'b'\) "):
        check_choice("kind", "c", ("a", "b"))
    with pytest.raises(ValidationError, match=r"kind: Must be one of .* \(got \['a'\]"):
        check_choice("kind", ["a"], ("a", "b"))
    assert check_type("x", 1.0, float) == 1.0
    with pytest.raises(ValidationError, match=r"x: Must be a float \(got 'a'\)"):
        check_type("x", "a", float)


def test_images():
    x, y = np.zeros((3, 4)), np.array([0, 2, 1], dtype=np.uint8)
    images, labels = check_images("train", x, y, n_pixels=4, n_classes=3)
    assert labels.dtype == np.int64 and np.array_equal(labels, y)
    assert check_images("test", x) is not None
    cases = [
        ((np.zeros((0, 4)), y), {}, r"train: Images must be a non-empty 2-D"),
        ((x, y), {"n_pixels": 5}, r"train: Images must have shape \(n, 5\)"),
        ((x, y[:2]), {}, r"train: Labels must be 3 integers, one per image"),
        ((x, y.astype(float)), {}, r"train: Labels must be 3 integers.*float64"),
        (
            (x, np.array([-1, 0, 1])),
            {},
            r"Labels must be >= 0 \(got values in \[-1, 1\]",
        ),
        ((x, y), {"n_classes": 2}, r"Labels must be >= 0 and < 2 \(got .*\[0, 2\]"),
    ]
    for args, kwargs, match in cases:
        with pytest.raises(ValidationError, match=match):
            check_images("train", *args, **kwargs)


def test_shape_and_require():
    assert check_shape("shape", (28, 28.0)) == (28, 28)
    for bad in [(28,), (28, 0), (28, 2.5), (True, 3), "ab", 5]:
        with pytest.raises(ValidationError, match=r"shape: Must be two integers >= 1"):
            check_shape("shape", bad)
    with pytest.raises(ValidationError, match=r"shape: .* >= 4 \(got \(3, 8\)\)"):
        check_shape("shape", (3, 8), low=4)
    require("x", True, "anything", 1)
    with pytest.raises(ValidationError, match=r"^x: Must be a pair \(got \[1\]\)"):
        require("x", False, "a pair", [1])
