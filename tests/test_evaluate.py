"""Evaluation of an ensemble: shapes, the states table of docs/architecture.md, shared noise."""

import re
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from motorlab import EvalSpec, evaluate, make_ensemble, read_table, write_table
from motorlab.config import train_defaults

N_REP, N_STEPS, N_DIR = 2, 10, 3

ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def documented_columns() -> dict[str, str]:
    """Column name -> type of the states table, in order, read from docs/architecture.md."""
    text = ARCHITECTURE.read_text()
    section = text.split("## States table", 1)[1].split("\n## ", 1)[0]
    columns = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        for name in re.findall(r"`([^`]+)`", cells[0]):
            columns[name] = cells[1]
    return columns


COLUMNS = documented_columns()


def test_the_documented_contract_is_read():
    assert list(COLUMNS)[:4] == ["eval", "replicate", "included", "condition"]
    assert COLUMNS["pert_type"] == "string" and COLUMNS["t"] == "int16" and COLUMNS["force_y"] == "float32"
    assert len(COLUMNS) >= 21


def tiny_hps(part=1):
    hps = train_defaults()
    hps["part"] = part
    hps["plant"]["n_steps"] = N_STEPS
    hps["model"].update(hidden_size=8, n_replicates=N_REP)
    return hps


def eval_hps(pert_type="curl", amps=(0.0, 2.0), sisu=None, noise=0.01, eval_n=2, grid_n=1):
    return {
        "eval_n": eval_n, "seed": 99,
        "task": {"grid_n": grid_n, "n_directions": N_DIR, "reach_length": 0.5},
        "pert": {"type": pert_type, "amp": list(amps)},
        "sisu": sisu,
        "model": {"feedback_noise_std": noise, "motor_noise_std": noise},
    }


def identical_replicates(hps, key):
    """An ensemble whose replicates all have replicate 0's parameters."""
    ens = make_ensemble(hps, key)
    params, static = eqx.partition(ens, eqx.is_array)
    params = jax.tree.map(lambda a: jnp.broadcast_to(a[:1], a.shape), params)
    return eqx.combine(params, static)


@pytest.fixture(scope="module")
def evaluated():
    hps = tiny_hps()
    return evaluate(make_ensemble(hps, jax.random.PRNGKey(3)), EvalSpec.from_hps(eval_hps(grid_n=2), hps),
                    included=[True, False], keep=("hidden",))


def test_evaluation_shapes(evaluated):
    n_cond = 2 * 4 * N_DIR  # amplitudes × centres × directions
    for a in (evaluated.pos, evaluated.vel, evaluated.force):
        assert a.shape == (2, N_REP, n_cond, N_STEPS, 2) and a.dtype == np.float32
    assert evaluated.hidden.shape == (2, N_REP, n_cond, N_STEPS, 8)
    assert evaluated.conditions.n == n_cond
    np.testing.assert_array_equal(evaluated.included, [True, False])
    # Conditions: amplitude-major, then trials (centre-major, then direction).
    np.testing.assert_array_equal(evaluated.conditions.pert_amp, np.repeat([0.0, 2.0], 4 * N_DIR))
    trials = evaluated.conditions.trials
    np.testing.assert_array_equal(np.asarray(trials.direction), np.tile(np.arange(N_DIR), 8))
    np.testing.assert_array_equal(np.asarray(trials.centre), np.tile(np.repeat(np.arange(4), N_DIR), 2))


def test_output_correlation_matches_its_definition(evaluated):
    """‖W h_c‖_F / (‖W‖_F ‖h_c‖_F) per eval × replicate × condition, h_c centred over time."""
    corr = evaluated.output_correlation
    assert corr.shape == evaluated.pos.shape[:3]
    hps = tiny_hps()
    w = np.asarray(make_ensemble(hps, jax.random.PRNGKey(3)).readout.weight, np.float64)  # (R, 2, H)
    h = evaluated.hidden.astype(np.float64)
    hc = h - h.mean(axis=3, keepdims=True)
    num = np.linalg.norm(np.einsum("roh,ercth->ercto", w, hc), axis=(3, 4))
    expected = num / (np.linalg.norm(w, axis=(1, 2))[None, :, None] * np.linalg.norm(hc, axis=(3, 4)))
    np.testing.assert_allclose(corr, expected, rtol=1e-4)
    assert np.all((corr > 0) & (corr <= 1))


def test_hidden_states_are_dropped_by_default():
    hps = tiny_hps()
    out = evaluate(make_ensemble(hps, jax.random.PRNGKey(0)), EvalSpec.from_hps(eval_hps(eval_n=1), hps))
    assert out.hidden is None


def is_string_column(series: pd.Series) -> bool:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):  # dictionary-encoded strings
        return pd.api.types.is_string_dtype(dtype.categories.dtype)
    return pd.api.types.is_string_dtype(dtype)


def check_states_table(df: pd.DataFrame):
    """Every documented column is present, in the documented order, with its documented type."""
    assert [c for c in df.columns if c in COLUMNS] == list(COLUMNS)
    for name, dtype in COLUMNS.items():
        if dtype == "string":
            assert is_string_column(df[name]), (name, df[name].dtype)
        else:
            assert df[name].dtype == np.dtype(dtype), (name, df[name].dtype)


def test_states_table_has_exactly_the_documented_columns(evaluated):
    assert list(evaluated.to_frame().columns) == list(COLUMNS)


def test_states_table_columns_and_dtypes(evaluated):
    df = evaluated.to_frame()
    check_states_table(df)
    e, r, c, t, _ = evaluated.pos.shape
    assert len(df) == e * r * c * t
    assert set(df["pert_type"].astype(str)) == {"curl"}
    assert df["sisu"].isna().all()  # part 1
    np.testing.assert_array_equal(df["t"].to_numpy(), np.tile(np.arange(t), e * r * c))
    np.testing.assert_array_equal(df["included"].to_numpy(), np.repeat([True, False, True, False], c * t))
    # The table holds the arrays in (eval, replicate, condition, t) order.
    np.testing.assert_array_equal(df["pos_y"].to_numpy(), evaluated.pos[..., 1].ravel())
    np.testing.assert_array_equal(df["force_x"].to_numpy(), evaluated.force[..., 0].ravel())
    # t = 0 rows: at rest at the start with zero force.
    first = df[df["t"] == 0]
    np.testing.assert_array_equal(first["pos_x"].to_numpy(), first["start_x"].to_numpy())
    assert (first[["vel_x", "vel_y", "force_x", "force_y"]].to_numpy() == 0).all()
    # Geometry: goals 0.5 from the start along the reach angle.
    d = df[["goal_x", "goal_y"]].to_numpy() - df[["start_x", "start_y"]].to_numpy()
    angle = df["reach_angle"].to_numpy()
    np.testing.assert_allclose(d, 0.5 * np.stack([np.cos(angle), np.sin(angle)], -1), atol=1e-6)


def test_states_table_survives_parquet(evaluated, tmp_path):
    df = evaluated.to_frame()
    write_table(df, tmp_path / "states.parquet", metadata={"model": "abc"})
    back = read_table(tmp_path / "states.parquet")
    check_states_table(back)
    pd.testing.assert_frame_equal(back.assign(pert_type=back["pert_type"].astype(str)),
                                  df.assign(pert_type=df["pert_type"].astype(str)))


def test_replicates_see_the_same_noise_and_evals_differ():
    hps = tiny_hps()
    out = evaluate(identical_replicates(hps, jax.random.PRNGKey(5)), EvalSpec.from_hps(eval_hps(eval_n=3, noise=0.05), hps))
    np.testing.assert_array_equal(out.pos[:, 0], out.pos[:, 1])
    np.testing.assert_array_equal(out.force[:, 0], out.force[:, 1])
    for i, j in ((0, 1), (1, 2), (0, 2)):
        assert not np.allclose(out.force[i, :, :, 1:], out.force[j, :, :, 1:])
    again = evaluate(identical_replicates(hps, jax.random.PRNGKey(5)), EvalSpec.from_hps(eval_hps(eval_n=3, noise=0.05), hps))
    np.testing.assert_array_equal(out.pos, again.pos)


def test_eval_n_is_forced_to_one_without_noise():
    hps = tiny_hps()
    ens = make_ensemble(hps, jax.random.PRNGKey(1))
    quiet = evaluate(ens, EvalSpec.from_hps(eval_hps(eval_n=4, noise=0.0), hps))
    assert quiet.pos.shape[0] == 1
    assert set(quiet.to_frame()["eval"]) == {0}
    noisy = evaluate(ens, EvalSpec.from_hps(eval_hps(eval_n=4, noise=0.01), hps))
    assert noisy.pos.shape[0] == 4


def test_evaluation_field_is_applied():
    """Zero control: a constant field pushes each effector orthogonally left of its reach, by the
    amount the plant alone would move; a curl field from rest does nothing."""
    hps = tiny_hps()
    ens = make_ensemble(hps, jax.random.PRNGKey(2))
    ens = eqx.tree_at(lambda e: (e.readout.weight, e.readout.bias), ens,
                      (jnp.zeros_like(ens.readout.weight), jnp.zeros_like(ens.readout.bias)))
    out = evaluate(ens, EvalSpec.from_hps(eval_hps("constant", amps=(0.4,), noise=0.0), hps))
    df = out.to_frame()
    last = df[df["t"] == N_STEPS - 1]
    d = np.stack([np.cos(last["reach_angle"]), np.sin(last["reach_angle"])], -1)
    disp = last[["pos_x", "pos_y"]].to_numpy() - last[["start_x", "start_y"]].to_numpy()
    lateral = d[:, 0] * disp[:, 1] - d[:, 1] * disp[:, 0]
    forward = np.sum(d * disp, axis=-1)
    np.testing.assert_allclose(forward, 0.0, atol=1e-6)
    # Euler from rest under force 0.4 (m = 1, k = 0.05): all rows move the same lateral distance > 0.
    assert np.all(lateral > 0)
    np.testing.assert_allclose(lateral, lateral[0], rtol=1e-5)
    curl = evaluate(ens, EvalSpec.from_hps(eval_hps("curl", amps=(4.0,), noise=0.0), hps))
    assert np.all(curl.pos == curl.pos[:, :, :, :1])


def test_part2_needs_sisu_values():
    hps = tiny_hps(part=2)
    ens = make_ensemble(hps, jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="sisu"):
        evaluate(ens, EvalSpec.from_hps(eval_hps(sisu=None), hps))


def test_part2_conditions_cover_amplitude_sisu_and_trial():
    hps = tiny_hps(part=2)
    ens = make_ensemble(hps, jax.random.PRNGKey(0))
    sisu = [-1.0, 0.0, 2.0]
    out = evaluate(ens, EvalSpec.from_hps(eval_hps(amps=(0.0, 2.0), sisu=sisu, noise=0.0), hps))
    n_cond = 2 * len(sisu) * N_DIR
    assert out.pos.shape == (1, N_REP, n_cond, N_STEPS, 2)
    np.testing.assert_array_equal(out.conditions.sisu, np.tile(np.repeat(sisu, N_DIR), 2))
    np.testing.assert_array_equal(out.conditions.pert_amp, np.repeat([0.0, 2.0], len(sisu) * N_DIR))
    df = out.to_frame()
    check_states_table(df)
    assert sorted(df["sisu"].unique()) == sisu
    # The SISU reaches the network: same amplitude and trial, different SISU, different forces.
    force = out.force.reshape(1, N_REP, 2, len(sisu), N_DIR, N_STEPS, 2)
    assert not np.allclose(force[:, :, :, 0], force[:, :, :, 2])


def test_part1_ignores_sisu_values():
    hps = tiny_hps()
    ens = make_ensemble(hps, jax.random.PRNGKey(0))
    out = evaluate(ens, EvalSpec.from_hps(eval_hps(sisu=[1.0, 2.0], noise=0.0), hps))
    assert out.conditions.n == 2 * N_DIR
    assert np.isnan(out.conditions.sisu).all()


def test_included_must_have_one_entry_per_replicate():
    hps = tiny_hps()
    with pytest.raises(ValueError, match=r"\(3,\)"):
        evaluate(make_ensemble(hps, jax.random.PRNGKey(0)), EvalSpec.from_hps(eval_hps(eval_n=1), hps), included=[True, True, False])
