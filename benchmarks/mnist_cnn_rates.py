"""
Why raw 0-255 pixels make a better spiking CNN: spikes per layer.

Runs trained spiking CNNs of `nengo_hpes.experiments.cnn` (from the cache: run
``python -m nengo_hpes.experiments.cnn --mode full --rules`` with each
``--input-scale`` first) with LIF neurons on the first test images and prints,
per convolutional layer, the mean firing rate, the fraction of neurons that
spike at all, and the mean spike count of those that do, in the 30-step
presentation; and the spiking accuracy on those images.

Usage::

    python benchmarks/mnist_cnn_rates.py [--scales 1 255] [--n-images 500]
"""

import argparse
import warnings

import nengo
import numpy as np

from nengo_hpes.experiments import cnn as mnist_cnn
from nengo_hpes.experiments.data import mnist_data


def layer_stats(training, images, labels, n_steps=30, minibatch_size=100):
    """Per-layer spike statistics and accuracy of the spiking CNN."""
    import nengo_dl

    net = mnist_cnn.build_cnn(training.settings, spiking=True)
    with net:
        probes = [nengo.Probe(ens.neurons) for ens in net.all_ensembles]
    scale = 0.001 / training.settings.amplitude  # probe value -> spikes
    totals = [np.zeros(0) for _ in probes]
    correct = 0
    with nengo_dl.Simulator(
        net, minibatch_size=minibatch_size, progress_bar=False
    ) as sim:
        sim.load_params(str(training.params))
        for start in range(0, len(images), minibatch_size):
            x = training.settings.inputs(images[start : start + minibatch_size])
            out = sim.predict(np.tile(x[:, None, :], (1, n_steps, 1)), verbose=0)
            pred = np.argmax(out[net.out_p_filt][:, -1], axis=-1)
            correct += int(np.sum(pred == labels[start : start + minibatch_size]))
            for i, p in enumerate(probes):
                counts = np.rint(out[p].sum(axis=1) * scale)  # (batch, neurons)
                totals[i] = np.concatenate([totals[i], counts.ravel()])
    rows = []
    for i, counts in enumerate(totals):
        active = counts > 0
        rows.append(
            {
                "layer": i + 1,
                "rate_hz": counts.mean() / (n_steps * 0.001),
                "active": active.mean(),
                "spikes_if_active": counts[active].mean() if active.any() else 0.0,
            }
        )
    return rows, correct / len(images)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scales", nargs="+", type=float, default=[1.0, 255.0])
    p.add_argument("--n-images", type=int, default=500)
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore", message="No GPU support detected")
    (x_train, y_train), (x_test, y_test) = mnist_data(60000, args.n_images, low=0.0)
    print(
        f"Spiking CNN, 30 steps, first {args.n_images} test images "
        "(spikes counted per image)\n"
    )
    print(
        "| input_scale | layer | mean rate (Hz) | neurons spiking | "
        "spikes per spiking neuron | accuracy |"
    )
    print("|---|---|---|---|---|---|")
    for s in args.scales:
        settings = mnist_cnn.CNNSettings(input_scale=s)
        training = mnist_cnn.train_cnn(
            (x_train, y_train), settings, verbose=0, progress_bar=False
        )
        if not training.cached:  # pragma: no cover
            print(f"(trained the input_scale={s:g} CNN: it was not cached)")
        rows, acc = layer_stats(training, x_test, y_test)
        for r in rows:
            print(
                f"| {s:g} | {r['layer']} | {r['rate_hz']:.1f} | "
                f"{100 * r['active']:.1f} % | {r['spikes_if_active']:.2f} | "
                f"{100 * acc:.1f} % |"
            )


if __name__ == "__main__":
    main()
