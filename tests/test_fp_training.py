"""Fixed points across training snapshots (issue 14, item 3): the eigenvalue-crossing counts,
root matching, bifurcations named on hand-built map families with known crossings, and the
`fp_training` analysis through the workflow stages on a tiny trained model."""

import json

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from motorlab import stages
from motorlab.analysis import get_analysis
from motorlab.analysis.fixed_points._snapshots import best_replicate_of, load_history, snapshot_ensemble
from motorlab.analysis.fixed_points._training import eigenvalue_counts, match_roots, track_fixed_points
from motorlab.config import deep_merge, train_defaults
from motorlab.figures._registry import get_figure_set
from motorlab.sim import FunctionMap


class _Tanh(eqx.Module):
    """h ↦ tanh(a M h) with the gain `a` an array (one compiled solver for every snapshot)."""

    a: jnp.ndarray
    m: jnp.ndarray

    def __call__(self, u, h):
        return jnp.tanh(self.a * (self.m @ h))


def _family(gains, m):
    return [FunctionMap(fn=_Tanh(jnp.asarray(a, jnp.float32), jnp.asarray(m, jnp.float32))) for a in gains]


def _states(size):
    grid = np.linspace(-0.95, 0.95, 9, dtype=np.float32)
    return lambda i: np.stack(np.meshgrid(*([grid] * size)), -1).reshape(1, -1, size)[:, :64]


def test_eigenvalue_counts_split_real_and_complex_crossings():
    lam = np.array([[1.2, 0.5, -1.1, 0.9 + 0.6j, 0.9 - 0.6j], [0.2, 0.1, 0.0, 0.3j, -0.3j]])
    np.testing.assert_array_equal(eigenvalue_counts(lam), [[1, 1, 1], [0, 0, 0]])


def test_match_roots_pairs_nearest_and_refuses_far_ones():
    before = np.array([[0.0, 0.0], [1.0, 1.0]])
    after = np.array([[1.05, 1.0], [5.0, 5.0], [0.0, 0.1]])
    np.testing.assert_array_equal(match_roots(before, after, 0.5), [1, -1, 0])
    assert match_roots(before[:0], after, 0.5).tolist() == [-1, -1, -1]


@pytest.mark.parametrize("kind,m,size,n_roots", [
    ("fold", [[1.0]], 1, (1, 3)),                       # pitchfork: 0 loses stability along +1, ±h* appear
    ("flip", [[-1.0]], 1, (1, 1)),                      # λ = −a crosses −1, one root throughout
    ("neimark_sacker", [[0.6, -0.8], [0.8, 0.6]], 2, (1, 1)),   # λ = a e^{±iθ} crosses the unit circle
])
def test_a_crossing_between_snapshots_is_named(kind, m, size, n_roots):
    gains = [0.5, 0.8, 1.5, 1.6]
    points, events = track_fixed_points(_family(gains, m), [0, 10, 100, 1000], np.zeros((1, 1), np.float32),
                                        _states(size), key=jr.PRNGKey(0), deflation=True)
    counts = points[points["fp"] >= 0].groupby("snapshot").size()
    assert (counts.iloc[0], counts.iloc[-1]) == n_roots
    named = events[events["kind"] == kind]
    assert len(named) == 1 and named.iloc[0]["iteration_before"] == 10 and named.iloc[0]["iteration_after"] == 100
    assert (named.iloc[0]["before"], named.iloc[0]["after"]) == (0, 1)
    others = set(events["kind"]) - {kind, "roots"}
    assert not others, f"spurious events {others}"
    assert (events["kind"] == "roots").sum() == (n_roots[0] != n_roots[1])
    origin = points[(points["snapshot"] == 3) & (np.stack([np.abs(h).max() for h in points["h"]]) < 1e-6)]
    assert len(origin) == 1 and not origin["stable"].iloc[0] and origin["track"].iloc[0] == 0


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fp_training")
    hps = deep_merge(train_defaults(), {"part": 2, "plant": {"n_steps": 12},
                                        "model": {"hidden_size": 6, "n_replicates": 2},
                                        "train": {"batch_size": 8, "n_batches": 25, "validation_eval_n": 1,
                                                  "learning_rate": 0.05}})
    record = stages.train(hps, model_id="m", part="part2", model_path=tmp / "m.eqx", sidecar_path=tmp / "m.json",
                          history_path=tmp / "m_history.npz", progress=False)
    return tmp, hps, record


def test_snapshots_rebuild_the_saved_parameters(trained):
    tmp, hps, record = trained
    from motorlab import load_model_file

    ensemble, header = load_model_file(tmp / "m.eqx")
    history = load_history(tmp / "m_history.npz")
    assert history.iterations.tolist() == [*range(10), 10, 20, 24]
    best = best_replicate_of(history, header["replicates"]["included"])
    r = best
    i = list(history.iterations).index(header["replicates"]["best_iteration"][r])
    snap = snapshot_ensemble(ensemble, history, i, [r])  # the best iteration is the kept model
    np.testing.assert_array_equal(np.asarray(snap.readout.weight)[0], np.asarray(ensemble.readout.weight)[r])
    with pytest.raises(ValueError, match="snapshot index: got 99"):
        snapshot_ensemble(ensemble, history, 99)
    with pytest.raises(FileNotFoundError, match="no training history"):
        load_history(tmp / "nope.npz")


def test_fp_training_runs_through_the_stages_and_draws_over_the_loss(trained):
    tmp, hps, record = trained
    unit = get_analysis("fp_training")
    (plan,) = unit.plan(deep_merge(unit.defaults(), {"sisu": [0.0, 1.0], "deflation": False}), hps)
    evaluation = {"eval_id": "e", "model_id": "m", "part": "part2", "analysis": unit.name,
                  "variant": plan.variant, "hps": plan.hps}
    paths = {k: tmp / f"{k}.parquet" for k in unit.table_names}
    manifest = stages.analysis_tables(tmp / "m.eqx", evaluation, table_paths=paths, manifest_path=tmp / "e.json")
    t = {k: pd.read_parquet(p) for k, p in paths.items()}
    assert manifest["counts"]["snapshots"] == 13 == t["points"]["snapshot"].nunique()
    assert set(t["points"]["sisu"]) == {0.0, 1.0}
    prim = t["points"][t["points"]["primary"]]
    assert (prim["q"] < 1e-9).all() and len(prim) == 13 * 2  # a verified steady point at every snapshot
    assert len(t["loss"]) == 25 and t["loss"]["saved"].sum() == 13
    assert set(t["events"]["kind"]) <= {"roots", "fold", "flip", "neimark_sacker"}
    assert json.loads((tmp / "e.json").read_text())["kind"] == "evaluation"
    figs = get_figure_set("fp_training")({k: [v] for k, v in t.items()}, [record], {"compare": ["pert.std"]})
    (fig,) = figs.values()
    assert isinstance(fig, go.Figure) and fig.layout.xaxis.type == "log"
    with pytest.raises(ValueError, match="reads the model's training history"):
        unit.tables(None, hps, plan.hps, included=None, states=None)
