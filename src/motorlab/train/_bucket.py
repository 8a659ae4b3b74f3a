"""Several models in one compiled step: models that differ only in the training field σ and the
seed share parameter shapes and code, so one step vmapped over models trains them all.

Each model keeps its own initial weights (its seed's init key), its own training batches (its
seed's train key), its own σ (a traced scalar) and its own alive flags; Adam is elementwise, so
the models do not interact. Results equal each model's solo training up to float round-off (the
batched matrix products may sum in another order); a test checks it.

This is the library part of issue 12's buckets; the workflow still trains one model per job.
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from ..sim._setup import Hps, make_ensemble, make_keys, map_replicates
from ._loop import (TrainResult, TrainingDiverged, _divergence, _where_alive, blank_after_divergence,
                    make_replicate_loss, save_iterations, selectable, validation_history)
from ._options import StepPolicy, make_optimizer, total_batches
from ._validation import make_validation_loss, validation_iterations
from ._selection import select_replicates
from ._spec import TrainSpec, as_train_spec


def bucket_key(hps: Hps | TrainSpec) -> str:
    """What models must share to train in one step: everything but `pert.std` and `seed` (the
    training options included: the step applies one model's `StepPolicy` to all)."""
    spec = as_train_spec(hps)
    env = dataclasses.replace(spec.model.environment, field_std=0.0)
    return repr(dataclasses.replace(spec, model=dataclasses.replace(spec.model, seed=0, environment=env)))


def buckets(hps_list: list) -> list[list[int]]:
    """Indices of `hps_list` grouped by `bucket_key`, in first-seen order."""
    groups: dict[str, list[int]] = {}
    for i, h in enumerate(hps_list):
        groups.setdefault(bucket_key(h), []).append(i)
    return list(groups.values())


def train_bucket(hps_list: list) -> list[TrainResult | TrainingDiverged]:
    """Train models that share a `bucket_key` in one compiled step.

    Returns:
        Per model, its `TrainResult`, or the `TrainingDiverged` error of a model whose every
        replicate diverged (the other models are not affected).

    Raises:
        ValueError: if the models do not share a bucket key (naming the first that differs).
    """
    specs = [as_train_spec(h) for h in hps_list]
    if not specs:
        raise ValueError("train_bucket: expected at least one model, got none")
    for i, s in enumerate(specs[1:], 1):
        if bucket_key(s) != bucket_key(specs[0]):
            raise ValueError(f"train_bucket: model {i} differs from model 0 in more than pert.std and "
                             f"seed; expected models of one bucket (see `buckets`)")
    base, n_models, n_rep, n_batches = specs[0], len(specs), specs[0].model.n_replicates, total_batches(specs[0])
    keys = [make_keys(s.model.seed) for s in specs]
    ensembles = [make_ensemble(s.model, k[0]) for s, k in zip(specs, keys)]
    params, static = eqx.partition(ensembles[0], eqx.is_array)
    stacked = jax.tree.map(lambda *a: jnp.stack(a), *[eqx.filter(e, eqx.is_array) for e in ensembles])
    key_train = jnp.stack([k[1] for k in keys])
    stds = jnp.asarray([s.model.environment.field_std for s in specs], jnp.float32)
    optimizer = make_optimizer(base)
    policy = StepPolicy(base)  # the training options (SPEC §1.5), as the solo loop applies them
    opt_state = jax.vmap(optimizer.init)(eqx.filter(stacked, eqx.is_inexact_array))
    grad_fn = eqx.filter_value_and_grad(make_replicate_loss(base), has_aux=True)

    def one_model(p, opt, alive, key, std, iteration):
        ensemble = eqx.combine(p, static)
        rep_keys = jr.split(jr.fold_in(key, iteration), n_rep)
        scaled = policy.field_std(std, iteration)
        std = std if scaled is None else scaled
        (total, terms), grads = map_replicates(lambda m, k: grad_fn(m, k, std), ensemble, rep_keys)
        with jax.numpy_dtype_promotion("standard"):
            updates, new_opt = policy.update(optimizer, grads, opt, eqx.filter(ensemble, eqx.is_inexact_array),
                                             iteration)
        new = eqx.filter(eqx.apply_updates(ensemble, updates), eqx.is_array)
        grads_finite = jnp.stack([jnp.all(jnp.isfinite(g), axis=tuple(range(1, g.ndim)))
                                  for g in jax.tree.leaves(grads)]).all(axis=0)
        alive = alive & jnp.isfinite(total) & grads_finite
        return _where_alive(alive, new, p), _where_alive(alive, new_opt, opt), alive, total, terms

    step = eqx.filter_jit(jax.vmap(one_model, in_axes=(0, 0, 0, 0, 0, None)))
    alive = jnp.ones((n_models, n_rep), bool)
    to_save = set(save_iterations(n_batches))
    to_validate = set(validation_iterations(base, n_batches))
    if to_validate:
        one_validation = make_validation_loss(base)
        validate = eqx.filter_jit(jax.vmap(lambda p: one_validation(eqx.combine(p, static))))
    snapshots, saved, records, validations = [], [], [], []
    for it in range(n_batches):
        if it in to_save:
            snapshots.append(jax.tree.map(np.array, stacked))
            saved.append(it)
        if it in to_validate:
            validations.append((it, validate(stacked)))
        stacked, opt_state, alive, total, terms = step(stacked, opt_state, alive, key_train, stds,
                                                      jnp.asarray(it, jnp.int32))
        records.append((total, terms, alive))
        if it % 25 == 0 and not np.asarray(alive).any():
            break

    totals, term_list, alives = zip(*records)
    hist = {"total": np.array(jnp.stack(totals))}
    hist.update({k: np.array(jnp.stack([t[k] for t in term_list])) for k in term_list[0]})
    alive_hist = np.array(jnp.stack(alives))
    return [_finish(specs[m], m, hist, alive_hist, saved, snapshots, stacked, static,
                    [(it, {k: v[m] for k, v in val.items()}) for it, val in validations])
            for m in range(n_models)]


def _finish(spec, m, hist, alive_hist, saved, snapshots, stacked, static, validations):
    """Model m's history, divergence and replicate selection, as `train_ensemble` does them."""
    n_batches, n_rep = total_batches(spec), spec.model.n_replicates
    history = {k: v[:, m].copy() for k, v in hist.items()}
    n_done = history["total"].shape[0]
    if n_done < n_batches:
        history = {k: np.concatenate([v, np.full((n_batches - n_done, n_rep), np.nan)]) for k, v in history.items()}
    diverged_at, reasons = _divergence(alive_hist[:, m], history["total"])
    validation = validation_history(validations)
    blank_after_divergence(history, validation, diverged_at)
    if all(d is not None for d in diverged_at):
        return TrainingDiverged(f"every replicate diverged at iterations {diverged_at}; no model saved")
    snaps = [jax.tree.map(lambda a: a[m], s) for s in snapshots]
    final = eqx.combine(jax.tree.map(lambda a: a[m], stacked), static)
    best, info = select_replicates(spec, history["total"], *selectable(spec, saved, snaps), final,
                                   diverged_at, reasons)
    return TrainResult(ensemble=best, history=history, saved_iterations=saved, info=info, n_traces=1,
                       snapshots=snaps, validation=validation)
