"""experiments.cache.write_atomic: the one atomic writer of the run caches."""

import os

from nengo_hpes.experiments.cache import write_atomic


def test_write_atomic_text_and_bytes(tmp_path):
    path = tmp_path / "run.json"
    write_atomic(path, '{"a": 1}')
    assert path.read_text() == '{"a": 1}'
    write_atomic(path, b"\x00\x01")  # replaces, in binary
    assert path.read_bytes() == b"\x00\x01"
    assert os.listdir(tmp_path) == ["run.json"]  # no temporary file left
