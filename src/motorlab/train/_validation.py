"""The periodic validation loss (SPEC §1.5, `train.validation_loss_every`): the training loss
terms on one fixed validation set, recorded during training.

The set is the `full` centre-out set (2×2 centres × 24 directions, reach 0.5; SPEC §1.2),
unperturbed, SISU 0, with the channels' noise drawn from the SPEC's validation seed 5555: the
same trials and noise at every recording, so the curve shows learning, not sampling. (This is
separate from `train.validation_eval_n`, the noise samples that rate replicates after training.)
"""

from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr

from ..sim._controllers import AbstractController
from ..sim._fields import CurlField
from ..sim._loss import loss_terms
from ..sim._rollout import simulate_trials
from ..sim._setup import map_replicates
from ..sim._tasks import centre_out
from ..sim._types import Array, Float
from ._spec import TrainSpec

VALIDATION_SEED = 5555
"""PRNG seed of the validation set's noise (FBX `seed_validation`, SPEC §1.2)."""


def validation_iterations(spec: TrainSpec, n_total: int) -> list[int]:
    """Iterations at whose start (parameters after that many updates) the validation loss is
    recorded: 0, every, 2·every, … below `n_total`; none when `validation_loss_every` is 0."""
    every = spec.validation_loss_every
    return list(range(0, n_total, every)) if every else []


def make_validation_loss(spec: TrainSpec) -> Callable[[AbstractController], dict[str, Float[Array, " R"]]]:
    """`loss(ensemble) -> {term: (R,)}`, `total` included: each replicate's weighted loss terms
    on the fixed validation set (jitted; one compilation per run)."""
    env = spec.model.environment.environment()
    trials = centre_out(2, 24, 0.5, spec.model.environment.workspace)
    n = trials.n
    fields = CurlField(amplitude=jnp.zeros(n))
    context = jnp.zeros((n, spec.model.n_context))
    noise_keys = jr.split(jr.PRNGKey(VALIDATION_SEED), n)
    weights = spec.loss.weights
    readout_w, readout_v = spec.loss.readout_norm, spec.loss.readout_norm_value

    def one(model: AbstractController) -> dict[str, Float[Array, ""]]:
        traj = simulate_trials(model, env, trials.start, trials.goal, fields, context, noise_keys)
        terms = loss_terms(traj.pos, traj.vel, traj.force, traj.hidden, trials.goal, weights)
        if readout_w > 0:
            terms["readout_norm"] = readout_w * (jnp.linalg.norm(model.readout.weight) - readout_v) ** 2
        return {"total": sum(terms.values()), **terms}

    return eqx.filter_jit(lambda ensemble: map_replicates(one, ensemble))
