r"""
---
title: AdaBelief optimizer
summary: An annotated PyTorch implementation of AdaBelief, which divides the step by how much the gradient differs from its running average instead of by the gradient's size.
---

# AdaBelief

This is an implementation of AdaBelief from Zhuang et al.,
*AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients*
(NeurIPS 2020). It changes one line of [Adam](adam.py).

## The idea

Read $m_t$ as a *prediction* of the next gradient. Adam divides the step by
$\sqrt{v_t}$, the root mean square of the gradient. AdaBelief divides instead
by the root mean square of the prediction error,
$$s_t = \beta_2 s_{t-1} + (1 - \beta_2)(g_t - m_t)^2 + \epsilon .$$

Compare the per-coordinate step sizes $\alpha / \sqrt{v_t}$ of Adam and
$\alpha / \sqrt{s_t}$ of AdaBelief in three situations:

* **A steep but straight slope**: the gradient is large and steady. Here $v_t$
  is large, so Adam's step size is small, although the direction is reliable
  and a big step would be right. The prediction error is small, so $s_t$ is
  small and AdaBelief takes large steps: we *believe* the gradient.
* **Strong curvature or noise**: the gradient keeps changing from step to
  step, so the prediction error and $s_t$ are large and AdaBelief steps
  carefully, even where the gradients themselves are not large.
* **A flat region**: the gradient is small and steady. Both $v_t$ and $s_t$ are
  small, and both optimizers take large step sizes.

## The update

\begin{align}
m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
s_t &= \beta_2 s_{t-1} + (1 - \beta_2)(g_t - m_t)^2 + \epsilon \\
\hat{m}_t &= \frac{m_t}{1 - \beta_1^t}, \qquad \hat{s}_t = \frac{s_t}{1 - \beta_2^t} \\
\theta_t &= \theta_{t-1} - \alpha \frac{\hat{m}_t}{\sqrt{\hat{s}_t} + \epsilon}
\end{align}

The $\epsilon$ added inside $s_t$ keeps the denominator away from zero even
when the gradient is perfectly predictable. The last line is exactly Adam's
update with $s_t$ in place of $v_t$, so only the moment update is new here.
The paper also combines AdaBelief with the rectification of [RAdam](radam.py)
and with the running maximum of [AMSGrad](amsgrad.py); this page keeps to the
basic algorithm.

```python
import torch
from labml_nn.optimizers.ada_belief import AdaBelief

x = torch.nn.Parameter(torch.tensor([2.0, -1.0]))
optimizer = AdaBelief([x], lr=0.1, eps=1e-16)
for _ in range(300):
    optimizer.zero_grad()
    (x ** 2).sum().backward()
    optimizer.step()
assert x.abs().max() < 0.1
```
"""

from typing import Any, Dict

import torch

from labml_nn.optimizers.adam import Adam


class AdaBelief(Adam):
    r"""
    ## AdaBelief optimizer

    Takes the same arguments as [Adam](adam.py). The paper suggests a much
    smaller $\epsilon$ than Adam's, such as $10^{-16}$, because it is added to
    $s_t$ itself rather than only to its square root.
    The state keeps $s_t$ under Adam's name `exp_avg_sq`.
    """

    def get_mv(self, state: Dict[str, Any], group: Dict[str, Any], grad: torch.Tensor):
        r"""
        ### Update $m_t$ and $s_t$
        """
        beta1, beta2 = group['betas']
        m, s = state['exp_avg'], state['exp_avg_sq']
        # $m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t$
        m.lerp_(grad, 1 - beta1)
        # The prediction error $g_t - m_t$
        error = grad - m
        # $s_t = \beta_2 s_{t-1} + (1 - \beta_2)(g_t - m_t)^2 + \epsilon$
        s.mul_(beta2).addcmul_(error, error, value=1 - beta2).add_(group['eps'])
        return m, s
