"""
Numerical parity of the annotated optimizers with their `torch.optim`
counterparts (or, where there is none, with a direct transcription of the
paper's equations), over many steps, several parameter shapes, parameter
groups with different settings, in float32 and float64.
"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from labml_nn.optimizers import WeightDecay
from labml_nn.optimizers.ada_belief import AdaBelief
from labml_nn.optimizers.adam import Adam
from labml_nn.optimizers.adam_warmup import AdamWarmup
from labml_nn.optimizers.amsgrad import AMSGrad
from labml_nn.optimizers.noam import Noam
from labml_nn.optimizers.radam import RAdam

SHAPES = [(7,), (3, 4), (2, 3, 5), ()]
STEPS = 80

# float64: the implementations do the same operations in the same order, so
# the results should agree to (nearly) the last bit; float32 within rounding
TOLERANCES = {
    torch.float64: dict(rtol=1e-12, atol=1e-14),
    torch.float32: dict(rtol=1e-5, atol=1e-6),
}


def make_params(dtype, seed=0):
    """Two lists of parameters: 4 shapes in group A, 2 shapes plus one never-used parameter in group B"""
    gen = torch.Generator().manual_seed(seed)
    a = [torch.nn.Parameter(torch.randn(s, generator=gen, dtype=dtype)) for s in SHAPES]
    b = [torch.nn.Parameter(torch.randn(s, generator=gen, dtype=dtype)) for s in SHAPES[:2]]
    unused = torch.nn.Parameter(torch.randn(3, generator=gen, dtype=dtype))
    return a, b, unused


def clone_params(params):
    return [torch.nn.Parameter(p.detach().clone()) for p in params]


def set_grads(params, step, seed=1):
    """Gradient of a quadratic plus deterministic noise, the same for both optimizers"""
    gen = torch.Generator().manual_seed(seed * 100_003 + step)
    for p in params:
        noise = torch.randn(p.shape, generator=gen, dtype=torch.float64).to(p.dtype)
        # Occasional large gradients exercise the AMSGrad maximum
        scale = 20.0 if step % 17 == 3 else 1.0
        p.grad = (0.5 * p.detach() + scale * noise).clone()


def run_pair(ours_factory, torch_factory, groups_b, dtype, steps=STEPS, torch_lambda=None):
    a, b, unused = make_params(dtype)
    a2, b2, unused2 = clone_params(a), clone_params(b), clone_params([unused])[0]
    ours = ours_factory([{'params': a}, dict(groups_b, params=b + [unused])])
    ref = torch_factory([{'params': a2}, dict(groups_b, params=b2 + [unused2])])
    scheduler = None
    if torch_lambda is not None:
        scheduler = torch.optim.lr_scheduler.LambdaLR(ref, torch_lambda)
    for step in range(steps):
        set_grads(a + b, step)
        set_grads(a2 + b2, step)
        ours.step()
        ref.step()
        if scheduler is not None:
            scheduler.step()
    tol = TOLERANCES[dtype]
    for p, q in zip(a + b + [unused], a2 + b2 + [unused2]):
        torch.testing.assert_close(p.detach(), q.detach(), **tol)
    # The parameter without gradients was never touched
    assert torch.equal(unused.detach(), unused2.detach())
    return ours, ref


DTYPES = [torch.float32, torch.float64]
GROUP_B = dict(lr=3e-3, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05)

CASES = {
    'adam': (
        lambda g: Adam(g, lr=1e-2),
        lambda g: torch.optim.Adam(g, lr=1e-2, amsgrad=False, foreach=False),
        GROUP_B),
    'adam_l2': (
        lambda g: Adam(g, lr=1e-2, weight_decay=WeightDecay(0.1, decoupled=False)),
        lambda g: torch.optim.Adam(g, lr=1e-2, weight_decay=0.1, foreach=False),
        GROUP_B),
    'adam_foreach_reference': (
        lambda g: Adam(g, lr=1e-2),
        lambda g: torch.optim.Adam(g, lr=1e-2, foreach=True),
        GROUP_B),
    'amsgrad': (
        lambda g: AMSGrad(g, lr=1e-2),
        lambda g: torch.optim.Adam(g, lr=1e-2, amsgrad=True, foreach=False),
        GROUP_B),
    'amsgrad_mixed_groups': (
        lambda g: AMSGrad(g, lr=1e-2),
        lambda g: torch.optim.Adam(g, lr=1e-2, amsgrad=True, foreach=False),
        dict(GROUP_B, amsgrad=False)),
    'amsgrad_off_by_default_group_on': (
        lambda g: AMSGrad(g, lr=1e-2, amsgrad=False),
        lambda g: torch.optim.Adam(g, lr=1e-2, amsgrad=False, foreach=False),
        dict(GROUP_B, amsgrad=True)),
    'adamw': (
        lambda g: Adam(g, lr=1e-2, weight_decay=WeightDecay(0.01, decoupled=True)),
        lambda g: torch.optim.AdamW(g, lr=1e-2, weight_decay=0.01, foreach=False),
        GROUP_B),
    'adamw_amsgrad': (
        lambda g: AMSGrad(g, lr=1e-2, weight_decay=WeightDecay(0.02, decoupled=True)),
        lambda g: torch.optim.AdamW(g, lr=1e-2, weight_decay=0.02, amsgrad=True, foreach=False),
        GROUP_B),
    'radam': (
        lambda g: RAdam(g, lr=1e-2),
        lambda g: torch.optim.RAdam(g, lr=1e-2, foreach=False),
        GROUP_B),
    'radam_l2': (
        lambda g: RAdam(g, lr=1e-2, weight_decay=WeightDecay(0.1, decoupled=False)),
        lambda g: torch.optim.RAdam(g, lr=1e-2, weight_decay=0.1, foreach=False),
        GROUP_B),
    'radam_decoupled': (
        lambda g: RAdam(g, lr=1e-2, weight_decay=WeightDecay(0.1, decoupled=True)),
        lambda g: torch.optim.RAdam(g, lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True,
                                    foreach=False),
        GROUP_B),
}


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
@pytest.mark.parametrize('case', sorted(CASES))
def test_parity_with_torch(case, dtype):
    ours_factory, torch_factory, group_b = CASES[case]
    ours, ref = run_pair(ours_factory, torch_factory, group_b, dtype)
    # The per-parameter states agree too
    for group, ref_group in zip(ours.param_groups, ref.param_groups):
        for p, q in zip(group['params'], ref_group['params']):
            s, r = ours.state[p], ref.state[q]
            if not r:
                assert not s
                continue
            assert s['step'] == int(r['step'].item())
            torch.testing.assert_close(s['exp_avg'], r['exp_avg'], **TOLERANCES[dtype])
            torch.testing.assert_close(s['exp_avg_sq'], r['exp_avg_sq'], **TOLERANCES[dtype])
            if 'max_exp_avg_sq' in r and group.get('amsgrad', False):
                torch.testing.assert_close(s['max_exp_avg_sq'], r['max_exp_avg_sq'], **TOLERANCES[dtype])


def test_plain_settings_are_bitwise_identical_to_torch_adam():
    """With default settings our operations are torch's single-tensor operations, in order"""
    for ours_f, ref_f in [(lambda g: Adam(g), lambda g: torch.optim.Adam(g, foreach=False)),
                          (lambda g: AMSGrad(g), lambda g: torch.optim.Adam(g, amsgrad=True, foreach=False))]:
        for dtype in DTYPES:
            a, b, _ = make_params(dtype)
            a2 = clone_params(a)
            ours, ref = ours_f(a), ref_f(a2)
            for step in range(60):
                set_grads(a, step)
                set_grads(a2, step)
                ours.step()
                ref.step()
            for p, q in zip(a, a2):
                assert torch.equal(p, q)


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
@pytest.mark.parametrize('warmup', [1, 10, 200])
def test_adam_warmup_matches_adam_with_lambda_lr(dtype, warmup):
    # Our step t (1-based) uses the factor min(1, t / w); LambdaLR's step t uses lambda(t - 1)
    run_pair(lambda g: AdamWarmup(g, lr=1e-2, warmup=warmup),
             lambda g: torch.optim.Adam(g, lr=1e-2, foreach=False),
             GROUP_B, dtype,
             torch_lambda=lambda e: min(1.0, (e + 1) / warmup))


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
def test_noam_matches_adam_with_lambda_lr(dtype):
    d_model, warmup = 64, 20

    def factor(e):
        t = e + 1
        return d_model ** -0.5 * min(t ** -0.5, t * warmup ** -1.5)

    run_pair(lambda g: Noam(g, lr=2.0, d_model=d_model, warmup=warmup),
             lambda g: torch.optim.Adam(g, lr=2.0, betas=(0.9, 0.98), eps=1e-9, foreach=False),
             dict(GROUP_B, lr=0.5), dtype,
             torch_lambda=factor)


class ReferenceAdaBelief:
    """AdaBelief written directly from Algorithm 2 of the paper, one tensor op per symbol"""

    def __init__(self, groups, lr, betas=(0.9, 0.999), eps=1e-16):
        self.groups = [dict(dict(lr=lr, betas=betas, eps=eps, weight_decay=0.0), **g) for g in groups]
        self.state = {}

    def step(self):
        for g in self.groups:
            b1, b2 = g['betas']
            for p in g['params']:
                if p.grad is None:
                    continue
                st = self.state.setdefault(p, dict(t=0, m=torch.zeros_like(p), s=torch.zeros_like(p)))
                st['t'] += 1
                t = st['t']
                grad = p.grad + g['weight_decay'] * p.detach()
                st['m'] = b1 * st['m'] + (1 - b1) * grad
                st['s'] = b2 * st['s'] + (1 - b2) * (grad - st['m']) ** 2 + g['eps']
                m_hat = st['m'] / (1 - b1 ** t)
                s_hat = st['s'] / (1 - b2 ** t)
                with torch.no_grad():
                    p -= g['lr'] * m_hat / (torch.sqrt(s_hat) + g['eps'])


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
def test_ada_belief_matches_paper_equations(dtype):
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == torch.float64 else dict(rtol=1e-4, atol=1e-5)
    a, b, _ = make_params(dtype)
    a2, b2 = clone_params(a), clone_params(b)
    group_b = dict(lr=3e-3, betas=(0.8, 0.95), eps=1e-12, weight_decay=0.05)
    ours = AdaBelief([{'params': a}, dict(group_b, params=b)], lr=1e-2, eps=1e-16,
                     weight_decay=WeightDecay(0.0, decoupled=False))
    ref = ReferenceAdaBelief([{'params': a2}, dict(group_b, params=b2)], lr=1e-2)
    for step in range(STEPS):
        set_grads(a + b, step)
        set_grads(a2 + b2, step)
        ours.step()
        ref.step()
    for p, q in zip(a + b, a2 + b2):
        torch.testing.assert_close(p.detach(), q.detach(), **tol)


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
def test_optimized_update_matches_epsilon_hat_formula(dtype):
    """theta -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps_hat)"""
    lr, (b1, b2), eps = 1e-2, (0.9, 0.999), 1e-8
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == torch.float64 else dict(rtol=1e-4, atol=1e-5)
    a, _, _ = make_params(dtype)
    a2 = clone_params(a)
    ours = Adam(a, lr=lr, betas=(b1, b2), eps=eps, optimized_update=True)
    ms = [torch.zeros_like(p) for p in a2]
    vs = [torch.zeros_like(p) for p in a2]
    for step in range(STEPS):
        set_grads(a, step)
        set_grads(a2, step)
        ours.step()
        t = step + 1
        with torch.no_grad():
            for p, m, v in zip(a2, ms, vs):
                m.mul_(b1).add_((1 - b1) * p.grad)
                v.mul_(b2).add_((1 - b2) * p.grad ** 2)
                p -= lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (v.sqrt() + eps)
    for p, q in zip(a, a2):
        torch.testing.assert_close(p.detach(), q.detach(), **tol)


def test_optimized_update_equals_plain_update_without_epsilon():
    """With eps = 0 the two orders of computation are the same formula"""
    a, _, _ = make_params(torch.float64)
    a2 = clone_params(a)
    plain = Adam(a, lr=1e-2, eps=0.0)
    optimized = Adam(a2, lr=1e-2, eps=0.0, optimized_update=True)
    for step in range(STEPS):
        set_grads(a, step)
        set_grads(a2, step)
        plain.step()
        optimized.step()
    for p, q in zip(a, a2):
        torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-12, atol=1e-13)


@settings(max_examples=25, deadline=None)
@given(lr=st.floats(1e-5, 1.0), beta1=st.floats(0.0, 0.99), beta2=st.floats(0.0, 0.9999),
       eps=st.floats(1e-12, 1e-2), amsgrad=st.booleans(), decay=st.floats(0.0, 0.5),
       decoupled=st.booleans())
def test_adam_matches_torch_for_random_hyper_parameters(lr, beta1, beta2, eps, amsgrad, decay, decoupled):
    a, _, _ = make_params(torch.float64, seed=3)
    a2 = clone_params(a)
    ours = AMSGrad(a, lr=lr, betas=(beta1, beta2), eps=eps, amsgrad=amsgrad,
                   weight_decay=WeightDecay(decay, decoupled=decoupled))
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    ref = cls(a2, lr=lr, betas=(beta1, beta2), eps=eps, amsgrad=amsgrad, weight_decay=decay, foreach=False)
    for step in range(15):
        set_grads(a, step)
        set_grads(a2, step)
        ours.step()
        ref.step()
    for p, q in zip(a, a2):
        torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-12, atol=1e-14)


def test_closure_is_called_and_its_loss_returned():
    x = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    optimizer = Adam([x], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (x ** 2).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert loss.item() == pytest.approx(5.0)
    assert x.grad is not None
    assert torch.all(x.detach() < torch.tensor([1.0, 2.0]))


def test_absolute_decoupled_weight_decay_ignores_lr():
    x = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    decay = WeightDecay(0.1, decoupled=True, absolute=True)
    grad = torch.zeros(3, dtype=torch.float64)
    with torch.no_grad():
        out = decay(x, grad, {'weight_decay': 0.1}, lr=123.0)
    assert out is grad
    torch.testing.assert_close(x.detach(), torch.full((3,), 0.9, dtype=torch.float64))


def test_coupled_weight_decay_leaves_param_grad_untouched():
    x = torch.nn.Parameter(torch.ones(3))
    x.grad = torch.zeros(3)
    Adam([x], lr=0.1, weight_decay=WeightDecay(0.5, decoupled=False)).step()
    assert torch.equal(x.grad, torch.zeros(3))


@pytest.mark.parametrize('ours_factory, torch_factory', [
    (lambda g: Adam(g, lr=1e-2), lambda g: torch.optim.Adam(g, lr=1e-2, foreach=False)),
    (lambda g: AMSGrad(g, lr=1e-2), lambda g: torch.optim.Adam(g, lr=1e-2, amsgrad=True, foreach=False)),
    (lambda g: RAdam(g, lr=1e-2), lambda g: torch.optim.RAdam(g, lr=1e-2, foreach=False)),
], ids=['adam', 'amsgrad', 'radam'])
def test_complex_parameters_match_torch(ours_factory, torch_factory):
    gen = torch.Generator().manual_seed(5)
    p = torch.nn.Parameter(torch.randn(4, 3, dtype=torch.complex128, generator=gen))
    q = torch.nn.Parameter(p.detach().clone())
    ours, ref = ours_factory([p]), torch_factory([q])
    for _ in range(30):
        g = torch.randn(4, 3, dtype=torch.complex128, generator=gen)
        p.grad, q.grad = g.clone(), g.clone()
        ours.step()
        ref.step()
    torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-12, atol=1e-14)
