"""Evaluation blocks: one model evaluated under several test conditions (SPEC §2.2 cross-type
fields; seed §5.7 train × test matrices across noise and feedback delay).

A block is a mapping of evaluation overrides, written dotted or nested:

* `pert.type`: `curl`, `constant`, `same` (the training type) or `other` (the other type:
  train curl → test constant and the reverse); null = same;
* `model.feedback_noise_std`, `model.motor_noise_std`: evaluation noise; null = training value;
* `model.feedback_delay_steps`: evaluation feedback delay (an integer 0 … n_steps − 2, see
  `EvalSpec`); null = training value.

`resolve_block` fills the nulls from the model and names any bad key or value by its config path.
`block_measures` evaluates every block of a model and returns one Measures table with the test
condition in the columns `test`, `test_pert_type`, `test_noise` and `test_delay`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd

from ._evaluate import evaluate
from ._spec import EvalSpec

BLOCK_KEYS: Final = ("pert.type", "model.feedback_noise_std", "model.motor_noise_std", "model.feedback_delay_steps")
FIELD_CHOICES: Final = ("curl", "constant", "same", "other")
OTHER_TYPE: Final = {"curl": "constant", "constant": "curl"}


def _dotted(node: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_dotted(value, path + "."))
        else:
            out[path] = value
    return out


def resolve_block(block: Any, model_hps: Mapping[str, Any], path: str) -> dict[str, Any]:
    """The test condition of one block for one model, every null filled from its training values.

    Arguments:
        block: the block's overrides (see the module docstring).
        model_hps: the model's resolved training hyperparameters.
        path: the block's config path (e.g. `part1.analyses.cross_eval.blocks[0]`), named in errors.

    Returns:
        `{"pert_type", "feedback_noise_std", "motor_noise_std", "feedback_delay_steps"}`.

    Raises:
        ValueError: naming `path` and the key, for an unknown key, a field type not in
            `FIELD_CHOICES`, a negative noise, or a delay the model cannot take.
    """
    if block is None:
        block = {}
    if not isinstance(block, Mapping):
        raise ValueError(f"{path}: got {block!r}; expected a mapping of overrides with keys {', '.join(BLOCK_KEYS)}")
    flat = _dotted(block)
    unknown = [k for k in flat if k not in BLOCK_KEYS]
    if unknown:
        raise ValueError(f"{path}: unknown override {unknown[0]!r}; expected some of {', '.join(BLOCK_KEYS)}")
    trained, model = model_hps["pert"]["type"], model_hps["model"]
    kind = flat.get("pert.type") or "same"
    if kind not in FIELD_CHOICES:
        raise ValueError(f"{path}.pert.type: got {kind!r}; expected one of {', '.join(FIELD_CHOICES)} or null")
    out = {"pert_type": {"same": trained, "other": OTHER_TYPE[trained]}.get(kind, kind)}
    for key in ("feedback_noise_std", "motor_noise_std"):
        value = flat.get(f"model.{key}")
        value = model[key] if value is None else value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{path}.model.{key}: got {value!r}; expected a number >= 0 or null")
        out[key] = float(value)
    delay, n_steps = flat.get("model.feedback_delay_steps"), int(model_hps["plant"]["n_steps"])
    delay = model["feedback_delay_steps"] if delay is None else delay
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or float(delay) != int(delay) \
            or not 0 <= delay <= n_steps - 2:
        raise ValueError(f"{path}.model.feedback_delay_steps: got {delay!r}; a model with plant.n_steps "
                         f"{n_steps} can take an integer delay from 0 to {n_steps - 2}")
    out["feedback_delay_steps"] = int(delay)
    return out


def matrix_blocks(pert_types: Sequence[str], noise: Sequence[float], delay: Sequence[int]) -> list[dict]:
    """The blocks of a test grid: every field type × noise (feedback and motor together) × delay;
    an empty list stands for the training value."""
    return [{"pert": {"type": t}, "model": {"feedback_noise_std": n, "motor_noise_std": n,
                                            "feedback_delay_steps": d}}
            for t, n, d in itertools.product(pert_types or [None], noise or [None], delay or [None])]


def block_label(test: Mapping[str, Any]) -> str:
    """A readable, filesystem-safe name of a resolved test condition, e.g. `constant_noise-0.1_delay-2`."""
    noise = f"{test['feedback_noise_std']:g}"
    if test["motor_noise_std"] != test["feedback_noise_std"]:
        noise += f",{test['motor_noise_std']:g}"
    return f"{test['pert_type']}_noise-{noise}_delay-{test['feedback_delay_steps']}"


def block_hps(base: Mapping[str, Any], amp: Mapping[str, Sequence[float]], test: Mapping[str, Any]) -> dict:
    """The `EvalSpec` tree of one block: `base` ({eval_n, seed, task, sisu}) with the block's
    field type, its amplitudes `amp[type]` and its noise and delay."""
    return {**base, "pert": {"type": test["pert_type"], "amp": [float(a) for a in amp[test["pert_type"]]]},
            "model": {k: test[k] for k in ("feedback_noise_std", "motor_noise_std", "feedback_delay_steps")}}


def block_measures(model, model_hps: Mapping[str, Any], blocks: Sequence[Mapping[str, Any]], *, included,
                   names: Sequence[str] | None = None) -> pd.DataFrame:
    """Evaluate `model` on every block and compute its measures.

    Arguments:
        model: the replicate ensemble.
        model_hps: its training hyperparameters.
        blocks: `{"test": resolved test condition, "hps": EvalSpec tree}` per block.
        included: per-replicate booleans of the post-training selection.
        names: measures wanted (`plant_perts.measures_table`); None for all.

    Returns:
        The blocks' Measures tables concatenated, with `test` (the block label), `test_pert_type`,
        `test_noise` (feedback noise), `test_motor_noise` and `test_delay` columns.
    """
    from ._plant_perts import measures_table  # the plant_perts measure set (imports this module)

    tables = []
    for block in blocks:
        test = block["test"]
        evaluated = evaluate(model, EvalSpec.from_hps(block["hps"], model_hps), included=included)
        table = measures_table(evaluated.to_frame(), names)
        tables.append(table.assign(test=block_label(test), test_pert_type=test["pert_type"],
                                   test_noise=test["feedback_noise_std"], test_motor_noise=test["motor_noise_std"],
                                   test_delay=test["feedback_delay_steps"]))
    if not tables:
        raise ValueError("no evaluation blocks; expected at least one")
    return pd.concat(tables, ignore_index=True)
