r"""
---
title: Noam learning-rate schedule
summary: Adam with the learning-rate schedule of the transformer paper, a linear warm-up followed by a decay proportional to the inverse square root of the step.
---

# Noam schedule

The transformer paper, Vaswani et al., *Attention Is All You Need* (2017),
trains with [Adam](adam.py) ($\beta_1 = 0.9$, $\beta_2 = 0.98$,
$\epsilon = 10^{-9}$) and this learning rate:
$$\alpha_t = d_{\text{model}}^{-0.5} \cdot
  \min\left(t^{-0.5},\; t \cdot w^{-1.5}\right).$$

The two terms of the minimum are equal at $t = w$, the warm-up length
($4000$ in the paper):

* for $t \le w$ the second one is smaller: $\alpha_t = d_{\text{model}}^{-0.5}\, t / w^{1.5}$
  grows linearly, a [warm-up](adam_warmup.py);
* for $t \ge w$ the first one is: $\alpha_t = d_{\text{model}}^{-0.5} / \sqrt{t}$ decays
  like the inverse square root of the step.

The peak, at $t = w$, is $d_{\text{model}}^{-0.5} w^{-0.5}$: wider models
(larger $d_{\text{model}}$, hence larger updates to each activation for the same step
in each weight) get smaller learning rates. Here `lr` multiplies the whole
schedule, so `lr=1` is the paper's setting.

```python
import torch
from labml_nn.optimizers.noam import Noam

x = torch.nn.Parameter(torch.zeros(1))
optimizer = Noam([x], lr=1.0, d_model=512, warmup=4000)
group = optimizer.param_groups[0]
peak = optimizer.get_lr({'step': 4000}, group)
assert optimizer.get_lr({'step': 100}, group) < peak
assert optimizer.get_lr({'step': 40000}, group) < peak
assert abs(peak - (512 * 4000) ** -0.5) < 1e-12
```
"""

from typing import Any, Dict, Iterable, Optional, Tuple, Union

from torch import nn

from labml_nn.optimizers import WeightDecay
from labml_nn.optimizers.adam_warmup import AdamWarmup


class Noam(AdamWarmup):
    r"""
    ## Adam with the Noam schedule

    Takes the arguments of [Adam with warm-up](adam_warmup.py), and `d_model`,
    the width of the model. The defaults of $\beta_2$, $\epsilon$ and $w$ are
    those of the paper.
    """

    def __init__(self, params: Union[Iterable[nn.Parameter], Iterable[Dict[str, Any]]],
                 lr: float = 1.0, betas: Tuple[float, float] = (0.9, 0.98), eps: float = 1e-9,
                 weight_decay: Optional[WeightDecay] = None,
                 optimized_update: bool = False,
                 amsgrad: bool = False,
                 warmup: int = 4000,
                 d_model: int = 512,
                 defaults: Optional[Dict[str, Any]] = None):
        if not warmup >= 1:
            raise ValueError(f"Invalid warmup: {warmup} (the Noam schedule needs warmup >= 1)")
        if not d_model >= 1:
            raise ValueError(f"Invalid d_model: {d_model} (it must be >= 1)")
        super().__init__(params, lr, betas, eps, weight_decay, optimized_update, amsgrad, warmup, defaults)
        self.d_model = d_model

    def get_lr(self, state: Dict[str, Any], group: Dict[str, Any]) -> float:
        r"""
        ### The learning rate of step $t$
        """
        t = state['step']
        w = group['warmup']
        # $d_{\text{model}}^{-0.5} \min\left(t^{-0.5}, t w^{-1.5}\right)$
        factor = self.d_model ** -0.5 * min(t ** -0.5, t * w ** -1.5)
        # Scaled by `lr`
        return group['lr'] * factor
