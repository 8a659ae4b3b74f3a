"""Canonical JSON, identities, and which identities a change of defaults or versions touches."""

import copy
import re

import numpy as np
import pytest

import motorlab.config._load as load_module  # monkeypatch target, where _packaged is looked up
from motorlab.config import STAGE_VERSIONS, canonical_json, identity, load_study, model_id
from motorlab.config import parse_yaml

STUDY = {
    "part1": {
        "train": {"cases": [{"pert.type": "curl", "pert.std": [0, 1.0]},
                            {"pert.type": "constant", "pert.std": [0, 0.1]}]},
        "analyses": {"plant_perts": {}},
    },
    "part2": {
        "train": {"context.method": ["bcs", "dai", "pai-n"], "pert.std": [0.0, 1.0]},
        "analyses": {"plant_perts": {}, "fixed_points": {}},
    },
}


def ids(study):
    """Model ids by part, and evaluation ids by (part, analysis)."""
    models = {p: list(study.models(p)) for p in study.parts}
    evals = {(p, a): [e.eval_id for e in study.evaluations(p, a)] for p in study.parts for a in study.analyses(p)}
    return models, evals


def test_canonical_json_sorts_keys_and_normalises_numbers():
    assert canonical_json({"b": 1, "a": [0.1, (2, 3)]}) == '{"a":[0.1,[2,3]],"b":1}'
    assert canonical_json({"x": -0.0}) == canonical_json({"x": 0.0}) == '{"x":0.0}'
    assert canonical_json(np.float64(0.5)) == "0.5"
    assert canonical_json(np.int32(3)) == "3"
    assert canonical_json(np.bool_(True)) == "true"
    assert canonical_json(np.array([1.0, 2.0])) == "[1.0,2.0]"
    assert canonical_json(None) == "null" and canonical_json("é") == '"\\u00e9"'
    assert canonical_json(1) != canonical_json(1.0)  # types are kept; the validator unifies them


def test_the_same_float_written_three_ways_has_one_identity():
    values = parse_yaml("a: 0.1\nb: 1e-1\nc: 0.10\n")
    assert {identity({"std": v}) for v in values.values()} == {identity({"std": 0.1})}
    assert identity({"a": 1, "b": 2}) == identity({"b": 2, "a": 1})


def test_identity_is_16_hex_digits():
    assert re.fullmatch(r"[0-9a-f]{16}", identity({"a": 1}))
    assert identity({"a": 1}) != identity({"a": 2})


@pytest.mark.parametrize("bad, where", [({"x": float("nan")}, "x"), ({"x": [1, float("inf")]}, "x[1]"),
                                        ({"x": object()}, "x"), ({1: 2}, "the root")])
def test_unhashable_values_are_errors_naming_the_path(bad, where):
    with pytest.raises(ValueError, match=re.escape(where)):
        canonical_json(bad)


def test_model_id_is_the_identity_of_stage_version_and_hps():
    study = load_study(STUDY)
    mid, hps = next(iter(study.models("part1").items()))
    assert mid == model_id(hps) == identity({"stage": "train", "version": STAGE_VERSIONS["train"], "hps": hps})


@pytest.mark.parametrize("written", ["1", "1.0", "1e0", "1.", "'1e0'"])
def test_a_float_key_written_any_way_gives_one_model(written):
    config = parse_yaml(f"part1: {{train: {{pert.std: {written}}}}}")
    reference = load_study({"part1": {"train": {"pert.std": 1.0}}})
    assert list(load_study(config).models("part1")) == list(reference.models("part1"))


@pytest.fixture
def patch_defaults(monkeypatch):
    """Replace a packaged default: patch("train.yaml", "train.n_batches", 5)."""
    original = load_module._packaged
    changes: dict[str, dict] = {}

    def packaged(name):
        tree = copy.deepcopy(original(name))
        for dotted, value in changes.get(name, {}).items():
            node = tree
            *head, last = dotted.split(".")
            for k in head:
                node = node[k]
            node[last] = value
        return tree

    monkeypatch.setattr(load_module, "_packaged", packaged)
    return lambda name, key, value: changes.setdefault(name, {}).__setitem__(key, value)


def test_analysis_default_changes_only_that_analysis(patch_defaults):
    models, evals = ids(load_study(STUDY))
    patch_defaults("analyses.yaml", "plant_perts.tasks.full.n_directions", 12)
    models2, evals2 = ids(load_study(STUDY))
    assert models2 == models
    assert evals2[("part2", "fixed_points")] == evals[("part2", "fixed_points")]
    for key in (("part1", "plant_perts"), ("part2", "plant_perts")):
        changed = [a != b for a, b in zip(evals[key], evals2[key])]
        assert any(changed) and not all(changed)  # full variants change, small ones do not


def test_training_default_changes_only_models_that_use_it(patch_defaults):
    study = load_study(STUDY)
    patch_defaults("train.yaml", "context.method", "dai")  # part 1 has no context input
    study2 = load_study(STUDY)
    assert list(study2.models("part1")) == list(study.models("part1"))
    assert list(study2.models("part2")) == list(study.models("part2"))  # STUDY sets every method
    patch_defaults("train.yaml", "context.p_perturbed", 0.25)
    study3 = load_study(STUDY)
    assert list(study3.models("part1")) == list(study.models("part1"))
    # p_perturbed belongs to BCS alone: only the BCS models get new identities.
    for (old, hps), new in zip(study.models("part2").items(), study3.models("part2"), strict=True):
        assert (old != new) == (hps["context"]["method"] == "bcs")


def test_overridden_default_changes_nothing_and_used_default_changes_everything(patch_defaults):
    models, evals = ids(load_study(STUDY))
    patch_defaults("train.yaml", "pert.std", 0.7)  # every point of STUDY sets pert.std
    assert ids(load_study(STUDY)) == (models, evals)
    patch_defaults("train.yaml", "train.n_batches", 123)
    models2, evals2 = ids(load_study(STUDY))
    for part in models:
        assert not set(models[part]) & set(models2[part])
    for key in evals:  # evaluations depend on their model's identity
        assert not set(evals[key]) & set(evals2[key])


def test_bumping_a_stage_version_changes_that_stage_and_downstream(monkeypatch):
    study = load_study(STUDY)
    models, evals = ids(study)
    groups = [g.group_id for g in study.figure_groups("part1", "plant_perts")]
    monkeypatch.setitem(STAGE_VERSIONS, "evaluate", STAGE_VERSIONS["evaluate"] + 1)
    study2 = load_study(STUDY)
    models2, evals2 = ids(study2)
    assert models2 == models
    assert not set(evals2[("part1", "plant_perts")]) & set(evals[("part1", "plant_perts")])
    assert not set(g.group_id for g in study2.figure_groups("part1", "plant_perts")) & set(groups)
    # fixed points depend on the evaluate and fixed_points versions
    assert not set(evals2[("part2", "fixed_points")]) & set(evals[("part2", "fixed_points")])
    monkeypatch.setitem(STAGE_VERSIONS, "figures", STAGE_VERSIONS["figures"] + 1)
    study3 = load_study(STUDY)
    assert ids(study3) == (models2, evals2)
    assert not ({g.group_id for g in study3.figure_groups("part1", "plant_perts")}
                & {g.group_id for g in study2.figure_groups("part1", "plant_perts")})
