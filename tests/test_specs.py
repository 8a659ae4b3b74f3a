"""Explicit specs below the config layer, the registries behind the config's choice lists, the
recorded network inputs, and `evaluate(model, spec)` against the results of the nested-dict call
it replaced.

`data/evaluate_golden.npz` holds the states that the pre-refactor `evaluate(ensemble, hps,
eval_hps)` returned for the two tiny models of `golden_case` (part 1 and part 2, feedback delay 2,
feedback noise overridden, motor noise at its training value); it was written by the code
before the change and must not be regenerated unless evaluation results change for a reason.
"""

import dataclasses
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import motorlab as ml
from motorlab.config import _schema
from motorlab.config._identity import identity
from motorlab.config._load import train_defaults

GOLDEN = np.load(Path(__file__).parent / "data" / "evaluate_golden.npz")


def golden_case(part: int):
    """The model and evaluation tree of the golden file (as the pre-refactor code ran them)."""
    hps = train_defaults()
    hps["part"] = part
    hps["plant"]["n_steps"] = 9
    hps["model"].update(hidden_size=6, n_replicates=2, feedback_delay_steps=2)
    tree = {"eval_n": 2, "seed": 11, "task": {"grid_n": 1, "n_directions": 3, "reach_length": 0.5},
            "pert": {"type": "curl", "amp": [0.0, 1.0]}, "sisu": None if part == 1 else [0.0, 1.5],
            "model": {"feedback_noise_std": 0.02, "motor_noise_std": None}}
    return hps, tree


# --- specs ------------------------------------------------------------------------------------

def test_model_spec_reads_the_tree():
    hps = train_defaults()
    hps["part"] = 2
    spec = ml.ModelSpec.from_hps(hps)
    env = spec.environment
    assert (spec.part, spec.seed, spec.n_context) == (2, hps["seed"], 1)
    assert (spec.kind, spec.hidden_size, spec.n_replicates) == ("gru", 100, 5)
    assert env.dt == 0.05 and env.n_steps == 100 and env.workspace == ((-1.0, -1.0), (1.0, 1.0))
    assert env.field_type == "curl" and env.field_std == 0.0 and env.feedback_delay_steps == 0
    built = env.environment(motor_noise_std=0.0)
    assert built.n_steps == 100 and built.motor.std == 0.0 and built.feedback.noise_std == 0.01
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.part = 1
    with pytest.raises(TypeError):
        spec.network["hidden_size"] = 3  # read-only view
    assert hash(spec) == hash(ml.ModelSpec.from_hps(hps)) and spec == ml.ModelSpec.from_hps(hps)
    assert hash(ml.EvalSpec.from_hps(golden_case(2)[1], hps)) is not None  # usable as a static argument


def test_building_specs_leaves_the_tree_and_its_identity_alone():
    hps = train_defaults()
    hps["part"] = 2
    before = identity(hps)
    ml.TrainSpec.from_hps(hps)
    ml.EvalSpec.from_hps(golden_case(2)[1], hps)
    assert identity(hps) == before


def test_train_spec_reads_the_tree():
    hps = train_defaults()
    hps["part"] = 2
    hps["context"] = {"method": "bcs", "p_perturbed": 0.25}
    spec = ml.TrainSpec.from_hps(hps)
    assert spec.method == ml.BCS(p_perturbed=0.25)
    assert spec.batch_size == 250 and spec.n_batches == 10000 and spec.learning_rate == 0.01
    assert spec.loss.weights.discount_power == 6.0 and spec.loss.readout_norm == 0.0
    hps["part"] = 1
    assert ml.TrainSpec.from_hps(hps).method is None  # part 1 ignores `context`


@pytest.mark.parametrize("edit, message", [
    (lambda h: h["model"].update(hiden_size=3), "unknown key 'model.hiden_size'; did you mean 'model.hidden_size'?"),
    (lambda h: h["plant"].pop("dt"), "missing key 'plant.dt'"),
    (lambda h: h["plant"].update(n_steps=1), "key 'plant.n_steps' = 1; expected an integer >= 2"),
    (lambda h: h["plant"].update(workspace=[[1, 0], [0, 1]]), "'plant.workspace'"),
    (lambda h: h["pert"].update(type="cirl"), "key 'pert.type' = 'cirl'; expected one of curl, constant"),
    (lambda h: h["model"].update(hidden_size=2.5), "key 'model.hidden_size' = 2.5"),
    (lambda h: h.update(trian={}), "unknown key 'trian'; did you mean 'train'?"),
    (lambda h: h["train"].update(batch_size=0), "key 'train.batch_size' = 0; expected an integer >= 1"),
    (lambda h: h["loss"].update(control=-1.0), "key 'loss.control' = -1.0"),
    (lambda h: h.update(part=2) or h["context"].update(method="asf"),
     "key 'context.method' = 'asf'; expected one of bcs, dai, pai-asf, pai-n"),
    (lambda h: h.update(part=2) or h["context"].update(method="bcs", p_perturbed=1.5),
     "p_perturbed must be in [0, 1]"),
])
def test_bad_training_trees_name_the_key(edit, message):
    hps = train_defaults()
    edit(hps)
    with pytest.raises(ml.SpecError, match=re.escape(message)):
        ml.TrainSpec.from_hps(hps)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t["task"].update(grid=2), "unknown key 'task.grid'; did you mean 'task.grid_n'?"),
    (lambda t: t["pert"].update(amp=[]), "key 'pert.amp' = []; expected a non-empty list of numbers"),
    (lambda t: t["model"].update(motor_noise_std=-1), "key 'model.motor_noise_std' = -1"),
    (lambda t: t.pop("eval_n"), "missing key 'eval_n'"),
    (lambda t: t.update(sisu=None), "a part-2 model needs evaluation `sisu` values"),
])
def test_bad_evaluation_trees_name_the_key(edit, message):
    hps, tree = golden_case(2)
    edit(tree)
    with pytest.raises(ml.SpecError, match=re.escape(message)):
        ml.EvalSpec.from_hps(tree, hps)


def test_eval_spec_rejects_context_values_for_a_part1_model():
    model = ml.ModelSpec.from_hps(golden_case(1)[0])
    with pytest.raises(ml.SpecError, match="part-1 model takes no context"):
        ml.EvalSpec.steady_state(model, grid_n=2, sisu=[1.0], eval_n=1, seed=0)


# --- registries -------------------------------------------------------------------------------

def test_registries_list_their_classes_and_name_unknown_names():
    assert ml.FIELD_TYPES.names == ("curl", "constant") and ml.FIELD_TYPES["curl"] is ml.CurlField
    assert ml.METHODS.names == ("bcs", "dai", "pai-asf", "pai-n") and ml.METHODS["pai-n"] is ml.PAIN
    assert "dai" in ml.METHODS and "nope" not in ml.METHODS and [] not in ml.METHODS
    with pytest.raises(ml.UnknownNameError, match=re.escape("unknown training method 'asf'; expected one of "
                                                            "'bcs', 'dai', 'pai-asf', 'pai-n'")):
        ml.METHODS["asf"]
    with pytest.raises(ValueError, match="unknown field type 'spiral'"):
        ml.training_fields(jax.random.PRNGKey(0), "spiral", 1.0, 3)


def test_the_schema_choice_lists_come_from_the_registries():
    assert _schema._TRAIN_RULES["pert.type"].choices == ml.FIELD_TYPES.names
    assert _schema._TRAIN_RULES["context.method"].choices == ml.METHODS.names
    assert _schema._ANALYSIS_RULES["plant_perts.pert.type"].choices == ml.FIELD_TYPES.names
    # The context keys a method owns (and that leave other methods' identities) are its SETTINGS.
    hps = {"part": 2, "context": {"method": "pai-n", "p_perturbed": 0.5, "sisu_noise_std": 0.1}}
    assert _schema.relevant_hps(hps)["context"] == {"method": "pai-n", "sisu_noise_std": 0.1}


def test_method_classes_sample_like_the_named_call():
    key = jax.random.PRNGKey(3)
    fields, sisu = ml.PAIN(sisu_noise_std=0.2).sample(key, "constant", 0.5, 16)
    f2, s2 = ml.sample_context_trials(key, "pai-n", "constant", 0.5, 16, sisu_noise_std=0.2)
    np.testing.assert_array_equal(np.asarray(fields.force), np.asarray(f2.force))
    np.testing.assert_array_equal(np.asarray(sisu), np.asarray(s2))


# --- evaluate(model, spec) --------------------------------------------------------------------

@pytest.mark.parametrize("part", [1, 2])
def test_evaluate_with_a_spec_equals_the_nested_dict_call_it_replaced(part):
    hps, tree = golden_case(part)
    ens = ml.make_ensemble(hps, jax.random.PRNGKey(7))
    ev = ml.evaluate(ens, ml.EvalSpec.from_hps(tree, hps), keep=("hidden",))
    for k in ("pos", "vel", "force", "hidden", "output_correlation"):
        np.testing.assert_allclose(getattr(ev, k), GOLDEN[f"part{part}/{k}"], rtol=1e-5, atol=1e-6, err_msg=k)
    assert ev.inputs is None
    with pytest.raises(ValueError, match=re.escape("unknown ['hiden']")):
        ml.evaluate(ens, ml.EvalSpec.from_hps(tree, hps), keep=("hiden",))


def test_recorded_inputs_follow_the_input_order():
    """With no noise, the inputs a rollout records are the documented order rebuilt by hand:
    target position, target velocity (0), feedback of the state `delay` + 1 steps back (the
    queue starts full of the initial state), then SISU."""
    hps, tree = golden_case(2)
    tree["model"] = {"feedback_noise_std": 0.0, "motor_noise_std": 0.0}
    spec = ml.EvalSpec.from_hps(tree, hps)
    ens = ml.make_ensemble(hps, jax.random.PRNGKey(7))
    ev = ml.evaluate(ens, spec, keep=("inputs",))
    assert ev.hidden is None
    n_t, delay = spec.model.environment.n_steps, spec.model.environment.feedback_delay_steps
    names = ml.input_names(spec.model.n_context)
    assert ev.inputs.shape == ev.pos.shape[:4] + (len(names),)
    src = np.maximum(np.arange(1, n_t) - 1 - delay, 0)
    goal = np.asarray(ev.conditions.trials.goal)
    for r in range(2):
        pos, vel = ev.pos[0, r], ev.vel[0, r]
        expected = {
            "target_pos_x": goal[:, None, 0], "target_pos_y": goal[:, None, 1],
            "target_vel_x": 0.0, "target_vel_y": 0.0,
            "fb_pos_x": pos[:, src, 0], "fb_pos_y": pos[:, src, 1],
            "fb_vel_x": vel[:, src, 0], "fb_vel_y": vel[:, src, 1],
            "sisu": ev.conditions.sisu[:, None],
        }
        for i, name in enumerate(names):
            np.testing.assert_allclose(ev.inputs[0, r, :, 1:, i],
                                       np.broadcast_to(expected[name], (ev.inputs.shape[2], n_t - 1)),
                                       rtol=1e-6, atol=1e-7, err_msg=name)
        np.testing.assert_array_equal(ev.inputs[0, r, :, 0], 0.0)  # entry 0: the initial state
    blocks = ml.sim.input_blocks(1)
    assert [names[i] for i in blocks["fb_vel"]] == ["fb_vel_x", "fb_vel_y"] and blocks["sisu"] == (8,)


def test_simulate_records_the_inputs_it_feeds_the_network(getkey):
    """Feeding the recorded inputs back through the controller reproduces the hidden states."""
    hps, _ = golden_case(1)
    model = ml.replicate(ml.make_ensemble(hps, getkey()), 0)
    env = ml.ModelSpec.from_hps(hps).environment.environment()
    traj = ml.simulate(model, env, jnp.zeros(2), jnp.array([0.3, -0.2]), ml.CurlField(amplitude=jnp.array(1.0)),
                       jnp.zeros(0), getkey(), keep=("hidden", "inputs"))
    h = traj.hidden[0]
    for k in range(1, env.n_steps):
        h, _ = model(traj.inputs[k], h)
        np.testing.assert_allclose(h, traj.hidden[k], rtol=1e-5, atol=1e-6)
