"""The workflow's bucket plan (which models share a training job) and its `workflow:` settings:
chunking by models_per_job and by memory, models of other shapes apart with a notice, bucket ids
from the members, and no identity touched by any of it."""

import copy

import pytest

from motorlab.config import ConfigError, load_study, model_id, train_defaults, workflow_settings
from motorlab.train import bucket_id, estimate_model_bytes, plan_buckets, resolve_models_per_job


def hps(std, hidden=8, seed=5678):
    h = train_defaults()
    h["seed"] = seed
    h["pert"].update(type="curl", std=std)
    h["model"].update(hidden_size=hidden, n_replicates=2)
    h["train"].update(batch_size=8, n_batches=10, validation_eval_n=1)
    return h


def models(*trees):
    return {model_id(t): t for t in trees}


def test_models_of_one_shape_share_buckets_of_at_most_models_per_job():
    todo = models(*(hps(s) for s in (0.0, 0.5, 1.0, 1.5, 2.0)))
    plan, notices = plan_buckets(todo, models_per_job=2, memory_mb=1e6)
    # 5 models at 2 per job: near-equal chunks 2, 2 and one model alone (no bucket)
    assert sorted(len(m) for m in plan.values()) == [2, 2]
    assert not notices
    members = [m for ms in plan.values() for m in ms]
    assert len(set(members)) == 4 and set(members) <= set(todo)
    assert all(bid == bucket_id(ms) for bid, ms in plan.items())


def test_one_model_per_job_or_one_model_to_train_means_no_buckets():
    todo = models(hps(0.0), hps(1.0))
    assert plan_buckets(todo, models_per_job=1, memory_mb=1e6) == ({}, [])
    assert plan_buckets(models(hps(0.0)), models_per_job=8, memory_mb=1e6) == ({}, [])


def test_models_of_other_shapes_train_apart_with_a_notice_not_an_error():
    todo = models(hps(0.0), hps(1.0), hps(0.0, hidden=9), hps(1.0, hidden=9), hps(2.0, hidden=9))
    plan, notices = plan_buckets(todo, models_per_job=8, memory_mb=1e6, label="part1")
    assert sorted(len(m) for m in plan.values()) == [2, 3]
    for members in plan.values():
        assert len({todo[m]["model"]["hidden_size"] for m in members}) == 1
    assert len(notices) == 1 and notices[0].startswith("part1: 5 models") and "2 separate groups" in notices[0]


def test_the_memory_budget_cuts_buckets_smaller():
    todo = models(*(hps(s) for s in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5)))
    per_model_mb = estimate_model_bytes(next(iter(todo.values()))) / 2**20
    plan, notices = plan_buckets(todo, models_per_job=6, memory_mb=3.5 * per_model_mb)
    assert sorted(len(m) for m in plan.values()) == [3, 3]
    assert len(notices) == 1 and "3 per job" in notices[0] and "bucket_memory_mb" in notices[0]
    # a budget below one model: every model trains alone
    assert plan_buckets(todo, models_per_job=6, memory_mb=0.5 * per_model_mb)[0] == {}


def test_memory_estimate_grows_with_replicates_batch_steps_and_width():
    base = hps(0.0)
    bigger = []
    for path, value in (("model.n_replicates", 4), ("train.batch_size", 16), ("plant.n_steps", 200),
                        ("model.hidden_size", 32)):
        h = copy.deepcopy(base)
        section, key = path.split(".")
        h[section][key] = value
        bigger.append(estimate_model_bytes(h))
    assert all(b > estimate_model_bytes(base) for b in bigger)
    # the SPEC workload: GRU 100, 5 replicates, batch 250, 100 steps: hundreds of MB
    spec = hps(0.0, hidden=100)
    spec["model"]["n_replicates"] = 5
    spec["train"]["batch_size"] = 250
    spec["plant"]["n_steps"] = 100
    assert 100 * 2**20 < estimate_model_bytes(spec) < 2**30


def test_bucket_ids_name_the_members_in_any_order():
    assert bucket_id(["b" * 16, "a" * 16]) == bucket_id(["a" * 16, "b" * 16])
    assert bucket_id(["a" * 16, "b" * 16]) != bucket_id(["a" * 16, "c" * 16])
    assert len(bucket_id(["a" * 16])) == 16
    with pytest.raises(ValueError, match="at least one"):
        bucket_id([])


def test_auto_models_per_job_follows_the_device(monkeypatch):
    monkeypatch.delenv("MOTORLAB_MODELS_PER_JOB", raising=False)
    assert resolve_models_per_job("auto", accelerator=False) == 1
    assert resolve_models_per_job("auto", accelerator=True) == 16
    assert resolve_models_per_job(3, accelerator=True) == 3
    monkeypatch.setenv("MOTORLAB_MODELS_PER_JOB", "8")
    assert resolve_models_per_job("auto", accelerator=False) == 8
    monkeypatch.setenv("MOTORLAB_MODELS_PER_JOB", "many")
    with pytest.raises(ValueError, match="MOTORLAB_MODELS_PER_JOB = 'many'"):
        resolve_models_per_job("auto")


@pytest.mark.parametrize("bad, message", [
    ({"models_per_job": 0}, "workflow.models_per_job: got 0; expected 'auto' or an integer >= 1"),
    ({"models_per_job": "all"}, "workflow.models_per_job: got 'all'"),
    ({"bucket_memory_mb": -1}, "workflow.bucket_memory_mb: got -1; expected a number > 0"),
    ({"iterations_per_dispatch": 2.5}, "workflow.iterations_per_dispatch: got 2.5; expected an integer >= 1"),
    ({"models_per_jobs": 2}, "workflow.models_per_jobs: unknown key"),
    ([1, 2], "workflow: got [1, 2]; expected a mapping"),
])
def test_bad_workflow_settings_are_named(bad, message):
    with pytest.raises(ConfigError) as e:
        workflow_settings(bad)
    assert message in str(e.value)
    with pytest.raises(ConfigError) as e:  # through the study too
        load_study({"part1": {"train": {"pert.std": 1.0}}, "workflow": bad})
    assert message in str(e.value)


def test_the_workflow_section_enters_no_identity():
    config = {"part1": {"train": {"pert.type": "curl", "pert.std": [0.0, 1.0]}, "analyses": {"readout_norm": {}}}}
    plain = load_study(config)
    with_section = load_study({**config, "workflow": {"models_per_job": 7, "bucket_memory_mb": 100,
                                                      "iterations_per_dispatch": 3}})
    assert list(plain.models("part1")) == list(with_section.models("part1"))
    assert [e.eval_id for e in plain.evaluations("part1", "readout_norm")] == \
        [e.eval_id for e in with_section.evaluations("part1", "readout_norm")]
    assert with_section.workflow.models_per_job == 7 and plain.workflow.models_per_job == "auto"


def test_the_workflow_schema_takes_a_workflow_section_beside_the_parts():
    from pathlib import Path

    import jsonschema
    import yaml

    schema = yaml.safe_load((Path(__file__).resolve().parents[1] / "workflow" / "schemas"
                             / "config.schema.yaml").read_text())
    jsonschema.validate({"part1": {"train": {}}, "workflow": {"models_per_job": 4}}, schema)
    for bad in ({"part1": {}, "workflw": {}}, {"workflow": 3, "part1": {}}, {"part3": {}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_models_with_options_a_bucket_does_not_implement_train_alone(monkeypatch):
    import motorlab.train._bucket as bucket
    from motorlab.train import train_bucket

    todo = models(hps(0.0), hps(1.0), hps(2.0))
    assert len(plan_buckets(todo, models_per_job=4, memory_mb=1e6)[0]) == 1
    # pretend the bucket step did not implement the cosine decay (a field that is on: alpha 1.0)
    monkeypatch.setattr(bucket, "BUCKET_FIELDS", bucket.BUCKET_FIELDS - {"cosine_alpha"})
    plan, notices = plan_buckets(todo, models_per_job=4, memory_mb=1e6, label="part2")
    assert plan == {} and notices == ["part2: 3 models use cosine_alpha, which a bucket does not "
                                      "implement; they train alone"]
    with pytest.raises(ValueError, match="model 0 uses cosine_alpha"):
        train_bucket(list(todo.values()))
