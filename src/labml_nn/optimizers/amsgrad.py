r"""
---
title: AMSGrad optimizer
summary: An annotated PyTorch implementation of AMSGrad, which fixes a convergence failure of Adam by never letting the second-moment estimate shrink, with the synthetic experiment from the paper.
---

# AMSGrad

This is an implementation of AMSGrad from Reddi, Kale & Kumar,
*On the Convergence of Adam and Beyond* (ICLR 2018). It extends our
[Adam](adam.py).

## What goes wrong with Adam

Adam divides each step by $\sqrt{v_t}$, an exponential moving average of the
squared gradients. Such an average *forgets*: a gradient seen $k$ steps ago
contributes with weight $\beta_2^k$. The paper shows that this can make Adam
converge to the wrong point, even on a one-dimensional convex problem.

Their example is a sequence of linear losses on $x \in [-1, 1]$,
$$f_t(x) = \begin{cases} C x, & t \bmod 3 = 1 \\ -x, & \text{otherwise,} \end{cases}$$
with $C > 2$. Over three steps the gradients add up to $C - 2 > 0$, so the
total loss decreases as $x$ decreases, and the best fixed point is $x^* = -1$.
But the large informative gradient $C$ comes rarely, while the small
misleading gradients $-1$ come often. When the large gradient arrives it also
inflates $v_t$, so the step it causes is divided by a large $\sqrt{v_t}$ and
stays small (about $\alpha$, however large $C$ is). By the time the next
misleading gradients arrive, $v_t$ has decayed again and they are divided by
something small, so their steps are about as large. Two steps the wrong way
for every step the right way: Adam drifts to $x = +1$.

## The fix

The paper traces the failure to a quantity in the convergence proof of
Adam,
$$\Gamma_t = \frac{\sqrt{v_t}}{\alpha_t} - \frac{\sqrt{v_{t-1}}}{\alpha_{t-1}},$$
the change of the inverse step size. The proof needs $\Gamma_t \ge 0$: the
effective step size $\alpha_t / \sqrt{v_t}$ must never grow, so that a
coordinate that once had a large gradient keeps taking careful steps. SGD and
AdaGrad satisfy this; Adam does not, since $v_t$ can shrink. AMSGrad
keeps the running maximum of the second moment and divides by it:

\begin{align}
m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
\tilde{v}_t &= \max(\tilde{v}_{t-1}, v_t) \\
\theta_t &= \theta_{t-1} - \alpha \frac{\hat{m}_t}{\sqrt{\tilde{v}_t / (1 - \beta_2^t)} + \epsilon}
\end{align}

with $\tilde{v}_0 = 0$. The cost is one more tensor per parameter. The paper's
algorithm has no bias correction; like `torch.optim.Adam(amsgrad=True)`, which
this matches, we keep Adam's corrections and apply the second one to
$\tilde{v}_t$.

The flag `amsgrad` is a per-group setting: a parameter group with
`amsgrad=False` is updated exactly as by [Adam](adam.py).

```python
import torch
from labml_nn.optimizers.amsgrad import AMSGrad

a = torch.nn.Parameter(torch.ones(3))
b = torch.nn.Parameter(torch.ones(3))
optimizer = AMSGrad([{'params': [a]}, {'params': [b], 'amsgrad': False}], lr=0.1)
(a.sum() + b.sum()).backward()
optimizer.step()
assert 'max_exp_avg_sq' in optimizer.state[a]
assert 'max_exp_avg_sq' not in optimizer.state[b]
```

## The synthetic experiment

The runnable part of this module repeats the paper's online experiment with
$C = 1010$ and a period of 101 steps:
$$f_t(x) = \begin{cases} 1010\,x, & t \bmod 101 = 1 \\ -10\,x, & \text{otherwise,} \end{cases}
\qquad x \in [-1, 1].$$
The gradients over a period add up to $1010 - 100 \cdot 10 = 10 > 0$, so again
$x^* = -1$. Both optimizers use $\beta_1 = 0.9$, $\beta_2 = 0.99$ and the
decaying learning rate $\alpha_t = \alpha / \sqrt{t}$ of the paper's analysis,
and after each step $x$ is projected back onto $[-1, 1]$ by clamping.

We measure the *average regret*, how much worse the points we played were
than always playing $x^*$:
$$\frac{R_T}{T} = \frac{1}{T} \sum_{t=1}^{T} \big( f_t(x_t) - f_t(x^*) \big).$$
An algorithm that converges to $x^*$ has $R_T / T \to 0$; one that settles at
$x = +1$ keeps paying $2 \cdot 10 / 101 \approx 0.2$ per step.

Run it with

    python -m labml_nn.optimizers.amsgrad --steps 50000 --log-every 500 --out amsgrad_run

It writes `metrics.csv` and `amsgrad_experiment.png` into the output folder.
Adam (blue) goes to $x = +1$; AMSGrad (orange) goes to $x = -1$ and its
average regret keeps falling:

![Adam and AMSGrad on the synthetic problem: x and average regret over the steps](amsgrad_experiment.png)
"""

import argparse
import csv
import math
import os
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

import torch
from torch import nn

from labml_nn.optimizers import WeightDecay
from labml_nn.optimizers.adam import Adam


class AMSGrad(Adam):
    r"""
    ## AMSGrad optimizer

    Takes the same arguments as [Adam](adam.py), and `amsgrad`, the default
    for the per-group flag.
    """

    def __init__(self, params: Union[Iterable[nn.Parameter], Iterable[Dict[str, Any]]],
                 lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: Optional[WeightDecay] = None,
                 optimized_update: bool = False,
                 amsgrad: bool = True,
                 defaults: Optional[Dict[str, Any]] = None):
        defaults = {} if defaults is None else dict(defaults)
        defaults.setdefault('amsgrad', amsgrad)
        super().__init__(params, lr, betas, eps, weight_decay, optimized_update, defaults)

    def init_state(self, state: Dict[str, Any], group: Dict[str, Any], param: nn.Parameter):
        r"""
        ### Initialise the state

        Adam's state, plus $\tilde{v}_0 = 0$ for groups that use AMSGrad.
        """
        super().init_state(state, group, param)
        if group['amsgrad']:
            state['max_exp_avg_sq'] = torch.zeros_like(param, memory_format=torch.preserve_format)

    def get_second_moment(self, state: Dict[str, Any], group: Dict[str, Any], v: torch.Tensor):
        r"""
        ### The second moment used in the update

        $v_t$ for groups without AMSGrad, $\tilde{v}_t$ for the others.
        """
        # Plain Adam for this group
        if not group['amsgrad']:
            return v
        v_max = state.get('max_exp_avg_sq')
        # The flag may have been switched on after the state was created
        if v_max is None:
            v_max = state['max_exp_avg_sq'] = torch.zeros_like(v)
        # $\tilde{v}_t = \max(\tilde{v}_{t-1}, v_t)$, element-wise and in place
        torch.maximum(v_max, v, out=v_max)
        return v_max


def _loss_coefficient(t: int, period: int = 101, large: float = 1010., small: float = -10.) -> float:
    r"""
    The gradient of $f_t$: $1010$ when $t \bmod 101 = 1$, $-10$ otherwise.
    """
    return large if t % period == 1 else small


def synthetic_experiment(optimizer_name: str, steps: int, lr: float = 0.5,
                         betas: Tuple[float, float] = (0.9, 0.99),
                         x0: float = 0.0) -> Iterator[Dict[str, float]]:
    r"""
    ### Run one optimizer on the synthetic problem

    Yields one record per step with the step $t$, the point $x_t$ after the
    step, the loss $f_t(x_t)$ played at this step and the average regret
    $R_t / t$ so far. `optimizer_name` is `'Adam'` or `'AMSGrad'`.
    """
    # $x$, a single number, in double precision so that rounding plays no part
    x = nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    if optimizer_name == 'Adam':
        optimizer = Adam([x], lr=lr, betas=betas)
    elif optimizer_name == 'AMSGrad':
        optimizer = AMSGrad([x], lr=lr, betas=betas)
    else:
        raise ValueError(f"Unknown optimizer {optimizer_name!r}; expected 'Adam' or 'AMSGrad'")
    # $x^* = -1$
    x_star = -1.0
    # $R_t$
    regret = 0.0
    for t in range(1, steps + 1):
        # $\alpha_t = \alpha / \sqrt{t}$
        optimizer.param_groups[0]['lr'] = lr / math.sqrt(t)
        c = _loss_coefficient(t)
        # $f_t(x_t) = c_t x_t$
        loss = c * x
        # $R_t = R_{t-1} + f_t(x_t) - f_t(x^*)$
        loss_value = loss.item()
        regret += loss_value - c * x_star
        # The gradient $\nabla f_t(x_t) = c_t$, and the optimizer step
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        # Project back onto the feasible set: $x_{t+1} = \min(\max(x, -1), 1)$
        with torch.no_grad():
            x.clamp_(-1.0, 1.0)
        yield {'step': t, 'optimizer': optimizer_name, 'x': x.item(), 'loss': loss_value,
               'average_regret': regret / t}


def plot(history: Dict[str, Dict[str, List[float]]], path: str):
    """
    ### Plot $x_t$ and $R_t / t$ of both optimizers

    Uses matplotlib's Agg backend, so no display is needed.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, (ax_x, ax_regret) = plt.subplots(1, 2, figsize=(9, 3.2), dpi=80)
    for name, h in history.items():
        ax_x.plot(h['step'], h['x'], label=name, linewidth=0.8)
        ax_regret.plot(h['step'], h['average_regret'], label=name, linewidth=1.2)
    ax_x.axhline(-1.0, color='gray', linestyle=':', linewidth=0.8)
    ax_x.set_title('$x_t$ (optimum $x^* = -1$)')
    ax_x.set_xlabel('step $t$')
    ax_x.set_ylim(-1.1, 1.1)
    ax_regret.set_title('average regret $R_t / t$')
    ax_regret.set_xlabel('step $t$')
    ax_regret.set_yscale('log')
    ax_x.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: Optional[List[str]] = None):
    """
    ### Command line

    Runs both optimizers, writes the metrics every `--log-every` steps to
    `metrics.csv` and saves the plot as `amsgrad_experiment.png` in `--out`.
    """
    from tqdm import tqdm

    parser = argparse.ArgumentParser(description="Adam and AMSGrad on the synthetic problem of Reddi et al. (2018)")
    parser.add_argument('--steps', type=int, default=50_000, help="steps per optimizer")
    parser.add_argument('--log-every', type=int, default=500, help="write metrics every K steps")
    parser.add_argument('--lr', type=float, default=0.5, help="alpha; the step t uses alpha / sqrt(t)")
    parser.add_argument('--out', type=str, default='amsgrad_run', help="output folder")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.log_every < 1:
        parser.error("--steps and --log-every must be positive")

    os.makedirs(args.out, exist_ok=True)
    metrics_path = os.path.join(args.out, 'metrics.csv')
    plot_path = os.path.join(args.out, 'amsgrad_experiment.png')
    fields = ['step', 'optimizer', 'x', 'loss', 'average_regret']
    history: Dict[str, Dict[str, List[float]]] = {}
    start = time.time()
    with open(metrics_path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for name in ['Adam', 'AMSGrad']:
            h = history[name] = {'step': [], 'x': [], 'average_regret': []}
            for record in tqdm(synthetic_experiment(name, args.steps, lr=args.lr),
                               total=args.steps, desc=name, mininterval=0.5):
                # Every step goes into the plot
                for k in h:
                    h[k].append(record[k])
                # Every K-th step (and the last) goes into the metrics file
                if record['step'] % args.log_every == 0 or record['step'] == args.steps:
                    writer.writerow(record)
            f.flush()
    plot(history, plot_path)
    for name, h in history.items():
        print(f"{name}: x = {h['x'][-1]:+.4f}, average regret = {h['average_regret'][-1]:.4f}")
    print(f"wrote {metrics_path} and {plot_path} in {time.time() - start:.1f}s")


if __name__ == '__main__':
    main()
