"""Several models in one compiled step: each matches its solo training to float round-off, a
diverging model does not spoil the others, and models of different shapes are not bucketed."""

import copy

import equinox as eqx
import jax
import numpy as np
import pytest

from motorlab import TrainingDiverged, train_ensemble
from motorlab.config import train_defaults
from motorlab.train import Checkpoint, buckets, train_bucket


def tiny(std, seed=5678):
    hps = train_defaults()
    hps["seed"] = seed
    hps["plant"]["n_steps"] = 12
    hps["pert"].update(type="curl", std=std)
    hps["model"].update(hidden_size=6, n_replicates=2)
    hps["train"].update(batch_size=4, n_batches=12, validation_eval_n=1)
    return hps


def test_a_bucket_matches_each_model_trained_alone():
    models = [tiny(0.0), tiny(1.0), tiny(0.5, seed=7)]
    together = train_bucket(models)
    for hps, got in zip(models, together):
        alone = train_ensemble(hps, progress=False)
        for k in alone.history:
            np.testing.assert_allclose(got.history[k], alone.history[k], rtol=2e-4, atol=1e-7)
        for a, b in zip(jax.tree.leaves(eqx.filter(got.ensemble, eqx.is_array)),
                        jax.tree.leaves(eqx.filter(alone.ensemble, eqx.is_array))):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-4, atol=1e-6)
        assert got.info["best_iteration"] == alone.info["best_iteration"]


def test_a_diverging_model_does_not_spoil_the_others():
    bad = tiny(1e30)  # the field overflows the plant at once: every replicate diverges
    good = tiny(1.0)
    results = train_bucket([bad, good])
    assert isinstance(results[0], TrainingDiverged)
    assert np.all(np.isfinite(results[1].history["total"]))
    alone = train_ensemble(good, progress=False)
    np.testing.assert_allclose(results[1].history["total"], alone.history["total"], rtol=2e-4)


def test_models_of_other_shapes_go_to_other_buckets():
    wide = copy.deepcopy(tiny(1.0))
    wide["model"]["hidden_size"] = 7
    assert buckets([tiny(0.0), wide, tiny(1.0), tiny(0.5, seed=1)]) == [[0, 2, 3], [1]]
    with pytest.raises(ValueError, match="model 1 differs"):
        train_bucket([tiny(0.0), wide])


def _same_bits(a, b):
    for k in a.history:
        assert a.history[k].tobytes() == b.history[k].tobytes(), k
    for x, y in zip(jax.tree.leaves(eqx.filter(a.ensemble, eqx.is_array)),
                    jax.tree.leaves(eqx.filter(b.ensemble, eqx.is_array))):
        assert np.asarray(x).tobytes() == np.asarray(y).tobytes()
    assert a.saved_iterations == b.saved_iterations and a.info == b.info


def test_iterations_per_dispatch_changes_no_bit():
    models = [tiny(0.0), tiny(1.0, seed=9)]
    one = train_bucket(models, iterations_per_dispatch=1)
    for a, b in zip(one, train_bucket(models, iterations_per_dispatch=5)):
        _same_bits(a, b)
    assert one[0].n_traces == 1  # one compiled dispatch, whatever its number of iterations


def test_an_interrupted_bucket_resumes_from_its_checkpoint_bit_identical(tmp_path, monkeypatch):
    import motorlab.train._bucket as bucket

    models = [tiny(0.0), tiny(1.0, seed=9)]
    plain = train_bucket(models, iterations_per_dispatch=2)
    make = bucket.make_bucket_step

    def dying_step(*args):
        step = make(*args)
        fast, calls = step.fn, []

        def fn(*a):
            calls.append(1)
            if len(calls) > 8:  # iterations 0-9 are single dispatches (each is kept): dies at 8
                raise KeyboardInterrupt
            return fast(*a)

        step.fn = fn
        return step

    monkeypatch.setattr(bucket, "make_bucket_step", dying_step)
    messages = []
    ckpt = lambda: Checkpoint(tmp_path / "bucket.npz", "bucket abc", every_iterations=3, log=messages.append)  # noqa: E731
    with pytest.raises(KeyboardInterrupt):
        train_bucket(models, iterations_per_dispatch=2, checkpoint=ckpt())
    assert (tmp_path / "bucket.npz").exists()
    monkeypatch.setattr(bucket, "make_bucket_step", make)
    resumed = train_bucket(models, iterations_per_dispatch=2, checkpoint=ckpt())
    assert any(m.startswith("resumed from iteration 6") for m in messages), messages
    for a, b in zip(plain, resumed):
        _same_bits(a, b)
    assert not (tmp_path / "bucket.npz").exists()
    # a checkpoint of another bucket (other members) is never used
    other = Checkpoint(tmp_path / "bucket.npz", "bucket other", every_iterations=3, log=messages.append)
    monkeypatch.setattr(bucket, "make_bucket_step", dying_step)
    with pytest.raises(KeyboardInterrupt):
        train_bucket(models, iterations_per_dispatch=2, checkpoint=other)
    monkeypatch.setattr(bucket, "make_bucket_step", make)
    messages.clear()
    train_bucket(models, iterations_per_dispatch=2, checkpoint=ckpt())
    assert any("'bucket other'" in m and "not used" in m for m in messages), messages


def test_a_staged_bucket_keeps_the_healthy_models_of_a_diverging_one(tmp_path):
    from motorlab.config import model_id
    from motorlab.stages import train_bucket_staged

    bad, good = tiny(1e30), tiny(1.0)
    members = [{"model_id": model_id(h), "hps": h} for h in (bad, good)]
    out = train_bucket_staged(members, part="part1", bucket_id="b" * 16, folder=tmp_path / "bucket",
                              progress=False)
    bad_dir, good_dir = (tmp_path / "bucket" / m["model_id"] for m in members)
    assert "diverged" in out[members[0]["model_id"]] and (bad_dir / "diverged.txt").exists()
    assert not (bad_dir / "model.eqx").exists()
    assert {p.name for p in good_dir.iterdir()} == {"model.eqx", "history.npz", "sidecar.json"}
    assert out[members[1]["model_id"]]["path"] == f"results/part1/models/{members[1]['model_id']}.eqx"
