"""`unit_ablation` (SPEC §5.5): intact vs each unit clamped to 0; a unit the readout does not see
(and no other unit reads) changes nothing; bad unit indices; the figure set."""

import equinox as eqx
import jax.random as jr
import numpy as np
import pytest

from motorlab import make_ensemble
from motorlab.analysis import get_analysis
from motorlab.config import deep_merge
from motorlab.config._load import train_defaults
from motorlab.figures._registry import get_figure_set

HIDDEN, BLIND = 5, 3


@pytest.fixture(scope="module")
def tiny():
    hps = deep_merge(train_defaults(), {"part": 1, "plant": {"n_steps": 20},
                                        "model": {"hidden_size": HIDDEN, "n_replicates": 2}})
    ensemble = make_ensemble(hps, jr.PRNGKey(2))
    # Unit BLIND: no readout column and no outgoing recurrent weights (in every gate).
    ensemble = eqx.tree_at(lambda m: (m.readout.weight, m.cell.weight_hh), ensemble,
                           (ensemble.readout.weight.at[:, :, BLIND].set(0.0),
                            ensemble.cell.weight_hh.at[:, :, BLIND].set(0.0)))
    return hps, ensemble


def settings(**over):
    unit = get_analysis("unit_ablation")
    return deep_merge(unit.defaults(), {"eval_n": 2, "task": {"n_directions": 3}, "chunk": 4, **over})


def test_ablating_a_unit_nobody_reads_has_no_effect(tiny):
    hps, ensemble = tiny
    unit = get_analysis("unit_ablation")
    (plan,) = unit.plan(settings(), hps)
    assert plan.variant == "reach" and plan.hps["units"] is None and plan.hps["sisu"] is None
    tables = unit.tables(ensemble, hps, plan.hps, included=np.array([True, False]), states=None)
    sens, units = tables["sensitivity"], tables["units"]
    assert sorted(sens["unit"].unique()) == list(range(HIDDEN))
    assert len(sens) == 2 * HIDDEN * 3 * 2 * 4  # replicates x units x directions x amplitudes x measures
    np.testing.assert_array_equal(sens.loc[sens["unit"] == BLIND, "delta"], 0.0)
    others = sens[sens["unit"] != BLIND].groupby("unit")["delta"].apply(lambda d: np.abs(d).max())
    assert (others > 0).all()
    blind = units[units["unit"] == BLIND]
    assert (blind["sensitivity"] == 0).all() and (blind["rank"] == HIDDEN - 1).all()
    assert (blind["readout_norm"] == 0).all()
    np.testing.assert_allclose(sens["ablated"] - sens["intact"], sens["delta"])
    assert unit.summary(tables) == {"units": HIDDEN, "rows": len(sens)}


def test_a_subset_of_units_and_bad_indices(tiny):
    hps, ensemble = tiny
    unit = get_analysis("unit_ablation")
    (plan,) = unit.plan(settings(units=[0, 4], eval_n=1), hps)
    sens = unit.tables(ensemble, hps, plan.hps, included=None, states=None)["sensitivity"]
    assert sorted(sens["unit"].unique()) == [0, 4]
    with pytest.raises(ValueError, match=r"unit_ablation.units: unit index \[5\] out of range; "
                                         r"expected 0 <= unit < H = 5"):
        unit.plan(settings(units=[1, 5]), hps)


def test_figure_set_sorts_units_and_draws_heatmaps(tiny):
    hps, ensemble = tiny
    unit = get_analysis("unit_ablation")
    (plan,) = unit.plan(settings(eval_n=1), hps)
    tables = unit.tables(ensemble, hps, plan.hps, included=None, states=None)
    models = [{"hps": deep_merge(hps, {"pert": {"std": s}}),
               "replicates": {"included": [True, True], "best_total_loss": [0.5, 1.0]}} for s in (0.0, 1.0)]
    figs = get_figure_set("unit_ablation")({k: [v, v] for k, v in tables.items()}, models,
                                          {"compare": ["pert.std"], "variant": "reach"})
    assert {n.split("__")[0] for n in figs} == {"sorted_units", "heatmap"} and len(figs) == 6
    hm = figs["heatmap__end_position_error__train_std-0"].data[0]
    assert np.asarray(hm.z).shape == (HIDDEN, 3) and hm.y[-1] == f"u{BLIND}"  # the blind unit last
