"""`motorlab train` / `motorlab evaluate`: workflow stages by hand, same products and paths."""

import json

import pandas as pd
import yaml

from motorlab.cli import main

TINY = {"part1": {
    # big enough to learn in a few batches (a model that does not learn is not saved)
    "train": {"plant.n_steps": 20, "model": {"hidden_size": 8, "n_replicates": 1},
              "train": {"batch_size": 8, "n_batches": 12, "validation_eval_n": 1, "learning_rate": 0.05},
              "pert.std": 0.5},
    "analyses": {"plant_perts": {"eval_n": 1, "tasks": {"full": {"grid_n": 1, "n_directions": 2},
                                                          "small": None},
                                 "pert": {"amp": {"curl": [0.0, 1.0]}}}},
}}


def test_train_then_evaluate_write_the_workflow_products(tmp_path, capsys):
    config = tmp_path / "study.yaml"
    config.write_text(yaml.safe_dump(TINY))
    results = tmp_path / "results"
    args = ["--configfile", str(config), "--part", "part1", "--results", str(results)]
    assert main(["evaluate", *args]) == 0
    assert "not trained yet" in capsys.readouterr().out
    assert main(["train", *args]) == 0
    (model,) = results.glob("part1/models/*.eqx")
    assert model.with_suffix(".json").exists()
    assert not list(results.glob("part1/checkpoints/*")), "a finished training removes its checkpoint"
    assert main(["train", *args]) == 0
    assert "exists, skipped" in capsys.readouterr().out
    assert main(["evaluate", *args]) == 0
    (states,) = results.glob("part1/plant_perts/*/states.parquet")
    (measures,) = results.glob("part1/plant_perts/*/measures.parquet")
    manifest = json.loads((states.parent / "manifest.json").read_text())
    assert manifest["kind"] == "evaluation" and set(manifest["tables"]) == {"states", "measures"}
    assert len(pd.read_parquet(states)) == 1 * 1 * 4 * 20  # eval x replicate x (2 amps x 2 dirs) x t
    assert "end_position_error" in set(pd.read_parquet(measures)["measure"])
    assert main(["train", "--configfile", str(config), "--part", "part2", "--results", str(results)]) != 0


def test_evaluate_runs_any_registered_analysis(tmp_path, capsys):
    """`--analysis NAME` goes through the registry: readout norms need no simulation."""
    study = json.loads(json.dumps(TINY))
    study["part1"]["analyses"]["readout_norm"] = {}
    config = tmp_path / "study.yaml"
    config.write_text(yaml.safe_dump(study))
    args = ["--configfile", str(config), "--part", "part1", "--results", str(tmp_path / "results")]
    assert main(["train", *args]) == 0
    assert main(["evaluate", "--analysis", "readout_norm", *args]) == 0
    (norms,) = (tmp_path / "results").glob("part1/readout_norm/*/norms.parquet")
    table = pd.read_parquet(norms)
    assert list(table.columns) == ["replicate", "included", "readout_norm"] and len(table) == 1
    assert not list((tmp_path / "results").glob("part1/readout_norm/*/states.parquet"))
    assert main(["evaluate", "--analysis", "readout_norm", *args]) == 0
    assert "exists, skipped" in capsys.readouterr().out
    assert main(["evaluate", "--analysis", "nope", *args]) == 1
    assert "unknown analysis 'nope'; expected one of fixed_points, plant_perts, readout_norm" in capsys.readouterr().err
