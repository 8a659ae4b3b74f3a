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
OPTION_KEYS = ("where", "n_batches_baseline", "n_scaleup_batches", "optimizer_reset_iterations",
               "weight_decay", "validation_loss_every")
"""The SPEC §1.5 training options (`_options`): `train.*` keys that may be absent, meaning off
(a resolved tree leaves them out when they are off, so that they do not enter its identity)."""

PARAM_GROUPS = ("cell", "readout")
"""The parameter groups of every controller (`AbstractController.cell`, `.readout`): what
`train.where` names."""

Schedule = tuple[tuple[int, tuple[str, ...]], ...]


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
        where: the trainable set by iteration, `((iteration, groups), ...)` in increasing
            iteration; every group trains before the first entry; () = always all.
        n_batches_baseline: pre-training iterations at σ = 0, before the `n_batches`.
        n_scaleup_batches: main iterations over which σ ramps up (0: none).
        optimizer_reset_iterations: iterations at which Adam's moments restart from zero.
        weight_decay: AdamW's decoupled weight decay (0: Adam).
        validation_loss_every: the loss on the fixed validation set is recorded every this many
            iterations (0: never).

    The options' iterations count from the start of the run, baseline included (see `_options`).
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
    where: Schedule = ()
    n_batches_baseline: int = 0
    n_scaleup_batches: int = 0
    optimizer_reset_iterations: tuple[int, ...] = ()
    weight_decay: float = 0.0
    validation_loss_every: int = 0

    def __post_init__(self):
        if (self.method is None) != (self.model.part == 1):
            raise SpecError(f"TrainSpec: a part-{self.model.part} model "
                            + ("takes no context method" if self.model.part == 1 else "needs a context method")
                            + f", got {self.method!r}")
        if self.constant_lr_iterations > self.n_batches:
            raise SpecError(f"TrainSpec: train.constant_lr_iterations = {self.constant_lr_iterations}; "
                            f"expected at most train.n_batches ({self.n_batches})")
        for message in option_problems(self.where, self.n_batches_baseline + self.n_batches,
                                       self.n_scaleup_batches, self.n_batches,
                                       self.optimizer_reset_iterations):
            raise SpecError(f"TrainSpec: {message}")

    @classmethod
    def from_hps(cls, hps: Mapping[str, Any]) -> "TrainSpec":
        """Read a resolved training tree (`defaults/train.yaml` layout; `context` only in part 2)."""
        where = "TrainSpec"
        check_keys(hps, _SECTIONS, "", where)
        model = ModelSpec.from_hps(hps)
        t = section(hps, "train", where)
        check_keys(t, _TRAIN_KEYS + OPTION_KEYS, "train.", where)
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
            **_options(t, where),
        )


def _options(t: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The options of a `train` tree; an absent key is off."""
    ge0 = lambda v: v >= 0  # noqa: E731
    opt = lambda key, convert, check, expected: (  # noqa: E731
        read(t, key, convert, "train.", where, check, expected) if t.get(key) is not None else None)
    resets = t.get("optimizer_reset_iterations")
    if resets is not None and not isinstance(resets, (list, tuple)):
        raise SpecError(f"{where}: key 'train.optimizer_reset_iterations' = {resets!r}; expected a list "
                        f"of integers >= 1")
    return {
        "where": _where(t.get("where"), where),
        "n_batches_baseline": opt("n_batches_baseline", as_integer, ge0, "an integer >= 0") or 0,
        "n_scaleup_batches": opt("n_scaleup_batches", as_integer, ge0, "an integer >= 0") or 0,
        "optimizer_reset_iterations": tuple(sorted({_reset_iteration(v, where) for v in resets or ()})),
        "weight_decay": opt("weight_decay", float, ge0, "a number >= 0") or 0.0,
        "validation_loss_every": opt("validation_loss_every", as_integer, ge0, "an integer >= 0") or 0,
    }


def _where(value: Any, where: str) -> Schedule:
    try:
        return parse_where(value)
    except SpecError as e:
        raise SpecError(f"{where}: {e}") from None


def _reset_iteration(value: Any, where: str) -> int:
    try:
        it = None if isinstance(value, bool) else as_integer(value)
    except (TypeError, ValueError):
        it = None
    if it is None or it < 1:
        raise SpecError(f"{where}: key 'train.optimizer_reset_iterations' has {value!r}; expected "
                        f"integers >= 1")
    return it


def parse_where(value: Any, key: str = "train.where") -> Schedule:
    """A `train.where` value (`{iteration: [group, ...]}`, keys integers or their text; None or
    `{}`: off) as a canonical schedule: sorted, groups sorted and unique, entries that change
    nothing dropped (every group trains before the first entry), so `{0: [cell, readout]}` is ().

    Raises:
        SpecError: naming the key (`key`, or `key.<iteration>`), the value and what was expected.
    """
    groups_text = f"a non-empty list of parameter groups among {', '.join(PARAM_GROUPS)}"
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise SpecError(f"{key}: got {value!r}; expected a mapping of iterations to lists of parameter "
                        f"groups ({', '.join(PARAM_GROUPS)}), or null")
    entries = []
    for k, groups in value.items():
        try:
            it = None if isinstance(k, bool) else as_integer(k)
        except (TypeError, ValueError):
            it = None
        if it is None or it < 0:
            raise SpecError(f"{key}: got the iteration {k!r}; expected iterations that are integers >= 0")
        if (not isinstance(groups, (list, tuple)) or not groups
                or not all(isinstance(g, str) and g in PARAM_GROUPS for g in groups)):
            raise SpecError(f"{key}.{k}: got {groups!r}; expected {groups_text}")
        entries.append((it, tuple(sorted(set(groups)))))
    its = sorted(it for it, _ in entries)
    if len(set(its)) != len(its):
        raise SpecError(f"{key}: got the iterations {its}; expected each iteration once")
    out, current = [], PARAM_GROUPS
    for it, groups in sorted(entries):
        if groups != current:
            out.append((it, groups))
            current = groups
    return tuple(out)


def option_problems(where: Schedule, n_total: int, n_scaleup: int, n_batches: int,
                    resets: tuple[int, ...]) -> list[str]:
    """What the options' ranges break (messages name the key, the value and what was expected)."""
    out = []
    for it, _ in where:
        if it >= n_total:
            out.append(f"train.where: got iteration {it}; expected iterations below "
                       f"train.n_batches_baseline + train.n_batches ({n_total})")
    if n_scaleup > n_batches:
        out.append(f"train.n_scaleup_batches: got {n_scaleup}; expected at most train.n_batches ({n_batches})")
    for it in resets:
        if it >= n_total:
            out.append(f"train.optimizer_reset_iterations: got {it}; expected iterations below "
                       f"train.n_batches_baseline + train.n_batches ({n_total})")
    return out


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
