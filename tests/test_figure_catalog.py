"""Figure sidecars and the catalogue: analysis, SPEC plot id and the hyperparameters varying in a set."""

import json
import sqlite3

import plotly.graph_objects as go
import pytest

from motorlab.cli import main
from motorlab.figures._plot_ids import spec_plot_id
from motorlab.stages import report_labels, write_figure_set
from motorlab.stages._figures import varying_keys
from motorlab.store import fold_sidecars, provenance, query, write_sidecar


def test_spec_plot_ids_by_figure_and_part():
    assert spec_plot_id("aligned_compare_train__amp-2", 1) == "aligned_to_reach_condition/compare_train_conditions"
    assert spec_plot_id("aligned_compare_train__sisu-1__amp-2", "part2") == \
        "aligned_to_reach_condition/compare_field_stds_by_context_input"
    assert spec_plot_id("measures_by_sisu__max_net_force__amp-0") == \
        "performance_measures/compare_train_and_context_conditions"
    # names that already start with a plot id keep it; figures the SPEC does not name have none
    assert spec_plot_id("response_profiles/compare_train_conditions__pert_var-pos__amp-1") == \
        "response_profiles/compare_train_conditions"
    assert spec_plot_id("training_loss__train_std-0") is None
    with pytest.raises(ValueError, match="expected part 1 or 2"):
        spec_plot_id("aligned_compare_train__amp-2", None)


def test_varying_keys_are_the_compared_keys_then_the_figure_parameters_that_differ():
    params = [{"amp": 0.0, "measure": "max_net_force"}, {"amp": 2.0, "measure": "max_net_force"}, {"amp": 0.0}]
    assert varying_keys(params, ["pert.std"]) == ["pert.std", "amp", "measure"]
    assert varying_keys([{"amp": 1.0}, {"amp": 1.0}], []) == []


def tiny(title: str) -> go.Figure:
    return go.Figure(go.Scatter(x=[0, 1], y=[1, 0])).update_layout(title=title, width=200, height=150)


@pytest.fixture
def results(tmp_path, monkeypatch):
    """Two model sidecars and one plant_perts figure group written by the stage (HTML only)."""
    monkeypatch.chdir(tmp_path)
    models = []
    for std in (0.0, 1.0):
        mid = f"m{std:g}"
        rec = {"kind": "model", "id": mid, "part": "part1", "path": f"results/part1/models/{mid}.eqx",
               "replicates": {"included": [True]}, "hps": {"part": 1, "pert": {"type": "curl", "std": std}},
               **provenance()}
        write_sidecar(tmp_path / "results" / "part1" / "models" / f"{mid}.json", rec)
        (tmp_path / "results" / "part1" / "models" / f"{mid}.eqx").write_bytes(b"")  # present: listed
        models.append(rec)
    figs = {"velocity_profiles__amp-0": tiny("amp 0"), "velocity_profiles__amp-2": tiny("amp 2"),
            "measures_compare_train__max_net_force": tiny("max net force")}
    group = {"group_id": "g" * 16, "label": "curl", "compare": ["pert.std"], "variant": "full", "eval_ids": []}
    out = tmp_path / "results" / "part1" / "figures" / "plant_perts" / "curl_full"
    write_figure_set(figs, group, models, out_dir=out, sidecar_path=f"{out}.json", part="part1",
                     formats=("html",), analysis="plant_perts")
    fold_sidecars(tmp_path / "results")
    return tmp_path / "results"


def test_every_figure_sidecar_records_analysis_plot_id_and_varying_keys(results):
    folder = results / "part1" / "figures" / "plant_perts" / "curl_full"
    sidecar = json.loads((folder / "velocity_profiles__amp-2.json").read_text())
    assert sidecar["analysis"] == "plant_perts" and sidecar["figure"] == "velocity_profiles"
    assert sidecar["plot_id"] == "velocity_profiles" and sidecar["params"] == {"amp": 2.0}
    assert sidecar["hps"] == {"compare": ["pert.std"], "varying": ["pert.std", "amp", "measure"]}
    with sqlite3.connect(results / "catalog.sqlite") as db:
        rows = db.execute("select analysis, figure, plot_id from figures order by figure, id").fetchall()
    assert rows == [("plant_perts", "measures_compare_train", "performance_measures/compare_train_conditions"),
                    ("plant_perts", "velocity_profiles", "velocity_profiles"),
                    ("plant_perts", "velocity_profiles", "velocity_profiles")]


def test_query_figures_by_analysis_and_plot_id(results, capsys):
    assert len(query("figures", {"analysis": "plant_perts"}, results_dir=results)) == 3
    assert query("figures", {"analysis": "fixed_points"}, results_dir=results).empty
    assert main(["query", "figures", "--results", str(results), "--where", "analysis=plant_perts",
                 "plot_id=velocity_profiles", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["amp"] for r in rows) == [0.0, 2.0]
    assert all(r["analysis"] == "plant_perts" and r["figure"] == "velocity_profiles" for r in rows)


def test_each_figure_folder_has_an_index_page_linking_its_figures(results):
    page = (results / "part1" / "figures" / "plant_perts" / "curl_full" / "index.html").read_text()
    assert page.count('class="card"') == 3 and 'href="velocity_profiles__amp-2.html"' in page
    assert "plant_perts: curl (full)" in page


def test_report_labels_name_every_hyperparameter_of_a_figure():
    hps = {"part": 1, "pert": {"type": "curl", "std": 1.0}, "model": {"feedback_delay_steps": 2}}
    labels = report_labels("measures_by_sisu__max_net_force__amp-2", part="part2", model_hps=hps,
                           varying=["pert.type", "model.feedback_delay_steps"], variant="full")
    assert labels == {"figure": "measures_by_sisu", "part": "part2", "field type": "curl", "delay (steps)": "2",
                      "variant": "full", "measure": "max_net_force", "amplitude": "2"}
    assert all(isinstance(v, str) for v in labels.values())  # Snakemake's report sorts them as text
    group = report_labels(None, part="part1", model_hps=hps, varying=["pert.type"], variant="small")
    assert group == {"part": "part1", "field type": "curl", "variant": "small"}
