"""The study config's `workflow:` section: how the workflow runs the study, never what it computes.

None of these settings enters an identity (a model trained alone or with 15 others, in one
dispatch per iteration or per ten, is the same model), so changing them retrains nothing that
exists. They live in the study config rather than on the command line because they describe a
machine and a study together (how many of *these* models fit one job on *that* device).

    workflow:
      models_per_job: auto       # or an integer >= 1: models trained in one compiled step per job
      bucket_memory_mb: 8000     # a job's estimated training memory stays under this
      iterations_per_dispatch: 10
"""

import dataclasses
from collections.abc import Mapping
from typing import Any

from ._errors import ConfigError

#: The top-level key of the section.
WORKFLOW_KEY = "workflow"

_HELP = {
    "models_per_job": "'auto' or an integer >= 1",
    "bucket_memory_mb": "a number > 0 (megabytes)",
    "iterations_per_dispatch": "an integer >= 1",
}


@dataclasses.dataclass(frozen=True)
class WorkflowSettings:
    """How the workflow trains (none of it is part of any identity).

    Attributes:
        models_per_job: models (of one bucket key) trained together in one job and one compiled
            step; "auto" picks 1 on a host without an accelerator (measured: no faster on CPU,
            see README "Benchmarks") and 16 with one (`train._plan.resolve_models_per_job`).
        bucket_memory_mb: the estimated training memory of one job's models stays under this;
            larger groups are chunked (`train._plan.estimate_model_bytes`).
        iterations_per_dispatch: training iterations per compiled dispatch in a bucket (losses
            reach the host once per dispatch); the results do not depend on it.
    """

    models_per_job: int | str = "auto"
    bucket_memory_mb: float = 8000.0
    iterations_per_dispatch: int = 10


def workflow_settings(section: Any, errors: list[str] | None = None) -> WorkflowSettings:
    """Read and check a `workflow:` section (None or missing keys: the defaults).

    Arguments:
        section: the section's mapping.
        errors: collect problems here instead of raising.

    Raises:
        ConfigError: naming each bad key, its value and what was expected (when `errors` is None).
    """
    problems: list[str] = []
    if section is None:
        section = {}
    if not isinstance(section, Mapping):
        problems.append(f"{WORKFLOW_KEY}: got {section!r}; expected a mapping with keys "
                        + ", ".join(_HELP))
        section = {}
    values = {}
    for key, value in section.items():
        path = f"{WORKFLOW_KEY}.{key}"
        if key not in _HELP:
            problems.append(f"{path}: unknown key {key!r}; expected one of " + ", ".join(_HELP))
            continue
        is_int = isinstance(value, int) and not isinstance(value, bool)
        ok = {"models_per_job": value == "auto" or (is_int and value >= 1),
              "bucket_memory_mb": (is_int or isinstance(value, float)) and value > 0,
              "iterations_per_dispatch": is_int and value >= 1}[key]
        if not ok:
            problems.append(f"{path}: got {value!r}; expected {_HELP[key]}")
            continue
        values[key] = float(value) if key == "bucket_memory_mb" else value
    if problems:
        if errors is None:
            raise ConfigError(problems)
        errors.extend(problems)
    return WorkflowSettings(**values)
