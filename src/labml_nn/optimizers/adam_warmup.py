r"""
---
title: Adam with linear warm-up
summary: Adam whose learning rate rises linearly from zero during the first steps, while the second-moment estimate is still based on few gradients.
---

# Adam with linear warm-up

This is [Adam](adam.py) with a learning rate that grows linearly over the
first $w$ steps and then stays at $\alpha$:
$$\alpha_t = \alpha \min\left(1, \frac{t}{w}\right).$$

## Why warm up

In the first steps Adam's second moment $v_t$ is an average of very few
squared gradients, so $1 / \sqrt{\hat{v}_t}$ is a noisy estimate and some
coordinates get steps far larger than they should (see [RAdam](radam.py) for
an analysis of this variance). Large early steps can push a network into a
bad region from which it does not recover, which happens especially with
transformers. Keeping the learning rate small until $v_t$ has seen a few
hundred or thousand gradients avoids it. [RAdam](radam.py) derives a
similar warm-up from $\beta_2$; the [Noam schedule](noam.py) combines a
warm-up with a decay.

The warm-up length $w$ is a per-group setting, `warmup`. The step $t$ is
counted per parameter, from its first update.

```python
import torch
from labml_nn.optimizers.adam_warmup import AdamWarmup

x = torch.nn.Parameter(torch.zeros(1))
optimizer = AdamWarmup([x], lr=1e-3, warmup=100)
x.grad = torch.ones(1)
optimizer.step()
state = optimizer.state[x]
assert abs(optimizer.get_lr(state, optimizer.param_groups[0]) - 1e-5) < 1e-12
```
"""

from typing import Any, Dict, Iterable, Optional, Tuple, Union

from torch import nn

from labml_nn.optimizers import WeightDecay
from labml_nn.optimizers.amsgrad import AMSGrad


class AdamWarmup(AMSGrad):
    r"""
    ## Adam with warm-up

    Takes the arguments of [AMSGrad](amsgrad.py), whose `amsgrad` flag is off
    by default here (plain Adam), and `warmup`, the number of warm-up steps
    $w$.
    """

    def __init__(self, params: Union[Iterable[nn.Parameter], Iterable[Dict[str, Any]]],
                 lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: Optional[WeightDecay] = None,
                 optimized_update: bool = False,
                 amsgrad: bool = False,
                 warmup: int = 0,
                 defaults: Optional[Dict[str, Any]] = None):
        if not warmup >= 0:
            raise ValueError(f"Invalid warmup: {warmup} (it must be >= 0)")
        defaults = {} if defaults is None else dict(defaults)
        defaults.setdefault('warmup', warmup)
        super().__init__(params, lr, betas, eps, weight_decay, optimized_update, amsgrad, defaults)

    def get_lr(self, state: Dict[str, Any], group: Dict[str, Any]) -> float:
        r"""
        ### The learning rate of step $t$
        """
        warmup = group['warmup']
        t = state['step']
        # During the warm-up, $\alpha_t = \alpha \frac{t}{w}$
        if warmup > 0 and t < warmup:
            return group['lr'] * min(1.0, t / warmup)
        # Afterwards, $\alpha_t = \alpha$
        return group['lr']
