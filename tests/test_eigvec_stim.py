"""`eigvec_stim` (seed §5.6): hidden-state perturbations along Jacobian eigenvectors at
steady-state fixed points: eigenvector selection on a known spectrum, the tables of a tiny
model, bad kinds, the figure set."""

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from motorlab import make_ensemble
from motorlab.analysis import get_analysis
from motorlab.analysis._eigvec_stim import check_kinds, select_eigenvector
from motorlab.analysis.fixed_points import eigen
from motorlab.config import deep_merge
from motorlab.config._load import train_defaults
from motorlab.figures._registry import get_figure_set

HIDDEN = 6


@pytest.fixture(scope="module")
def tiny():
    hps = deep_merge(train_defaults(), {"part": 1, "plant": {"n_steps": 30},
                                        "model": {"hidden_size": HIDDEN, "n_replicates": 2}})
    return hps, make_ensemble(hps, jr.PRNGKey(3))


def settings(**over):
    return deep_merge(get_analysis("eigvec_stim").defaults(),
                      {"task": {"grid_n": 1}, "n_random": 3, "n_units": 2, "start": 10, "window": 8, **over})


def test_kinds_are_selected_from_a_known_spectrum():
    # J = S D S^-1 with eigenvalues 0.9 (real), 0.6 ± 0.5i (|λ| 0.78), 0.5, 0.1 (real).
    rot = np.array([[0.6, -0.5], [0.5, 0.6]])
    d = np.zeros((5, 5))
    d[0, 0], d[1:3, 1:3], d[3, 3], d[4, 4] = 0.9, rot, 0.5, 0.1
    s = np.linalg.qr(np.random.default_rng(0).standard_normal((5, 5)))[0] + np.eye(5)
    jac = s @ d @ np.linalg.inv(s)
    vals, vecs = eigen(jnp.asarray(jac[None], jnp.float32), vectors=True)
    vals, vecs = np.asarray(vals[0]), np.asarray(vecs[0])
    v, lam = select_eigenvector(vals, vecs, "least_stable")
    assert lam == pytest.approx(0.9, abs=1e-4)
    assert abs(np.dot(v, s[:, 0] / np.linalg.norm(s[:, 0]))) == pytest.approx(1.0, abs=1e-4)
    v, lam = select_eigenvector(vals, vecs, "oscillatory")
    assert abs(lam) == pytest.approx(np.hypot(0.6, 0.5), abs=1e-4) and abs(lam.imag) == pytest.approx(0.5, abs=1e-4)
    plane = s[:, 1:3]  # the real part lies in the invariant plane of the pair
    resid = v - plane @ np.linalg.lstsq(plane, v, rcond=None)[0]
    assert np.linalg.norm(v) == pytest.approx(1.0) and np.linalg.norm(resid) < 1e-4
    v, lam = select_eigenvector(vals, vecs, "most_stable")
    assert lam == pytest.approx(0.1, abs=1e-4)
    v, lam = select_eigenvector(vals[[0, 3, 4]], vecs[:, [0, 3, 4]], "oscillatory")  # no complex pair
    assert np.isnan(v).all() and np.isnan(lam.real)


def test_bad_kind_names_the_key_and_the_choices(tiny):
    hps, _ = tiny
    with pytest.raises(ValueError, match=r"eigvec_stim.kinds = \['least_stable', 'fastest'\]: unknown "
                                         r"eigenvector kind \['fastest'\]; expected .*'oscillatory'"):
        get_analysis("eigvec_stim").plan(settings(kinds=["least_stable", "fastest"]), hps)
    with pytest.raises(ValueError, match="eigvec_stim.kinds"):
        check_kinds([])


def test_tables_of_a_tiny_model_and_the_figure(tiny):
    hps, ensemble = tiny
    an = get_analysis("eigvec_stim")
    (plan,) = an.plan(settings(), hps)
    assert plan.variant == "hold" and plan.hps["sisu"] is None
    tables = an.tables(ensemble, hps, plan.hps, included=np.array([True, False]), states=None)
    stim, top = tables["stim"], tables["top_units"]
    # per replicate x position: 3 eigenvectors + 3 random + top units + 3 random unit sets
    assert len(stim) == 2 * 1 * (3 + 3 + 1 + 3)
    assert {"replicate", "included", "probe", "draw", "eig_abs", "eig_angle", "n_stimulated", "pos_x",
            "pos_y", "sisu", "norm", "found", "force_change", "displacement",
            "corrective_cosine"} <= set(stim.columns)
    assert stim.groupby("probe").size().to_dict() == {
        "least_stable": 2, "oscillatory": 2, "most_stable": 2, "random": 6, "top_units": 2, "random_units": 6}
    found = stim[stim["found"] & np.isfinite(stim["force_change"])]
    assert len(found) and (found["force_change"] > 0).all() and (np.abs(found["corrective_cosine"]) <= 1 + 1e-9).all()
    assert (stim.loc[stim["probe"] == "top_units", "n_stimulated"] == 2).all()
    ls = stim[stim["probe"] == "least_stable"]
    ms = stim[stim["probe"] == "most_stable"]
    a, b = ls["eig_abs"].to_numpy(), ms["eig_abs"].to_numpy()  # NaN: no real eigenvalue
    assert np.isfinite(a).all() and (a[np.isfinite(b)] >= b[np.isfinite(b)]).all()
    assert np.isnan(ms["force_change"].to_numpy()[np.isnan(b)]).all()
    assert len(top) == 2 * 2 and list(top["rank"][:2]) == [0, 1]
    assert (np.abs(top["component"].to_numpy()[0]) >= np.abs(top["component"].to_numpy()[1]))
    assert set(stim["included"]) == {True, False}
    models = [{"hps": deep_merge(hps, {"pert": {"std": s}}),
               "replicates": {"included": [True, True], "best_total_loss": [0.5, 1.0]}} for s in (0.0, 1.0)]
    figs = get_figure_set("eigvec_stim")({k: [v, v] for k, v in tables.items()}, models,
                                        {"compare": ["pert.std"], "variant": "hold"})
    assert list(figs) == ["probe_kinds"] and len(figs["probe_kinds"].data) == 2 * 3


def test_corrective_cosine_sees_a_force_that_opposes_the_displacement():
    from motorlab.analysis._eigvec_stim import stim_measures
    w = 6
    pos = np.zeros((2, w, 2))
    force = np.zeros((2, w, 2))
    pos[1, :, 0] = [0.0, 0.1, 0.2, 0.25, 0.2, 0.1]  # pushed to +x, then brought back
    force[1, :3, 0], force[1, 3:, 0] = 1.0, -2.0
    m = stim_measures(pos[None], force[None])[0]
    np.testing.assert_allclose(m[0, :2], 0.0)
    assert np.isnan(m[0, 2])  # no displacement: no direction
    assert m[1, 2] == pytest.approx(1.0) and m[1, 1] == pytest.approx(0.25)
    assert m[1, 0] == pytest.approx(np.mean([1, 1, 1, 2, 2, 2]))
