"""Explicit, validated objects for a model's world and network, built once from its resolved
training tree (`defaults/train.yaml` layout).

The resolved tree stays what a model's identity hashes; the library reads these frozen specs,
whose constructors (`from_hps`) check every key they read and name the bad or missing key.
"""

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from ._channels import FeedbackChannel, MotorNoise
from ._controllers import CONTROLLERS
from ._fields import FIELD_TYPES
from ._loss import LossWeights
from ._plant import DISCRETISATIONS, PointMass
from ._rollout import Environment

_CHANNEL_KEYS = ("feedback_delay_steps", "feedback_noise_std", "motor_noise_std", "motor_noise_additive_ratio")
"""`model.*` keys that describe the feedback and motor channels (the environment)."""

_NETWORK_KEYS: tuple[str, ...] = ("kind", "hidden_size", "n_replicates")
"""`model.*` keys that describe the network, required for every kind."""

_NETWORK_OPTIONAL_KEYS: tuple[str, ...] = tuple(sorted({k for c in CONTROLLERS.values() for k in c.model_keys}))
"""Kind-specific `model.*` keys (e.g. a leaky RNN's time constant `tau`): each controller class
lists its own in `model_keys`; read them from `ModelSpec.network`."""


class SpecError(ValueError):
    """A hyperparameter tree that does not make a valid spec; the message names the key."""


def section(tree: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    """The sub-mapping `tree[name]`, or a `SpecError` saying it is missing or not a mapping."""
    if not isinstance(tree, Mapping):
        raise SpecError(f"{where}: expected a mapping of hyperparameters, got {tree!r}")
    if name not in tree:
        raise SpecError(f"{where}: missing key {name!r}")
    node = tree[name]
    if not isinstance(node, Mapping):
        raise SpecError(f"{where}: key {name!r} must be a mapping, got {node!r}")
    return node


def check_keys(node: Mapping[str, Any], allowed: tuple[str, ...], path: str, where: str) -> None:
    """Raise a `SpecError` naming the first key of `node` not in `allowed` (with the nearest one)."""
    for key in node:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean {path + close[0]!r}?" if close else f"; expected one of {', '.join(allowed)}"
            raise SpecError(f"{where}: unknown key {path + str(key)!r}{hint}")


def read(node: Mapping[str, Any], key: str, convert: Callable[[Any], Any], path: str, where: str,
         check: Callable[[Any], bool] = lambda v: True, expected: str = "") -> Any:
    """`convert(node[key])`, or a `SpecError` naming `path + key`, its value and what was expected."""
    if key not in node:
        raise SpecError(f"{where}: missing key {path + key!r}")
    value = node[key]
    try:
        out = convert(value)
    except (TypeError, ValueError):
        out = None
    if out is None or isinstance(value, bool) or not check(out):
        kind = expected or getattr(convert, "__name__", "a valid value")
        raise SpecError(f"{where}: key {path + key!r} = {value!r}; expected {kind}")
    return out


def as_integer(value: Any) -> int:
    """`value` as an int; a ValueError for a non-integral float such as 2.5."""
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return int(value)


def _workspace(value: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    (x0, y0), (x1, y1) = value
    return (float(x0), float(y0)), (float(x1), float(y1))


@dataclasses.dataclass(frozen=True)
class EnvironmentSpec:
    """Everything outside the network: plant, channels and the training disturbance.

    Attributes:
        dt: s per step. n_steps: states per trial (≥ 2). mass, damping: point mass (k_d).
        discretisation: `"euler"` or `"exact"`. workspace: ((x_min, y_min), (x_max, y_max)).
        feedback_delay_steps: steps of feedback delay. feedback_noise_std, motor_noise_std,
            motor_noise_additive_ratio: channel noise (training values).
        field_type: a name of `FIELD_TYPES`. field_std: training disturbance σ.
    """

    dt: float
    n_steps: int
    mass: float
    damping: float
    discretisation: str
    workspace: tuple[tuple[float, float], tuple[float, float]]
    feedback_delay_steps: int
    feedback_noise_std: float
    motor_noise_std: float
    motor_noise_additive_ratio: float
    field_type: str
    field_std: float

    def __post_init__(self):
        if self.discretisation not in DISCRETISATIONS:
            raise SpecError(f"EnvironmentSpec: discretisation {self.discretisation!r}; expected one of "
                            f"{', '.join(DISCRETISATIONS)}")
        FIELD_TYPES[self.field_type]  # an unknown name raises the registry's error

    @classmethod
    def from_hps(cls, hps: Mapping[str, Any]) -> "EnvironmentSpec":
        """Read `plant.*`, the channel keys of `model.*` and `pert.*` of a resolved tree."""
        where = "EnvironmentSpec"
        p, m, f = (section(hps, s, where) for s in ("plant", "model", "pert"))
        check_keys(p, ("dt", "n_steps", "mass", "damping", "discretisation", "workspace"), "plant.", where)
        check_keys(f, ("type", "std"), "pert.", where)
        pos, ge0 = (lambda v: v > 0), (lambda v: v >= 0)
        return cls(
            dt=read(p, "dt", float, "plant.", where, pos, "a number > 0"),
            n_steps=read(p, "n_steps", as_integer, "plant.", where, lambda v: v >= 2, "an integer >= 2"),
            mass=read(p, "mass", float, "plant.", where, pos, "a number > 0"),
            damping=read(p, "damping", float, "plant.", where, ge0, "a number >= 0"),
            discretisation=read(p, "discretisation", str, "plant.", where, lambda v: v in DISCRETISATIONS,
                                "one of " + ", ".join(DISCRETISATIONS)),
            workspace=read(p, "workspace", _workspace, "plant.", where,
                           lambda w: w[0][0] < w[1][0] and w[0][1] < w[1][1],
                           "[[x_min, y_min], [x_max, y_max]] with min < max"),
            feedback_delay_steps=read(m, "feedback_delay_steps", as_integer, "model.", where, ge0, "an integer >= 0"),
            feedback_noise_std=read(m, "feedback_noise_std", float, "model.", where, ge0, "a number >= 0"),
            motor_noise_std=read(m, "motor_noise_std", float, "model.", where, ge0, "a number >= 0"),
            motor_noise_additive_ratio=read(m, "motor_noise_additive_ratio", float, "model.", where, ge0,
                                            "a number >= 0"),
            field_type=read(f, "type", str, "pert.", where, lambda v: v in FIELD_TYPES,
                            "one of " + ", ".join(FIELD_TYPES.names)),
            field_std=read(f, "std", float, "pert.", where, ge0, "a number >= 0"),
        )

    def environment(self, *, feedback_noise_std: float | None = None, motor_noise_std: float | None = None,
                    n_steps: int | None = None, feedback_delay_steps: int | None = None) -> Environment:
        """The simulation `Environment`; keyword overrides (None: the training value) replace
        the noise stds, the trial length and the feedback delay."""
        plant = PointMass(mass=self.mass, damping=self.damping, dt=self.dt, discretisation=self.discretisation)
        fb = self.feedback_noise_std if feedback_noise_std is None else feedback_noise_std
        motor = self.motor_noise_std if motor_noise_std is None else motor_noise_std
        return Environment(
            plant=plant,
            feedback=FeedbackChannel(delay=int(self.feedback_delay_steps if feedback_delay_steps is None
                                               else feedback_delay_steps), noise_std=float(fb)),
            motor=MotorNoise(std=float(motor), additive_ratio=self.motor_noise_additive_ratio),
            n_steps=int(self.n_steps if n_steps is None else n_steps),
        )


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A model: its part, seed, environment and network.

    Attributes:
        part: 1 (no context input) or 2 (one SISU input). seed: master seed (init, train, eval keys).
        environment: the `EnvironmentSpec`.
        network: the network keys of `model.*` (`_NETWORK_KEYS`, plus any kind-specific
            `_NETWORK_OPTIONAL_KEYS`), read-only; `kind`, `hidden_size` and `n_replicates` are
            also attributes.
    """

    part: int
    seed: int
    environment: EnvironmentSpec
    network: Mapping[str, Any]

    def __post_init__(self):
        if self.part not in (1, 2):
            raise SpecError(f"ModelSpec: part {self.part!r}; expected 1 or 2")
        missing = [k for k in _NETWORK_KEYS if k not in self.network]
        if missing:
            raise SpecError(f"ModelSpec: missing network key(s) {', '.join('model.' + k for k in missing)}")
        object.__setattr__(self, "network", MappingProxyType(dict(self.network)))

    @classmethod
    def from_hps(cls, hps: Mapping[str, Any]) -> "ModelSpec":
        """Read `part`, `seed`, `plant`, `model` and `pert` of a resolved training tree (other
        sections, such as `train` and `loss`, are the training spec's)."""
        where = "ModelSpec"
        env = EnvironmentSpec.from_hps(hps)
        m = section(hps, "model", where)
        check_keys(m, _CHANNEL_KEYS + _NETWORK_KEYS + _NETWORK_OPTIONAL_KEYS, "model.", where)
        network = {
            "kind": read(m, "kind", str, "model.", where, expected="a controller kind"),
            "hidden_size": read(m, "hidden_size", as_integer, "model.", where, lambda v: v >= 1, "an integer >= 1"),
            "n_replicates": read(m, "n_replicates", as_integer, "model.", where, lambda v: v >= 1,
                                 "an integer >= 1"),
        }
        network.update({k: m[k] for k in _NETWORK_KEYS + _NETWORK_OPTIONAL_KEYS if k in m and k not in network})
        return cls(part=read(hps, "part", as_integer, "", where, lambda v: v in (1, 2), "1 or 2"),
                   seed=read(hps, "seed", as_integer, "", where, lambda v: 0 <= v < 2**32,
                            "an integer >= 0 and <= 4294967295 (a 32-bit JAX seed)"),
                   environment=env, network=network)

    def __hash__(self) -> int:  # the network view is a read-only dict: hash its items
        return hash((self.part, self.seed, self.environment, tuple(sorted(self.network.items()))))

    @property
    def kind(self) -> str:
        return self.network["kind"]

    @property
    def hidden_size(self) -> int:
        return self.network["hidden_size"]

    @property
    def n_replicates(self) -> int:
        return self.network["n_replicates"]

    @property
    def n_context(self) -> int:
        """Number of context inputs: 1 (SISU) in part 2, else 0."""
        return 1 if self.part == 2 else 0


_LOSS_WEIGHT_KEYS = ("position", "discount_power", "final_velocity", "control", "hidden")


@dataclasses.dataclass(frozen=True)
class LossSpec:
    """The training loss: term weights and the readout-norm penalty.

    Attributes:
        weights: weights of the SPEC §1.4 terms and the position discount exponent.
        readout_norm: weight of (‖W_readout‖_F − `readout_norm_value`)²; 0 = off.
        readout_norm_value: the target Frobenius norm of the readout.
    """

    weights: LossWeights
    readout_norm: float
    readout_norm_value: float

    @classmethod
    def from_hps(cls, hps: Mapping[str, Any]) -> "LossSpec":
        """Read the `loss` section of a resolved training tree."""
        where = "LossSpec"
        loss = section(hps, "loss", where)
        check_keys(loss, _LOSS_WEIGHT_KEYS + ("readout_norm", "readout_norm_value"), "loss.", where)
        ge0 = lambda v: v >= 0  # noqa: E731
        w = {k: read(loss, k, float, "loss.", where, ge0, "a number >= 0") for k in _LOSS_WEIGHT_KEYS}
        return cls(weights=LossWeights(**w),
                   readout_norm=read(loss, "readout_norm", float, "loss.", where, ge0, "a number >= 0"),
                   readout_norm_value=read(loss, "readout_norm_value", float, "loss.", where, ge0,
                                           "a number >= 0"))


def as_model_spec(hps: "Mapping[str, Any] | ModelSpec") -> ModelSpec:
    """`hps` itself when it is a `ModelSpec`, else `ModelSpec.from_hps(hps)`."""
    return hps if isinstance(hps, ModelSpec) else ModelSpec.from_hps(hps)
