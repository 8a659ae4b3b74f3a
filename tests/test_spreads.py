"""Spread expansion: axes, zip, grid, cases, list-valued keys and their errors."""

import itertools

import pytest

from motorlab.config import ConfigError, expand_spread, load_study, train_defaults
from motorlab.config import list_depths

DEPTHS = list_depths(train_defaults())


def points(block):
    return expand_spread(block, DEPTHS, "train")


def test_plain_values_give_one_point():
    assert points({"pert.std": 1.0, "model": {"hidden_size": 8}}) == [
        {"pert": {"std": 1.0}, "model": {"hidden_size": 8}}
    ]


def test_several_axes_in_one_block_are_a_grid_in_written_order():
    got = points({"pert.std": [0.0, 1.0], "model.feedback_delay_steps": [0, 2, 4], "seed": 3})
    want = [{"pert": {"std": s}, "model": {"feedback_delay_steps": d}, "seed": 3}
            for s, d in itertools.product([0.0, 1.0], [0, 2, 4])]
    assert got == want


def test_zip_varies_lists_together_and_broadcasts_constants():
    got = points({"zip": {"model.feedback_noise_std": [0.01, 0.1], "model.motor_noise_std": [0.02, 0.2],
                          "seed": 1}})
    assert [(p["model"]["feedback_noise_std"], p["model"]["motor_noise_std"], p["seed"]) for p in got] == [
        (0.01, 0.02, 1), (0.1, 0.2, 1)]


def test_zip_of_blocks_pairs_their_points():
    got = points({"zip": [{"pert.std": [0.0, 1.0]}, {"cases": [{"seed": 1}, {"seed": 2}]}]})
    assert [(p["pert"]["std"], p["seed"]) for p in got] == [(0.0, 1), (1.0, 2)]


def test_grid_is_the_product_of_blocks_and_cases_their_union():
    got = points({"grid": [{"pert.std": [0.0, 1.0]},
                           {"cases": [{"pert.type": "curl"}, {"pert.type": "constant", "seed": 9}]}]})
    assert [(p["pert"]["std"], p["pert"]["type"], p.get("seed")) for p in got] == [
        (0.0, "curl", None), (0.0, "constant", 9), (1.0, "curl", None), (1.0, "constant", 9)]


def test_spec_part1_example_has_48_points_in_order():
    block = {
        "train": {"n_batches": 10000},
        "grid": [
            {"zip": {"model.feedback_noise_std": [0.01, 0.1], "model.motor_noise_std": [0.01, 0.1]}},
            {"model.feedback_delay_steps": [0, 2, 4]},
            {"cases": [{"pert.type": "curl", "pert.std": [0, 0.5, 1.0, 1.5]},
                       {"pert.type": "constant", "pert.std": [0, 0.01, 0.1, 1]}]},
        ],
    }
    got = points(block)
    assert len(got) == 48
    assert all(p["train"] == {"n_batches": 10000} for p in got)
    keys = [(p["model"]["feedback_noise_std"], p["model"]["feedback_delay_steps"], p["pert"]["type"],
             p["pert"]["std"]) for p in got]
    assert len(set(keys)) == 48
    assert keys[0] == (0.01, 0, "curl", 0) and keys[4] == (0.01, 0, "constant", 0)
    assert keys[8] == (0.01, 2, "curl", 0) and keys[24] == (0.1, 0, "curl", 0)
    assert all(p["model"]["feedback_noise_std"] == p["model"]["motor_noise_std"] for p in got)


def test_nesting_and_several_spreads_as_a_list():
    got = points([{"pert.std": [0.0, 1.0]},
                  {"cases": [{"grid": [{"seed": [1, 2]}, {"zip": {"pert.std": [5.0]}}]}]}])
    assert [(p["pert"]["std"], p.get("seed")) for p in got] == [(0.0, None), (1.0, None), (5.0, 1), (5.0, 2)]


def test_list_valued_default_is_a_value_and_a_list_of_lists_is_an_axis():
    ws = [[-2.0, -2.0], [2.0, 2.0]]
    assert points({"plant.workspace": ws}) == [{"plant": {"workspace": ws}}]
    other = [[0.0, 0.0], [1.0, 1.0]]
    got = points({"plant.workspace": [ws, other]})
    assert [p["plant"]["workspace"] for p in got] == [ws, other]


def test_nested_mappings_and_dotted_keys_are_equivalent():
    assert points({"model": {"hidden_size": [4, 8]}}) == points({"model.hidden_size": [4, 8]})


@pytest.mark.parametrize("block, message", [
    ({"zip": {"pert.std": [0, 1], "seed": [1, 2, 3]}},
     "train.zip: zipped lists must have equal lengths; pert.std has 2, seed has 3"),
    ({"zip": [{"seed": [1]}, {"pert.std": [0, 1]}]}, "train.zip: zipped lists must have equal lengths"),
    ({"pert.std": []}, "train.pert.std: empty list; a spread needs at least one value"),
    ({"model": {"hidden_size": []}}, "train.model.hidden_size: empty list"),
    ({"cases": []}, "train.cases: empty list; alternatives need at least one block"),
    ({"grid": []}, "train.grid: empty list"),
    ({"cases": {"seed": 1}}, "train.cases: got {'seed': 1}; expected a list of alternative blocks"),
    ({"grid": 3}, "train.grid: got 3; expected a list of blocks"),
    ({"model": {"zip": {"hidden_size": [1, 2]}}}, "train.model.zip: `zip:` must be a key of a spread block"),
    ({"seed": 1, "cases": [{"seed": 2}]}, "'seed' gets two values in one point (1 and 2)"),
    ({"model": {"hidden_size": 2}, "model.hidden_size": 3}, "'model.hidden_size' gets two values"),
    (7, "train: got 7; expected a mapping"),
])
def test_spread_errors_name_the_path(block, message):
    with pytest.raises(ConfigError) as info:
        points(block)
    assert message in str(info.value)


def test_duplicate_points_are_removed_with_a_notice():
    study = load_study({"part1": {"train": [
        {"pert.std": [0, 1.0]},
        {"pert.std": ["1e0", 2]},   # 1e0 as Snakemake's YAML gives it: the same model as 1.0
    ]}})
    models = study.models("part1")
    assert [h["pert"]["std"] for h in models.values()] == [0.0, 1.0, 2.0]
    assert len(study.notices) == 1
    assert "point 2 is the same model as point 1" in study.notices[0]
    assert "trained once" in study.notices[0]


def test_duplicate_notice_names_the_original_point_index():
    study = load_study({"part1": {"train": {"pert.std": [0, 0, 0.1, "1e-1"]}}})
    assert [h["pert"]["std"] for h in study.models("part1").values()] == [0.0, 0.1]
    assert len(study.notices) == 2
    assert "point 1 is the same model as point 0" in study.notices[0]
    assert "point 3 is the same model as point 2" in study.notices[1]
