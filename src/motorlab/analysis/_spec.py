"""The evaluation spec: an explicit, validated object for one evaluation of one model.

Built once from the resolved evaluation tree an analysis plans (`motorlab.config.Evaluation.hps`)
and the model's resolved training tree; the tree stays what the evaluation's identity hashes.
`motorlab.evaluate(model, spec)` runs it.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ..sim._fields import FIELD_TYPES
from ..sim._impulses import CHANNELS, DIRECTION_MODES, FeedbackImpulse
from ..sim._specs import ModelSpec, SpecError, as_integer, section, as_model_spec, check_keys, read

_KEYS = ("eval_n", "seed", "task", "pert", "sisu", "model", "impulse", "n_steps")
_TASK_KEYS = ("grid_n", "n_directions", "reach_length")
_NOISE_KEYS = ("feedback_noise_std", "motor_noise_std")
_IMPULSE_KEYS = ("channel", "start", "duration", "direction", "amp")
_MODEL_KEYS = _NOISE_KEYS + ("feedback_delay_steps",)


@dataclasses.dataclass(frozen=True)
class EvalSpec:
    """One evaluation: a centre-out task variant × field amplitudes × context values.

    Attributes:
        model: the evaluated model's spec (environment and network).
        grid_n, n_directions, reach_length: the task variant (SPEC §1.2): reaches from the
            centres of a grid_n × grid_n grid in `n_directions` directions; length 0 holds still.
        field_type: a name of `FIELD_TYPES`. amplitudes: field amplitudes evaluated (≥ 1).
        sisu: context values held over a trial (part 2; required there), None in part 1.
        feedback_noise_std, motor_noise_std: evaluation noise; None = the training value.
        eval_n: evaluation repeats (independent noise samples; 1 is used without noise).
        seed: evaluation seed (the eval key of `make_keys(seed)`).
        impulse: feedback impulses added to every trial (SPEC §2.3), their amplitudes vmapped
            (conditions become impulse amplitude × [direction group] × field amplitude × SISU ×
            trial); None for none. Optional, so evaluations without it keep their trees.
        n_steps: trial length (states per trial) overriding the training value; None keeps it.
        feedback_delay_steps: evaluation feedback delay in steps; None = the training value. A
            model can take any integer delay 0 <= d <= n_steps - 2 (with more, no feedback from
            the trial would arrive before it ends).
    """

    model: ModelSpec
    grid_n: int
    n_directions: int
    reach_length: float
    field_type: str
    amplitudes: tuple[float, ...]
    sisu: tuple[float, ...] | None
    feedback_noise_std: float | None
    motor_noise_std: float | None
    eval_n: int
    seed: int
    impulse: FeedbackImpulse | None = None
    n_steps: int | None = None
    feedback_delay_steps: int | None = None

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        set_("amplitudes", tuple(float(a) for a in self.amplitudes))
        if self.sisu is not None:
            set_("sisu", tuple(float(s) for s in self.sisu))
        FIELD_TYPES[self.field_type]  # an unknown name raises the registry's error
        for name, ok, expected in (
                ("grid_n", self.grid_n >= 1, "an integer >= 1"),
                ("n_directions", self.n_directions >= 1, "an integer >= 1"),
                ("reach_length", self.reach_length >= 0, "a number >= 0"),
                ("amplitudes", len(self.amplitudes) >= 1, "at least one amplitude"),
                ("eval_n", self.eval_n >= 1, "an integer >= 1"),
                ("feedback_noise_std", self.feedback_noise_std is None or self.feedback_noise_std >= 0,
                 "a number >= 0 or None"),
                ("motor_noise_std", self.motor_noise_std is None or self.motor_noise_std >= 0,
                 "a number >= 0 or None"),
                ("n_steps", self.n_steps is None or self.n_steps >= 2, "an integer >= 2 or None"),
                ("impulse", self.impulse is None or isinstance(self.impulse, FeedbackImpulse),
                 "a FeedbackImpulse or None")):
            if not ok:
                raise SpecError(f"EvalSpec: {name} = {getattr(self, name)!r}; expected {expected}")
        delay = self.feedback_delay_steps
        n_steps = self.model.environment.n_steps if self.n_steps is None else self.n_steps
        if delay is not None and not (isinstance(delay, int) and not isinstance(delay, bool)
                                      and 0 <= delay <= n_steps - 2):
            raise SpecError(f"EvalSpec: feedback_delay_steps = {delay!r}; a model with n_steps {n_steps} can "
                            f"take an integer delay from 0 to {n_steps - 2} (model.feedback_delay_steps)")
        if self.model.n_context and not self.sisu:
            raise SpecError(f"EvalSpec: a part-2 model needs evaluation `sisu` values, got {self.sisu!r}")
        if not self.model.n_context and self.sisu is not None:
            raise SpecError(f"EvalSpec: a part-1 model takes no context input, got sisu={list(self.sisu)!r}; "
                            "expected None")
        if self.impulse is not None:
            try:
                self.impulse.check_fits(self.trial_steps)
            except ValueError as e:
                raise SpecError(f"EvalSpec: {e}") from None

    @property
    def trial_steps(self) -> int:
        """States per trial: `n_steps`, or the model's training trial length."""
        return self.model.environment.n_steps if self.n_steps is None else self.n_steps

    @classmethod
    def from_hps(cls, eval_hps: Mapping[str, Any], model_hps: "Mapping[str, Any] | ModelSpec") -> "EvalSpec":
        """Read a resolved evaluation tree: `eval_n`, `seed`, `task` {grid_n, n_directions,
        reach_length}, `pert` {type, amp: list}, `sisu` (list; ignored for a part-1 model, whose
        plan has none), optional `model` {feedback_noise_std, motor_noise_std,
        feedback_delay_steps} (null: the training value), optional `impulse` {channel, start,
        duration, direction, amp: list} (`impulse_from_hps`) and optional `n_steps` (null: the
        training value), for the model of `model_hps`."""
        where = "EvalSpec"
        model = as_model_spec(model_hps)
        check_keys(eval_hps, _KEYS, "", where)
        task, pert = section(eval_hps, "task", where), section(eval_hps, "pert", where)
        check_keys(task, _TASK_KEYS, "task.", where)
        check_keys(pert, ("type", "amp"), "pert.", where)
        noise = eval_hps.get("model") or {}
        check_keys(noise, _MODEL_KEYS, "model.", where)
        seq = lambda v: tuple(float(x) for x in v)  # noqa: E731
        sisu = eval_hps.get("sisu") if model.n_context else None
        return cls(
            model=model,
            grid_n=read(task, "grid_n", as_integer, "task.", where, lambda v: v >= 1, "an integer >= 1"),
            n_directions=read(task, "n_directions", as_integer, "task.", where, lambda v: v >= 1, "an integer >= 1"),
            reach_length=read(task, "reach_length", float, "task.", where, lambda v: v >= 0, "a number >= 0"),
            field_type=read(pert, "type", str, "pert.", where, lambda v: v in FIELD_TYPES,
                            "one of " + ", ".join(FIELD_TYPES.names)),
            amplitudes=read(pert, "amp", seq, "pert.", where, lambda v: len(v) >= 1, "a non-empty list of numbers"),
            sisu=None if sisu is None else read(eval_hps, "sisu", seq, "", where, expected="a list of numbers"),
            feedback_noise_std=_optional(noise, "feedback_noise_std", where),
            motor_noise_std=_optional(noise, "motor_noise_std", where),
            eval_n=read(eval_hps, "eval_n", as_integer, "", where, lambda v: v >= 1, "an integer >= 1"),
            seed=read(eval_hps, "seed", as_integer, "", where, lambda v: v >= 0, "an integer >= 0"),
            impulse=None if eval_hps.get("impulse") is None else impulse_from_hps(eval_hps["impulse"]),
            n_steps=None if eval_hps.get("n_steps") is None else read(
                eval_hps, "n_steps", as_integer, "", where, lambda v: v >= 2, "an integer >= 2 or null"),
            feedback_delay_steps=None if noise.get("feedback_delay_steps") is None else read(
                noise, "feedback_delay_steps", as_integer, "model.", where, lambda v: v >= 0, "an integer >= 0"),
        )

    @classmethod
    def steady_state(cls, model: ModelSpec, *, grid_n: int, sisu: Sequence[float] | None, eval_n: int,
                     seed: int, amplitudes: Sequence[float] = (0.0,), feedback_noise_std: float | None = None,
                     motor_noise_std: float | None = None, impulse: FeedbackImpulse | None = None,
                     n_steps: int | None = None) -> "EvalSpec":
        """Holding still on the grid_n × grid_n grid (reach length 0, one direction) under the
        model's own field type, optionally hit by feedback impulses."""
        return cls(model=model, grid_n=grid_n, n_directions=1, reach_length=0.0,
                   field_type=model.environment.field_type, amplitudes=tuple(amplitudes),
                   sisu=None if sisu is None else tuple(sisu), feedback_noise_std=feedback_noise_std,
                   motor_noise_std=motor_noise_std, eval_n=eval_n, seed=seed, impulse=impulse,
                   n_steps=n_steps)


def impulse_from_hps(node: Any, where: str = "EvalSpec") -> FeedbackImpulse:
    """A `FeedbackImpulse` from an evaluation tree's `impulse` {channel ("pos"/"vel"), start
    (control step >= 0), duration (steps >= 1), direction ("rand"/"xy"), amp (non-empty list of
    amplitudes > 0)}; a `SpecError` naming the bad key and the values expected."""
    if not isinstance(node, Mapping):
        raise SpecError(f"{where}: key 'impulse' must be a mapping with keys {', '.join(_IMPULSE_KEYS)}, "
                        f"got {node!r}")
    check_keys(node, _IMPULSE_KEYS, "impulse.", where)
    choice = lambda options: (lambda v: v in options, "one of " + ", ".join(map(repr, options)))  # noqa: E731
    amps = lambda v: tuple(float(x) for x in v)  # noqa: E731
    return FeedbackImpulse(
        channel=read(node, "channel", str, "impulse.", where, *choice(CHANNELS)),
        start=read(node, "start", as_integer, "impulse.", where, lambda v: v >= 0, "an integer step >= 0"),
        duration=read(node, "duration", as_integer, "impulse.", where, lambda v: v >= 1, "an integer >= 1"),
        direction=read(node, "direction", str, "impulse.", where, *choice(DIRECTION_MODES)),
        amplitudes=read(node, "amp", amps, "impulse.", where,
                        lambda v: len(v) >= 1 and all(a > 0 for a in v), "a non-empty list of numbers > 0"),
    )


def _optional(node: Mapping[str, Any], key: str, where: str) -> float | None:
    if node.get(key) is None:
        return None
    return read(node, key, float, "model.", where, lambda v: v >= 0, "a number >= 0 or null")
