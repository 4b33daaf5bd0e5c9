"""
The GPU memory-bandwidth floor of the hPES weight update, and two ways to reach it.

NengoDL 3.6 cannot run on the GPU machines this project is sometimes lent (their
Python is 3.12; NengoDL 3.6 needs TensorFlow <= 2.12, which has no Python 3.12
build, and the TensorFlow GPU stack is far larger than what can be carried
there). This script measures what does not need NengoDL, with PyTorch (which
those machines have), so that a NengoDL GPU number can later be put beside it:

* **copy**: device-to-device bandwidth of a 1 GiB copy, bytes read + written;
* **floor**: the update ``W += outer(u, v)`` must read and write ``W`` once:
  ``2 * n_post * n_pre * itemsize`` bytes at the copy bandwidth;
* **fused**: ``torch.addr_`` (one pass over ``W``, cuBLAS ger);
* **two-pass**: ``delta = outer(u, v)`` into a preallocated matrix, then
  ``W += delta``; that is the structure of NengoDL's ``ElementwiseInc`` builder,
  which the hPES NengoDL build uses for ``weights += post_factor x pre``
  (TensorFlow materialises the broadcast product, then adds it): three passes of
  ``W``'s size plus one write, so at best 2x the floor.

Times are medians of CUDA-event timings after a warm-up, over 8 rotating input
sets so that the 50 MB L2 cache cannot hold them. float32.

::

    python benchmarks/gpu_update_floor.py          # needs torch and a CUDA GPU
"""

import argparse
import sys

import numpy as np


def _median_ms(torch, fn, repeats=50, warmup=10):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return float(np.median(times))


def copy_bandwidth(torch, dev):
    """Bytes read + written per second by a 1 GiB device-to-device copy."""
    src = torch.rand(2**28, device=dev)
    dst = torch.empty_like(src)
    ms = _median_ms(torch, lambda: dst.copy_(src), repeats=20)
    return 2 * src.numel() * 4 / (ms * 1e-3)


def time_update(torch, dev, n_post, n_pre, sets):
    """Median microseconds of the fused and the two-pass update, and their error."""
    ws = [torch.rand(n_post, n_pre, device=dev) for _ in range(sets)]
    us = [torch.randn(n_post, device=dev) for _ in range(sets)]
    vs = [torch.rand(n_pre, device=dev) for _ in range(sets)]
    delta = torch.empty(n_post, n_pre, device=dev)
    k = [0]

    def fused():
        i = k[0] = (k[0] + 1) % sets
        ws[i].addr_(us[i], vs[i])

    def two_pass():
        i = k[0] = (k[0] + 1) % sets
        torch.mul(us[i][:, None], vs[i][None, :], out=delta)
        ws[i].add_(delta)

    # correctness against float64, on fresh data
    w0 = torch.rand(n_post, n_pre, device=dev)
    u0, v0 = torch.randn(n_post, device=dev), torch.rand(n_pre, device=dev)
    ref = w0.double() + torch.outer(u0.double(), v0.double())
    a = w0.clone().addr_(u0, v0)
    b = w0.clone()
    torch.mul(u0[:, None], v0[None, :], out=delta)
    b.add_(delta)
    err = max(
        float((a.double() - ref).norm() / ref.norm()),
        float((b.double() - ref).norm() / ref.norm()),
    )
    return _median_ms(torch, fused) * 1e3, _median_ms(torch, two_pass) * 1e3, err


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", nargs="+", default=["1000x3000", "4096x4096"])
    p.add_argument("--sets", type=int, default=8)
    args = p.parse_args()

    import torch

    if not torch.cuda.is_available():
        sys.exit("no CUDA device")
    dev = torch.device("cuda")
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")

    bw = copy_bandwidth(torch, dev)
    print(f"copy bandwidth: {bw / 1e12:.2f} TB/s (read + write)")
    rows = [
        "| n_post x n_pre | floor (us) | fused addr_ (us) | x floor "
        "| two-pass (us) | x floor | max error |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in args.sizes:
        n_post, n_pre = map(int, size.split("x"))
        floor_us = 2 * n_post * n_pre * 4 / bw * 1e6
        t_fused, t_two, err = time_update(torch, dev, n_post, n_pre, args.sets)
        rows.append(
            f"| {size} | {floor_us:.1f} | {t_fused:.1f} | {t_fused / floor_us:.2f} "
            f"| {t_two:.1f} | {t_two / floor_us:.2f} | {err:.1e} |"
        )
        torch.cuda.empty_cache()
    print("\n".join(rows))


if __name__ == "__main__":
    main()
