"""Feedback impulses (SPEC §2.3, §2.7): the spec and builder, the impulse frame, the measures, and
a tiny end-to-end run of evaluation + measures + figure set."""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pandas as pd
import pytest

from synthetic_states import states_table

from motorlab import make_ensemble
from motorlab.analysis.feedback_perts import (
    IMPULSE_COLUMNS,
    default_impulses,
    evaluate_impulses,
    feedback_measures,
    impulse_aligned,
    impulse_frame,
    impulse_states,
)
from motorlab.config import train_defaults
from motorlab.figures import feedback_figure_set
from motorlab.figures import PLOT_IDS, plot_id
from motorlab.sim import (
    Environment,
    FeedbackChannel,
    FeedbackImpulse,
    GRUController,
    MotorNoise,
    PointMass,
    feedback_impulses,
    impulse_amplitudes,
    make_keys,
    simulate,
)
from motorlab.sim import CurlField


# --- the spec, the amplitude grid and the builder -------------------------------------------

def test_amplitude_grid_and_defaults():
    assert impulse_amplitudes(1.8, 3) == pytest.approx((0.6, 1.2, 1.8))
    assert FeedbackImpulse("pos").amplitudes == pytest.approx((0.6, 1.2, 1.8))
    assert FeedbackImpulse("vel").amplitudes == pytest.approx((0.4, 0.8, 1.2))
    spec = FeedbackImpulse("vel")
    assert (spec.start, spec.duration, spec.direction) == (30, 5, "rand")
    assert FeedbackImpulse("pos", max_amplitude=1.0, n_amplitudes=4).amplitudes == pytest.approx(
        (0.25, 0.5, 0.75, 1.0))
    assert FeedbackImpulse("pos", amplitudes=[2, 1]).amplitudes == (2.0, 1.0)
    assert [s.channel for s in default_impulses()] == ["pos", "vel"]


@pytest.mark.parametrize("kwargs, key", [
    ({"channel": "force"}, "channel"),
    ({"channel": "pos", "direction": "up"}, "direction"),
    ({"channel": "pos", "start": -1}, "start"),
    ({"channel": "pos", "duration": 0}, "duration"),
    ({"channel": "pos", "n_amplitudes": 0}, "n_amplitudes"),
    ({"channel": "pos", "max_amplitude": -1.0}, "max_amplitude"),
    ({"channel": "pos", "amplitudes": [0.5, 0.0]}, "amplitudes"),
    ({"channel": "pos", "amplitudes": []}, "amplitudes"),
])
def test_bad_spec_names_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key):
        FeedbackImpulse(**kwargs)


def test_impulse_outside_the_trial_is_refused(getkey):
    spec = FeedbackImpulse("pos", start=8, duration=3)
    spec.check_fits(12)  # control steps 8, 9, 10 of 11
    with pytest.raises(ValueError, match="start=8, duration=3"):
        spec.check_fits(11)
    with pytest.raises(ValueError, match="n_steps - 1 = 10"):
        feedback_impulses(spec, 1.0, 2, 11, getkey())
    with pytest.raises(ValueError, match="even"):
        feedback_impulses(FeedbackImpulse("pos", direction="xy"), 1.0, 3, 50, getkey())


@pytest.mark.parametrize("channel, columns", [("pos", [0, 1]), ("vel", [2, 3])])
def test_impulse_timing_channel_and_amplitude(channel, columns, getkey):
    spec = FeedbackImpulse(channel, start=4, duration=3)
    amps = jnp.asarray(spec.amplitudes)
    ivs, dirs = jax.vmap(lambda a: feedback_impulses(spec, a, 5, 12, getkey()))(amps)
    fb = np.asarray(ivs.feedback)
    assert fb.shape == (3, 5, 11, 4) and dirs.shape == (3, 5, 2)
    steps = np.flatnonzero(np.any(fb != 0, axis=(0, 1, 3)))
    assert steps.tolist() == [4, 5, 6]
    assert np.all(fb[..., [c for c in range(4) if c not in columns]] == 0)
    np.testing.assert_allclose(np.linalg.norm(dirs, axis=-1), 1, rtol=1e-6)
    np.testing.assert_allclose(dirs[0], dirs[2])  # the same directions for every amplitude
    expected = np.asarray(amps)[:, None, None, None] * np.asarray(dirs)[:, :, None, :]
    np.testing.assert_allclose(fb[:, :, 4:7][..., columns], np.broadcast_to(expected, (3, 5, 3, 2)),
                               rtol=1e-6)


def test_xy_directions(getkey):
    _, dirs = feedback_impulses(FeedbackImpulse("vel", direction="xy"), 1.0, 4, 50, getkey())
    np.testing.assert_array_equal(dirs, [[1, 0], [1, 0], [0, 1], [0, 1]])


def test_the_network_first_responds_at_row_start_plus_one(getkey):
    """The impulse enters the sensed feedback at control step `start`, so forces differ from an
    unperturbed trial from state row start + 1 on, not before."""
    env = Environment(PointMass(mass=1.0, damping=0.05, dt=0.05), FeedbackChannel(delay=2, noise_std=0.0),
                      MotorNoise(std=0.0), n_steps=12)
    model = GRUController(8, key=getkey())
    spec = FeedbackImpulse("pos", start=5, duration=2)
    iv, _ = feedback_impulses(spec, 1.0, 1, 12, getkey())
    start, goal = jnp.zeros(2), jnp.zeros(2)
    field = CurlField(amplitude=jnp.asarray(0.0))
    args = (model, env, start, goal, field, jnp.zeros(0), getkey())
    base = simulate(*args)
    pert = simulate(*args, jax.tree.map(lambda a: a[0], iv))
    differs = np.flatnonzero(np.any(np.asarray(base.force) != np.asarray(pert.force), axis=-1))
    assert differs[0] == spec.start + 1


# --- the impulse frame and the measures ---------------------------------------------------

def _hold_trials(pos, direction, force=None):
    pos = np.asarray(pos, float)
    vel = np.gradient(pos, axis=1)
    force = np.zeros_like(pos) if force is None else np.asarray(force, float)
    d = np.asarray(direction, float)
    return states_table(pos, vel, force, start=pos[:, 0], goal=pos[:, 0], reach_angle=0.0,
                        impulse_dir_x=d[:, 0], impulse_dir_y=d[:, 1], pert_var="pos",
                        impulse_amp=1.0, impulse_index=0)


def test_frame_signs():
    """A push along +d̂ is a positive forward deviation; left of d̂ is a positive lateral one."""
    t = np.linspace(0, 1, 11)[:, None]
    up = np.array([0.0, 1.0])
    hold = np.array([0.3, -0.2])
    pos = np.stack([hold + 0.1 * t * up, hold + 0.1 * t * np.array([-1.0, 0.0]),
                    hold + 0.1 * t * np.array([1.0, 0.0])])
    states = _hold_trials(pos, [up, up, up])
    aligned, _ = impulse_aligned(states)
    np.testing.assert_allclose(aligned.pos[:, -1], [[0.1, 0], [0, 0.1], [0, -0.1]], atol=1e-6)
    np.testing.assert_allclose(aligned.pos[:, 0], 0, atol=1e-7)  # origin = hold position
    m = feedback_measures(states, start=2, duration=3).pivot(
        index="condition", columns="measure", values="value")
    assert m.loc[0, "max_parallel_vel_forward"] > 0 and m.loc[0, "max_parallel_vel_reverse"] <= 0
    assert m.loc[1, "max_orthogonal_vel_left"] > 0 and m.loc[1, "max_orthogonal_vel_right"] <= 1e-12
    assert m.loc[2, "max_orthogonal_vel_right"] > 0 and m.loc[2, "max_orthogonal_vel_left"] <= 1e-12
    np.testing.assert_allclose(m["max_deviation"], 0.1, rtol=1e-5)


def test_window_measures_read_the_rows_the_impulse_drives():
    force = np.zeros((1, 20, 2))
    force[0, 6:9] = [3.0, 0.0]   # rows start+1 … start+duration for start 5, duration 3
    force[0, 9:12] = [2.0, 0.0]  # the next `duration` rows
    force[0, 15] = [9.0, 0.0]    # later: outside both windows
    states = _hold_trials(np.zeros((1, 20, 2)), [[1.0, 0.0]], force)
    m = feedback_measures(states, start=5, duration=3).set_index("measure")["value"]
    assert m["max_net_force_during_impulse"] == pytest.approx(3.0)
    assert m["max_net_force_after_impulse"] == pytest.approx(2.0)
    assert m["max_parallel_force_forward_after_impulse"] == pytest.approx(2.0)
    assert m["max_net_force"] == pytest.approx(9.0)


def test_frame_refuses_reaches_and_non_unit_directions():
    states = _hold_trials(np.zeros((1, 5, 2)), [[1.0, 0.0]])
    with pytest.raises(ValueError, match="hold trials"):
        impulse_frame(states.assign(goal_x=0.5))
    with pytest.raises(ValueError, match="unit vectors"):
        impulse_frame(states.assign(impulse_dir_x=2.0))
    with pytest.raises(ValueError, match="impulse_dir_y"):
        impulse_frame(states.drop(columns="impulse_dir_y"))


# --- end to end on a tiny untrained ensemble -------------------------------------------------

def tiny_hps(part):
    hps = train_defaults()
    hps["part"] = part
    hps["plant"]["n_steps"] = 16
    hps["model"].update(hidden_size=8, n_replicates=2)
    return hps


def test_evaluation_layout_and_errors():
    hps = tiny_hps(1)
    ens = make_ensemble(hps, make_keys(0)[0])
    spec = FeedbackImpulse("vel", start=4, duration=2, direction="xy", n_amplitudes=2)
    out = evaluate_impulses(ens, hps, spec, eval_n=2, seed=1, grid_n=2)
    frame = out.to_frame()
    n_cond = 2 * 2 * 4  # amplitudes × (x, y) × positions
    assert out.evaluated.pos.shape == (2, 2, n_cond, 16, 2)
    assert set(IMPULSE_COLUMNS) <= set(frame.columns)
    assert len(frame) == 2 * 2 * n_cond * 16
    per_cond = frame.groupby("condition")[["impulse_amp", "impulse_dir_x", "start_x"]].first()
    np.testing.assert_allclose(per_cond["impulse_amp"], np.repeat([0.6, 1.2], 8), rtol=1e-6)
    np.testing.assert_allclose(per_cond["impulse_dir_x"], np.tile(np.repeat([1.0, 0.0], 4), 2))
    assert (frame["pert_var"] == "vel").all() and (frame["pert_amp"] == 0).all()
    with pytest.raises(ValueError, match="start=40"):
        evaluate_impulses(ens, hps, FeedbackImpulse("pos", start=40), eval_n=1, seed=1, grid_n=1)
    with pytest.raises(ValueError, match="sisu"):
        evaluate_impulses(ens, hps, spec, eval_n=1, seed=1, grid_n=1, sisu=[0.0])


def test_end_to_end_produces_every_figure():
    hps = tiny_hps(2)
    ens = make_ensemble(hps, make_keys(0)[0])
    impulses = default_impulses(start=4, duration=3, n_amplitudes=2)
    states = impulse_states(ens, hps, impulses, eval_n=2, seed=1, grid_n=2, sisu=[0.0, 1.0])
    assert sorted(states["pert_var"].astype(str).unique()) == ["pos", "vel"]
    states = pd.concat([states.assign(train_std=s) for s in (0.0, 0.5)], ignore_index=True)
    measures = feedback_measures(states, start=4, duration=3)
    assert np.isfinite(measures["value"]).all()
    assert {"max_net_force_during_impulse", "sum_deviation"} <= set(measures["measure"])
    figs = feedback_figure_set(states, measures, start=4, duration=3, context="sisu", dt=0.05,
                               measure_names=("max_net_force", "max_net_force_during_impulse"))
    assert {plot_id(name) for name in figs} == set(PLOT_IDS)
    assert all(len(fig.data) for fig in figs.values())
    ranges = [figs[f"performance_measures/all_train_conditions__max_net_force__amp_index-{i}"]
              .layout.yaxis.range for i in (0, 1)]
    assert ranges[0] == ranges[1]  # the same y range across amplitudes
