"""The words of model and figure-group labels: `std-1.0`, `lr-0.001`, `pai-asf` (a string
value stands alone), `where1000-cell` (one entry of a `train.where` schedule)."""

import re
from typing import Any

__all__ = ["safe_name", "word"]

_SHORT = {
    "model.feedback_noise_std": "fbnoise",
    "model.motor_noise_std": "motnoise",
    "model.feedback_delay_steps": "delay",
    "model.hidden_size": "hidden",
    "model.n_replicates": "reps",
    "pert.std": "std",
    "plant.n_steps": "steps",
    "train.n_batches": "batches",
    "train.batch_size": "batch",
    "train.learning_rate": "lr",
    "context.p_perturbed": "p",
    "context.sisu_noise_std": "sisunoise",
    "train.n_batches_baseline": "baseline", "train.n_scaleup_batches": "scaleup",
    "train.optimizer_reset_iterations": "resets", "train.weight_decay": "wd", "train.validation_loss_every": "valevery",
}


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(_fmt(v) for v in value)
    return "none" if value is None else str(value)


def safe_name(text: str) -> str:
    """`text` with every character other than letters, digits, `.`, `,`, `+`, `-` and `_` as `-`."""
    return re.sub(r"[^A-Za-z0-9.,+_-]", "-", text)


def word(key: str, value: Any) -> str:
    """The label word of one varying key and its value (`_SHORT` abbreviates some keys)."""
    if key.startswith("train.where."):  # one entry of a schedule: the groups training from there
        return safe_name(f"where{key.rsplit('.', 1)[-1]}-{_fmt(value)}")
    if isinstance(value, str):
        return safe_name(value)
    return safe_name(f"{_SHORT.get(key, key.rsplit('.', 1)[-1])}-{_fmt(value)}")
