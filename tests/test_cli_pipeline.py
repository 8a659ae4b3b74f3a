"""`motorlab train` / `motorlab evaluate`: workflow stages by hand, same products and paths."""

import pandas as pd
import yaml

from motorlab.cli import main

TINY = {"part1": {
    "train": {"plant.n_steps": 12, "model": {"hidden_size": 4, "n_replicates": 1},
              "train": {"batch_size": 4, "n_batches": 3, "validation_eval_n": 1}, "pert.std": 0.5},
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
    assert main(["train", *args]) == 0
    assert "exists, skipped" in capsys.readouterr().out
    assert main(["evaluate", *args]) == 0
    (states,) = results.glob("part1/evals/*.parquet")
    (measures,) = results.glob("part1/measures/*.parquet")
    assert len(pd.read_parquet(states)) == 1 * 1 * 4 * 12  # eval x replicate x (2 amps x 2 dirs) x t
    assert "end_position_error" in set(pd.read_parquet(measures)["measure"])
    assert main(["train", "--configfile", str(config), "--part", "part2", "--results", str(results)]) != 0
