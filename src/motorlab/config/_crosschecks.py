"""Checks of a training tree that involve more than one key (after each leaf is checked), and the
notice for a part that trains at the packaged full scale."""

from collections.abc import Mapping
from typing import Any

from ..sim._controllers import CONTROLLERS
from ..train._spec import SpecError, option_problems, parse_where


def cross_check_train(out: Mapping[str, Any], path: str, errors: list[str]) -> None:
    """Append to `errors` what the leaf rules cannot see: the constant-LR phase within
    `train.n_batches`, the training options' iterations within the run (and the scale-up within
    `train.n_batches`), `model.tau >= plant.dt` for leaky networks, and a workspace whose low
    corner is below its high corner (x_min < x_max, y_min < y_max)."""
    try:
        if out["train"]["constant_lr_iterations"] > out["train"]["n_batches"]:
            errors.append(f"{path}.train.constant_lr_iterations: got {out['train']['constant_lr_iterations']}; "
                          f"expected at most train.n_batches ({out['train']['n_batches']})")
    except (KeyError, TypeError):
        pass  # already reported
    try:
        t = out["train"]
        n_total = t["n_batches_baseline"] + t["n_batches"]
        where = parse_where(t["where"])
        errors.extend(f"{path}.{m}" for m in option_problems(
            where, n_total, t["n_scaleup_batches"], t["n_batches"], tuple(t["optimizer_reset_iterations"])))
    except (KeyError, TypeError, SpecError):
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


def full_scale_notice(part: str, hps: Mapping[str, Any]) -> str:
    """The notice for a part without a `train:` block: its models use the packaged full-scale
    training, which takes hours per model on a CPU."""
    model, train = hps["model"], hps["train"]
    return (f"{part} has no `train:` block, so each model trains at the packaged full scale: "
            f"{model['n_replicates']} replicates x {train['n_batches']:,} batches of {train['batch_size']} "
            f"trials, hidden size {model['hidden_size']} (hours per model on a CPU); give {part}.train "
            f"(see config/demo.yaml) for a smaller run")
