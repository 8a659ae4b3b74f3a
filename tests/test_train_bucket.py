"""Several models in one compiled step: each matches its solo training to float round-off, a
diverging model does not spoil the others, and models of different shapes are not bucketed."""

import copy

import equinox as eqx
import jax
import numpy as np
import pytest

from motorlab import TrainingDiverged, train_ensemble
from motorlab.config import train_defaults
from motorlab.train import buckets, train_bucket


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
