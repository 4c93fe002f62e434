"""
Saving and loading the optimizer state resumes training exactly, and bad
arguments fail early with clear messages.
"""

import io

import pytest
import torch

from labml_nn.optimizers import WeightDecay
from labml_nn.optimizers.ada_belief import AdaBelief
from labml_nn.optimizers.adam import Adam
from labml_nn.optimizers.adam_warmup import AdamWarmup
from labml_nn.optimizers.amsgrad import AMSGrad
from labml_nn.optimizers.noam import Noam
from labml_nn.optimizers.radam import RAdam

FACTORIES = {
    'adam': lambda g: Adam(g, lr=1e-2),
    'adam_optimized': lambda g: Adam(g, lr=1e-2, optimized_update=True),
    'adamw': lambda g: Adam(g, lr=1e-2, weight_decay=WeightDecay(0.01, decoupled=True)),
    'amsgrad': lambda g: AMSGrad(g, lr=1e-2),
    'radam': lambda g: RAdam(g, lr=1e-2),
    'ada_belief': lambda g: AdaBelief(g, lr=1e-2, eps=1e-16),
    'adam_warmup': lambda g: AdamWarmup(g, lr=1e-2, warmup=10),
    'noam': lambda g: Noam(g, lr=1.0, d_model=16, warmup=8),
}


def make_model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))


def groups(model):
    first, second = model[0], model[2]
    return [{'params': first.parameters()},
            {'params': second.parameters(), 'lr': 3e-3, 'betas': (0.8, 0.99), 'amsgrad': False,
             'weight_decay': 0.0}]


def train(model, optimizer, steps, start):
    for step in range(start, start + steps):
        gen = torch.Generator().manual_seed(step)
        x = torch.randn(16, 5, generator=gen)
        y = torch.randn(16, 2, generator=gen)
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()


@pytest.mark.parametrize('name', sorted(FACTORIES))
def test_state_dict_resumes_identically(name):
    factory = FACTORIES[name]
    k, n = 7, 20

    # An uninterrupted run of n steps
    model = make_model()
    optimizer = factory(groups(model))
    train(model, optimizer, n, 0)

    # k steps, save model and optimizer through a byte stream, load into fresh objects, continue
    model_a = make_model()
    optimizer_a = factory(groups(model_a))
    train(model_a, optimizer_a, k, 0)
    buffer = io.BytesIO()
    torch.save({'model': model_a.state_dict(), 'optimizer': optimizer_a.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=False)

    model_b = make_model(seed=123)  # different initial weights, overwritten by the load
    optimizer_b = factory(groups(model_b))
    model_b.load_state_dict(saved['model'])
    optimizer_b.load_state_dict(saved['optimizer'])
    assert optimizer_b.param_groups[1]['lr'] == 3e-3
    train(model_b, optimizer_b, n - k, k)

    for p, q in zip(model.parameters(), model_b.parameters()):
        assert torch.equal(p, q)
    for p, q in zip(model.parameters(), model_b.parameters()):
        s, r = optimizer.state[p], optimizer_b.state[q]
        assert s.keys() == r.keys()
        for key in s:
            if isinstance(s[key], torch.Tensor):
                assert torch.equal(s[key], r[key])
            else:
                assert s[key] == r[key]


def test_state_dict_of_amsgrad_keeps_the_maximum():
    model = make_model()
    optimizer = AMSGrad(groups(model), lr=1e-2)
    train(model, optimizer, 3, 0)
    state = optimizer.state_dict()['state']
    # Group 0 (two tensors) uses AMSGrad, group 1 does not
    assert all('max_exp_avg_sq' in state[i] for i in (0, 1))
    assert all('max_exp_avg_sq' not in state[i] for i in (2, 3))
    assert all(state[i]['step'] == 3 for i in range(4))


CLASSES = [Adam, AMSGrad, RAdam, AdaBelief, AdamWarmup, Noam]


def param():
    return [torch.nn.Parameter(torch.zeros(2))]


@pytest.mark.parametrize('cls', CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize('kwargs, message', [
    (dict(lr=-1e-3), 'Invalid learning rate'),
    (dict(lr=float('nan')), 'Invalid learning rate'),
    (dict(eps=-1e-8), 'Invalid epsilon'),
    (dict(betas=(-0.1, 0.999)), 'Invalid beta parameter at index 0'),
    (dict(betas=(1.0, 0.999)), 'Invalid beta parameter at index 0'),
    (dict(betas=(0.9, 1.0)), 'Invalid beta parameter at index 1'),
    (dict(betas=(0.9, 1.5)), 'Invalid beta parameter at index 1'),
    (dict(betas=(0.9, -0.5)), 'Invalid beta parameter at index 1'),
    (dict(betas=(0.9,)), 'Invalid betas'),
])
def test_invalid_arguments_raise_value_error(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(param(), **kwargs)


@pytest.mark.parametrize('cls', CLASSES, ids=lambda c: c.__name__)
def test_invalid_group_settings_raise_value_error(cls):
    with pytest.raises(ValueError, match='Invalid learning rate'):
        cls([{'params': param()}, {'params': param(), 'lr': -0.5}])
    optimizer = cls(param())
    with pytest.raises(ValueError, match='Invalid beta parameter at index 1'):
        optimizer.add_param_group({'params': param(), 'betas': (0.9, 1.0)})
    with pytest.raises(ValueError, match='Invalid weight_decay'):
        optimizer.add_param_group({'params': param(), 'weight_decay': -1.0})


def test_invalid_weight_decay_and_schedule_arguments():
    with pytest.raises(ValueError, match='Invalid weight_decay'):
        WeightDecay(-0.1)
    with pytest.raises(ValueError, match='Invalid warmup'):
        AdamWarmup(param(), warmup=-1)
    with pytest.raises(ValueError, match='Invalid warmup'):
        Noam(param(), warmup=0)
    with pytest.raises(ValueError, match='Invalid d_model'):
        Noam(param(), d_model=0)


def test_boundary_values_are_accepted():
    Adam(param(), lr=0.0, betas=(0.0, 0.0), eps=0.0)
    Adam(param(), betas=(0.999999, 0.999999))


@pytest.mark.parametrize('cls', CLASSES, ids=lambda c: c.__name__)
def test_sparse_gradients_raise_runtime_error(cls):
    embedding = torch.nn.Embedding(10, 3, sparse=True)
    optimizer = cls(embedding.parameters())
    embedding(torch.tensor([1, 2, 3])).sum().backward()
    assert embedding.weight.grad.is_sparse
    before = embedding.weight.detach().clone()
    with pytest.raises(RuntimeError, match='does not support sparse gradients'):
        optimizer.step()
    assert torch.equal(embedding.weight.detach(), before)
