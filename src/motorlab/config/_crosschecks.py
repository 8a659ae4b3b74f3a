"""Checks of a training tree that involve more than one key (after each leaf is checked)."""

from collections.abc import Mapping
from typing import Any

from ..sim._controllers import CONTROLLERS


def cross_check_train(out: Mapping[str, Any], path: str, errors: list[str]) -> None:
    """Append to `errors` what the leaf rules cannot see: the constant-LR phase within
    `train.n_batches`, `model.tau >= plant.dt` for leaky networks, and a workspace whose low
    corner is below its high corner (x_min < x_max, y_min < y_max)."""
    try:
        if out["train"]["constant_lr_iterations"] > out["train"]["n_batches"]:
            errors.append(f"{path}.train.constant_lr_iterations: got {out['train']['constant_lr_iterations']}; "
                          f"expected at most train.n_batches ({out['train']['n_batches']})")
    except (KeyError, TypeError):
        pass  # already reported
    try:
        model, dt = out["model"], out["plant"]["dt"]
        if "tau" in CONTROLLERS[model["kind"]].model_keys and not model["tau"] >= dt:
            errors.append(f"{path}.model.tau: got {model['tau']!r}; expected at least plant.dt "
                          f"({dt!r}) for model.kind {model['kind']!r} (alpha = dt/tau <= 1)")
    except (KeyError, TypeError):
        pass  # already reported
    try:
        (x0, y0), (x1, y1) = out["plant"]["workspace"]
        if not (x0 < x1 and y0 < y1):
            errors.append(f"{path}.plant.workspace: got {out['plant']['workspace']!r}; expected "
                          f"[[x_min, y_min], [x_max, y_max]] with x_min < x_max and y_min < y_max")
    except (KeyError, TypeError, ValueError):
        pass  # already reported
