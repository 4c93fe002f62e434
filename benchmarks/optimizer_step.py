"""
Time one optimizer step of the annotated Adam and AMSGrad against
`torch.optim.Adam`, single-tensor (`foreach=False`) and multi-tensor
(`foreach=True`), on a model of about 10M parameters.

    PYTHONPATH=src python benchmarks/optimizer_step.py [--repeats 30] [--warmup 5] [--threads N]

Prints the median time per step over the repeats (after warm-up steps) and its
ratio to torch's single-tensor implementation of the same algorithm.
This is a script, not a test.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

try:
    import labml_nn  # noqa: F401
except ImportError:  # run from a checkout without PYTHONPATH
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'src'))

from labml_nn.optimizers import WeightDecay  # noqa: E402
from labml_nn.optimizers.adam import Adam  # noqa: E402
from labml_nn.optimizers.amsgrad import AMSGrad  # noqa: E402


def build_model(width: int, device: torch.device) -> torch.nn.Module:
    """A few Linear layers: about 10.5M parameters for width 2048"""
    model = torch.nn.Sequential(
        torch.nn.Linear(width, width),
        torch.nn.Linear(width, width),
        torch.nn.Linear(width, width // 2),
        torch.nn.Linear(width // 2, 10),
    ).to(device)
    gen = torch.Generator(device='cpu').manual_seed(0)
    for p in model.parameters():
        p.grad = torch.randn(p.shape, generator=gen).to(device)
    return model


class ManySmall(torch.nn.Module):
    """Many small tensors, where the per-parameter Python overhead dominates"""

    def __init__(self, count: int, size: int, device: torch.device):
        super().__init__()
        self.ps = torch.nn.ParameterList(torch.nn.Parameter(torch.randn(size, device=device))
                                         for _ in range(count))
        for p in self.ps:
            p.grad = torch.randn(size, device=device)


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def time_steps(factories, model, device, warmup: int, repeats: int):
    """
    Seconds of each step of each optimizer, in rounds. All optimizers step the same
    model (its weights drift, which does not matter for timing) and are timed
    in turns, one step each per round, so that a slow-down of the machine
    (other processes, frequency changes) affects all of them alike.
    The order is rotated from round to round.
    """
    optimizers = {name: factory(model.parameters()) for name, factory in factories.items()}
    for _ in range(warmup):
        for optimizer in optimizers.values():
            optimizer.step()
    sync(device)
    times = {name: [] for name in optimizers}
    names = list(optimizers)
    for r in range(repeats):
        # Rotate the order each round, so that no optimizer always runs first
        for name in names[r % len(names):] + names[:r % len(names)]:
            optimizer = optimizers[name]
            start = time.perf_counter()
            optimizer.step()
            sync(device)
            times[name].append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--width', type=int, default=2048)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--repeats', type=int, default=30)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--small-tensors', type=int, default=1000,
                        help="number of 64-element tensors in the second (overhead) benchmark")
    parser.add_argument('--threads', type=int, default=0, help="torch intra-op threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    print(f"torch {torch.__version__}, {device}, {torch.get_num_threads()} threads, "
          f"median of {args.repeats} steps after {args.warmup} warm-up steps")
    for model in [build_model(args.width, device), ManySmall(args.small_tensors, 64, device)]:
        n_params = sum(p.numel() for p in model.parameters())
        print(f"\n{n_params / 1e6:.2f}M parameters in {len(list(model.parameters()))} tensors")
        run_cases(model, device, args)


def run_cases(model, device, args):
    """Time every optimizer on `model` and print a table"""
    # name -> (factory, name of the torch single-tensor reference)
    cases = {
        'torch Adam foreach=False': (lambda p: torch.optim.Adam(p, foreach=False), None),
        'torch Adam foreach=True': (lambda p: torch.optim.Adam(p, foreach=True), 'torch Adam foreach=False'),
        'labml Adam': (lambda p: Adam(p), 'torch Adam foreach=False'),
        'labml Adam optimized_update': (lambda p: Adam(p, optimized_update=True), 'torch Adam foreach=False'),
        'torch AdamW foreach=False': (lambda p: torch.optim.AdamW(p, foreach=False), None),
        'labml Adam decoupled decay': (lambda p: Adam(p, weight_decay=WeightDecay(1e-2, decoupled=True)),
                                       'torch AdamW foreach=False'),
        'torch Adam(amsgrad) foreach=False': (lambda p: torch.optim.Adam(p, amsgrad=True, foreach=False), None),
        'torch Adam(amsgrad) foreach=True': (lambda p: torch.optim.Adam(p, amsgrad=True, foreach=True),
                                             'torch Adam(amsgrad) foreach=False'),
        'labml AMSGrad': (lambda p: AMSGrad(p), 'torch Adam(amsgrad) foreach=False'),
    }
    times = time_steps({name: factory for name, (factory, _) in cases.items()},
                       model, device, args.warmup, args.repeats)
    print(f"{'optimizer':38s} {'ms/step':>9s} {'vs torch single-tensor':>24s} {'(per-round)':>12s}")
    for name, (_, reference) in cases.items():
        median = statistics.median(times[name])
        ratio = per_round = ''
        if reference is not None:
            ratio = f"{median / statistics.median(times[reference]):.2f}x"
            # The ratio within each round, where both ran moments apart, is less
            # sensitive to load from other processes than the ratio of medians
            per_round = f"{statistics.median(a / b for a, b in zip(times[name], times[reference])):.2f}x"
        print(f"{name:38s} {median * 1e3:9.2f} {ratio:>24s} {per_round:>12s}")


if __name__ == '__main__':
    main()
