"""The training spec: an explicit, validated object built once from a resolved training tree.

The tree stays what a model's identity hashes; the training loop, the methods and replicate
selection read this frozen spec, whose constructor names any bad or missing key.
"""

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..sim._specs import LossSpec, ModelSpec, SpecError, as_integer, section, check_keys, read
from ._methods import METHODS, AbstractMethod

_SECTIONS = ("part", "seed", "plant", "model", "pert", "context", "loss", "train")
_TRAIN_KEYS = ("learning_rate", "batch_size", "n_batches", "constant_lr_iterations", "cosine_alpha",
               "n_std_exclude", "validation_eval_n")


@dataclasses.dataclass(frozen=True)
class TrainSpec:
    """How one model (an ensemble of replicates) is trained.

    Attributes:
        model: the model trained (environment, network, part, seed).
        loss: loss weights and the readout-norm penalty.
        method: the part-2 context method (a registered `AbstractMethod`), None in part 1.
        learning_rate: Adam's initial rate. batch_size: trials per step and replicate.
        n_batches: training steps. constant_lr_iterations: steps at the initial rate before
            the cosine decay to `cosine_alpha`·rate.
        n_std_exclude: replicates worse than best + n·std are excluded.
        validation_eval_n: noise samples of the validation set that rates replicates.
    """

    model: ModelSpec
    loss: LossSpec
    method: AbstractMethod | None
    learning_rate: float
    batch_size: int
    n_batches: int
    constant_lr_iterations: int
    cosine_alpha: float
    n_std_exclude: float
    validation_eval_n: int

    def __post_init__(self):
        if (self.method is None) != (self.model.part == 1):
            raise SpecError(f"TrainSpec: a part-{self.model.part} model "
                            + ("takes no context method" if self.model.part == 1 else "needs a context method")
                            + f", got {self.method!r}")
        if self.constant_lr_iterations > self.n_batches:
            raise SpecError(f"TrainSpec: train.constant_lr_iterations = {self.constant_lr_iterations}; "
                            f"expected at most train.n_batches ({self.n_batches})")

    @classmethod
    def from_hps(cls, hps: Mapping[str, Any]) -> "TrainSpec":
        """Read a resolved training tree (`defaults/train.yaml` layout; `context` only in part 2)."""
        where = "TrainSpec"
        check_keys(hps, _SECTIONS, "", where)
        model = ModelSpec.from_hps(hps)
        t = section(hps, "train", where)
        check_keys(t, _TRAIN_KEYS, "train.", where)
        pos, ge0 = (lambda v: v > 0), (lambda v: v >= 0)
        ge1 = lambda v: v >= 1  # noqa: E731
        unit = lambda v: 0 <= v <= 1  # noqa: E731
        return cls(
            model=model, loss=LossSpec.from_hps(hps), method=_method(hps, model.part, where),
            learning_rate=read(t, "learning_rate", float, "train.", where, pos, "a number > 0"),
            batch_size=read(t, "batch_size", as_integer, "train.", where, ge1, "an integer >= 1"),
            n_batches=read(t, "n_batches", as_integer, "train.", where, ge1, "an integer >= 1"),
            constant_lr_iterations=read(t, "constant_lr_iterations", as_integer, "train.", where, ge0,
                                        "an integer >= 0"),
            cosine_alpha=read(t, "cosine_alpha", float, "train.", where, unit, "a number in [0, 1]"),
            n_std_exclude=read(t, "n_std_exclude", float, "train.", where, ge0, "a number >= 0"),
            validation_eval_n=read(t, "validation_eval_n", as_integer, "train.", where, ge1, "an integer >= 1"),
        )


def _method(hps: Mapping[str, Any], part: int, where: str) -> AbstractMethod | None:
    """The context method of a part-2 tree (its own settings only); None in part 1, where a
    `context` section, if present, is ignored (it does not enter a part-1 identity)."""
    if part == 1:
        return None
    context = section(hps, "context", where)
    owned = tuple(k for cls in METHODS.values() for k in cls.SETTINGS)
    check_keys(context, ("method",) + owned, "context.", where)
    name = read(context, "method", str, "context.", where, lambda v: v in METHODS,
                "one of " + ", ".join(METHODS.names))
    cls = METHODS[name]
    for k in cls.SETTINGS:
        if k in context:
            read(context, k, float, "context.", where, expected="a number")
    try:
        return cls.from_settings(context)
    except ValueError as e:
        raise SpecError(f"{where}: context: {e}") from None


def as_train_spec(hps: "Mapping[str, Any] | TrainSpec") -> TrainSpec:
    """`hps` itself when it is a `TrainSpec`, else `TrainSpec.from_hps(hps)`."""
    return hps if isinstance(hps, TrainSpec) else TrainSpec.from_hps(hps)
