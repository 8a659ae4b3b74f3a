"""The leaky vanilla RNN goes through configuration, training, evaluation and the fixed-point
analysis by the same paths as the GRU; both controllers' closed-form Jacobians match autodiff."""

import contextlib
import json

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pandas as pd
import pytest

import motorlab as ml
import motorlab.analysis
from motorlab import stages
from motorlab.analysis.fixed_points import find_fixed_points, linearise
from motorlab.config import ConfigError, load_study
from motorlab.config._load import train_defaults
from motorlab.store._model_files import load_model_file


@pytest.fixture(params=["float32", "float64"])
def dtype(request):
    ctx = jax.enable_x64(True) if request.param == "float64" else contextlib.nullcontext()
    with ctx:
        yield jnp.dtype(request.param)


def _in_dtype(model, dtype):
    return jax.tree.map(lambda x: x.astype(dtype) if eqx.is_array(x) else x, model)


CONTROLLERS = {
    "gru": lambda key: ml.GRUController(7, 1, key=key),
    "leaky_rnn": lambda key: ml.LeakyRNNController(7, 1, dt=0.05, tau=0.15, key=key),
}


@pytest.mark.parametrize("kind", sorted(CONTROLLERS))
def test_closed_form_jacobians_match_autodiff(kind, dtype, getkey):
    ctrl = _in_dtype(CONTROLLERS[kind](getkey()), dtype)
    # larger recurrent weights, so that the nonlinearity matters
    ctrl = eqx.tree_at(lambda c: c.cell.weight_hh, ctrl, 3.0 * ctrl.cell.weight_hh)
    u = jr.normal(getkey(), (ctrl.input_size,), dtype)
    h = jr.uniform(getkey(), (ctrl.hidden_size,), dtype, minval=-0.9, maxval=0.9)

    @eqx.filter_jit
    def both(c):
        return (c.state_jacobian(u, h), jax.jacfwd(lambda x: c.step(u, x))(h),
                c.input_jacobian(u, h), jax.jacfwd(lambda v: c.step(v, h))(u))

    closed_h, auto_h, closed_u, auto_u = both(ctrl)
    assert closed_h.shape == (7, 7) and closed_u.shape == (7, 9)
    tol = 1e3 * float(jnp.finfo(dtype).eps)
    np.testing.assert_allclose(closed_h, auto_h, atol=tol)
    np.testing.assert_allclose(closed_u, auto_u, atol=tol)
    r, a = ctrl.residual_and_jacobian(u, h)
    np.testing.assert_allclose(r, ctrl.step(u, h) - h, atol=tol)
    np.testing.assert_allclose(a, auto_h - jnp.eye(7, dtype=dtype), atol=tol)


def test_leaky_step_is_the_documented_update(getkey):
    ctrl = ml.LeakyRNNController(5, 0, dt=0.05, tau=0.2, key=getkey())
    u = jr.normal(getkey(), (8,))
    h = jr.uniform(getkey(), (5,), minval=-1, maxval=1)
    c = ctrl.cell
    want = 0.75 * h + 0.25 * jnp.tanh(c.weight_hh @ h + c.weight_ih @ u + c.bias)
    np.testing.assert_allclose(ctrl.step(u, h), want, rtol=1e-6)
    h1, force = ctrl(u, h)
    np.testing.assert_allclose(h1, want, rtol=1e-6)
    np.testing.assert_allclose(force, ctrl.readout(h1), rtol=1e-6)
    assert ctrl.alpha == 0.25 and ctrl.root_bound == 1.0
    with pytest.raises(ValueError, match="tau >= dt"):
        ml.LeakyRNNController(5, dt=0.1, tau=0.05, key=getkey())


def test_leaky_fixed_points_are_verified_roots(getkey):
    ctrl = ml.LeakyRNNController(6, 0, dt=0.05, tau=0.1, key=jr.PRNGKey(2))
    ctrl = eqx.tree_at(lambda c: c.cell.weight_hh, ctrl, 4.0 * ctrl.cell.weight_hh)
    inputs = np.zeros((2, 8), np.float32)
    inputs[1, 4] = 0.5
    fps = find_fixed_points(ctrl, inputs, key=getkey(), n_box=32)
    assert np.all(fps.n_fixed >= 1)
    for k in range(2):
        for h in fps.points[k][fps.status[k] == 0]:
            np.testing.assert_allclose(ctrl.step(jnp.asarray(inputs[k]), h), h, atol=1e-5)
            # h* = tanh(W h* + U u + b): inside the declared root box
            assert np.max(np.abs(h)) < ctrl.root_bound
    lin = linearise(ctrl, inputs[0], fps.points[0, :1])
    alpha = ctrl.alpha
    # eigenvalues of (1 − α) I + α D W lie in the disc of radius α |D W| around 1 − α
    assert np.all(np.abs(np.asarray(lin.eigenvalues) - (1 - alpha))
                  <= alpha * np.linalg.norm(np.asarray(ctrl.cell.weight_hh), 2) + 1e-5)


# --- configuration ---------------------------------------------------------------------------

def _study(train):
    return load_study({"part1": {"train": train}})


def test_model_kind_choices_come_from_the_registry_and_tau_is_checked():
    assert set(ml.CONTROLLERS) == {"gru", "leaky_rnn"}
    with pytest.raises(ConfigError, match="'gru', 'leaky_rnn'"):
        _study({"model": {"kind": "lstm"}})
    with pytest.raises(ConfigError, match="model.tau"):
        _study({"model": {"kind": "leaky_rnn", "tau": 0.01}})  # below plant.dt = 0.05


def test_tau_enters_the_identity_of_leaky_models_only():
    gru = _study({"model": {"kind": "gru"}})
    gru_tau = _study({"model": {"kind": "gru", "tau": 0.3}})
    (gru_id, gru_hps), = gru.models("part1").items()
    assert list(gru_tau.models("part1")) == [gru_id]  # tau means nothing to a GRU
    assert "tau" not in gru_hps["model"]
    # a GRU's hashed tree is what it was before `model.tau` existed (the ids of the study
    # configs themselves are pinned in test_pinned_ids.py)
    assert set(gru_hps["model"]) == set(train_defaults()["model"]) - {"tau"}
    leaky = _study({"model": {"kind": "leaky_rnn"}})
    leaky_slow = _study({"model": {"kind": "leaky_rnn", "tau": 0.2}})
    (leaky_id, leaky_hps), = leaky.models("part1").items()
    assert leaky_hps["model"]["tau"] == train_defaults()["model"]["tau"]
    assert leaky_id != gru_id and list(leaky_slow.models("part1")) != [leaky_id]


# --- the workflow's paths: train -> model file -> evaluate -> fixed points -------------------

def _tiny_leaky_hps():
    hps = train_defaults()
    hps.update(part=2)
    hps["plant"]["n_steps"] = 16
    hps["model"].update(kind="leaky_rnn", tau=0.1, hidden_size=8, n_replicates=2)
    hps["train"].update(batch_size=8, n_batches=12, validation_eval_n=1, learning_rate=0.02)
    return hps


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("leaky")
    hps = _tiny_leaky_hps()
    record = stages.train(hps, model_id="leaky", part="part2", model_path=tmp / "m.eqx",
                          sidecar_path=tmp / "m.json", history_path=tmp / "m_history.npz",
                          progress=False)
    return tmp, hps, record


def test_trains_and_round_trips_through_the_model_file(trained):
    tmp, hps, record = trained
    ensemble, header = load_model_file(tmp / "m.eqx")
    assert isinstance(ensemble, ml.LeakyRNNController)
    assert ensemble.alpha == 0.5 and ensemble.cell.weight_hh.shape == (2, 8, 8)
    assert header["hps"]["model"]["kind"] == "leaky_rnn"
    history = np.load(tmp / "m_history.npz")
    total = history["loss/total"]  # (n_batches, replicates)
    assert total.shape == (hps["train"]["n_batches"], 2) and np.all(np.isfinite(total))
    assert np.all(total[-3:].mean(0) < total[:3].mean(0))  # it learns
    best = header["replicates"]["best_iteration"]
    if any(b > 0 for b in best):  # the saved parameters are those of the best iteration
        init = ml.make_ensemble(hps, ml.make_keys(hps["seed"])[0])
        assert not np.allclose(init.cell.weight_hh, ensemble.cell.weight_hh)


def test_evaluates(trained):
    tmp, hps, _ = trained
    evaluation = {"eval_id": "e", "model_id": "leaky", "part": "part2", "analysis": "plant_perts",
                  "variant": "v", "hps": {
                      "eval_n": 1, "seed": 3,
                      "task": {"grid_n": 1, "n_directions": 4, "reach_length": 0.5},
                      "pert": {"type": "curl", "amp": [0.0, 1.0]}, "sisu": [0.0, 1.0],
                      "model": {"feedback_noise_std": None, "motor_noise_std": None}}}
    stages.evaluate(tmp / "m.eqx", evaluation, states_path=tmp / "states" / "e.parquet")
    states = pd.read_parquet(tmp / "states" / "e.parquet")
    assert len(states) == 2 * 2 * 2 * 4 * 16  # replicates × amps × sisu × directions × steps
    assert np.all(np.isfinite(states["force_x"]))


def test_goes_through_the_fixed_point_stage(trained):
    tmp, hps, _ = trained
    evaluation = {"eval_id": "fp", "model_id": "leaky", "part": "part2", "analysis": "fixed_points",
                  "variant": "steady",
                  "hps": {"eval_n": 1, "seed": 0, "grid_n": 2, "sisu": [0.0, 1.0],
                          "candidate_stride": 4, "n_pcs": 3,
                          "reach": {"n_directions": 4, "reach_length": 0.5, "trajectory_trials": 2,
                                    "pca_from_step": 8, "amp": {"curl": [0.0]}},
                          "continuation": {"n_points": 4}}}
    table_names = motorlab.analysis.get_analysis("fixed_points").table_names
    paths = {k: tmp / f"fp_{k}.parquet" for k in table_names}
    record = stages.analysis_tables(tmp / "m.eqx", evaluation, table_paths=paths,
                                    manifest_path=tmp / "fp.json")
    points = pd.read_parquet(paths["points"])
    assert record["counts"]["steady_fixed_points"] >= 4  # a point at each grid position
    ensemble, _ = load_model_file(tmp / "m.eqx")
    fixed = points[points["status"] == "fixed_point"]
    zero = np.zeros(2, np.float32)
    for row in fixed.head(4).itertuples():
        rep = ml.replicate(ensemble, int(row.replicate))
        pos = np.array([row.pos_x, row.pos_y], np.float32)
        u = np.concatenate([pos, zero, pos, zero, [row.sisu]]).astype(np.float32)
        np.testing.assert_allclose(rep.step(jnp.asarray(u), jnp.asarray(row.h)), row.h, atol=1e-5)
    assert np.isfinite(points.loc[points["primary"], "sigma_min"]).all()
    assert len(pd.read_parquet(paths["continuation"])) > 0
    assert json.loads((tmp / "fp.json").read_text())["id"] == "fp"
