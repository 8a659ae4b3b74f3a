"""Build simulation objects from a resolved training hyperparameter tree (`defaults/train.yaml`)."""

from collections.abc import Mapping
from typing import Any

import equinox as eqx
import jax
import jax.random as jr

from ._channels import FeedbackChannel, MotorNoise
from ._controllers import CONTROLLERS, AbstractController
from ._loss import LossWeights
from ._plant import PointMass
from ._rollout import Environment
from ._types import Key

Hps = Mapping[str, Any]


def n_context(hps: Hps) -> int:
    """Number of context inputs: 1 (SISU) in part 2, else 0."""
    return 1 if int(hps["part"]) == 2 else 0


def make_keys(seed: int) -> tuple[Key, Key, Key]:
    """Split the master key of `seed` into (init, train, eval) keys (SPEC §1.9).

    Every model trained with the same seed starts from the same initial weights and sees the
    same training batches, so differences between conditions come from the conditions.
    """
    key_init, key_train, key_eval = jr.split(jr.PRNGKey(int(seed)), 3)
    return key_init, key_train, key_eval


def make_environment(hps: Hps, *, feedback_noise_std: float | None = None,
                     motor_noise_std: float | None = None, n_steps: int | None = None) -> Environment:
    """The plant and channels of `hps`; keyword overrides replace the training values."""
    p, m = hps["plant"], hps["model"]
    plant = PointMass(mass=p["mass"], damping=p["damping"], dt=p["dt"],
                      discretisation=p["discretisation"])
    fb_std = m["feedback_noise_std"] if feedback_noise_std is None else feedback_noise_std
    motor_std = m["motor_noise_std"] if motor_noise_std is None else motor_noise_std
    return Environment(
        plant=plant,
        feedback=FeedbackChannel(delay=int(m["feedback_delay_steps"]), noise_std=float(fb_std)),
        motor=MotorNoise(std=float(motor_std), additive_ratio=float(m["motor_noise_additive_ratio"])),
        n_steps=int(p["n_steps"] if n_steps is None else n_steps),
    )


def make_loss_weights(hps: Hps) -> LossWeights:
    loss = hps["loss"]
    return LossWeights(position=float(loss["position"]), final_velocity=float(loss["final_velocity"]),
                       control=float(loss["control"]), hidden=float(loss["hidden"]),
                       discount_power=float(loss["discount_power"]))


def make_ensemble(hps: Hps, key: Key) -> AbstractController:
    """`n_replicates` controllers of `model.kind` (a key of `CONTROLLERS`) stacked on a leading
    replicate axis, each from its own key."""
    m = hps["model"]
    if m["kind"] not in CONTROLLERS:
        raise ValueError(f"model.kind must be one of {', '.join(map(repr, CONTROLLERS))}, "
                         f"got {m['kind']!r}")
    cls = CONTROLLERS[m["kind"]]
    keys = jr.split(key, int(m["n_replicates"]))
    make = lambda k: cls.from_settings(m, dt=float(hps["plant"]["dt"]),  # noqa: E731
                                       n_context=n_context(hps), key=k)
    return eqx.filter_vmap(make)(keys)


def ensemble_skeleton(hps: Hps) -> AbstractController:
    """An ensemble with the right structure, shapes and dtypes, for deserialising into."""
    return make_ensemble(hps, jr.PRNGKey(0))


def replicate(ensemble: AbstractController, i: int) -> AbstractController:
    """The i-th replicate of an ensemble (arrays indexed on their leading axis)."""
    params, static = eqx.partition(ensemble, eqx.is_array)
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
