"""The analysis interface: the registry, each analysis' plan and tables on a tiny untrained
ensemble, readout_norm end to end through the workflow stages, and the product path layout."""

import json

import jax.random as jr
import numpy as np
import pandas as pd
import pytest

from motorlab import make_ensemble, save_model_file, stages
from motorlab.analysis import ANALYSES, AbstractAnalysis, EvaluationPlan, EvalSpec, evaluate, get_analysis
from motorlab.config import STAGE_VERSIONS, analysis_defaults, deep_merge, load_study
from motorlab.config._load import train_defaults
from motorlab.figures._registry import FIGURE_SETS
from motorlab.store import paths


@pytest.fixture(scope="module")
def tiny():
    hps = deep_merge(train_defaults(), {"part": 1, "plant": {"n_steps": 12},
                                        "model": {"hidden_size": 4, "n_replicates": 2}})
    return hps, make_ensemble(hps, jr.PRNGKey(0))


def test_registry_lists_every_analysis_with_its_defaults_versions_and_figure_set():
    assert set(ANALYSES) >= {"plant_perts", "fixed_points", "readout_norm", "feedback_perts", "freq_response",
                             "sisu_pert", "unit_ablation", "unit_perts", "unit_prefs",
                             "eigvec_stim"}
    defaults = analysis_defaults()
    for name, unit in ANALYSES.items():
        assert isinstance(unit, AbstractAnalysis) and unit.name == name and get_analysis(name) is unit
        assert unit.defaults() == defaults[name]
        assert unit.figure_set in FIGURE_SETS
        assert all(k in STAGE_VERSIONS for k in (*unit.id_versions, *unit.figure_versions))
        assert unit.table_names and len(set(unit.table_names)) == len(unit.table_names)
        assert "states" not in unit.table_names
    assert set(defaults) == set(ANALYSES)  # every packaged section is a registered analysis


def test_unknown_analysis_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown analysis 'nope'; expected one of "
                                       + ", ".join(sorted(ANALYSES))):
        get_analysis("nope")


def test_plant_perts_plans_one_evaluation_per_task_variant_and_computes_measures(tiny):
    hps, ensemble = tiny
    unit = get_analysis("plant_perts")
    settings = deep_merge(unit.defaults(), {"tasks": {"full": {"grid_n": 1, "n_directions": 2}, "small": None},
                                            "pert": {"amp": {"curl": [0.0, 1.0]}}})
    (plan,) = unit.plan(settings, hps)
    assert plan == EvaluationPlan("full", {
        "eval_n": settings["eval_n"], "seed": hps["seed"],
        "task": {"grid_n": 1, "n_directions": 2, "reach_length": 0.5},
        "pert": {"type": "curl", "amp": [0.0, 1.0]}, "sisu": None,
        "model": {"feedback_noise_std": hps["model"]["feedback_noise_std"],
                  "motor_noise_std": hps["model"]["motor_noise_std"]}})
    noiseless = unit.plan(deep_merge(settings, {"model": {"feedback_noise_std": 0.0, "motor_noise_std": 0.0}}), hps)
    assert noiseless[0].hps["eval_n"] == 1  # every repeat would be the same trial
    states = evaluate(ensemble, EvalSpec.from_hps(plan.hps, hps), included=np.array([True, False])).to_frame()
    tables = unit.tables(ensemble, hps, plan.hps, included=np.array([True, False]), states=states)
    assert set(tables) == set(unit.table_names) == {"measures"}
    assert {"end_position_error", "output_correlation"} <= set(tables["measures"]["measure"])
    assert unit.summary(tables) == {"measure_rows": len(tables["measures"])}
    with pytest.raises(ValueError, match="states=None"):
        unit.tables(ensemble, hps, plan.hps, included=None, states=None)


def test_fixed_points_plans_the_model_field_types_amplitudes_only():
    unit = get_analysis("fixed_points")
    hps = deep_merge(train_defaults(), {"part": 2, "pert": {"type": "curl"}})
    (plan,) = unit.plan(unit.defaults(), hps)
    assert plan.variant == "steady"
    assert plan.hps["reach"]["amp"] == unit.defaults()["reach"]["amp"]["curl"]
    assert plan.hps["sisu"] == unit.defaults()["sisu"]
    assert set(unit.table_names) == {"points", "eigenvalues", "summary", "reach", "trajectories", "continuation",
                                     "continuation_events", "fold_curves", "slow_regions",
                                     "variation", "feedback_eigenvalues",
                                     "solver_curves"}


def test_readout_norm_tables_are_the_frobenius_norms_per_replicate(tiny):
    hps, ensemble = tiny
    unit = get_analysis("readout_norm")
    (plan,) = unit.plan(unit.defaults(), hps)
    assert plan == EvaluationPlan("weights", {})
    tables = unit.tables(ensemble, hps, plan.hps, included=np.array([True, False]), states=None)
    norms = tables["norms"]
    weight = np.asarray(ensemble.readout.weight, np.float64)
    np.testing.assert_allclose(norms["readout_norm"], np.linalg.norm(weight.reshape(2, -1), axis=1))
    assert list(norms["replicate"]) == [0, 1] and list(norms["included"]) == [True, False]
    with pytest.raises(ValueError, match=r"included has shape \(3,\); expected \(2,\)"):
        unit.tables(ensemble, hps, plan.hps, included=np.ones(3, bool), states=None)


def test_readout_norm_end_to_end_through_the_stages(tiny, tmp_path, monkeypatch):
    """Plan from a study config, tables and manifest, figures with sidecars, and the catalogue."""
    hps, ensemble = tiny
    monkeypatch.chdir(tmp_path)
    study = load_study({"part1": {"train": {"plant.n_steps": 12, "pert.std": [0.0, 1.0],
                                            "model": {"hidden_size": 4, "n_replicates": 2}},
                                  "analyses": {"readout_norm": {}}}})
    evaluations = study.evaluations("part1", "readout_norm")
    assert len(evaluations) == 2 and len({e.eval_id for e in evaluations}) == 2
    (group,) = study.figure_groups("part1", "readout_norm")
    manifests, sidecars = [], []
    for i, ev in enumerate(evaluations):
        model_hps = study.model(ev.model_id)
        model = make_ensemble(model_hps, jr.PRNGKey(i))
        model_path = paths.model("part1", ev.model_id)
        save_model_file(model_path, model, model_hps, {"included": [True, True]}, model_id=ev.model_id)
        sidecars.append(paths.model_sidecar("part1", ev.model_id))
        with open(sidecars[-1], "w") as f:
            json.dump({"kind": "model", "id": ev.model_id, "part": "part1", "hps": model_hps, "path": model_path,
                       "replicates": {"included": [True, True]}, "created": "now", "versions": {},
                       "git_commit": None}, f)
        manifest = paths.manifest("part1", "readout_norm", ev.eval_id)
        record = stages.analysis_tables(model_path, {"eval_id": ev.eval_id, "model_id": ev.model_id,
                                                     "part": "part1", "analysis": ev.analysis,
                                                     "variant": ev.variant, "hps": ev.hps},
                                        table_paths=paths.tables("part1", "readout_norm", ev.eval_id, ("norms",)),
                                        manifest_path=manifest)
        assert record["tables"] == {"norms": f"results/part1/readout_norm/{ev.eval_id}/norms.parquet"}
        assert record["counts"] == {"replicates": 2}
        manifests.append(manifest)
    name = paths.group_dir_name(group.label, group.variant, group.group_id)
    summary = stages.analysis_figures(
        "readout_norm", {"group_id": group.group_id, "label": group.label, "compare": group.compare,
                         "variant": group.variant, "eval_ids": [m.eval_id for m in group.members]},
        manifests=manifests, model_sidecars=sidecars, out_dir=paths.figure_dir("part1", "readout_norm", name),
        sidecar_path=paths.figure_sidecar("part1", "readout_norm", name), part="part1", formats=("html",))
    assert [f["name"] for f in summary["figures"]] == ["readout_norm", "stats__by-train_std"]
    stats = summary["figures"][1]["paths"]  # the statistics table, as a figure and as CSV beside it
    assert any(p.endswith("stats__by-train_std.csv") for p in stats)
    manifest = stages.finish_part("part1", [*sidecars, *manifests, paths.figure_sidecar("part1", "readout_norm", name)],
                                  manifest_path=paths.part_target("part1"), catalog_path=paths.catalog())
    assert manifest["counts"] == {"evaluation": 2, "figure_set": 1, "model": 2}
    # the part's end also rewrites the results browser from the catalogue
    assert manifest["browser"] == "results/index.html"
    page = (tmp_path / "results" / "index.html").read_text()
    assert '"name":"readout_norm"' in page and '"total":2' in page
    import sqlite3

    with sqlite3.connect(paths.catalog()) as db:
        assert sorted(db.execute("select analysis, figure from figures").fetchall()) == [
            ("readout_norm", "readout_norm"), ("readout_norm", "stats")]
        rows = db.execute("select analysis, variant from evaluations").fetchall()
    assert rows == [("readout_norm", "weights")] * 2


def test_product_paths_have_one_layout():
    assert paths.states("part2", "plant_perts", "ab") == "results/part2/plant_perts/ab/states.parquet"
    assert paths.table("part1", "fixed_points", "ab", "points", "out") == "out/part1/fixed_points/ab/points.parquet"
    assert paths.manifest("{part}", "x", "{eval_id}") == "results/{part}/x/{eval_id}/manifest.json"
    assert paths.figure_dir("part1", "plant_perts", "curl_full_12345678") == \
        "results/part1/figures/plant_perts/curl_full_12345678"
    assert paths.group_dir_name("curl", "full", "0123456789abcdef") == "curl_full_01234567"
    assert paths.model("part1", "m") == "results/part1/models/m.eqx"
    with pytest.raises(ValueError, match="reserved"):
        paths.evaluation_dir("part1", "figures", "ab")
    assert not set(ANALYSES) & paths.RESERVED
