"""Cross-condition evaluation (SPEC §2.2 cross-type fields, seed §5.7 noise/delay overrides): the
evaluation blocks, the delay override and their errors."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from motorlab.analysis import EvalSpec, evaluate, get_analysis
from motorlab.config import analysis_defaults, train_defaults
from motorlab.sim import input_blocks, make_ensemble

from shape_checking import unchecked

N_STEPS, N_REP = 12, 2


def tiny_hps(pert_type="curl"):
    hps = train_defaults()
    hps["plant"]["n_steps"] = N_STEPS
    hps["model"].update(hidden_size=8, n_replicates=N_REP)
    hps["pert"]["type"] = pert_type
    return hps


def settings(name="cross_eval", **overrides):
    s = analysis_defaults()[name]
    s.update(eval_n=1, task={"grid_n": 1, "n_directions": 4, "reach_length": 0.5}, **overrides)
    return s


def pushing_ensemble(hps, bias=(0.0, 0.0)):
    """Zero readout weights: the network's force is the constant `bias` (world frame)."""
    ens = make_ensemble(hps, jax.random.PRNGKey(2))
    return eqx.tree_at(lambda e: (e.readout.weight, e.readout.bias), ens,
                       (jnp.zeros_like(ens.readout.weight), jnp.broadcast_to(jnp.asarray(bias), ens.readout.bias.shape)))


def test_blocks_cover_the_test_grid_with_training_values_filled():
    hps = tiny_hps()
    plan = get_analysis("cross_eval").plan(settings(noise=[0.1], delay=[0, 3]), hps)
    assert [p.variant for p in plan] == ["blocks"]
    tests = [b["test"] for b in plan[0].hps["blocks"]]
    assert tests == [{"pert_type": t, "feedback_noise_std": 0.1, "motor_noise_std": 0.1, "feedback_delay_steps": d}
                     for t in ("curl", "constant") for d in (0, 3)]
    spec = EvalSpec.from_hps(plan[0].hps["blocks"][3]["hps"], hps)
    assert (spec.field_type, spec.amplitudes, spec.feedback_delay_steps) == ("constant", (0.0, 0.2), 3)
    empty = get_analysis("cross_eval").plan(settings(pert_types=["same"], noise=[], delay=[]), hps)
    assert [b["test"] for b in empty[0].hps["blocks"]] == [
        {"pert_type": "curl", "feedback_noise_std": 0.01, "motor_noise_std": 0.01, "feedback_delay_steps": 0}]


def test_cross_type_fields_push_the_documented_way():
    """Train curl → test constant: with zero control each effector drifts left of its reach
    (SPEC §1.6), the more the larger the amplitude. Train constant → test curl: a network that
    pushes right (+x) is turned counter-clockwise (+y) by a positive curl."""
    hps = tiny_hps("curl")
    unit = get_analysis("cross_eval")
    plan = unit.plan(settings(pert_types=["other"], noise=[0.0], delay=[], amp={"curl": [0.0], "constant": [0.0, 0.2, 0.4]}), hps)
    table = unit.tables(pushing_ensemble(hps), hps, plan[0].hps, included=[True, True], states=None)["measures"]
    lateral = table[table["measure"] == "max_orthogonal_distance_left"]
    assert set(lateral["test_pert_type"]) == {"constant"} and set(lateral["pert_type"]) == {"constant"}
    by_amp = lateral.groupby(lateral["pert_amp"].astype(float).round(3))["value"]
    assert (by_amp.min()[[0.2, 0.4]] > 0).all() and np.allclose(lateral[lateral["pert_amp"] == 0]["value"], 0)
    assert by_amp.min()[0.4] > by_amp.max()[0.2]
    assert set(lateral["direction"]) == {0, 1, 2, 3}  # every reach direction is pushed to its left

    hps = tiny_hps("constant")
    plan = unit.plan(settings(pert_types=["other"], noise=[0.0], delay=[], amp={"curl": [0.0, 2.0], "constant": [0.0]}), hps)
    block = plan[0].hps["blocks"][0]
    assert block["test"]["pert_type"] == "curl"
    out = evaluate(pushing_ensemble(hps, (0.5, 0.0)), EvalSpec.from_hps(block["hps"], hps)).to_frame()
    last = out[out["t"] == N_STEPS - 1]
    dy = (last["pos_y"] - last["start_y"]).to_numpy()
    np.testing.assert_allclose(dy[last["pert_amp"].to_numpy() == 0], 0, atol=1e-7)
    assert (dy[last["pert_amp"].to_numpy() == 2] > 1e-4).all()


@pytest.mark.parametrize("delay", [0, 3])
def test_delay_override_delays_the_feedback_the_network_sees(delay):
    hps = tiny_hps()
    ens = make_ensemble(hps, jax.random.PRNGKey(4))
    tree = {"eval_n": 1, "seed": 1, "task": {"grid_n": 1, "n_directions": 2, "reach_length": 0.5},
            "pert": {"type": "curl", "amp": [1.0]}, "sisu": None,
            "model": {"feedback_noise_std": 0.0, "motor_noise_std": 0.0, "feedback_delay_steps": delay}}
    out = evaluate(ens, EvalSpec.from_hps(tree, hps), keep=("inputs",))
    fb = out.inputs[..., list(input_blocks(0)["fb_pos"])]  # (eval, replicate, condition, time, 2)
    pos = out.pos
    # state t is produced from the input at index t, whose feedback is state t − 1 − delay
    # (the initial state before that)
    for t in range(1, N_STEPS):
        np.testing.assert_allclose(fb[:, :, :, t], pos[:, :, :, max(t - 1 - delay, 0)], atol=1e-7)
    assert np.abs(pos[:, :, :, -1] - pos[:, :, :, 0]).max() > 1e-3  # it moved: the check has teeth


def test_bad_blocks_and_delays_name_the_key():
    hps = tiny_hps()
    unit = get_analysis("cross_eval")
    with pytest.raises(ValueError, match=r"part1.analyses.cross_eval.blocks\[0\]: unknown override "
                                         r"'model.feedback_delay'; expected some of"):
        unit.plan(settings(blocks=[{"model": {"feedback_delay": 2}}]), hps)
    with pytest.raises(ValueError, match=r"part1.analyses.cross_eval.delay\[1\]: got 11; a model with "
                                         r"plant.n_steps 12 can take an integer feedback delay from 0 to 10"):
        unit.plan(settings(delay=[0, 11]), hps)
    with pytest.raises(ValueError, match=r"cross_eval.blocks\[0\].model.feedback_delay_steps: got 40"):
        unit.plan(settings(blocks=[{"model.feedback_delay_steps": 40}]), hps)
    with pytest.raises(ValueError, match=r"cross_eval.blocks\[0\].pert.type: got 'spiral'"):
        unit.plan(settings(blocks=[{"pert.type": "spiral"}]), hps)
    tree = {"eval_n": 1, "seed": 1, "task": {"grid_n": 1, "n_directions": 2, "reach_length": 0.5},
            "pert": {"type": "curl", "amp": [1.0]}, "sisu": None, "model": {"feedback_delay_steps": 11}}
    with pytest.raises(ValueError, match=r"feedback_delay_steps = 11; a model with n_steps 12 can take an "
                                         r"integer delay from 0 to 10"):
        EvalSpec.from_hps(tree, hps)
    tree["model"] = {"feedback_delay": 1}
    with pytest.raises(ValueError, match=r"unknown key 'model.feedback_delay'; did you mean "
                                         r"'model.feedback_delay_steps'"):
        EvalSpec.from_hps(tree, hps)
    with unchecked("a negative delay is refused by the spec itself"), pytest.raises(ValueError, match="-1"):
        EvalSpec.from_hps({**tree, "model": {"feedback_delay_steps": -1}}, hps)


def test_plant_perts_blocks_add_cross_type_evaluations_and_keep_the_others():
    hps = tiny_hps("curl")
    unit = get_analysis("plant_perts")
    base = analysis_defaults()["plant_perts"]
    plain = unit.plan(base, hps)
    crossed = unit.plan({**base, "blocks": [{"pert.type": "other"}, {"model": {"feedback_delay_steps": 2}}]}, hps)
    assert crossed[:len(plain)] == plain  # the existing evaluations do not move
    extra = crossed[len(plain):]
    assert [p.variant for p in extra] == ["full+constant_noise-0.01_delay-0", "small+constant_noise-0.01_delay-0",
                                          "full+curl_noise-0.01_delay-2", "small+curl_noise-0.01_delay-2"]
    assert extra[0].hps["pert"] == {"type": "constant", "amp": base["pert"]["amp"]["constant"]}
    assert extra[2].hps["model"]["feedback_delay_steps"] == 2
    assert EvalSpec.from_hps(extra[2].hps, hps).feedback_delay_steps == 2
    with pytest.raises(ValueError, match=r"part1.analyses.plant_perts.blocks\[0\]: unknown override 'pert.amp'"):
        unit.plan({**base, "blocks": [{"pert.amp": [1.0]}]}, hps)
