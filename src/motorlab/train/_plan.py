"""Which models share a training job: the workflow's plan of buckets.

Only models still to train are planned (a trained study that gains one model trains that model
alone). They are grouped by `bucket_key` (same shapes and code, differing only in σ and seed);
a group is cut into chunks of at most `models_per_job` models whose estimated training memory
stays under the budget. Each chunk of two or more is a bucket, named by `bucket_id` (a hash of
its sorted member ids); a model left alone trains by itself, as before buckets existed.

Pure Python over resolved training trees: the workflow calls it while building its job graph.
"""

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from ._bucket import bucket_key, unsupported_options
from ._spec import as_train_spec

#: `models_per_job: auto` on a host with an accelerator (16 SPEC models of 5 replicates need about
#: 7.4 GB by `estimate_model_bytes`; an H200 step of 5 replicates costs 1.19x one replicate).
AUTO_MODELS_PER_JOB_ACCELERATOR = 16

#: 4-byte floats kept per trial, step and replicate for the backward pass, per hidden unit and
#: in all, and the factor for XLA's workspace. The step is rematerialised (`simulate_trials(...,
#: remat=True)`), so the backward pass keeps each step's carry (hidden state, plant state,
#: delayed feedback), about 2 floats per hidden unit plus 32; the factor of 4 covers the
#: recomputed step, the gradients and XLA's buffers. Checked against the peak memory of
#: `bench/train_throughput.py --models` (README, Benchmarks).
_FLOATS_PER_HIDDEN, _FLOATS_FIXED, _WORKSPACE_FACTOR = 2, 32, 4


def bucket_id(model_ids) -> str:
    """The name of a bucket: 16 hex digits of the SHA-256 of its sorted member ids."""
    ids = sorted(model_ids)
    if not ids:
        raise ValueError("bucket_id: expected at least one model id, got none")
    return hashlib.sha256(",".join(ids).encode()).hexdigest()[:16]


def estimate_model_bytes(hps) -> int:
    """Estimated device memory of training one model (all its replicates) in a bucket, in bytes:
    parameters with Adam's two moments and the gradient (4 copies), and the backward pass's
    saved carries, replicates × batch × steps × (2·hidden + 32) floats, times 4 for workspace."""
    spec = as_train_spec(hps)
    hidden, n_rep = spec.model.hidden_size, spec.model.n_replicates
    n_steps = spec.model.environment.n_steps
    params = n_rep * (3 * hidden * (hidden + 16) + 8 * hidden)  # GRU gates + readout, roughly
    activations = n_rep * spec.batch_size * n_steps * (_FLOATS_PER_HIDDEN * hidden + _FLOATS_FIXED)
    return 4 * (4 * params + _WORKSPACE_FACTOR * activations)


def accelerator_present() -> bool:
    """Whether this host has a GPU that JAX could use (NVIDIA or AMD device files), without
    starting JAX's backend (the workflow's planner runs on a login node, before any job)."""
    dev = Path("/dev")
    return any(dev.glob("nvidia[0-9]*")) or (dev / "kfd").exists()


def resolve_models_per_job(setting, *, accelerator: bool | None = None) -> int:
    """`models_per_job` as a number: an integer stays; "auto" is 1 without an accelerator (on CPU
    a bucket is no faster, see README "Benchmarks") and `AUTO_MODELS_PER_JOB_ACCELERATOR` with one.
    The environment variable MOTORLAB_MODELS_PER_JOB overrides "auto" (e.g. on a cluster whose
    login node has no GPU but whose training jobs do)."""
    if setting != "auto":
        return int(setting)
    env = os.environ.get("MOTORLAB_MODELS_PER_JOB")
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"MOTORLAB_MODELS_PER_JOB = {env!r}; expected an integer >= 1")
        return int(env)
    accelerator = accelerator_present() if accelerator is None else accelerator
    return AUTO_MODELS_PER_JOB_ACCELERATOR if accelerator else 1


def plan_buckets(models: Mapping[str, Mapping], *, models_per_job: int, memory_mb: float,
                 label: str = "") -> tuple[dict[str, list[str]], list[str]]:
    """Group the models still to train into buckets.

    Arguments:
        models: model id -> resolved training tree, of the models to train (not the trained ones).
        models_per_job: most models in one bucket (1: no buckets).
        memory_mb: a bucket's `estimate_model_bytes` sum stays under this (a model alone may
            exceed it; it then trains alone).
        label: prefix of the notices (e.g. the part).

    Returns:
        `(buckets, notices)`: bucket id -> sorted member ids (only buckets of two or more), and
        one notice per group of models that could not share a step with the others, or that the
        memory budget cut smaller than `models_per_job`.
    """
    if isinstance(models_per_job, bool) or not isinstance(models_per_job, int) or models_per_job < 1:
        raise ValueError(f"models_per_job = {models_per_job!r}; expected an integer >= 1")
    if not memory_mb > 0:
        raise ValueError(f"bucket_memory_mb = {memory_mb!r}; expected a number > 0")
    if models_per_job == 1 or len(models) < 2:
        return {}, []
    groups: dict[str, list[str]] = {}
    notices = []
    prefix = f"{label}: " if label else ""
    alone = {mid: unsupported_options(models[mid]) for mid in sorted(models)}
    alone = {mid: why for mid, why in alone.items() if why}
    if alone:
        options = sorted({o for why in alone.values() for o in why})
        notices.append(f"{prefix}{len(alone)} models use {', '.join(options)}, which a bucket does not "
                       f"implement; they train alone")
    for mid in sorted(models):
        if mid not in alone:
            groups.setdefault(bucket_key(models[mid]), []).append(mid)
    if len(groups) > 1:
        sizes = ", ".join(str(len(g)) for g in groups.values())
        notices.append(f"{prefix}{sum(map(len, groups.values()))} models to train differ in more than pert.std and seed "
                       f"(shapes or settings), so they train in {len(groups)} separate groups of "
                       f"{sizes} models")
    out: dict[str, list[str]] = {}
    for ids in groups.values():
        per_model = estimate_model_bytes(models[ids[0]])
        fit = max(1, int(memory_mb * 2**20 // per_model))
        size = min(models_per_job, fit)
        if size < models_per_job and len(ids) > size:
            notices.append(f"{prefix}{len(ids)} models of about {per_model / 2**20:.0f} MB each: "
                           f"{size} per job to stay under bucket_memory_mb = {memory_mb:g}")
        n_chunks = -(-len(ids) // size)
        for c in range(n_chunks):  # near-equal chunks: 10 models at 4 per job -> 4, 3, 3
            chunk = ids[c::n_chunks]
            if len(chunk) > 1:
                out[bucket_id(chunk)] = sorted(chunk)
    return out, notices
