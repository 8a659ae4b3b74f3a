"""Helpers that analyses share to plan evaluations from settings and a model's hyperparameters."""

from collections.abc import Mapping
from typing import Any


def noise(settings: Mapping[str, Any], hps: Mapping[str, Any]) -> dict[str, float]:
    """Evaluation noise: `settings.model.<key>`, or the training value where that is null."""
    override = settings.get("model") or {}
    return {k: hps["model"][k] if override.get(k) is None else override[k]
            for k in ("feedback_noise_std", "motor_noise_std")}


def eval_n(settings: Mapping[str, Any], noise_std: Mapping[str, float]) -> int:
    """Evaluation repeats: `settings.eval_n`, or 1 without noise, when every repeat is the same
    trial (SPEC §1.9)."""
    return 1 if all(v == 0 for v in noise_std.values()) else int(settings["eval_n"])


def sisu(settings: Mapping[str, Any], hps: Mapping[str, Any]) -> list[float] | None:
    """The context (SISU) values of the evaluation: `settings.sisu` in part 2, None in part 1."""
    return list(settings["sisu"]) if hps["part"] == 2 else None


def fill_nulls(node: Any, model_node: Any) -> Any:
    """`node` with each null replaced by the model's value at the same key path."""
    if isinstance(node, Mapping):
        return {k: fill_nulls(v, model_node.get(k) if isinstance(model_node, Mapping) else None)
                for k, v in node.items()}
    return model_node if node is None else node
