"""`unit_prefs` (SPEC §2.5): epochs, the closed-form preferred direction of a unit whose activity
is a known linear function of the feature, the table of a tiny ensemble and its figures."""

import jax.random as jr
import numpy as np

from motorlab import make_ensemble
from motorlab.analysis import get_analysis
from motorlab.analysis._unit_prefs import epoch_masks, preferred_directions
from motorlab.config import deep_merge
from motorlab.config._load import train_defaults
from motorlab.figures._registry import get_figure_set


def test_epochs_split_at_peak_speed():
    speed = np.array([0.0, 1.0, 3.0, 2.0, 1.0, 0.5, 0.2])
    m = epoch_masks(speed)
    np.testing.assert_array_equal(np.flatnonzero(m["accel"]), [1, 2])
    np.testing.assert_array_equal(np.flatnonzero(m["decel"]), [3, 4])


def test_preferred_direction_of_a_cosine_tuned_unit():
    rng = np.random.default_rng(0)
    angles = rng.uniform(-np.pi, np.pi, 500)
    feature = np.stack([np.cos(angles), np.sin(angles)], -1) * 3.0 + 1.0  # off-centre, scaled
    prefs = np.array([0.3, -2.0, 2.5])
    activity = np.stack([np.cos(angles - p) for p in prefs], -1) * 0.5 + 0.2
    w, r2 = preferred_directions(activity, feature)
    np.testing.assert_allclose(np.arctan2(w[:, 1], w[:, 0]), prefs, atol=0.05)
    np.testing.assert_allclose(r2, 1.0, atol=1e-9)


def test_table_and_figures_of_a_tiny_ensemble():
    hps = deep_merge(train_defaults(), {"part": 1, "plant": {"n_steps": 20},
                                        "model": {"hidden_size": 4, "n_replicates": 2}})
    ensemble = make_ensemble(hps, jr.PRNGKey(4))
    unit = get_analysis("unit_prefs")
    (plan,) = unit.plan(deep_merge(unit.defaults(), {"eval_n": 1, "task": {"n_directions": 6}}), hps)
    assert plan.hps["pert"] == {"type": "curl", "amp": [0.0, 4.0]} and plan.hps["sisu"] is None
    p = unit.tables(ensemble, hps, plan.hps, included=None, states=None)["preferences"]
    assert len(p) == 2 * 2 * 2 * 2 * 4  # replicates x amplitudes x epochs x features x units
    np.testing.assert_allclose(p["angle"], np.arctan2(p["w_y"], p["w_x"]))
    fitted = p[p["n_samples"] >= 3]
    assert np.isfinite(fitted["w_x"]).all() and p.loc[p["n_samples"] < 3, "w_x"].isna().all()
    models = [{"hps": deep_merge(hps, {"pert": {"std": s}}),
               "replicates": {"included": [True, True], "best_total_loss": [0.5, 1.0]}} for s in (0.0, 1.5)]
    figs = get_figure_set("unit_prefs")({"preferences": [p, p]}, models, {"compare": ["pert.std"], "variant": "reach"})
    assert set(figs) == {f"preferred__{f}__amp-{a}" for f in ("force", "goal") for a in ("0", "4")}
