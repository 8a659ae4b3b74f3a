"""Fixed-point analysis drivers (tables for Parquet), PCA, and the fixed-point figures."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from gru_examples import block_cell, block_fixed_points, random_cell
from motorlab.sim import GRUController, LeakyRNNController
from motorlab.analysis.fixed_points import (
    LINEARISATION_COLUMNS,
    default_make_input,
    eigenvalue_table,
    eigenvalue_variation,
    fixed_point_trajectories,
    grid_shift_summary,
    linearisation_columns,
    linearise,
    parquet_ready,
    pca_columns,
    reach_fixed_points,
    readout_directions,
    replicates,
    steady_state_fixed_points,
)
from motorlab.analysis import fit_pca
from motorlab.figures import (
    eigenvalue_histograms,
    eigenvalue_scatter,
    fixed_points_3d,
    trace_determinant,
    trajectories_3d,
)

HID = 6


@pytest.fixture(scope="module")
def ensemble():
    """Two replicates of a 9-input GRU (part-2 input order) with 2-D linear readouts."""
    cells = [random_cell(jnp.float32, size=HID, n_inputs=9, key=jr.PRNGKey(r), gain=1.5)
             for r in range(2)]
    readouts = [eqx.nn.Linear(HID, 2, key=jr.PRNGKey(10 + r)) for r in range(2)]
    return cells, readouts


@pytest.fixture(scope="module")
def steady(ensemble):
    cells, _ = ensemble
    positions = np.array([[-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5], [0.5, 0.5]], np.float32)
    states = np.asarray(jr.uniform(jr.PRNGKey(5), (2, 16, HID), minval=-1, maxval=1))
    return steady_state_fixed_points(cells, positions, [-1.0, 0.0, 1.0], key=jr.PRNGKey(0),
                                     states=states, stride=1, noise_scales=(0.05,))


def _is_root(cell, u, h, atol=1e-5):
    return np.allclose(np.asarray(cell.step(jnp.asarray(u), jnp.asarray(h))), h, atol=atol)


def test_steady_state_table(ensemble, steady, tmp_path):
    cells, _ = ensemble
    assert len(steady.groupby(["replicate", "position", "sisu"])) == 2 * 4 * 3
    prim = steady[steady["primary"]]
    assert prim.groupby(["replicate", "position", "sisu"]).size().eq(1).all()
    assert (prim["status"] == "fixed_point").all()
    for _, row in prim.iterrows():
        pos = np.array([row.pos_x, row.pos_y], np.float32)
        u = default_make_input(pos, np.zeros(2), pos, np.zeros(2), row.sisu)
        assert _is_root(cells[row.replicate], u, row.h)
    assert steady["h"].iloc[0].shape == (HID,) and steady["replicate"].dtype == np.int16
    path = tmp_path / "fps.parquet"
    parquet_ready(steady).to_parquet(path)
    back = pd.read_parquet(path)
    np.testing.assert_allclose(np.stack(back["h"].to_numpy()), np.stack(steady["h"].to_numpy()))
    eigs = eigenvalue_table(steady, primary_only=True)
    assert len(eigs) == len(prim) * HID
    assert eigs["angle"].between(0, np.pi).all() and (eigs["abs"] >= 0).all()
    eigs.to_parquet(tmp_path / "eigs.parquet")
    var = eigenvalue_variation(eigs)
    assert var["axis"].tolist() == ["sisu", "position", "replicate"]
    assert (var["max_std"] >= var["mean_std"]).all()


def test_primary_points_carry_their_linearisation(ensemble, steady):
    cells, _ = ensemble
    blocks = ["sensitivity_target_pos", "sensitivity_target_vel", "sensitivity_fb_pos",
              "sensitivity_fb_vel", "sensitivity_sisu"]
    assert set(LINEARISATION_COLUMNS) | set(blocks) <= set(steady.columns)
    prim = steady[steady["primary"]]
    rest = steady[~steady["primary"]]
    assert prim[[c for c in LINEARISATION_COLUMNS if not c.startswith("ct_")] + blocks].notna().all().all()
    assert prim[["ct_trace", "ct_logabsdet"]].isna().all().all()  # no dt given
    assert rest[list(LINEARISATION_COLUMNS) + blocks].isna().all().all()
    row = prim.iloc[3]
    pos = np.array([row.pos_x, row.pos_y], np.float32)
    u = default_make_input(pos, np.zeros(2), pos, np.zeros(2), row.sisu)
    lin = linearise(cells[row.replicate], u, row.h, dt=0.01)
    sens = np.asarray(lin.input_sensitivity, np.float64)
    np.testing.assert_allclose(row.trace, lin.trace, rtol=1e-5)
    np.testing.assert_allclose(row.logabsdet, lin.logabsdet, rtol=1e-5)
    np.testing.assert_allclose(row.sigma_min, lin.sigma_min, rtol=1e-5)
    np.testing.assert_allclose(row.input_sv_max, np.linalg.svd(lin.input_jacobian)[1][0], rtol=1e-4)
    np.testing.assert_allclose(row.sensitivity, np.linalg.norm(sens, 2), rtol=1e-4)
    np.testing.assert_allclose(row.sensitivity_sisu, np.linalg.norm(sens[:, 8]), rtol=1e-4)
    np.testing.assert_allclose(row.sensitivity_fb_vel, np.linalg.norm(sens[:, 6:8], 2), rtol=1e-4)
    hess = np.linalg.eigvalsh(np.asarray(lin.hessian, np.float64))
    np.testing.assert_allclose(row.hessian_min_eig, hess[0], rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(row.hessian_norm, np.abs(hess).max(), rtol=1e-4)
    assert row.hessian_min_eig > 0  # an isolated root: a strict minimum of q
    # with dt, the continuous-time summaries; the eigenvalue table leaves these columns out
    cols = linearisation_columns(cells[row.replicate], u[None], row.h[None], dt=0.01)
    np.testing.assert_allclose(cols["ct_trace"], lin.ct_trace, rtol=1e-5)
    np.testing.assert_allclose(cols["ct_logabsdet"], lin.ct_logabsdet, rtol=1e-5)
    assert not set(LINEARISATION_COLUMNS) & set(eigenvalue_table(steady).columns)
    with pytest.raises(ValueError, match="input block 'x'"):
        linearisation_columns(cells[0], u[None], row.h[None], input_blocks={"x": (9,)})


def test_references_choose_the_primary_point():
    cell = block_cell(jnp.float32)  # 9 fixed points, inputs ignored
    expected, n_unstable = block_fixed_points()
    no_input = lambda *args: np.zeros(2, np.float32)  # noqa: E731
    starts = (expected + 0.05).astype(np.float32)
    table = steady_state_fixed_points([cell], np.zeros((1, 2)), None, key=jr.PRNGKey(1),
                                      make_input=no_input, starts=starts, noise_scales=())
    assert (table["status"] == "fixed_point").sum() == 9
    default = table[table["primary"]]
    assert len(default) == 1 and default["stable"].all()  # no reference: a stable point
    for k in (0, 4):  # a stable corner, the origin (2 unstable directions)
        again = steady_state_fixed_points([cell], np.zeros((1, 2)), None, key=jr.PRNGKey(1),
                                          make_input=no_input, starts=starts,
                                          references=[expected[k][None] + 0.01])
        chosen = again[again["primary"]]
        np.testing.assert_allclose(chosen["h"].iloc[0], expected[k], atol=1e-5)
        assert chosen["n_unstable"].iloc[0] == n_unstable[k]
        assert np.isnan(chosen["sisu"].iloc[0])


def test_conditions_without_a_fixed_point_stay_visible(ensemble, tmp_path):
    cells, _ = ensemble
    pos = np.zeros((2, 2), np.float32)
    far = np.full((1, HID), 0.99, np.float32)
    table = steady_state_fixed_points(cells[:1], pos, [0.0], key=jr.PRNGKey(3), starts=far,
                                      max_steps=1, deflation=False)  # else deflation finds it
    assert (table["status"] == "none").sum() == 2 and not table["primary"].any()
    parquet_ready(table).to_parquet(tmp_path / "none.parquet")
    back = pd.read_parquet(tmp_path / "none.parquet")
    assert back["h"].isna().all()
    assert len(eigenvalue_table(table)) == 0
    assert pca_columns(fit_pca(np.eye(HID), 3), table)["pc1"].isna().all()


def test_reach_fixed_points_kinds(ensemble):
    cells, _ = ensemble
    starts = np.array([[0.0, 0.0], [0.0, 0.0]], np.float32)
    goals = np.array([[0.5, 0.0], [0.0, 0.0]], np.float32)  # the second reach has start = goal
    table = reach_fixed_points(cells[:1], starts, goals, [0.0], key=jr.PRNGKey(2), n_box=16)
    prim = table[table["primary"]].set_index(["condition", "kind"])
    assert set(prim.index.get_level_values("kind")) == {"goal_goal", "init_goal"}
    np.testing.assert_allclose(prim.loc[(1, "goal_goal"), "h"], prim.loc[(1, "init_goal"), "h"],
                               atol=1e-5)
    assert not np.allclose(prim.loc[(0, "goal_goal"), "h"], prim.loc[(0, "init_goal"), "h"])


def test_fixed_point_trajectories_warm_start(ensemble):
    cell = ensemble[0][0]
    n, steps = 3, 12
    goal = np.array([[0.5, 0.0], [0.0, 0.5], [-0.5, 0.0]], np.float32)
    pos = goal[:, None] * np.linspace(0, 1, steps)[None, :, None]  # moving feedback
    zero = np.zeros((n, steps, 2), np.float32)
    inputs = np.concatenate([np.broadcast_to(goal[:, None], (n, steps, 2)), zero, pos, zero,
                             np.zeros((n, steps, 1), np.float32)], axis=-1)

    def run(u_seq):
        return jax.lax.scan(lambda h, u: (cell.step(u, h), h), jnp.zeros(HID), u_seq)[1]

    hidden = np.asarray(jax.vmap(run)(jnp.asarray(inputs)))
    table = fixed_point_trajectories(cell, inputs, hidden)
    assert len(table) == n * steps and table["found"].all()
    assert set(table[table["t"] > 0]["source"]) <= {"warm", "state"}
    assert set(table[table["t"] == 0]["source"]) == {"candidates"}
    assert (table[table["t"] > 0]["source"] == "warm").mean() > 0.9
    for _, row in table.sample(6, random_state=0).iterrows():
        assert _is_root(cell, inputs[row.trial, row.t], row.h)
    assert table["jump"].max() < 0.5  # the input moves smoothly; no dislocations


def test_pca_and_readout_projection(ensemble, steady):
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(HID, 2)))[0].T
    x = rng.normal(size=(500, 2)) * [3.0, 1.0] @ basis + 0.2
    pca = fit_pca(x, 2)
    np.testing.assert_allclose(pca.explained_variance_ratio.sum(), 1.0, atol=1e-9)
    assert pca.explained_variance[0] > 5 * pca.explained_variance[1]
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(x)), x, atol=1e-9)
    with pytest.raises(ValueError, match="n_components"):
        fit_pca(x, 7)
    pca3 = fit_pca(np.stack(steady["h"].to_numpy()), 3)
    with_pcs = pca_columns(pca3, steady)
    assert {"pc1", "pc2", "pc3"} <= set(with_pcs.columns)
    readout = readout_directions(pca3, ensemble[1])
    assert len(readout) == 4 and set(readout["output"]) == {"x", "y"}
    w = np.asarray(ensemble[1][1].weight)
    np.testing.assert_allclose(readout[readout.replicate == 1][["pc1", "pc2", "pc3"]],
                               w @ pca3.components.T, rtol=1e-5)


def test_grid_shift_summary_on_a_known_geometry():
    rng = np.random.default_rng(1)
    size = 10
    q = np.linalg.qr(rng.normal(size=(size, 4)))[0].T  # orthonormal rows
    plane, shift = q[:2], q[2]
    readout = np.stack([q[2], q[3]])  # readout row x points along the SISU shift
    rows = []
    for s in (-1.0, 0.0, 2.0):
        for p, (a, b) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
            h = 0.3 * (a * plane[0] + b * plane[1]) + 0.1 * s * shift
            rows.append({"replicate": np.int16(0), "position": p, "sisu": s, "primary": True,
                         "h": h})
    table = grid_shift_summary(pd.DataFrame(rows), [readout])
    assert table["sisu"].tolist() == [-1.0, 0.0, 2.0]
    np.testing.assert_allclose(table["shift"], [0.0, 0.1, 0.3], atol=1e-6)
    np.testing.assert_allclose(table["slope"], 0.1, atol=1e-6)
    moved = table[table["sisu"] > -1]
    np.testing.assert_allclose(moved["shift_in_plane"], 0.0, atol=1e-6)
    np.testing.assert_allclose(moved["shift_readout"], 1.0, atol=1e-6)
    np.testing.assert_allclose(moved["cos_readout_x"], 1.0, atol=1e-6)
    np.testing.assert_allclose(table["plane_readout_cos1"], 0.0, atol=1e-6)


@pytest.mark.parametrize("kind", ["gru", "leaky_rnn"])
def test_replicates_unstacks_an_ensemble(kind):
    make = {"gru": lambda k: GRUController(4, 1, key=k),
            "leaky_rnn": lambda k: LeakyRNNController(4, 1, dt=0.05, tau=0.1, key=k)}[kind]
    ensemble = eqx.filter_vmap(make)(jr.split(jr.PRNGKey(0), 3))
    parts = replicates(ensemble)
    assert len(parts) == 3 and parts[1].cell.weight_ih.shape[-1] == 9
    assert parts[2].hidden_size == 4 and parts[2].input_size == 9
    assert replicates(parts) == parts


def test_figures(steady, ensemble):
    eigs = eigenvalue_table(steady, primary_only=True)
    for color in ("sisu", "replicate", "position"):
        fig = eigenvalue_scatter(eigs, color=color, marginals=color != "position")
        assert isinstance(fig, go.Figure)
        n_groups = eigs[color].nunique()
        assert sum(t.type == "scatter" and t.mode == "markers" for t in fig.data) == n_groups
    circle = [t for t in fig.data if t.name == "|λ| = 1"][0]
    np.testing.assert_allclose(np.hypot(circle.x, circle.y), 1.0)
    hist = eigenvalue_histograms(eigs, color="sisu")
    assert sum(t.type == "histogram" for t in hist.data) == 2 * eigs["sisu"].nunique()
    pca = fit_pca(np.stack(steady["h"].to_numpy()), 3)
    prim = pca_columns(pca, steady[steady["primary"]])
    readout = readout_directions(pca, ensemble[1])
    fig3 = fixed_points_3d(prim[prim.replicate == 0], readout=readout[readout.replicate == 0])
    assert sum(t.name is not None and t.name.startswith("Readout") for t in fig3.data) == 2
    traj = prim.assign(trial=prim["position"], t=prim["sisu"], direction=prim["position"])
    fig_t = trajectories_3d(traj, traj, color="direction")
    assert len(fig_t.data) == 2 * traj["trial"].nunique()
    td = trace_determinant(eigs, color="sisu")
    triangle = [t for t in td.data if t.name and t.name.startswith("Stable")][0]
    assert list(triangle.y) == [1, 1, -1, 1]
    td_c = trace_determinant(eigs, time="continuous", dt=0.05)
    stable_modes = eigs["abs"] < 1
    xs = np.concatenate([np.asarray(t.x) for t in td_c.data if t.mode == "markers"])
    assert np.sum(xs < 0) == stable_modes.sum()
    with pytest.raises(ValueError, match="dt > 0"):
        trace_determinant(eigs, time="continuous")
