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
