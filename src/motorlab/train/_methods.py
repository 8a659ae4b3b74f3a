"""Part-2 training methods: how the field and the context input (SISU) are sampled (SPEC §1.8).

Notation: z ~ N(0, 1) is the unscaled field magnitude (curl amplitude, or the signed length λ of a
constant field), σ the training std.

* `bcs` — each trial perturbed with probability p; field σ·z if perturbed; SISU = 1 if perturbed else 0.
* `dai` — always perturbed, field σ·z; SISU = |z|.
* `pai-asf` — s ~ U(0, 1); field s·σ·z; SISU = s.
* `pai-n` — as `dai`, but the network sees |z| + N(0, noise_std²).

Each method is a small final class; `METHODS` registers them by the name a config gives
(`context.method`), and each class lists the `context` settings it owns (`SETTINGS`), so that a
new method is one class and one registry entry.
"""

import abc
import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import jax.numpy as jnp
import jax.random as jr

from ..sim._fields import AbstractField, training_fields
from ..sim._registry import Registry
from ..sim._types import Array, Float, Key, Scalar


class AbstractMethod(abc.ABC):
    """A part-2 training method: samples a batch's fields and the SISU the network sees.

    `SETTINGS` names the method's own keys of the `context` settings (its dataclass fields)."""

    SETTINGS: ClassVar[tuple[str, ...]] = ()

    @abc.abstractmethod
    def sample(self, key: Key, field_type: str, std: float | Scalar, n: int
               ) -> tuple[AbstractField, Float[Array, " n"]]:
        """`(fields, sisu)`: batched training fields (leading axis n) and the SISU per trial."""

    @classmethod
    def from_settings(cls, context: Mapping[str, Any]) -> "AbstractMethod":
        """The method with its own settings taken from a `context` tree (other keys ignored)."""
        return cls(**{k: float(context[k]) for k in cls.SETTINGS if k in context})


@dataclasses.dataclass(frozen=True)
class BCS(AbstractMethod):
    """Binary context signal: perturbed with probability `p_perturbed`, SISU = 1 if perturbed."""

    p_perturbed: float = 0.5
    SETTINGS: ClassVar[tuple[str, ...]] = ("p_perturbed",)

    def __post_init__(self):
        if not 0.0 <= self.p_perturbed <= 1.0:
            raise ValueError(f"p_perturbed must be in [0, 1], got {self.p_perturbed!r}")

    def sample(self, key, field_type, std, n):
        k_field, k_method = jr.split(key)
        on = jr.bernoulli(k_method, self.p_perturbed, (n,)).astype(jnp.float32)
        fields, _ = training_fields(k_field, field_type, std, n, scale=on)
        return fields, on


@dataclasses.dataclass(frozen=True)
class DAI(AbstractMethod):
    """Direct amplitude information: always perturbed, SISU = |z|."""

    def sample(self, key, field_type, std, n):
        k_field, _ = jr.split(key)
        fields, z = training_fields(k_field, field_type, std, n)
        return fields, jnp.abs(z)


@dataclasses.dataclass(frozen=True)
class PAIASF(AbstractMethod):
    """Partial amplitude information, amplitude scale factor: s ~ U(0, 1), field s·σ·z, SISU = s."""

    def sample(self, key, field_type, std, n):
        k_field, k_method = jr.split(key)
        s = jr.uniform(k_method, (n,))
        fields, _ = training_fields(k_field, field_type, std, n, scale=s)
        return fields, s


@dataclasses.dataclass(frozen=True)
class PAIN(AbstractMethod):
    """Partial amplitude information, noisy: as DAI, SISU = |z| + N(0, `sisu_noise_std`²)."""

    sisu_noise_std: float = 0.1
    SETTINGS: ClassVar[tuple[str, ...]] = ("sisu_noise_std",)

    def __post_init__(self):
        if not self.sisu_noise_std >= 0.0:
            raise ValueError(f"sisu_noise_std must be >= 0, got {self.sisu_noise_std!r}")

    def sample(self, key, field_type, std, n):
        k_field, k_method = jr.split(key)
        fields, z = training_fields(k_field, field_type, std, n)
        return fields, jnp.abs(z) + self.sisu_noise_std * jr.normal(k_method, (n,))


METHODS: Registry[type[AbstractMethod]] = Registry(
    "training method", {"bcs": BCS, "dai": DAI, "pai-asf": PAIASF, "pai-n": PAIN})
"""Method classes by the name a config gives (`context.method`)."""


def sample_context_trials(key: Key, method: str, field_type: str, std: float, n: int, *,
                          p_perturbed: float = 0.5, sisu_noise_std: float = 0.1
                          ) -> tuple[AbstractField, Float[Array, " n"]]:
    """Sample `n` part-2 training fields with the SISU the network sees, by method name.

    Arguments:
        p_perturbed, sisu_noise_std: settings of the methods that own them (BCS, PAI-N);
            ignored by the others.

    Returns:
        `(fields, sisu)`: batched fields (leading axis n) and the context input per trial.
    """
    cls = METHODS[method]
    return cls.from_settings({"p_perturbed": p_perturbed, "sisu_noise_std": sisu_noise_std}).sample(
        key, field_type, std, n)
