"""The README's promises: its commands exist and its usage example runs."""

import pathlib
import re

import nengo
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_usage_example_runs_and_learns(monkeypatch):
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    sims = []

    class RecordingSimulator(nengo.Simulator):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            sims.append(self)

        def close(self):
            conn = namespace["conn"]
            self.final_weights = self.signals[self.model.sig[conn]["weights"]].copy()
            super().close()

    monkeypatch.setattr(nengo, "Simulator", RecordingSimulator)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    sim, conn = sims[0], namespace["conn"]
    w0 = sim.data[conn].weights
    w1 = sim.final_weights
    assert sim.time >= 10 - 1e-9
    assert not np.allclose(w0, w1)
