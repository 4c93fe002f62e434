"""
The synthetic experiment of Reddi et al. (2018): Adam drifts to the worst
point x = +1, AMSGrad moves towards the optimum x = -1 with lower regret.
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

import labml_nn
from labml_nn.optimizers.amsgrad import synthetic_experiment

PERIOD = 101


def run(name, steps, lr):
    return list(synthetic_experiment(name, steps, lr=lr))


def test_paper_claim_in_a_short_run():
    steps = 5000
    adam = run('Adam', steps, lr=1.0)
    amsgrad = run('AMSGrad', steps, lr=1.0)
    # x oscillates within each period of 101 steps; average over the last period
    adam_x = sum(r['x'] for r in adam[-PERIOD:]) / PERIOD
    amsgrad_x = sum(r['x'] for r in amsgrad[-PERIOD:]) / PERIOD
    assert adam_x > 0.8, adam_x
    assert amsgrad_x < -0.5, amsgrad_x
    assert amsgrad[-1]['average_regret'] < adam[-1]['average_regret']
    # Everything stays in the feasible set
    assert all(-1.0 <= r['x'] <= 1.0 for r in adam + amsgrad)


def test_regret_is_computed_against_x_star():
    records = run('AMSGrad', 3, lr=0.5)
    # Step 1: x_1 = 0 and f_1(x) = 1010 x, so regret = 1010 * (0 - (-1)) = 1010
    assert records[0]['loss'] == 0.0
    assert records[0]['average_regret'] == pytest.approx(1010.0)
    assert [r['step'] for r in records] == [1, 2, 3]


def test_unknown_optimizer_name():
    with pytest.raises(ValueError, match='Unknown optimizer'):
        next(synthetic_experiment('SGD', 3))


def test_cli_writes_metrics_and_plot(tmp_path):
    src = str(Path(labml_nn.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([src] + [p for p in [env.get('PYTHONPATH')] if p])
    env['MPLBACKEND'] = 'Agg'
    out = tmp_path / 'run'
    result = subprocess.run(
        [sys.executable, '-m', 'labml_nn.optimizers.amsgrad',
         '--steps', '300', '--log-every', '50', '--out', str(out)],
        env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'AMSGrad' in result.stdout

    with open(out / 'metrics.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) == {'step', 'optimizer', 'x', 'loss', 'average_regret'}
    assert [r['optimizer'] for r in rows] == ['Adam'] * 6 + ['AMSGrad'] * 6
    assert [int(r['step']) for r in rows[:6]] == [50, 100, 150, 200, 250, 300]
    for r in rows:
        assert -1.0 <= float(r['x']) <= 1.0
        float(r['average_regret'])

    png = (out / 'amsgrad_experiment.png').read_bytes()
    assert png.startswith(b'\x89PNG\r\n\x1a\n')
    assert len(png) > 1000


def test_cli_rejects_bad_arguments(tmp_path):
    src = str(Path(labml_nn.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=src)
    result = subprocess.run(
        [sys.executable, '-m', 'labml_nn.optimizers.amsgrad', '--steps', '0', '--out', str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert 'must be positive' in result.stderr


def test_committed_plot_is_small_and_linked():
    folder = Path(labml_nn.__file__).resolve().parent / 'optimizers'
    png = folder / 'amsgrad_experiment.png'
    assert png.exists()
    assert png.stat().st_size < 150 * 1024
    assert '](amsgrad_experiment.png)' in (folder / 'amsgrad.py').read_text()
