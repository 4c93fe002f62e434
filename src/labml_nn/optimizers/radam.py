r"""
---
title: Rectified Adam (RAdam)
summary: An annotated PyTorch implementation of RAdam, which scales Adam's adaptive step by a rectification term so that the first steps, where the second moment is estimated from few gradients, are not too large.
---

# Rectified Adam (RAdam)

This is an implementation of RAdam from Liu et al.,
*On the Variance of the Adaptive Learning Rate and Beyond* (ICLR 2020),
built on our [Adam](adam.py).

## The problem: an unreliable denominator at the start

Adam's step is $\alpha \hat{m}_t / \sqrt{\hat{v}_t}$. Think of
$\psi_t = 1 / \sqrt{\hat{v}_t}$ as an *adaptive learning rate*, estimated from
the gradients seen so far. At $t = 1$, $\hat{v}_1 = g_1^2$ is an estimate of
$\mathbb{E}[g^2]$ from a single sample, and $\psi_1 = 1 / |g_1|$ can be
anything: a small gradient gives a huge adaptive learning rate. The variance
of $\psi_t$ is large (for the first step, unbounded) until enough gradients
have been averaged into $v_t$. This is why Adam often needs a
[warm-up](adam_warmup.py) of the learning rate: small steps while $v_t$ is
still unreliable.

RAdam makes that warm-up automatic and derived from the variance itself.

## How many gradients are in the average

An exponential moving average with $\beta_2$ behaves roughly like a simple
average over a window of
$$\rho_\infty = \frac{2}{1 - \beta_2} - 1$$
gradients once $t$ is large ($1999$ for $\beta_2 = 0.999$). At step $t$ its
effective length is shorter,
$$\rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t},$$
which starts at $\rho_1 = 1$ and grows towards $\rho_\infty$.

If the gradients were Gaussian with mean zero, $\psi_t^2$ would follow a
scaled inverse $\chi^2$ distribution with $\rho_t$ degrees of freedom, whose
variance is infinite for $\rho_t \le 4$. For larger $\rho_t$ the paper
approximates the variance and finds the factor that brings it down to its
value at $t \to \infty$:
$$r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\,\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\,\rho_t}}.$$
$r_t$ grows from about $0$ towards $1$, so it acts as a warm-up whose length
is set by $\beta_2$.

## The update

\begin{align}
m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t,
  & \hat{m}_t &= \frac{m_t}{1 - \beta_1^t} \\
v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
\theta_t &= \theta_{t-1} - \alpha\, r_t \,\hat{m}_t
  \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon}
  & &\text{if } \rho_t > 5, \\
\theta_t &= \theta_{t-1} - \alpha \hat{m}_t & &\text{otherwise.}
\end{align}

While the variance is not yet tractable, RAdam takes plain SGD-with-momentum
steps. The paper states the condition as $\rho_t > 4$; like its reference code
and `torch.optim.RAdam`, which this matches, we switch only once
$\rho_t > 5$ (for $\beta_2 = 0.999$ that is from step 6 on).

```python
import torch
from labml_nn.optimizers.radam import RAdam

x = torch.nn.Parameter(torch.tensor([2.0, -1.0]))
optimizer = RAdam([x], lr=0.1)
for _ in range(300):
    optimizer.zero_grad()
    (x ** 2).sum().backward()
    optimizer.step()
assert x.abs().max() < 0.1
```
"""

from typing import Any, Dict

import torch
from torch import nn

from labml_nn.optimizers.adam import Adam


class RAdam(Adam):
    r"""
    ## RAdam optimizer

    Takes the same arguments as [Adam](adam.py) (`optimized_update` has no
    effect). `WeightDecay(λ, decoupled=False)` gives the weight decay of
    `torch.optim.RAdam`, and `WeightDecay(λ)` its `decoupled_weight_decay=True`.
    """

    def adam_update(self, state: Dict[str, Any], group: Dict[str, Any], param: nn.Parameter,
                    m: torch.Tensor, v: torch.Tensor, lr: float):
        r"""
        ### Move the parameter
        """
        beta1, beta2 = group['betas']
        t = state['step']
        # $1 - \beta_1^t$ and $1 - \beta_2^t$
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        # $\rho_\infty = \frac{2}{1 - \beta_2} - 1$
        rho_inf = 2 / (1 - beta2) - 1
        # $\rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t}$
        rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2

        # $\alpha \hat{m}_t = \alpha \frac{m_t}{1 - \beta_1^t}$, in a new tensor
        # (the state $m_t$ must stay as it is)
        update = (m / bias_correction1).mul_(lr)

        # Early steps: $\theta_t = \theta_{t-1} - \alpha \hat{m}_t$
        if rho_t <= 5.0:
            param.sub_(update)
            return

        # The adaptive learning rate
        # $l_t = \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon}$
        # (that is $\frac{1}{\sqrt{\hat{v}_t}}$, with $\epsilon$ for safety)
        adaptive = v.sqrt().add_(group['eps']).reciprocal_().mul_(bias_correction2 ** 0.5)
        # The rectification term
        # $r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}$
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        # $\theta_t = \theta_{t-1} - \alpha \hat{m}_t \, l_t \, r_t$
        param.sub_(update.mul_(adaptive).mul_(rect))
