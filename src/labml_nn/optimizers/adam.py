r"""
---
title: Adam optimizer
summary: An annotated PyTorch implementation of Adam, with bias-corrected moment estimates and the cheaper update from the end of Section 2 of the paper.
---

# Adam

This is an implementation of Adam from Kingma & Ba,
*Adam: A Method for Stochastic Optimization* (ICLR 2015), on the
[generic adaptive optimizer base](__init__.py).

## The idea

Plain stochastic gradient descent moves every parameter by
$-\alpha g_t$: the same learning rate $\alpha$ for every coordinate, no
matter whether its gradients are tiny or huge, steady or noisy. Adam gives each
coordinate its own step size by keeping two running averages of the gradient:

* the **first moment** $m_t$, an average of $g_t$: which way the gradient
  points on average (momentum), and
* the **second moment** $v_t$, an average of $g_t^2$: how large the gradient
  usually is.

The step is $m_t / \sqrt{v_t}$ scaled by $\alpha$. Dividing by the root mean
square of the gradient makes the step dimensionless: its size is about
$\alpha$ whenever the gradient is consistent, whatever the scale of the
gradient, and smaller when the gradient keeps changing sign (then $m_t$ is
small compared with $\sqrt{v_t}$).

## The algorithm

With $\beta_1, \beta_2 \in [0, 1)$ and $m_0 = v_0 = 0$, at step $t = 1, 2, \dots$

\begin{align}
m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
\hat{m}_t &= \frac{m_t}{1 - \beta_1^t} \\
\hat{v}_t &= \frac{v_t}{1 - \beta_2^t} \\
\theta_t &= \theta_{t-1} - \alpha \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}
\end{align}

All operations are element-wise. $\epsilon$ (default $10^{-8}$) only keeps the
division safe where $v_t$ is zero.

### Why bias correction

Because the averages start at zero, they are too small early on. Unrolling
the recursion,
$$v_t = (1 - \beta_2) \sum_{i=1}^{t} \beta_2^{t-i} g_i^2 ,$$
and if the $g_i^2$ all have the same expectation $\mathbb{E}[g^2]$, then
$$\mathbb{E}[v_t] = \mathbb{E}[g^2]\,(1 - \beta_2) \sum_{i=1}^{t} \beta_2^{t-i}
  = \mathbb{E}[g^2]\,(1 - \beta_2^t).$$
Dividing by $1 - \beta_2^t$ removes that factor. With $\beta_2 = 0.999$ the
factor is $0.001$ at $t = 1$, so without correction the first steps would be
about $\sqrt{1000} \approx 30$ times too large. The same argument holds for
$m_t$ and $\beta_1$.

With `optimized_update=False` and default settings this matches
`torch.optim.Adam` operation for operation, and with decoupled weight decay it
matches `torch.optim.AdamW`.

```python
import torch
from labml_nn.optimizers.adam import Adam

x = torch.nn.Parameter(torch.tensor([3.0, -2.0]))
optimizer = Adam([x], lr=0.1)
for _ in range(200):
    optimizer.zero_grad()
    (x ** 2).sum().backward()
    optimizer.step()
assert x.abs().max() < 0.1
```
"""

import math
from typing import Any, Dict, Iterable, Optional, Tuple, Union

import torch
from torch import nn

from labml_nn.optimizers import GenericAdaptiveOptimizer, WeightDecay


class Adam(GenericAdaptiveOptimizer):
    r"""
    ## Adam optimizer

    * `params`: the parameters, or a list of parameter groups (dicts)
    * `lr`: the learning rate $\alpha$
    * `betas`: $(\beta_1, \beta_2)$
    * `eps`: $\epsilon$, or $\hat\epsilon$ when `optimized_update` is set (see below)
    * `weight_decay`: a [`WeightDecay`](__init__.py) instance, by default none;
      `WeightDecay(λ, decoupled=False)` is the L2 decay of `torch.optim.Adam`
      and `WeightDecay(λ)`, decoupled, that of `torch.optim.AdamW`
    * `optimized_update`: use the cheaper update described in `adam_update`
    * `defaults`: extra per-group settings of subclasses
    """

    def __init__(self, params: Union[Iterable[nn.Parameter], Iterable[Dict[str, Any]]],
                 lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: Optional[WeightDecay] = None,
                 optimized_update: bool = False,
                 defaults: Optional[Dict[str, Any]] = None):
        if weight_decay is None:
            weight_decay = WeightDecay(0., decoupled=False)
        defaults = {} if defaults is None else dict(defaults)
        defaults.update(weight_decay.defaults())
        super().__init__(params, defaults, lr, betas, eps)
        self.weight_decay = weight_decay
        self.optimized_update = optimized_update

    def init_state(self, state: Dict[str, Any], group: Dict[str, Any], param: nn.Parameter):
        r"""
        ### Initialise the state of a parameter

        The step count $t$ is a plain Python integer, so reading it never has
        to wait for a device.
        """
        # $t = 0$
        state['step'] = 0
        # $m_0 = 0$, the same shape as the parameter
        state['exp_avg'] = torch.zeros_like(param, memory_format=torch.preserve_format)
        # $v_0 = 0$
        state['exp_avg_sq'] = torch.zeros_like(param, memory_format=torch.preserve_format)

    def get_lr(self, state: Dict[str, Any], group: Dict[str, Any]) -> float:
        r"""
        ### Learning rate $\alpha$ of this step

        Constant here; [Adam with warm-up](adam_warmup.py) overrides it with a schedule.
        """
        return group['lr']

    def get_mv(self, state: Dict[str, Any], group: Dict[str, Any], grad: torch.Tensor):
        r"""
        ### Update the moments $m_t$ and $v_t$

        Both updates are done in place, on the tensors kept in `state`.
        """
        beta1, beta2 = group['betas']
        m, v = state['exp_avg'], state['exp_avg_sq']
        # $m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t$,
        # computed as $m_{t-1} + (1 - \beta_1)(g_t - m_{t-1})$ by `lerp_`
        # (linear interpolation from $m_{t-1}$ towards $g_t$), which is
        # the same value with the same rounding as `torch.optim.Adam`.
        m.lerp_(grad, 1 - beta1)
        # $v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        return m, v

    def adam_update(self, state: Dict[str, Any], group: Dict[str, Any], param: nn.Parameter,
                    m: torch.Tensor, v: torch.Tensor, lr: float):
        r"""
        ### Move the parameter

        `v` is the second moment to divide by: $v_t$ for Adam, or the running
        maximum $\tilde{v}_t$ for [AMSGrad](amsgrad.py).

        #### The plain update

        The update
        $\theta_t = \theta_{t-1} - \alpha \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}$
        does not need $\hat{m}_t$ as a tensor: the correction of $m_t$ is a
        number, so it folds into the step size,
        $$\theta_t = \theta_{t-1} - \frac{\alpha}{1 - \beta_1^t} \cdot
          \frac{m_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}.$$

        #### The optimized update

        Kingma & Ba note at the end of Section 2 that the order of computation
        can be changed to save work: multiply the whole fraction above by
        $\sqrt{1 - \beta_2^t} / \sqrt{1 - \beta_2^t}$, to get
        $$\theta_t = \theta_{t-1} - \alpha \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \cdot
          \frac{m_t}{\sqrt{v_t} + \hat{\epsilon}}, \qquad
          \hat{\epsilon} = \epsilon \sqrt{1 - \beta_2^t}.$$
        All bias correction is now in one number; the tensor work is a square
        root, an addition and one fused multiply-divide. The optimized update
        uses the `eps` it is given as $\hat{\epsilon}$, a constant, instead of
        $\epsilon \sqrt{1 - \beta_2^t}$. The two differ only in how much
        $\epsilon$ counts in the first steps, where $\sqrt{1 - \beta_2^t}$
        is small.
        """
        beta1, beta2 = group['betas']
        t = state['step']
        # $1 - \beta_1^t$
        bias_correction1 = 1 - beta1 ** t
        # $1 - \beta_2^t$
        bias_correction2 = 1 - beta2 ** t

        if self.optimized_update:
            # $\sqrt{v_t} + \hat{\epsilon}$
            denominator = v.sqrt().add_(group['eps'])
            # $\alpha \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}$
            step_size = lr * math.sqrt(bias_correction2) / bias_correction1
            # $\theta_t \leftarrow \theta_{t-1} - \alpha \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
            # \cdot \frac{m_t}{\sqrt{v_t} + \hat{\epsilon}}$
            param.addcdiv_(m, denominator, value=-step_size)
        else:
            # $\sqrt{\hat{v}_t} + \epsilon = \frac{\sqrt{v_t}}{\sqrt{1 - \beta_2^t}} + \epsilon$,
            # in place on the one new tensor that `sqrt` creates
            denominator = v.sqrt().div_(bias_correction2 ** 0.5).add_(group['eps'])
            # $\frac{\alpha}{1 - \beta_1^t}$
            step_size = lr / bias_correction1
            # $\theta_t \leftarrow \theta_{t-1} - \frac{\alpha}{1 - \beta_1^t}
            # \cdot \frac{m_t}{\sqrt{\hat{v}_t} + \epsilon}$,
            # fused in one `addcdiv_`
            param.addcdiv_(m, denominator, value=-step_size)

    def get_second_moment(self, state: Dict[str, Any], group: Dict[str, Any], v: torch.Tensor):
        r"""
        ### The second moment used in the update

        Just $v_t$ for Adam. [AMSGrad](amsgrad.py) replaces it with the largest
        value seen so far.
        """
        return v

    def step_param(self, state: Dict[str, Any], group: Dict[str, Any], grad: torch.Tensor,
                   param: nn.Parameter):
        r"""
        ### One step for one parameter
        """
        # $t \leftarrow t + 1$
        state['step'] += 1
        # The learning rate $\alpha$ of step $t$
        lr = self.get_lr(state, group)
        # Weight decay: either $g_t \leftarrow g_t + \lambda\theta_{t-1}$, or
        # $\theta_{t-1} \leftarrow (1 - \alpha\lambda)\theta_{t-1}$
        grad = self.weight_decay(param, grad, group, lr)
        # $m_t$ and $v_t$
        m, v = self.get_mv(state, group, grad)
        # The parameter update
        self.adam_update(state, group, param, m, self.get_second_moment(state, group, v), lr)
