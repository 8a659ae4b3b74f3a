"""Build simulation objects from a model spec (or the resolved training tree it is read from,
`defaults/train.yaml` layout)."""

from collections.abc import Mapping
from typing import Any

import equinox as eqx
import jax
import jax.random as jr
import numpy as np

from ._controllers import CONTROLLERS, AbstractController
from ._loss import LossWeights
from ._rollout import Environment
from ._specs import LossSpec, ModelSpec, as_model_spec
from ._types import Key

Hps = Mapping[str, Any]


def n_context(hps: Hps | ModelSpec) -> int:
    """Number of context inputs: 1 (SISU) in part 2, else 0."""
    return as_model_spec(hps).n_context


def make_keys(seed: int) -> tuple[Key, Key, Key]:
    """Split the master key of `seed` into (init, train, eval) keys (SPEC §1.9).

    Every model trained with the same seed starts from the same initial weights and sees the
    same training batches, so differences between conditions come from the conditions.
    """
    key_init, key_train, key_eval = jr.split(jr.PRNGKey(int(seed)), 3)
    return key_init, key_train, key_eval


def make_environment(hps: Hps | ModelSpec, *, feedback_noise_std: float | None = None,
                     motor_noise_std: float | None = None, n_steps: int | None = None) -> Environment:
    """The plant and channels of `hps`; keyword overrides replace the training values."""
    return as_model_spec(hps).environment.environment(
        feedback_noise_std=feedback_noise_std, motor_noise_std=motor_noise_std, n_steps=n_steps)


def make_loss_weights(hps: Hps) -> LossWeights:
    """The loss weights of a resolved tree's `loss` section (`LossSpec.from_hps(hps).weights`)."""
    return LossSpec.from_hps(hps).weights


def make_ensemble(hps: Hps | ModelSpec, key: Key) -> AbstractController:
    """`n_replicates` controllers of `model.kind` (a key of `CONTROLLERS`) stacked on a leading
    replicate axis, each from its own key."""
    spec = as_model_spec(hps)
    if spec.kind not in CONTROLLERS:
        raise ValueError(f"model.kind must be one of {', '.join(map(repr, CONTROLLERS))}, "
                         f"got {spec.kind!r}")
    cls = CONTROLLERS[spec.kind]
    keys = jr.split(key, spec.n_replicates)
    make = lambda k: cls.from_settings(spec.network, dt=spec.environment.dt,  # noqa: E731
                                       n_context=spec.n_context, key=k)
    return eqx.filter_vmap(make)(keys)


def ensemble_skeleton(hps: Hps | ModelSpec) -> AbstractController:
    """An ensemble with the right structure, shapes and dtypes, for deserialising into."""
    return make_ensemble(hps, jr.PRNGKey(0))


def replicate(ensemble: AbstractController, i: int) -> AbstractController:
    """The i-th replicate of an ensemble (arrays indexed on their leading axis).

    Raises:
        IndexError: if `i` is not an integer in [0, n_replicates) (no wrap-around: replicate 5 of
            a 2-replicate ensemble is an error, not replicate 1).
    """
    params, static = eqx.partition(ensemble, eqx.is_array)
    leaves = jax.tree.leaves(params)
    n = leaves[0].shape[0] if leaves and leaves[0].ndim else 0
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
        raise IndexError(f"replicate index: got {i!r}; expected an integer in [0, {n}) "
                         f"(the ensemble has {n} replicates)")
    return eqx.combine(jax.tree.map(lambda a: a[i], params), static)


def map_replicates(fn, ensemble: AbstractController, *args, how: str | None = None):
    """Apply `fn(model, *args_r)` to every replicate (arrays of `args` have a leading replicate axis).

    `how` is `"vmap"` (one batched computation, best on accelerators) or `"map"` (a compiled loop
    over replicates, `lax.map`); `None` picks `"map"` on CPU, where XLA's batched matrix products
    are slower than a loop of plain ones (measured: 1.8× for the SPEC training step with 5
    replicates), and `"vmap"` elsewhere. Both give the same results.
    """
    how = how or ("map" if jax.default_backend() == "cpu" else "vmap")
    if how == "vmap":
        return eqx.filter_vmap(fn)(ensemble, *args)
    if how != "map":
        raise ValueError(f"replicate mapping must be 'vmap', 'map' or None, got {how!r}")
    params, static = eqx.partition(ensemble, eqx.is_array)
    return jax.lax.map(lambda xs: fn(eqx.combine(xs[0], static), *xs[1:]), (params, *args))
