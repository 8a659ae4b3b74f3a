"""Issue 15: nothing silently wrong. One test (at least) per numbered defect, named after it."""

import jax
import numpy as np
import pytest
import yaml

from motorlab import make_ensemble, make_keys, replicate
from motorlab.config import ConfigError, load_study, load_yaml, train_defaults


def _study(tmp_path, text: str):
    path = tmp_path / "study.yaml"
    path.write_text(text)
    return load_study(path)


# --- item 6: replicate indices do not wrap ------------------------------------------------------

@pytest.fixture(scope="module")
def two_replicates():
    hps = train_defaults()
    hps["model"].update(hidden_size=4, n_replicates=2)
    return make_ensemble(hps, make_keys(0)[0])


@pytest.mark.parametrize("index", [2, 5, -1, -3])
def test_item6_replicate_index_out_of_range_is_an_error(two_replicates, index):
    with pytest.raises(IndexError, match=rf"replicate index: got {index!r}; expected an integer in \[0, 2\)"):
        replicate(two_replicates, index)


def test_item6_replicate_in_range_takes_that_replicate(two_replicates):
    one = replicate(two_replicates, 1)
    np.testing.assert_array_equal(np.asarray(one.readout.weight), np.asarray(two_replicates.readout.weight[1]))
    assert replicate(two_replicates, 0).readout.weight.shape == two_replicates.readout.weight.shape[1:]


# --- item 7: a YAML key given twice is an error ------------------------------------------------

def test_item7_duplicate_yaml_key_names_the_key_and_both_lines(tmp_path):
    text = "part1:\n  train:\n    pert.std: 1.0\n    seed: 3\n    pert.std: 2.0\n"
    with pytest.raises(ConfigError, match=r"study\.yaml: invalid YAML: key 'pert\.std' is given twice in one "
                                          r"mapping \(lines 3 and 5\)"):
        _study(tmp_path, text)
    (tmp_path / "flow.yaml").write_text("a: {b: 1, b: 2}\n")
    with pytest.raises(ConfigError, match=r"key 'b' is given twice .*lines 1 and 1"):
        load_yaml(tmp_path / "flow.yaml")
    # the same key in different mappings is fine
    (tmp_path / "ok.yaml").write_text("a: {b: 1}\nc: {b: 2}\n")
    assert load_yaml(tmp_path / "ok.yaml") == {"a": {"b": 1}, "c": {"b": 2}}


# --- item 8: seeds in the range JAX keys take ----------------------------------------------------

@pytest.mark.parametrize("seed", [2**32, 2**63, 2**64 + 3])
def test_item8_seeds_beyond_32_bits_are_rejected(tmp_path, seed):
    with pytest.raises(ConfigError, match=rf"part1\.train\.seed: got {seed}; expected an integer >= 0 and "
                                          r"<= 4294967295"):
        _study(tmp_path, yaml.safe_dump({"part1": {"train": {"seed": seed}}}))


def test_item8_the_largest_seed_is_accepted_and_differs_from_seed_0(tmp_path):
    study = _study(tmp_path, yaml.safe_dump({"part1": {"train": {"seed": [0, 2**32 - 1]}}}))
    assert len(study.models("part1")) == 2
    k0, kmax = make_keys(0)[0], make_keys(2**32 - 1)[0]
    assert not np.array_equal(jax.random.key_data(k0), jax.random.key_data(kmax))


# --- item 9: an inverted workspace ------------------------------------------------------------

@pytest.mark.parametrize("workspace", [[[1.0, -1.0], [-1.0, 1.0]], [[-1.0, 1.0], [1.0, -1.0]], [[0.0, 0.0], [0.0, 1.0]]])
def test_item9_inverted_workspace_is_rejected(tmp_path, workspace):
    with pytest.raises(ConfigError, match=r"part1\.train\.plant\.workspace: got .*; expected \[\[x_min, y_min\], "
                                          r"\[x_max, y_max\]\] with x_min < x_max and y_min < y_max"):
        _study(tmp_path, yaml.safe_dump({"part1": {"train": {"plant.workspace": workspace}}}))


def test_item7_snakemake_config_with_a_duplicate_key_names_it(tmp_path):
    """Snakemake's own reader keeps the second value; the Snakefile reads each config file again."""
    import subprocess
    import sys
    from pathlib import Path
    repo = Path(__file__).resolve().parents[1]
    (tmp_path / "dup.yaml").write_text("part1:\n  train:\n    pert.std: 1.0\n    pert.std: 2.0\n")
    run = subprocess.run([str(Path(sys.executable).with_name("snakemake")), "-s", str(repo / "Snakefile"), "-n",
                          "-d", str(tmp_path), "--configfile", str(tmp_path / "dup.yaml")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode != 0
    assert "key 'pert.std' is given twice in one mapping (lines 3 and 4)" in run.stdout + run.stderr


# --- item 14: `motorlab train` goes on after a model that cannot be trained -----------------------

def test_item14_train_reports_a_failed_model_and_trains_the_others(tmp_path, capsys):
    from motorlab.cli import main
    config = {"part1": {"train": {
        "plant.n_steps": 20, "model": {"hidden_size": 8, "n_replicates": 1},
        "train": {"batch_size": 8, "n_batches": 12, "validation_eval_n": 1},
        "cases": [{"train.learning_rate": 10.0}, {"train.learning_rate": 0.05}]}}}
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config))
    study = load_study(path)
    bad, good = [m for m, h in study.models("part1").items() if h["train"]["learning_rate"] == 10.0] + \
        [m for m, h in study.models("part1").items() if h["train"]["learning_rate"] == 0.05]
    results = tmp_path / "results"
    status = main(["train", "--configfile", str(path), "--part", "part1", "--results", str(results)])
    err = capsys.readouterr().err
    assert status == 1
    assert f"motorlab: error: {bad}: " in err and "learning_rate" in err and "Traceback" not in err
    assert f"motorlab: error: 1 model(s) could not be trained: {bad}" in err
    assert (results / "part1" / "models" / f"{good}.eqx").exists()
    assert not (results / "part1" / "models" / f"{bad}.eqx").exists()


# --- item 15: a config that is not UTF-8 ------------------------------------------------------

def test_item15_non_utf8_config_names_the_file_and_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("part1:\n  train:\n    pert.std: 1.0  # café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.yaml: line 3, column 25: byte 0xe9 is not UTF-8 text; "
                                          r"expected a UTF-8 file"):
        load_study(path)


# --- item 20: smaller ones ---------------------------------------------------------------------

def test_item20_errors_inside_cases_say_which_block(tmp_path):
    text = yaml.safe_dump({"part1": {"train": {"cases": [{"pert.std": 0.0}, {"pert.type": "curl"},
                                                         {"pert.std": -1.0}]}}})
    with pytest.raises(ConfigError, match=r"part1\.train\.pert\.std: got -1\.0; expected a number >= 0 "
                                          r"\(in part1\.train\.cases\[2\]\)"):
        _study(tmp_path, text)


def test_item20_no_train_block_prints_the_scale(tmp_path):
    study = _study(tmp_path, yaml.safe_dump({"part1": {"analyses": {"readout_norm": {}}}}))
    assert any("part1 has no `train:` block, so each model trains at the packaged full scale: 5 replicates x "
               "10,000 batches of 250 trials" in n for n in study.notices)
    small = _study(tmp_path, yaml.safe_dump({"part1": {"train": {"train.n_batches": 5}}}))
    assert not any("full scale" in n for n in small.notices)


def test_item20_integer_hyperparameters_stay_integers_in_query(tmp_path, monkeypatch):
    import json
    from test_catalog import make_products

    from motorlab.store import query
    monkeypatch.chdir(tmp_path)
    study = load_study({"part1": {"train": {"pert.std": 0.0},
                                  "analyses": {"plant_perts": {}, "readout_norm": {}}}})
    results = make_products(tmp_path, study, figures=False)
    frame = query("evaluations", results_dir=results)
    assert frame["task__grid_n"].isna().any()  # readout_norm evaluations have no task
    assert str(frame["task__grid_n"].dtype) == "Int64"
    assert {int(v) for v in frame["task__grid_n"].dropna()} <= {1, 2}
    assert json.dumps(int(frame["task__grid_n"].dropna().iloc[0]))
