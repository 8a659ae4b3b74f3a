"""Feedback impulses carried by an evaluation spec (issue 9, SPEC §2.3): reading them from an
evaluation tree, one clear error per bad key, and `evaluate(model, spec)` running them (timing,
channel, amplitude-major conditions, the trial-length override)."""

import numpy as np
import pytest

import motorlab as ml
from motorlab.config._load import train_defaults
from motorlab.sim import FeedbackImpulse, make_keys


def tiny_hps(part=1, n_steps=16):
    hps = train_defaults()
    hps["part"] = part
    hps["plant"]["n_steps"] = n_steps
    hps["model"].update(hidden_size=6, n_replicates=2)
    return hps


def tree(**impulse):
    base = {"eval_n": 1, "seed": 3, "task": {"grid_n": 1, "n_directions": 1, "reach_length": 0.0},
            "pert": {"type": "curl", "amp": [0.0]}, "sisu": None,
            "model": {"feedback_noise_std": 0.0, "motor_noise_std": 0.0}}
    if impulse:
        base["impulse"] = {"channel": "vel", "start": 4, "duration": 3, "direction": "rand",
                           "amp": [0.5, 1.0], **impulse}
    return base


def test_the_impulse_is_optional():
    spec = ml.EvalSpec.from_hps(tree(), tiny_hps())
    assert spec.impulse is None and spec.n_steps is None and spec.trial_steps == 16


def test_impulse_and_trial_length_are_read():
    spec = ml.EvalSpec.from_hps({**tree(channel="pos", direction="xy"), "n_steps": 30}, tiny_hps())
    assert spec.impulse == FeedbackImpulse("pos", start=4, duration=3, direction="xy", amplitudes=(0.5, 1.0))
    assert spec.n_steps == 30 and spec.trial_steps == 30


@pytest.mark.parametrize("change, message", [
    ({"channel": "force"}, r"'impulse.channel' = 'force'; expected one of 'pos', 'vel'"),
    ({"direction": "diag"}, r"'impulse.direction' = 'diag'; expected one of 'rand', 'xy'"),
    ({"amp": []}, r"'impulse.amp' = \[\]; expected a non-empty list of numbers > 0"),
    ({"amp": [0.5, 0.0]}, r"'impulse.amp' = \[0.5, 0.0\]; expected a non-empty list of numbers > 0"),
    ({"start": -1}, r"'impulse.start' = -1; expected an integer step >= 0"),
    ({"duration": 0}, r"'impulse.duration' = 0; expected an integer >= 1"),
    ({"start": 14}, r"start=14, duration=3 ends at control step 16, outside the trial; "
                    r"expected start \+ duration <= n_steps - 1 = 15"),
    ({"size": 2}, r"unknown key 'impulse.size'"),
])
def test_bad_impulse_names_the_key(change, message):
    with pytest.raises(ml.SpecError, match=message):
        ml.EvalSpec.from_hps(tree(**change), tiny_hps())


def test_the_trial_length_override_decides_whether_the_impulse_fits():
    ml.EvalSpec.from_hps({**tree(start=14), "n_steps": 18}, tiny_hps())  # steps 14-16 of 17
    with pytest.raises(ValueError, match="'n_steps' = 1; expected an integer >= 2"):
        ml.EvalSpec.from_hps({**tree(), "n_steps": 1}, tiny_hps())


@pytest.mark.parametrize("channel", ["pos", "vel"])
def test_evaluate_runs_the_impulse_after_its_start(channel):
    """Without noise, the impulsed trials equal the unperturbed ones up to state row `start` and
    differ from row start + 1 on; amplitudes are amplitude-major conditions with one direction
    per trial shared by every amplitude."""
    hps = tiny_hps()
    ens = ml.make_ensemble(hps, make_keys(0)[0])
    base = ml.evaluate(ens, ml.EvalSpec.from_hps(tree(), hps))
    t = tree(channel=channel)
    t["task"]["grid_n"] = 2
    spec = ml.EvalSpec.from_hps(t, hps)
    ev = ml.evaluate(ens, spec)
    assert ev.pos.shape == (1, 2, 2 * 4, 16, 2)
    np.testing.assert_array_equal(ev.impulse.amp, np.repeat([0.5, 1.0], 4))
    np.testing.assert_array_equal(ev.impulse.index, np.repeat([0, 1], 4))
    np.testing.assert_allclose(ev.impulse.direction[:4], ev.impulse.direction[4:])
    np.testing.assert_allclose(np.linalg.norm(ev.impulse.direction, axis=1), 1.0, rtol=1e-6)
    unperturbed = ml.evaluate(ens, ml.EvalSpec.from_hps({**t, "impulse": None}, hps))
    differs = np.any(np.abs(ev.force[:, :, :4] - unperturbed.force) > 1e-5, axis=(0, 1, 2, 4))  # not bitwise: vmapped
    assert np.flatnonzero(differs)[0] == 4 + 1
    frame = ev.to_frame()
    assert (frame["pert_var"] == channel).all() and "impulse_dir_x" in frame
    assert "pert_var" not in base.to_frame()  # evaluations without impulses keep their table


def test_evaluate_overrides_the_trial_length():
    hps = tiny_hps()
    ens = ml.make_ensemble(hps, make_keys(0)[0])
    ev = ml.evaluate(ens, ml.EvalSpec.from_hps({**tree(), "n_steps": 25}, hps))
    assert ev.pos.shape[3] == 25
