"""`unit_perts` (SPEC §2.9): preferred and effective directions on a hand-built network with known
answers, the closed-form regression against NumPy least squares, bad input and the figure set."""

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from motorlab import LeakyRNNController, make_ensemble
from motorlab.analysis import get_analysis
from motorlab.analysis.unit_perts import direction_tables, effective_angles, least_squares, preferred_angles
from motorlab.config import deep_merge
from motorlab.config._load import train_defaults
from motorlab.figures._registry import get_figure_set

N_DIR = 12


def test_preferred_and_effective_angle_functions():
    angles = 2 * np.pi * np.arange(4) / 4
    activity = np.array([[0.1, 0.9], [0.5, 0.2], [0.7, 0.1], [0.0, 0.3]])  # (D, H)
    np.testing.assert_allclose(preferred_angles(activity, angles), [np.pi, 0.0])
    dforce = np.zeros((2, 6, 2))
    dforce[0, 4] = [0.0, 2.0]    # largest after the start, pointing +y
    dforce[0, 1] = [5.0, 0.0]    # before the stimulation's first effect: ignored
    dforce[1, 3] = [-1.0, -1.0]
    angle, size = effective_angles(dforce, start=1)
    np.testing.assert_allclose(angle, [np.pi / 2, -3 * np.pi / 4])
    np.testing.assert_allclose(size, [2.0, np.sqrt(2)])


def hand_built(hps):
    """A leaky RNN (α = 0.5, no recurrence, no biases) whose unit i reads velocity feedback
    along φ_i = 2πi/H and pushes along φ_i: unit i prefers φ_i and its effective direction is φ_i."""
    h = int(hps["model"]["hidden_size"])
    phi = 2 * np.pi * np.arange(h) / h
    vec = np.stack([np.cos(phi), np.sin(phi)], -1).astype(np.float32)  # (H, 2)
    net = LeakyRNNController(h, 1, dt=0.05, tau=0.1, key=jr.PRNGKey(0))
    u = np.zeros((h, 9), np.float32)
    u[:, 6:8] = 2.0 * vec  # velocity feedback inputs
    net = eqx.tree_at(lambda m: (m.cell.weight_hh, m.cell.weight_ih, m.cell.bias, m.readout.weight, m.readout.bias),
                      net, (jnp.zeros((h, h)), jnp.asarray(u), jnp.zeros(h), jnp.asarray(0.05 * vec.T), jnp.zeros(2)))
    return eqx.filter_vmap(lambda _: net)(jnp.arange(2)), phi


def direction_settings(**over):
    unit = get_analysis("unit_perts")
    a = unit.defaults()["directions"]
    return deep_merge(a, {"sisu": [0.0, 1.0], "impulse": {"n_directions": N_DIR, "start": 5},
                          "stim": {"start": 5}, **over})


def leaky_hps():
    return deep_merge(train_defaults(), {"part": 2, "plant": {"n_steps": 30},
                                         "model": {"kind": "leaky_rnn", "tau": 0.1, "hidden_size": N_DIR,
                                                   "n_replicates": 2}})


def test_hand_built_network_prefers_and_pushes_along_its_readout():
    hps = leaky_hps()
    ensemble, phi = hand_built(hps)
    unit = get_analysis("unit_perts")
    plans = unit.plan(deep_merge(unit.defaults(), {"directions": direction_settings(), "regression": None,
                                                    "reach": None}), hps)
    (plan,) = plans
    assert plan.variant == "directions" and plan.hps["eval_n"] == 1  # noise 0: one repeat
    d = direction_tables(ensemble, hps, {**plan.hps, "chunk": 5}, included=np.array([True, False]))
    assert len(d) == 2 * 2 * N_DIR and not d.loc[d["replicate"] == 1, "included"].any()
    expected = np.asarray(np.angle(np.exp(1j * phi[d["unit"].to_numpy()])))
    np.testing.assert_allclose(np.angle(np.exp(1j * (d["preferred"] - expected))), 0.0, atol=1e-9)
    np.testing.assert_allclose(np.angle(np.exp(1j * (d["effective"] - expected))), 0.0, atol=1e-4)
    np.testing.assert_allclose(d["alignment"], 0.0, atol=1e-4)
    assert (d["effect"] > 0).all()


def test_least_squares_matches_numpy_lstsq():
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(30), rng.normal(size=30), rng.normal(size=30)])
    y = rng.normal(size=(30, 4, 5))
    beta = least_squares(x, y)
    expected = np.linalg.lstsq(x, y.reshape(30, -1), rcond=None)[0].reshape(3, 4, 5)
    np.testing.assert_allclose(beta, expected, rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def tiny():
    hps = deep_merge(train_defaults(), {"part": 2, "plant": {"n_steps": 20},
                                        "model": {"hidden_size": 5, "n_replicates": 2}})
    return hps, make_ensemble(hps, jr.PRNGKey(3))


def regression_settings(**over):
    unit = get_analysis("unit_perts")
    b = deep_merge(unit.defaults()["regression"], {"eval_n": 2, "n_steps": 24, "stim": {"start": 5, "duration": 4},
                                                   "n_examples": 2})
    return deep_merge(unit.defaults(), {"directions": None, "regression": b, "reach": None, "chunk": 4, **over})


def test_regression_weights_are_the_lstsq_fit_of_each_units_max_deviation(tiny, monkeypatch):
    hps, ensemble = tiny
    unit = get_analysis("unit_perts")
    (plan,) = unit.plan(regression_settings(), hps)
    assert plan.variant == "regression" and plan.hps["n_steps"] == 24
    seen = {}
    import motorlab.analysis.unit_perts._regression as reg
    real = reg.least_squares

    def spy(x, y):
        seen["x"], seen["y"] = x, y
        return real(x, y)

    monkeypatch.setattr(reg, "least_squares", spy)
    tables = unit.tables(ensemble, hps, plan.hps, included=None, states=None)
    r = tables["regression"]
    assert len(r) == 2 * 5 and len(tables["directions"]) == 0
    x, y = seen["x"], seen["y"]
    assert x.shape == (2 * 3 * 2, 3)  # evals x SISU x amplitudes rows; [1, SISU, amplitude]
    assert sorted(set(x[:, 1])) == [-2.0, 0.0, 2.0] and sorted(set(x[:, 2])) == [0.0, 4.0]
    lstsq = np.linalg.lstsq(x, y.reshape(len(x), -1), rcond=None)[0].reshape(3, 2, 5)
    for k, col in enumerate(("intercept", "w_sisu", "w_amp")):
        np.testing.assert_allclose(r[col].to_numpy(), lstsq[k].reshape(-1), rtol=1e-8, atol=1e-10)
    ex = tables["examples"]
    assert set(ex["unit"].unique()) >= {-1} and ex["unit"].nunique() == 3 and ex["t"].max() == 23
    assert unit.summary(tables) == {"directions": 0, "regression": 10, "examples": len(ex), "reach": 0}
    models = [{"hps": deep_merge(hps, {"pert": {"std": s}}),
               "replicates": {"included": [True, True], "best_total_loss": [0.5, 1.0]}} for s in (0.0, 1.5)]
    figs = get_figure_set("unit_perts")({k: [v, v] for k, v in tables.items()}, models,
                                       {"compare": ["pert.std"], "variant": "regression"})
    assert set(figs) == {"weights_scatter", "readout_alignment", "examples__train_std-0", "examples__train_std-1.5"}
    assert len(figs["weights_scatter"].data) == 2 and len(figs["weights_scatter"].data[0].x) == 10


def test_bad_input_names_the_key(tiny):
    hps, _ = tiny
    unit = get_analysis("unit_perts")
    with pytest.raises(ValueError, match=r"unit_perts.regression.stim: start = 20, duration = 10 is outside"):
        late = deep_merge(regression_settings()["regression"], {"stim": {"start": 20, "duration": 10}})
        unit.plan(regression_settings(regression=late), hps)
    with pytest.raises(ValueError, match=r"unit_perts.units: unit index \[7\] out of range"):
        unit.plan(regression_settings(units=[0, 7]), hps)
    with pytest.raises(ValueError, match="part-2 models only"):
        unit.plan(regression_settings(), deep_merge(hps, {"part": 1}))


def test_reach_protocol_effective_direction_along_the_reach():
    """Protocol (c) on the hand-built network: unit i pushes along φ_i at every stimulation
    time, so the effective direction does not shift along the reach; the figure draws one line
    per SISU value."""
    hps = leaky_hps()
    ensemble, phi = hand_built(hps)
    unit = get_analysis("unit_perts")
    c = deep_merge(unit.defaults()["reach"], {"sisu": [0.0, 1.0], "task": {"n_directions": 2},
                                             "starts": [3, 10, 17], "window": 8})
    (plan,) = unit.plan(deep_merge(unit.defaults(), {"directions": None, "regression": None, "reach": c,
                                                     "chunk": 7}), hps)
    assert plan.variant == "reach" and plan.hps["eval_n"] == 1
    tables = unit.tables(ensemble, hps, plan.hps, included=np.array([True, False]), states=None)
    r = tables["reach"]
    assert len(r) == 2 * 2 * 2 * N_DIR * 3 and tables["directions"].empty  # rep x sisu x dir x unit x time
    expected = phi[r["unit"].to_numpy()]
    np.testing.assert_allclose(np.angle(np.exp(1j * (r["effective"] - expected))), 0.0, atol=1e-3)
    np.testing.assert_allclose(r["shift"], 0.0, atol=1e-3)
    np.testing.assert_allclose(np.angle(np.exp(1j * (r["relative"] - (expected - r["reach_angle"])))), 0.0, atol=1e-3)
    assert (r["effect"] > 0).all() and sorted(r["stim_start"].unique()) == [3, 10, 17]
    models = [{"hps": deep_merge(hps, {"pert": {"std": s}}),
               "replicates": {"included": [True, True], "best_total_loss": [0.5, 1.0]}} for s in (0.0, 1.0)]
    figs = get_figure_set("unit_perts")({k: [v, v] for k, v in tables.items()}, models,
                                        {"compare": ["pert.std"], "variant": "reach"})
    assert list(figs) == ["reach_shift"] and len(figs["reach_shift"].data) == 2 * 2
    with pytest.raises(ValueError, match=r"unit_perts.reach.starts: start = 25"):
        unit.plan(deep_merge(unit.defaults(), {"directions": None, "regression": None,
                                               "reach": {**c, "starts": [3, 25]}}), hps)
