"""Part-2 training methods: how the field and the context input (SISU) are sampled (SPEC §1.8).

Notation: z ~ N(0, 1) is the unscaled field magnitude (curl amplitude, or the signed length λ of a
constant field), σ the training std.

* `bcs` — each trial perturbed with probability p; field σ·z if perturbed; SISU = 1 if perturbed else 0.
* `dai` — always perturbed, field σ·z; SISU = |z|.
* `pai-asf` — s ~ U(0, 1); field s·σ·z; SISU = s.
* `pai-n` — as `dai`, but the network sees |z| + N(0, noise_std²).
"""

import jax.numpy as jnp
import jax.random as jr

from ..sim._fields import AbstractField, training_fields
from ..sim._types import Array, Float, Key

METHODS = ("bcs", "dai", "pai-asf", "pai-n")


def sample_context_trials(key: Key, method: str, field_type: str, std: float, n: int, *,
                          p_perturbed: float = 0.5, sisu_noise_std: float = 0.1
                          ) -> tuple[AbstractField, Float[Array, " n"]]:
    """Sample `n` part-2 training fields with the SISU the network sees.

    Returns:
        `(fields, sisu)`: batched fields (leading axis n) and the context input per trial.
    """
    if method not in METHODS:
        raise ValueError(f"training method must be one of {METHODS}, got {method!r}")
    if not 0.0 <= p_perturbed <= 1.0:
        raise ValueError(f"p_perturbed must be in [0, 1], got {p_perturbed!r}")
    k_field, k_method = jr.split(key)
    if method == "bcs":
        on = jr.bernoulli(k_method, p_perturbed, (n,)).astype(jnp.float32)
        fields, _ = training_fields(k_field, field_type, std, n, scale=on)
        return fields, on
    if method == "pai-asf":
        s = jr.uniform(k_method, (n,))
        fields, _ = training_fields(k_field, field_type, std, n, scale=s)
        return fields, s
    fields, z = training_fields(k_field, field_type, std, n)
    sisu = jnp.abs(z)
    if method == "pai-n":
        sisu = sisu + sisu_noise_std * jr.normal(k_method, (n,))
    return fields, sisu
