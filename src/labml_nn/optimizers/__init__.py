r"""
---
title: Adaptive optimizers
summary: A small base class that owns the bookkeeping shared by Adam-style optimizers, so that each optimizer only has to write down its own update rule.
---

# Adaptive optimizers

Adam and the optimizers derived from it all follow the same pattern.
For every parameter tensor $\theta$ they keep a few running statistics of
its gradient $g_t$ (a *state*), and at every step they

1. update those statistics with the new gradient, and
2. move the parameter by an amount computed from them.

Only step 2, and which statistics are kept, differ from one optimizer to the
next. Everything else is the same for all of them: walking over the parameter
groups and their parameters, skipping parameters that got no gradient,
checking hyper-parameters, creating the state the first time a parameter is
seen, and applying weight decay. This module implements that common part once,
in `GenericAdaptiveOptimizer` below, so that an
optimizer only has to fill in two hooks:

* `init_state(state, group, param)` creates the statistics for a parameter, and
* `step_param(state, group, grad, param)` performs one update of one parameter.

The optimizers built on it:

* [Adam](adam.py), the starting point, with bias-corrected moment estimates;
* [AMSGrad](amsgrad.py), which fixes a convergence problem of Adam, with the
  synthetic experiment from the paper;
* [RAdam](radam.py), which rectifies the variance of the adaptive step size early in training;
* [AdaBelief](ada_belief.py), which scales steps by how far the gradient is from its prediction;
* [Adam with warm-up](adam_warmup.py) and the [Noam schedule](noam.py).

Here is how an optimizer is used; it is a drop-in replacement for those in `torch.optim`:

```python
import torch
from labml_nn.optimizers.adam import Adam

model = torch.nn.Linear(4, 2)
optimizer = Adam(model.parameters(), lr=1e-2)
loss = model(torch.randn(8, 4)).pow(2).mean()
optimizer.zero_grad()
loss.backward()
optimizer.step()
```
"""

from typing import Any, Dict, Iterable, Tuple, Union

import torch
from torch import nn

__all__ = ['GenericAdaptiveOptimizer', 'WeightDecay']


class WeightDecay:
    r"""
    ## Weight decay

    Weight decay pulls every weight towards zero a little at each step. There
    are two ways to add it to an adaptive optimizer, and they are not the same.

    **Coupled (L2 regularization).** Add $\frac{\lambda}{2} \lVert \theta \rVert^2$
    to the loss. Its gradient is $\lambda \theta$, so the optimizer sees
    $$g_t \leftarrow g_t + \lambda \theta_{t-1}.$$
    The extra term then goes through the adaptive scaling like the rest of the
    gradient: weights with large past gradients are decayed *less*.

    **Decoupled** (Loshchilov & Hutter, *Decoupled Weight Decay
    Regularization*, the "W" in AdamW). Leave the gradient alone and shrink
    the weights directly before the update:
    $$\theta_{t-1} \leftarrow \theta_{t-1} - \alpha \lambda \theta_{t-1}
    = (1 - \alpha\lambda)\,\theta_{t-1},$$
    where $\alpha$ is the learning rate. Every weight decays at the same rate.
    When `absolute` is set the factor is $1 - \lambda$ instead, independent of
    the learning rate (useful when the learning rate follows a schedule but the
    decay should not).

    `weight_decay` is $\lambda$; it goes into each parameter group as
    `group['weight_decay']`, so groups may use different values.
    """

    def __init__(self, weight_decay: float = 0., decoupled: bool = True, absolute: bool = False):
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay} (it must be >= 0)")
        self.weight_decay = weight_decay
        self.decoupled = decoupled
        self.absolute = absolute

    def defaults(self) -> Dict[str, Any]:
        """The entry this adds to the optimizer's defaults."""
        return dict(weight_decay=self.weight_decay)

    def __call__(self, param: nn.Parameter, grad: torch.Tensor, group: Dict[str, Any],
                 lr: float) -> torch.Tensor:
        r"""
        Apply weight decay to `param` (decoupled) or to `grad` (coupled), and
        return the gradient the optimizer should use. `lr` is the learning rate
        $\alpha$ of this step.
        """
        decay = group['weight_decay']
        # Nothing to do without decay
        if decay == 0:
            return grad
        if self.decoupled:
            # $\theta_{t-1} \leftarrow (1 - \lambda)\,\theta_{t-1}$ when absolute
            if self.absolute:
                param.mul_(1 - decay)
            # $\theta_{t-1} \leftarrow (1 - \alpha\lambda)\,\theta_{t-1}$ otherwise
            else:
                param.mul_(1 - lr * decay)
            return grad
        # Coupled: $g_t + \lambda \theta_{t-1}$. This makes a new tensor, so
        # `param.grad` itself stays untouched.
        return grad.add(param, alpha=decay)


class GenericAdaptiveOptimizer(torch.optim.Optimizer):
    r"""
    ## Base class for adaptive optimizers

    `defaults` holds the hyper-parameters that every parameter group gets
    unless the group sets its own. The learning rate `lr` ($\alpha$),
    `betas` ($\beta_1, \beta_2$) and `eps` ($\epsilon$) are passed separately
    so that they can be checked here once for all optimizers.
    """

    def __init__(self, params: Union[Iterable[nn.Parameter], Iterable[Dict[str, Any]]],
                 defaults: Dict[str, Any], lr: float, betas: Tuple[float, float], eps: float):
        defaults = dict(defaults, lr=lr, betas=tuple(betas), eps=eps)
        # `torch.optim.Optimizer.__init__` adds the parameter groups through
        # `add_param_group`, which we override to check every group.
        super().__init__(params, defaults)

    @staticmethod
    def check_hyper_parameters(group: Dict[str, Any]):
        r"""
        ### Check the hyper-parameters of a group

        Bad values fail here with a clear message, rather than later as
        `nan`s. The comparisons are written as `not x >= 0` so that `nan`
        fails too.
        """
        lr = group['lr']
        if not isinstance(lr, torch.Tensor) and not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr} (it must be >= 0)")
        eps = group['eps']
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps} (it must be >= 0)")
        betas = group['betas']
        if len(betas) != 2:
            raise ValueError(f"Invalid betas: {betas} (expected two values, beta1 and beta2)")
        # The moments are exponential moving averages
        # $m_t = \beta m_{t-1} + (1 - \beta) g_t$; they only average (rather
        # than ignore the past, or blow up) for $0 \le \beta < 1$.
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta} (it must be in [0, 1))")
        if 'weight_decay' in group and not group['weight_decay'] >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']} (it must be >= 0)")

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Add a parameter group, filling in defaults, and check its settings."""
        super().add_param_group(param_group)
        # The base class has just filled in missing settings from the defaults
        group = self.param_groups[-1]
        group['betas'] = tuple(group['betas'])
        self.check_hyper_parameters(group)

    def init_state(self, state: Dict[str, Any], group: Dict[str, Any], param: nn.Parameter):
        """Create the state of `param`. Subclasses override this."""
        raise NotImplementedError()

    def step_param(self, state: Dict[str, Any], group: Dict[str, Any], grad: torch.Tensor,
                   param: nn.Parameter):
        """Update `param` given its gradient `grad`. Subclasses override this."""
        raise NotImplementedError()

    @torch.no_grad()
    def step(self, closure=None):
        r"""
        ### One optimizer step

        `closure` is optional: a function that recomputes the loss (with
        gradients) and returns it, as in `torch.optim`.
        """
        loss = None
        if closure is not None:
            # The closure needs autograd, which `no_grad` switched off
            with torch.enable_grad():
                loss = closure()

        # Visit every parameter of every group
        for group in self.param_groups:
            for param in group['params']:
                grad = param.grad
                # Parameters that took no part in the loss have no gradient; leave them
                if grad is None:
                    continue
                # The dense in-place updates below cannot use a sparse gradient
                if grad.is_sparse:
                    raise RuntimeError(
                        f"{type(self).__name__} does not support sparse gradients; "
                        "use torch.optim.SparseAdam or make the gradient dense")
                state = self.state[param]
                # A complex parameter is updated as a real one with twice the
                # elements, real and imaginary parts side by side (as in
                # `torch.optim`), so that $g_t^2$ below means the square of each part
                if torch.is_complex(param):
                    param, grad = torch.view_as_real(param), torch.view_as_real(grad)
                # Create the state the first time we see this parameter
                if len(state) == 0:
                    self.init_state(state, group, param)
                # Let the optimizer update it
                self.step_param(state, group, grad, param)

        return loss
