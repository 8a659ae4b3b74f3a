"""Config loading, merging, validation messages, the study (models, evaluations, figure groups)."""

import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from motorlab.config import (
    ConfigError,
    analysis_defaults,
    deep_merge,
    expand_dotted,
    load_study,
    load_yaml,
    model_filter_matches,
    parse_yaml,
    train_defaults,
)
from motorlab.config import flatten, preset_names, train_preset
from motorlab.train._spec import OPTION_KEYS

ROOT = Path(__file__).resolve().parents[1]


# --- loading ---------------------------------------------------------------------------------

def test_yaml_numbers_are_numbers_and_only_true_false_are_booleans():
    got = parse_yaml("a: 1e-5\nb: 1E3\nc: .5\nd: -.5\ne: +2\nf: 1_000\ng: 1.\nh: -1.5e+3\n"
                     "i: yes\nj: off\nk: true\nl: False\nm: 0x1F\nn: 1.0.0\no: e5\n")
    assert got == {"a": 1e-5, "b": 1000.0, "c": 0.5, "d": -0.5, "e": 2, "f": 1000, "g": 1.0, "h": -1500.0,
                   "i": "yes", "j": "off", "k": True, "l": False, "m": "0x1F", "n": "1.0.0", "o": "e5"}
    assert isinstance(got["a"], float) and isinstance(got["e"], int)


def test_load_yaml_reads_a_file_and_reports_missing_and_broken_files(tmp_path):
    (tmp_path / "ok.yaml").write_text("lr: 1e-3\n")
    assert load_yaml(tmp_path / "ok.yaml") == {"lr": 0.001}
    with pytest.raises(ConfigError, match="cannot read config file .*missing.yaml"):
        load_yaml(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: invalid YAML"):
        load_yaml(tmp_path / "bad.yaml")


def test_dotted_keys_expand_and_merge_with_nested_ones():
    assert expand_dotted({"a.b": 1, "a": {"c": 2}, "d.e.f": {"g.h": 3}}) == {
        "a": {"b": 1, "c": 2}, "d": {"e": {"f": {"g": {"h": 3}}}}}
    with pytest.raises(ConfigError, match=r"a\.b: given twice, as 1 and as 2"):
        expand_dotted({"a.b": 1, "a": {"b": 2}})
    with pytest.raises(ConfigError, match="empty part in dotted key"):
        expand_dotted({"a..b": 1})


def test_deep_merge_merges_mappings_and_replaces_other_values():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 4}
    merged = deep_merge(base, {"a": {"c": [3]}, "e": 5})
    assert merged == {"a": {"b": 1, "c": [3]}, "d": 4, "e": 5}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 4}  # not modified


def test_packaged_defaults_are_readable_copies():
    d = train_defaults()
    d["seed"] = -1
    assert train_defaults()["seed"] == 5678
    assert train_defaults()["loss"]["control"] == 1e-5
    assert set(analysis_defaults()) >= {"plant_perts", "fixed_points"}


# --- validation messages -----------------------------------------------------------------------

def errors_of(config):
    with pytest.raises(ConfigError) as info:
        load_study(config)
    return info.value.errors


@pytest.mark.parametrize("train, message", [
    ({"model.hiden_size": 5}, "part1.train.model.hiden_size: unknown key 'hiden_size'; did you mean 'hidden_size'?"),
    ({"plant.hidden_size": 5}, "part1.train.plant.hidden_size: unknown key 'hidden_size'; "
                               "did you mean 'model.hidden_size'?"),
    ({"model.zzz": 5}, "part1.train.model.zzz: unknown key 'zzz'; valid keys here: feedback_delay_steps"),
    ({"pert.std": -1}, "part1.train.pert.std: got -1.0; expected a number >= 0"),
    ({"pert.std": "big"}, "part1.train.pert.std: got 'big' (str); expected a number >= 0"),
    ({"pert.std": True}, "part1.train.pert.std: got True (bool); expected a number >= 0"),
    ({"pert.std": float("nan")}, "part1.train.pert.std: got nan (float); expected a finite number"),
    ({"model.hidden_size": 1.5}, "part1.train.model.hidden_size: got 1.5 (float); expected an integer >= 1"),
    ({"model.hidden_size": 0}, "part1.train.model.hidden_size: got 0; expected an integer >= 1"),
    ({"model.n_replicates": 0}, "part1.train.model.n_replicates: got 0; expected an integer >= 1"),
    ({"train.batch_size": 0}, "part1.train.train.batch_size: got 0; expected an integer >= 1"),
    ({"plant.n_steps": 1}, "part1.train.plant.n_steps: got 1; expected an integer >= 2"),
    ({"plant.dt": 0}, "part1.train.plant.dt: got 0.0; expected a number > 0"),
    ({"plant.mass": -1}, "part1.train.plant.mass: got -1.0; expected a number > 0"),
    ({"plant.damping": -0.1}, "part1.train.plant.damping: got -0.1; expected a number >= 0"),
    ({"model.feedback_noise_std": -0.01}, "part1.train.model.feedback_noise_std: got -0.01; expected a number >= 0"),
    ({"model.feedback_delay_steps": -1}, "part1.train.model.feedback_delay_steps: got -1; expected an integer >= 0"),
    ({"context.p_perturbed": 1.5}, "part1.train.context.p_perturbed: got 1.5; expected a number >= 0 and <= 1"),
    ({"pert.type": "cirl"}, "part1.train.pert.type: got 'cirl'; expected one of 'curl', 'constant' "
                            "(did you mean 'curl'?)"),
    ({"context.method": "pai"}, "part1.train.context.method: got 'pai'; expected one of 'bcs', 'dai', "
                                "'pai-asf', 'pai-n'"),
    ({"plant.discretisation": "exakt"}, "part1.train.plant.discretisation: got 'exakt'; expected one of "
                                        "'euler', 'exact' (did you mean 'exact'?)"),
    ({"model.kind": "lstm"}, "part1.train.model.kind: got 'lstm'; expected one of 'gru'"),
    ({"part": 3}, "part1.train.part: got 3; expected one of 1, 2"),
    ({"part": 2}, "part1.train.part: got 2; expected 1 (the part it is under)"),
    ({"plant": 3}, "part1.train.plant: got 3; expected a mapping with keys dt, n_steps"),
    ({"plant.workspace": [[0, 0], [1]]}, "part1.train.plant.workspace[1]: got [1] (1 items); "
                                         "expected a list of 2 numbers"),
    ({"plant.workspace": 1.0}, "part1.train.plant.workspace: got 1.0 (float); expected a list of 2 lists"),
    ({"train.constant_lr_iterations": 50, "train.n_batches": 10},
     "part1.train.train.constant_lr_iterations: got 50; expected at most train.n_batches (10)"),
])
def test_each_bad_training_value_has_a_clear_message(train, message):
    errors = errors_of({"part1": {"train": train}})
    assert any(e.startswith(message) for e in errors), errors


def test_all_problems_are_reported_at_once_and_each_only_once():
    config = {"part1": {"train": {"pert.std": [-1, 0, 1], "model.hiden_size": 3, "seed": -5}}}
    errors = errors_of(config)
    assert sorted(errors) == [
        "part1.train.model.hiden_size: unknown key 'hiden_size'; did you mean 'hidden_size'?",
        "part1.train.pert.std: got -1.0; expected a number >= 0",
        "part1.train.seed: got -5; expected an integer >= 0 and <= 4294967295",
    ]
    with pytest.raises(ConfigError, match=r"invalid configuration \(3 problems\):\n  - part1"):
        load_study(config)


@pytest.mark.parametrize("config, message", [
    ({}, "the study config must be a mapping with keys part1 and/or part2"),
    ({"part3": {}}, "part3: unknown key 'part3'; did you mean 'part2'?"),
    ({"part1": {"trian": {}}}, "part1.trian: unknown key 'trian'; did you mean 'train'?"),
    ({"part1": 5}, "part1: got 5; expected a mapping with keys train, analyses"),
    ({"part1": {"analyses": {"plant_pert": {}}}},
     "part1.analyses.plant_pert: unknown key 'plant_pert'; did you mean 'plant_perts'?"),
    ({"part1": {"analyses": [1]}}, "part1.analyses: got [1]; expected a mapping of analysis names"),
    ({"part1": {"analyses": {"plant_perts": 3}}}, "part1.analyses.plant_perts: got 3; expected a mapping"),
])
def test_structure_errors(config, message):
    assert any(e.startswith(message) for e in errors_of(config))


@pytest.mark.parametrize("settings, message", [
    ({"eval_n": 0}, "part1.analyses.plant_perts.eval_n: got 0; expected an integer >= 1"),
    ({"eval_n": 2.5}, "part1.analyses.plant_perts.eval_n: got 2.5 (float); expected an integer >= 1"),
    ({"tasks": {"full": {"grid_n": 0}}}, "part1.analyses.plant_perts.tasks.full.grid_n: got 0; expected an integer >= 1"),
    ({"tasks": {"tiny": {"grid_n": 1}}}, "part1.analyses.plant_perts.tasks.tiny: missing n_directions, reach_length"),
    ({"tasks": {"a b": None}}, "part1.analyses.plant_perts.tasks.a b: variant names must be letters"),
    ({"tasks": {"full": {"n_direction": 3}}}, "part1.analyses.plant_perts.tasks.full.n_direction: unknown key "
                                             "'n_direction'; did you mean 'n_directions'?"),
    ({"pert": {"type": "x"}}, "part1.analyses.plant_perts.pert.type: got 'x'; expected one of 'curl', "
                              "'constant' or null"),
    ({"pert.amp.curl": [0, "a"]}, "part1.analyses.plant_perts.pert.amp.curl[1]: got 'a' (str); expected a number"),
    ({"pert.amp.curl": 2.0}, "part1.analyses.plant_perts.pert.amp.curl: got 2.0 (float); expected a non-empty "
                             "list of numbers"),
    ({"sisu": "high"}, "part1.analyses.plant_perts.sisu: got 'high' (str); expected a non-empty list of numbers"),
    ({"pert.amp.curl": []}, "part1.analyses.plant_perts.pert.amp.curl: got [] (empty list); "
                            "expected a non-empty list of numbers"),
    ({"pert": {"amp": {"constant": []}}}, "part1.analyses.plant_perts.pert.amp.constant: got [] (empty list); "
                                          "expected a non-empty list of numbers"),
    ({"model.feedback_noise_std": -1}, "part1.analyses.plant_perts.model.feedback_noise_std: got -1.0; "
                                       "expected a number >= 0 or null"),
    ({"compare": "pert.sdt"}, "part1.analyses.plant_perts.compare: got 'pert.sdt'; expected a training key "
                              "such as 'pert.std' (did you mean 'pert.std'?)"),
    ({"compare": 3}, "part1.analyses.plant_perts.compare: got 3; expected a training key"),
    ({"train": {"pert.sdt": 1}}, "part1.analyses.plant_perts.train.pert.sdt: unknown key 'sdt'; did you mean 'std'?"),
    ({"train": {"pert.std": [0, -1]}}, "part1.analyses.plant_perts.train.pert.std[1]: got -1.0; expected a number >= 0"),
    ({"train": {"pert": 1}}, "part1.analyses.plant_perts.train.pert: got 1; expected a mapping with keys type, std"),
    ({"train": 4}, "part1.analyses.plant_perts.train: got 4; expected a mapping of training keys"),
    ({"evaln": 2}, "part1.analyses.plant_perts.evaln: unknown key 'evaln'; did you mean 'eval_n'?"),
])
def test_each_bad_analysis_value_has_a_clear_message(settings, message):
    errors = errors_of({"part1": {"analyses": {"plant_perts": settings}}})
    assert any(e.startswith(message) for e in errors), errors


@pytest.mark.parametrize("analysis, settings, message", [
    ("plant_perts", {"sisu": []}, "part2.analyses.plant_perts.sisu: got [] (empty list); "
                                  "expected a non-empty list of numbers"),
    ("fixed_points", {"sisu": []}, "part2.analyses.fixed_points.sisu: got [] (empty list); "
                                   "expected a non-empty list of numbers"),
])
def test_empty_evaluation_lists_are_rejected_in_part2(analysis, settings, message):
    errors = errors_of({"part2": {"analyses": {analysis: settings}}})
    assert message in errors, errors


# --- presets -----------------------------------------------------------------------------------

def test_physical_units_preset_sets_dt_and_damping_and_enters_the_identity():
    study = load_study({"part1": {"train": {"preset": "physical_units"}}})
    ((mid, hps),) = study.models("part1").items()
    assert hps["plant"]["dt"] == 0.01 and hps["plant"]["damping"] == 10.0
    assert "preset" not in hps  # only the values it sets are hyperparameters
    assert hps["plant"]["mass"] == train_defaults()["plant"]["mass"]  # the rest stays default
    explicit = load_study({"part1": {"train": {"plant.dt": 0.01, "plant.damping": 10}}})
    assert list(explicit.models("part1")) == [mid]
    default = load_study({"part1": {"train": {}}})
    (default_hps,) = default.models("part1").values()
    assert (default_hps["plant"]["dt"], default_hps["plant"]["damping"]) == (0.05, 0.05)
    assert list(default.models("part1")) != [mid]


def test_a_config_value_overrides_its_preset():
    study = load_study({"part2": {"train": {"preset": "physical_units", "plant": {"damping": 2.5}}}})
    (hps,) = study.models("part2").values()
    assert hps["plant"]["dt"] == 0.01 and hps["plant"]["damping"] == 2.5 and hps["part"] == 2


def test_presets_spread_like_any_value():
    study = load_study({"part1": {"train": {"cases": [{"preset": "physical_units", "pert.std": [0, 1]},
                                                      {"preset": None, "pert.std": 0}]}}})
    plants = [(h["plant"]["dt"], h["plant"]["damping"], h["pert"]["std"]) for h in study.models("part1").values()]
    assert plants == [(0.01, 10.0, 0.0), (0.01, 10.0, 1.0), (0.05, 0.05, 0.0)]


@pytest.mark.parametrize("preset, message", [
    ("physical", "part1.train.preset: got 'physical'; expected one of 'large_network', 'physical_units' or null"),
    (3, "part1.train.preset: got 3; expected one of 'large_network', 'physical_units' or null"),
])
def test_an_unknown_preset_lists_the_available_ones(preset, message):
    errors = errors_of({"part1": {"train": {"preset": preset, "pert.std": [0, 1]}}})
    assert len(errors) == 1 and errors[0].startswith(message), errors
    if preset == "physical":
        assert errors[0].endswith("(did you mean 'physical_units'?)")
    with pytest.raises(ConfigError, match="preset: got 'nope'; expected one of 'large_network', 'physical_units'"):
        train_preset("nope")


def test_every_packaged_preset_is_a_valid_partial_training_tree():
    assert "physical_units" in preset_names()
    keys = set(flatten(train_defaults()))
    for name in preset_names():
        tree = train_preset(name)
        assert tree and set(flatten(tree)) <= keys, name
        load_study({"part1": {"train": {"preset": name}}, "part2": {"train": {"preset": name}}})


def test_values_are_converted_to_the_type_of_their_default():
    study = load_study({"part1": {"train": {"pert.std": 1, "model.hidden_size": 8.0, "loss.control": "1e-5",
                                            "plant.workspace": [[-1, -1], [1, 1]]}}})
    (hps,) = study.models("part1").values()
    assert hps["pert"]["std"] == 1.0 and isinstance(hps["pert"]["std"], float)
    assert hps["model"]["hidden_size"] == 8 and isinstance(hps["model"]["hidden_size"], int)
    assert hps["loss"]["control"] == 1e-5
    assert hps["plant"]["workspace"] == [[-1.0, -1.0], [1.0, 1.0]]
    assert all(isinstance(x, float) for row in hps["plant"]["workspace"] for x in row)


# --- the study ---------------------------------------------------------------------------------

SMALL = {
    "part1": {
        "train": {"model.feedback_delay_steps": [0, 2],
                  "cases": [{"pert.type": "curl", "pert.std": [0, 1.0]},
                            {"pert.type": "constant", "pert.std": [0, 0.1],
                             "zip": {"model.feedback_noise_std": [0.0], "model.motor_noise_std": [0.0]}}]},
        "analyses": {"plant_perts": {"pert.amp.curl": [0, 2], "train": {"model.feedback_delay_steps": 0}}},
    },
    "part2": {
        "train": {"context.method": ["bcs", "pai-asf"], "pert.std": [0.0, 1.0]},
        "analyses": {"plant_perts": {"pert": {"type": "constant"}, "model.motor_noise_std": 0.0,
                                     "tasks": {"small": None}},
                     "fixed_points": {"train": {"context.method": "pai-asf"}}},
    },
}


def test_models_resolve_over_defaults_with_the_part_number_and_irrelevant_keys_pruned():
    study = load_study(SMALL)
    assert study.parts == ["part1", "part2"]
    p1, p2 = study.models("part1"), study.models("part2")
    assert len(p1) == 8 and len(p2) == 4
    assert all(h["part"] == 1 and "context" not in h for h in p1.values())
    off_options_left_out = {k: v for k, v in train_defaults()["train"].items() if k not in OPTION_KEYS}
    assert all(h["part"] == 2 and h["train"] == off_options_left_out for h in p2.values())
    contexts = [h["context"] for h in p2.values()]
    defaults = train_defaults()["context"]
    assert contexts[0] == {"method": "bcs", "p_perturbed": defaults["p_perturbed"]}
    assert contexts[-1] == {"method": "pai-asf"}  # other methods' settings are not its hps
    assert study.all_models() == {**p1, **p2}
    with pytest.raises(KeyError, match="part 'part3' is not in this study"):
        study.models("part3")


def test_analyses_resolve_over_their_defaults():
    analyses = load_study(SMALL).analyses("part1")
    assert list(analyses) == ["plant_perts"]
    pp = analyses["plant_perts"]
    assert pp["pert"]["amp"] == {"curl": [0.0, 2.0], "constant": [0.0, 0.05, 0.1, 0.2, 0.4]}
    assert pp["compare"] == ["pert.std"]
    assert pp["train"] == {"model": {"feedback_delay_steps": 0}}
    assert pp["tasks"] == analysis_defaults()["plant_perts"]["tasks"]
    study = load_study({"part1": {"analyses": {"plant_perts": {"train": {"pert": {}, "seed": None}}}}})
    assert study.analyses("part1")["plant_perts"]["train"] == {"seed": None}
    assert len(study.evaluations("part1", "plant_perts")) == 2  # no constraint: the one model, 2 variants


def test_plant_pert_evaluations_fill_nulls_from_each_model():
    study = load_study(SMALL)
    evals = study.evaluations("part1", "plant_perts")
    models = study.models("part1")
    assert {models[e.model_id]["model"]["feedback_delay_steps"] for e in evals} == {0}  # the train filter
    assert len(evals) == 4 * 2  # 4 models with delay 0, variants full and small
    for e in evals:
        hps = models[e.model_id]
        assert (e.part, e.analysis) == ("part1", "plant_perts")
        assert e.variant in ("full", "small")
        assert e.hps["pert"]["type"] == hps["pert"]["type"]
        assert e.hps["pert"]["amp"] == ([0.0, 2.0] if hps["pert"]["type"] == "curl" else [0.0, 0.05, 0.1, 0.2, 0.4])
        assert e.hps["sisu"] is None and e.hps["seed"] == 5678
        assert e.hps["model"] == {k: hps["model"][k] for k in ("feedback_noise_std", "motor_noise_std")}
        noiseless = hps["model"]["feedback_noise_std"] == hps["model"]["motor_noise_std"] == 0
        assert e.hps["eval_n"] == (1 if noiseless else 5)
        assert e.hps["task"] == analysis_defaults()["plant_perts"]["tasks"][e.variant]
    assert len({e.eval_id for e in evals}) == len(evals)
    assert study.evaluation(evals[3].eval_id) == evals[3]
    with pytest.raises(KeyError):
        study.evaluation("0" * 16)


def test_part2_evaluations_use_overrides_sisu_and_fixed_points():
    study = load_study(SMALL)
    evals = study.evaluations("part2", "plant_perts")
    assert len(evals) == 4 and {e.variant for e in evals} == {"full"}  # small switched off
    for e in evals:
        assert e.hps["pert"] == {"type": "constant", "amp": [0.0, 0.05, 0.1, 0.2, 0.4]}
        assert e.hps["model"] == {"feedback_noise_std": 0.01, "motor_noise_std": 0.0}
        assert e.hps["sisu"] == [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0] and e.hps["eval_n"] == 5
    fps = study.evaluations("part2", "fixed_points")
    assert len(fps) == 2 and all(e.variant == "steady" for e in fps)
    assert {study.model(e.model_id)["context"]["method"] for e in fps} == {"pai-asf"}
    assert fps[0].hps == {"eval_n": 10, "seed": 5678, "grid_n": 5,
                          "sisu": [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0],
                          "candidate_stride": 16, "n_pcs": 3,
                          "reach": {"n_directions": 24, "eval_n": 4, "candidate_stride": 4, "reach_length": 0.5,
                                    "trajectory_trials": 4, "pca_from_step": 50,
                                    "amp": [0.0, 2.0]},  # the model's field type
                          "continuation": {"n_points": 25, "fold_curves": {
                              "block": "fb_vel", "index": 0, "range": [-0.4, 0.4]}},
                          "slow_regions": {"q_threshold": 1e-4, "fp_radius": 0.1},
                          "feedback": {"amplitudes": [0.2, 0.3, 0.4], "angle": 0.0, "n_starts": 50,
                                       "jitter": 0.01},
                          "solver_curves": {"n_starts": 8}}
    with pytest.raises(KeyError, match="analysis 'fixed_points' is not configured for part1"):
        study.evaluations("part1", "fixed_points")


def test_figure_groups_hold_models_that_differ_only_in_the_compare_keys():
    study = load_study(SMALL)
    groups = study.figure_groups("part1", "plant_perts")
    assert len(groups) == 4  # (curl, constant) x (full, small)
    names = {g.label + "_" + g.group_id[:8] for g in groups}
    assert len(names) == 4 and len({g.group_id for g in groups}) == 4
    for g in groups:
        assert g.compare == ["pert.std"]
        assert {m.variant for m in g.members} == {g.variant}
        hps = [study.model(m.model_id) for m in g.members]
        stds = [h["pert"]["std"] for h in hps]
        assert stds == sorted(stds) and len(stds) == 2
        for h in hps[1:]:  # identical apart from pert.std
            assert {**h, "pert": {**h["pert"], "std": 0}} == {**hps[0], "pert": {**hps[0]["pert"], "std": 0}}
        assert re.fullmatch(r"[A-Za-z0-9.,+_-]+", g.label)
    labels = sorted(g.label for g in groups)
    # the noise follows from the field type in SMALL, so it is left out of labels
    assert labels == ["constant_delay-0"] * 2 + ["curl_delay-0"] * 2
    p2 = study.figure_groups("part2", "plant_perts")
    assert sorted(g.label for g in p2) == ["bcs", "pai-asf"]


def test_describe_model_names_the_varying_hyperparameters():
    study = load_study(SMALL)
    labels = [study.describe_model(h) for h in study.models("part1").values()]
    assert labels[0] == "curl_delay-0_std-0.0"
    assert len(set(labels)) == len(labels)
    assert study.varying_keys("part1") == ["pert.type", "model.feedback_delay_steps", "pert.std"]
    assert study.varying_keys("part1", dependent=True) == [
        "pert.type", "model.feedback_delay_steps", "model.feedback_noise_std", "model.motor_noise_std", "pert.std"]
    full = load_study(ROOT / "config" / "config.yaml")
    # zipped noise: the motor noise follows the feedback noise
    assert full.varying_keys("part1") == ["pert.type", "model.feedback_delay_steps",
                                          "model.feedback_noise_std", "pert.std", "loss.control"]
    assert full.describe_model(list(full.models("part1").values())[47]) == \
        "constant_delay-4_fbnoise-0.1_std-1.0_control-1e-05"
    assert full.varying_keys("part2") == ["context.method", "pert.type", "model.hidden_size", "pert.std"]
    # a key that follows a compare key still names the groups, which it splits
    zipped = load_study({"part1": {"train": {"zip": {"pert.std": [0.0, 1.0], "seed": [1, 2]}},
                                   "analyses": {"plant_perts": {"tasks.small": None}}}})
    assert zipped.varying_keys("part1") == ["seed"]  # in the order of the defaults
    assert [g.label for g in zipped.figure_groups("part1", "plant_perts")] == ["seed-1", "seed-2"]
    assert study.describe_model(next(iter(study.models("part2").values()))) == "bcs_std-0.0"


def test_model_filter_matches():
    hps = load_study({"part1": {"train": {"pert.std": 1.0}}}).models("part1").popitem()[1]
    assert model_filter_matches({}, hps)
    assert model_filter_matches({"pert.std": 1}, hps)
    assert model_filter_matches({"pert": {"std": [0.5, 1.0], "type": "curl"}}, hps)
    assert model_filter_matches({"pert__std": "1e0", "model.feedback_delay_steps": None}, hps)
    assert model_filter_matches({"plant.workspace": [[-1, -1], [1, 1]]}, hps)
    assert model_filter_matches({"plant.workspace": [[[0, 0], [1, 1]], [[-1, -1], [1, 1]]]}, hps)
    assert model_filter_matches({"pert.std": lambda v: v > 0.5}, hps)
    assert not model_filter_matches({"pert.std": [0.0, 0.5]}, hps)
    assert not model_filter_matches({"pert.type": "constant"}, hps)
    assert not model_filter_matches({"context.method": "bcs"}, hps)  # part 1 has no context
    assert model_filter_matches({"context.method": None}, hps)
    assert model_filter_matches({"pert": {}}, hps)
    assert not model_filter_matches({"train.validation_eval_n": True}, {"train": {"validation_eval_n": 1}})


# --- the shipped configs and the workflow schema ----------------------------------------------------

def test_full_study_config_describes_spec_section_1_7():
    study = load_study(ROOT / "config" / "config.yaml")
    p1, p2 = study.models("part1"), study.models("part2")
    assert len(p1) == 50 and len(p2) == 52 and not study.notices
    # the supplements: the sigma-0 baseline at two smaller control weights, part 2 at hidden 256
    assert sorted(h["loss"]["control"] for h in p1.values() if h["loss"]["control"] != 1e-5) == [1e-7, 1e-6]
    large = [h for h in p2.values() if h["model"]["hidden_size"] == 256]
    assert sorted(h["pert"]["std"] for h in large) == [0, 0.5, 1, 1.5]
    assert {(h["context"]["method"], h["pert"]["type"]) for h in large} == {("pai-asf", "curl")}
    p1 = {k: h for k, h in p1.items() if h["loss"]["control"] == 1e-5}
    p2 = {k: h for k, h in p2.items() if h["model"]["hidden_size"] == 100}
    assert len(p1) == 48 and len(p2) == 48
    combos = {(h["model"]["feedback_noise_std"], h["model"]["motor_noise_std"],
               h["model"]["feedback_delay_steps"], h["pert"]["type"], h["pert"]["std"]) for h in p1.values()}
    assert combos == {(n, n, d, t, s) for n in (0.01, 0.1) for d in (0, 2, 4)
                      for t, stds in (("curl", (0, 0.5, 1, 1.5)), ("constant", (0, 0.01, 0.1, 1))) for s in stds}
    methods = {h["context"]["method"] for h in p2.values()}
    assert methods == {"bcs", "dai", "pai-asf", "pai-n"}
    assert {h["pert"]["std"] for h in p2.values() if h["pert"]["type"] == "constant"} == {
        0, 0.01, 0.02, 0.03, 0.04, 0.08, 0.16, 0.32}
    assert all(h["model"]["feedback_delay_steps"] == 0 and h["model"]["feedback_noise_std"] == 0.01
               for h in p2.values())
    assert study.analyses("part2")["plant_perts"]["pert"]["amp"] == {"curl": [0.0, 2.0], "constant": [0.0, 0.4]}
    assert {"plant_perts", "fixed_points", "readout_norm", "feedback_perts", "network_basic", "size_study",
            "tangling", "sisu_pert", "unit_ablation", "unit_perts"} <= set(study.analyses("part2"))
    assert {"plant_perts", "readout_norm", "feedback_perts", "freq_response", "network_basic", "cross_eval",
            "control_weight", "tangling", "unit_prefs"} <= set(study.analyses("part1"))
    # SPEC §2.3/§2.4/§2.7: impulses on curl sigma [0, 0.5, 1, 1.5]; frequency response on [0, 0.5]; part 2 pai-asf
    curl = {h["pert"]["std"] for e in study.evaluations("part1", "feedback_perts") for h in [study.model(e.model_id)]}
    assert curl == {0, 0.5, 1, 1.5}
    assert {study.model(e.model_id)["pert"]["std"] for e in study.evaluations("part1", "freq_response")} == {0, 0.5}
    assert {study.model(e.model_id)["context"]["method"]
            for e in study.evaluations("part2", "feedback_perts")} == {"pai-asf"}


def test_demo_config_is_tiny():
    study = load_study(ROOT / "config" / "demo.yaml")
    for part, n in zip(study.parts, (7, 6)):  # 4 each, and the supplements' (3 tiny; 2 at hidden 64)
        assert len(study.models(part)) == n
        for hps in study.models(part).values():
            assert hps["model"]["hidden_size"] <= 64 and hps["train"]["n_batches"] <= 600  # seconds each
            assert hps["plant"]["n_steps"] == 40 and hps["model"]["n_replicates"] == 2
        for e in study.evaluations(part, "plant_perts"):
            assert e.hps["eval_n"] == 1 and e.hps["task"]["n_directions"] <= 8
    assert {h["context"]["method"] for h in study.models("part2").values()} == {"bcs", "pai-asf"}
    assert study.evaluations("part2", "plant_perts")[0].hps["sisu"] == [-1.0, 0.0, 1.0]
    assert study.evaluations("part2", "fixed_points")[0].hps["grid_n"] == 2


@pytest.mark.parametrize("name", ["config.yaml", "demo.yaml"])
def test_workflow_schema_accepts_the_shipped_configs(name):
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    jsonschema.validate(yaml.safe_load((ROOT / "config" / name).read_text()), schema)


@pytest.mark.parametrize("config", [{}, {"part3": {}}, {"part1": {"trian": {}}}, {"part1": {"analyses": [1]}},
                                    {"part1": {"train": 3}}])
def test_workflow_schema_rejects_bad_top_level_shapes(config):
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, schema)
