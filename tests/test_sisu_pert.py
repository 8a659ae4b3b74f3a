"""`sisu_pert` (SPEC §2.8): the SISU step acts from its step on, its table, its bad input, and
its figure set on a tiny untrained part-2 ensemble."""

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from motorlab import make_ensemble
from motorlab.analysis import get_analysis
from motorlab.config import deep_merge
from motorlab.config._load import train_defaults
from motorlab.figures._registry import get_figure_set

N_STEPS, STEP = 24, 8


@pytest.fixture(scope="module")
def tiny():
    hps = deep_merge(train_defaults(), {"part": 2, "plant": {"n_steps": N_STEPS},
                                        "model": {"hidden_size": 6, "n_replicates": 2}})
    return hps, make_ensemble(hps, jr.PRNGKey(1))


def settings(**over):
    unit = get_analysis("sisu_pert")
    return deep_merge(unit.defaults(), {"eval_n": 2, "step": STEP, "final": [2.0], "n_units_shown": 3,
                                        "tasks": {"reach": {"n_directions": 2}}, **over})


def test_plan_one_evaluation_per_variant_and_bad_input(tiny):
    hps, _ = tiny
    unit = get_analysis("sisu_pert")
    plans = unit.plan(settings(), hps)
    assert [p.variant for p in plans] == ["steady", "reach"]
    assert plans[0].hps["pert"] == {"type": "curl", "amp": [0.0, 2.0]} and plans[0].hps["step"] == STEP
    with pytest.raises(ValueError, match=r"sisu_pert.step: start = 23, .* outside the trial"):
        unit.plan(settings(step=N_STEPS - 1), hps)
    with pytest.raises(ValueError, match="part-2 models only"):
        unit.plan(settings(), deep_merge(hps, {"part": 1}))


def test_step_acts_from_its_control_step_and_the_reference_is_zero(tiny):
    hps, ensemble = tiny
    unit = get_analysis("sisu_pert")
    plan = unit.plan(settings(), hps)[0]
    tables = unit.tables(ensemble, hps, plan.hps, included=np.array([True, False]), states=None)
    traj, summary, activity = tables["trajectories"], tables["summary"], tables["activity"]
    assert sorted(summary["sisu_final"].unique()) == [0.0, 2.0]
    assert set(activity["unit"].unique()) <= set(range(6)) and activity["unit"].nunique() == 3
    key = ["eval", "replicate", "condition", "t"]
    ref = traj[traj["sisu_final"] == 0.0].set_index(key).sort_index()
    moved = traj[traj["sisu_final"] == 2.0].set_index(key).sort_index()
    cols = ["pos_x", "pos_y", "vel_x", "vel_y", "force_x", "force_y"]
    t = ref.index.get_level_values("t")
    np.testing.assert_array_equal(ref.loc[t <= STEP, cols].to_numpy(), moved.loc[t <= STEP, cols].to_numpy())
    assert not np.allclose(ref.loc[t == STEP + 1, "force_x"], moved.loc[t == STEP + 1, "force_x"])
    zero = summary[summary["sisu_final"] == 0.0]
    np.testing.assert_array_equal(zero[["pos_shift", "hidden_shift", "readout_shift"]].to_numpy(), 0.0)
    step = summary[summary["sisu_final"] == 2.0]
    assert (step["hidden_shift"] > 0).all() and (step["step_size"] == 2.0).all()
    assert unit.summary(tables) == {"trials": len(summary), "final_values": 2}


def test_a_step_in_the_readouts_null_space_moves_nothing(tiny):
    """With a zero readout the hidden state moves but the point mass does not (same noise)."""
    hps, ensemble = tiny
    blind = eqx.tree_at(lambda m: m.readout.weight, ensemble, jnp.zeros_like(ensemble.readout.weight))
    unit = get_analysis("sisu_pert")
    plan = unit.plan(settings(), hps)[0]
    summary = unit.tables(blind, hps, plan.hps, included=None, states=None)["summary"]
    step = summary[summary["sisu_final"] == 2.0]
    np.testing.assert_array_equal(step["pos_shift"], 0.0)
    np.testing.assert_array_equal(step["readout_shift"], 0.0)
    assert (step["hidden_shift"] > 1e-3).all()


def test_figure_set_draws_both_variants(tiny):
    hps, ensemble = tiny
    unit = get_analysis("sisu_pert")
    models = [{"hps": deep_merge(hps, {"pert": {"std": s}}),
               "replicates": {"included": [True, True], "best_total_loss": [1.0, 0.5]}} for s in (0.0, 1.0)]
    for plan in unit.plan(settings(), hps):
        tables = unit.tables(ensemble, hps, plan.hps, included=None, states=None)
        group = {"compare": ["pert.std"], "variant": plan.variant}
        figs = get_figure_set("sisu_pert")({k: [v, v] for k, v in tables.items()}, models, group)
        expected = ({"steady_trajectories", "unit_activity"} if plan.variant == "steady"
                    else {"aligned_trajectories", "profiles"})
        assert {n.split("__")[0] for n in figs} == expected | {"summary"}
        assert all(len(f.data) > 0 for f in figs.values())
