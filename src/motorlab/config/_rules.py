"""What each configuration key accepts beyond its default's type: `Leaf` (a type, then choices,
bounds, nullability), the training rules (`_TRAIN_RULES`, by dotted key) and the analysis rules
(`_ANALYSIS_RULES`, by path under the analyses root, `*` for any analysis).

Adding an analysis with settings that need more than their default's type (a range, choices,
nullability): add its rules to `_ANALYSIS_RULES` here.
"""

import dataclasses
import re

from ..sim._controllers import CONTROLLERS
from ..sim._fields import FIELD_TYPES
from ..sim._plant import DISCRETISATIONS
from ..train._methods import METHODS as METHOD_CLASSES

# Choice lists come from the library's registries: a new field type or method validates as soon
# as its class is registered.
PERT_TYPES = FIELD_TYPES.names
METHODS = METHOD_CLASSES.names
MODEL_KINDS = tuple(CONTROLLERS)
SEED_MAX = 2**32 - 1


@dataclasses.dataclass(frozen=True)
class Leaf:
    """What one leaf accepts: a type, then optional choices, bounds and nullability."""

    type: type
    choices: tuple = ()
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    nullable: bool = False
    element: "Leaf | None" = None
    length: int | None = None
    nonempty: bool = False

    def describe(self) -> str:
        if self.choices:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.type is list:
            inner = self.element.describe() if self.element else "values"
            size = f"{self.length} " if self.length else ""
            text = f"a {'non-empty ' if self.nonempty else ''}list of {size}{_plural(inner)}"
        else:
            text = {float: "a number", int: "an integer", str: "a string", bool: "true or false"}[self.type]
            bounds = [f">= {_num(self.ge)}" if self.ge is not None else "",
                      f"> {_num(self.gt)}" if self.gt is not None else "",
                      f"<= {_num(self.le)}" if self.le is not None else ""]
            text = " ".join([text, " and ".join(b for b in bounds if b)]).strip()
        return text + (" or null" if self.nullable else "")


def _plural(text: str) -> str:
    for single, many in (("a number", "numbers"), ("an integer", "integers"), ("a list of", "lists of")):
        if text.startswith(single):
            return many + text[len(single):]
    return text


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


_FLOAT_GE0 = Leaf(float, ge=0)
_INT_GE1 = Leaf(int, ge=1)
_FLOATS = Leaf(list, element=Leaf(float), nonempty=True)  # evaluation values: [] would evaluate nothing

_TRAIN_RULES: dict[str, Leaf | str] = {
    "part": Leaf(int, choices=(1, 2)),
    "seed": Leaf(int, ge=0, le=SEED_MAX),  # JAX keys take 32-bit seeds: 2**32 would wrap to 0
    "plant.dt": Leaf(float, gt=0),
    "plant.n_steps": Leaf(int, ge=2),
    "plant.mass": Leaf(float, gt=0),
    "plant.damping": _FLOAT_GE0,
    "plant.discretisation": Leaf(str, choices=DISCRETISATIONS),
    "plant.workspace": Leaf(list, length=2, element=Leaf(list, length=2, element=Leaf(float))),
    "model.kind": Leaf(str, choices=MODEL_KINDS),
    "model.hidden_size": _INT_GE1,
    "model.tau": Leaf(float, gt=0),
    "model.n_replicates": _INT_GE1,
    "model.feedback_delay_steps": Leaf(int, ge=0),
    "model.feedback_noise_std": _FLOAT_GE0,
    "model.motor_noise_std": _FLOAT_GE0,
    "model.motor_noise_additive_ratio": _FLOAT_GE0,
    "pert.type": Leaf(str, choices=PERT_TYPES),
    "pert.std": _FLOAT_GE0,
    "context.method": Leaf(str, choices=METHODS),
    "context.p_perturbed": Leaf(float, ge=0, le=1),
    "context.sisu_noise_std": _FLOAT_GE0,
    "loss.position": _FLOAT_GE0,
    "loss.discount_power": _FLOAT_GE0,
    "loss.final_velocity": _FLOAT_GE0,
    "loss.control": _FLOAT_GE0,
    "loss.hidden": _FLOAT_GE0,
    "loss.readout_norm": _FLOAT_GE0,
    "loss.readout_norm_value": _FLOAT_GE0,
    "train.learning_rate": Leaf(float, gt=0),
    "train.batch_size": _INT_GE1,
    "train.n_batches": _INT_GE1,
    "train.constant_lr_iterations": Leaf(int, ge=0),
    "train.cosine_alpha": Leaf(float, ge=0, le=1),
    "train.n_std_exclude": _FLOAT_GE0,
    "train.validation_eval_n": _INT_GE1,
    # the SPEC §1.5 options (off by default; see `relevant_hps` for their identity)
    "train.where": "where",
    "train.n_batches_baseline": Leaf(int, ge=0),
    "train.n_scaleup_batches": Leaf(int, ge=0),
    "train.optimizer_reset_iterations": "iterations",
    "train.weight_decay": _FLOAT_GE0,
    "train.validation_loss_every": Leaf(int, ge=0),
}
"""Rules by dotted key: a `Leaf`, or the name of a special check in `_schema._SPECIAL` (a value
that is more than one leaf: `train.where`'s schedule, a list of iterations)."""

MAPPING_VALUES = ("train.where",)
"""Training keys whose one value is a mapping (`{1000: [cell]}`): a spread does not read its
keys as nested config keys, and a list of such mappings is an axis."""

_TASK = {"grid_n": _INT_GE1, "n_directions": _INT_GE1, "reach_length": _FLOAT_GE0}
_VARIANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")

# Paths relative to the analyses root; "*" stands for any analysis.
_ANALYSIS_RULES: dict[str, Leaf | str] = {
    "*.train": "filter",
    "*.compare": "compare",
    "*.sisu": _FLOATS,
    "plant_perts.tasks": "tasks",
    "plant_perts.eval_n": _INT_GE1,
    "plant_perts.pert.type": Leaf(str, choices=PERT_TYPES, nullable=True),
    "plant_perts.pert.amp.curl": _FLOATS,
    "plant_perts.pert.amp.constant": _FLOATS,
    "*.model.feedback_noise_std": Leaf(float, ge=0, nullable=True),
    "*.model.motor_noise_std": Leaf(float, ge=0, nullable=True),
    "fixed_points.eval_n": _INT_GE1,
    "fixed_points.grid_n": _INT_GE1,
    "fixed_points.candidate_stride": _INT_GE1,
    "fixed_points.n_pcs": _INT_GE1,
    "fixed_points.slow_regions.q_threshold": Leaf(float, gt=0),
    "fixed_points.feedback.amplitudes": _FLOATS,
    "fixed_points.feedback.n_starts": _INT_GE1,
    "fixed_points.solver_curves.n_starts": Leaf(int, ge=0),
    "fixed_points.reach.eval_n": _INT_GE1,
    "fixed_points.reach.candidate_stride": _INT_GE1,
    "fixed_points.feedback.jitter": _FLOAT_GE0,
    "fixed_points.slow_regions.fp_radius": Leaf(float, gt=0),
    "fp_training.n_warm": _INT_GE1,
    "fp_training.match_distance": Leaf(float, gt=0),
    "fp_training.max_steps": _INT_GE1,
    "fixed_points.continuation.n_points": Leaf(int, ge=0),
    "fixed_points.continuation.fold_curves.block": Leaf(str, choices=("target_pos", "target_vel", "fb_pos", "fb_vel"),
                                                       nullable=True),
    "fixed_points.continuation.fold_curves.range": Leaf(list, element=Leaf(float), length=2),
    "fixed_points.continuation.fold_curves.index": Leaf(int, ge=0),
    # the analyses inside the network (issue 10)
    "sisu_pert.tasks": "tasks",
    "sisu_pert.eval_n": _INT_GE1,
    "sisu_pert.step": Leaf(int, ge=0),
    "sisu_pert.final": _FLOATS,
    "sisu_pert.n_units_shown": _INT_GE1,
    "eigvec_stim.task.grid_n": _INT_GE1,
    "eigvec_stim.kinds": Leaf(list, element=Leaf(str, choices=("least_stable", "oscillatory", "most_stable")), nonempty=True),
    "eigvec_stim.n_random": _INT_GE1,
    "eigvec_stim.n_units": _INT_GE1,
    "eigvec_stim.norm": _FLOAT_GE0,
    "eigvec_stim.start": Leaf(int, ge=0),
    "eigvec_stim.window": _INT_GE1,
    "*.chunk": _INT_GE1,
    "*.units": Leaf(list, element=Leaf(int, ge=0), nullable=True),
    "*.pert.type": Leaf(str, choices=PERT_TYPES, nullable=True),
    "*.pert.amp.curl": _FLOATS,
    "*.pert.amp.constant": _FLOATS,
}
