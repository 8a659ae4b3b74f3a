"""Hot loops compile once (STYLE.md §10): calls with equal shapes, dtypes and static settings reuse
one compiled program. The train step has the same check in tests/test_training.py.

Each test wraps a function that the jitted region calls (looked up in the module where the region
finds it) with the shared `trace_counter` fixture: its body runs once per trace.
"""

import importlib

import jax
import jax.numpy as jnp
import numpy as np
from gru_examples import random_cell

from motorlab import EvalSpec, evaluate, make_ensemble
from motorlab.analysis.fixed_points import default_tolerances, solve_starts
from motorlab.config import train_defaults


def _module_of(fn):
    return importlib.import_module(fn.__module__)


def tiny_model(seed: int):
    hps = train_defaults()
    hps["plant"]["n_steps"] = 8
    hps["model"].update(hidden_size=6, n_replicates=2)
    return make_ensemble(hps, jax.random.PRNGKey(seed)), hps


def eval_settings(seed: int):
    return {
        "eval_n": 2, "seed": seed,
        "task": {"grid_n": 1, "n_directions": 3, "reach_length": 0.5},
        "pert": {"type": "curl", "amp": [0.0, 1.0]},
        "sisu": None,
        "model": {"feedback_noise_std": 0.01, "motor_noise_std": 0.01},
    }


def test_evaluate_compiles_once_for_equal_shapes(trace_counter):
    n_traces = trace_counter(_module_of(evaluate), "simulate_trials")
    first, hps = tiny_model(0)
    second, _ = tiny_model(1)  # other weights, same shapes
    a = evaluate(first, EvalSpec.from_hps(eval_settings(seed=5), hps))
    b = evaluate(second, EvalSpec.from_hps(eval_settings(seed=6), hps))  # other noise, same shapes
    assert n_traces() == 1
    assert a.pos.shape == b.pos.shape and not np.array_equal(a.pos, b.pos)


def test_fixed_point_solver_compiles_once_for_equal_shapes(trace_counter, getkey):
    n_traces = trace_counter(_module_of(solve_starts), "_solve")
    tol = default_tolerances(jnp.float32)
    u = np.zeros((16, 2), np.float32)
    for gain in (0.5, 1.5):  # other weights and starts, same shapes and dtypes
        cell = random_cell(jnp.float32, size=5, n_inputs=2, gain=gain)
        h0 = np.asarray(jax.random.uniform(getkey(), (16, 5), minval=-1.0, maxval=1.0))
        solved = solve_starts(cell, u, h0, tolerances=tol, bound=1.0)
        assert solved.h.shape == (16, 5)
    assert n_traces() == 1


def test_fixed_point_finder_with_deflation_compiles_each_solver_once(trace_counter):
    """The Newton pass, the polishing solves (another `max_steps`) and the deflated solves (a
    fixed root capacity and chunk) are traced once each, whatever the number of roots found."""
    import jax.random as jr
    from gru_examples import fold_cell

    from motorlab.analysis.fixed_points import find_fixed_points

    n_traces = trace_counter(_module_of(solve_starts), "_solve", 2)
    u = np.zeros((2, 2), np.float32)
    first = find_fixed_points(fold_cell(0.0, jnp.float32), u, key=jr.PRNGKey(0), n_box=64,
                              neighbours="sweep", eigenvalues=False)
    assert n_traces() == 2  # the plain solver (Newton pass, polishing), the deflated solver
    second = find_fixed_points(fold_cell(0.6, jnp.float32), u, key=jr.PRNGKey(1), n_box=64,
                               neighbours="sweep", eigenvalues=False)
    assert first.n_fixed.tolist() == [3, 3] and second.n_fixed.tolist() == [1, 1]
    assert n_traces() == 2
