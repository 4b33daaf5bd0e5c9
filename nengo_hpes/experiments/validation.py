"""
Argument checks shared by every experiment module.

One convention: an integer is an ``int`` or NumPy integer, or a float with an
integral value (``3.0``), never a bool; a number is a real scalar, never a bool,
a string or NaN/inf. Every failure raises `nengo.exceptions.ValidationError`
whose message names the parameter (and the owner, given ``obj``), the allowed
domain and the value received, as nengo's own Params do::

    n_hidden: Must be an integer >= 1 (got 0)
    CNNSettings.max_rate: Must be a finite number > 0 (got nan)
"""

import numbers

import numpy as np
from nengo.exceptions import ValidationError


def fail(name, msg, obj=None):
    """Raise ``ValidationError(msg, attr=name, obj=obj)``."""
    raise ValidationError(msg, attr=name, obj=obj)


def require(name, ok, domain, value, obj=None):
    """Raise ``"Must be <domain> (got <value>)"`` unless ``ok``."""
    if not ok:
        fail(name, f"Must be {domain} (got {value!r})", obj)


def _domain(low, high, low_open=False, high_open=False):
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f" in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high:g}"
    return ""


def _is_real(value):
    return (
        isinstance(value, (numbers.Real, np.floating, np.integer))
        and not isinstance(value, (bool, np.bool_))
        and np.ndim(value) == 0
    )


def check_int(name, value, low=None, high=None, optional=False, obj=None):
    """
    ``value`` as an ``int``, if it is an integer in ``[low, high]``.

    Bools and non-integral floats are rejected; ``3.0`` is accepted as 3. With
    ``optional``, None is returned as None.
    """
    if value is None and optional:
        return None
    ok = _is_real(value) and np.isfinite(value) and int(value) == value
    ok = ok and (low is None or value >= low) and (high is None or value <= high)
    if not ok:
        extra = " or None" if optional else ""
        fail(
            name, f"Must be an integer{_domain(low, high)}{extra} (got {value!r})", obj
        )
    return int(value)


def check_shape(name, shape, low=1, obj=None):
    """``shape`` as a pair of ``int``, if it is two integers ``>= low``."""
    try:
        ok = len(shape) == 2
        ok = ok and all(_is_real(n) and np.isfinite(n) and int(n) == n for n in shape)
        ok = ok and min(shape) >= low
    except TypeError:
        ok = False
    if not ok:
        fail(name, f"Must be two integers >= {low} (got {shape!r})", obj)
    return int(shape[0]), int(shape[1])


def check_number(
    name,
    value,
    low=None,
    high=None,
    low_open=False,
    high_open=False,
    optional=False,
    obj=None,
):
    """
    ``value`` as a ``float``, if it is a finite number in the given range.

    ``low_open`` / ``high_open`` exclude the bounds. Bools, strings, NaN and
    infinities are rejected. With ``optional``, None is returned as None.
    """
    if value is None and optional:
        return None
    ok = _is_real(value) and bool(np.isfinite(value))
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        domain = _domain(low, high, low_open, high_open)
        extra = " or None" if optional else ""
        fail(name, f"Must be a finite number{domain}{extra} (got {value!r})", obj)
    return float(value)


def check_choice(name, value, choices, obj=None):
    """``value``, if it is one of ``choices``."""
    if not (isinstance(value, str) or np.ndim(value) == 0) or value not in choices:
        fail(name, f"Must be one of {tuple(choices)} (got {value!r})", obj)
    return value


def check_type(name, value, cls, obj=None):
    """``value``, if it is an instance of ``cls``."""
    if not isinstance(value, cls):
        fail(name, f"Must be a {cls.__name__} (got {value!r})", obj)
    return value


def check_images(name, images, labels=None, n_pixels=None, n_classes=None):
    """
    ``images`` (and ``labels``) as arrays, if they form a data set.

    ``images``: a non-empty ``(n, n_pixels)`` array; ``labels``: ``n``
    integers in ``[0, n_classes)`` (``>= 0`` if ``n_classes`` is None),
    returned as int64. Returns ``images`` alone when ``labels`` is None.
    """
    images = np.asarray(images)
    if images.ndim != 2 or images.shape[0] == 0:
        fail(name, f"Images must be a non-empty 2-D array (got shape {images.shape})")
    if n_pixels is not None and images.shape[1] != n_pixels:
        fail(
            name,
            f"Images must have shape (n, {n_pixels}) (got shape {images.shape})",
        )
    if labels is None:
        return images
    labels = np.asarray(labels)
    if labels.shape != (images.shape[0],) or labels.dtype.kind not in "iu":
        fail(
            name,
            f"Labels must be {images.shape[0]} integers, one per image "
            f"(got shape {labels.shape}, dtype {labels.dtype})",
        )
    high = "" if n_classes is None else f" and < {n_classes}"
    if labels.min() < 0 or (n_classes is not None and labels.max() >= n_classes):
        fail(
            name,
            f"Labels must be >= 0{high} (got values in "
            f"[{labels.min()}, {labels.max()}])",
        )
    return images, labels.astype(np.int64)
