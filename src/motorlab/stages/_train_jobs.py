"""Training jobs of the workflow: one model alone or a bucket of models in one compiled step, each
writing its models into a staging folder, and the bucket plans. Taking a member out of its
bucket's folder and storing a staged model under its final paths are plain file moves, done by
`workflow/scripts/store_model.py` (standard library only), which follows the layout below.

Why staging: Snakemake reruns a job whose set of inputs changed since its outputs were made. The
rule that stores a model (`store_model`) therefore always has the same single input, the model's
staging folder, whether that folder came from a training of its own (`train`) or from a bucket
(`unpack_member`). The staging folders are temporary: once a model is stored they are gone, and
Snakemake does not remake a missing temporary file whose consumers are up to date.

A staged model is a folder with `model.eqx`, `history.npz` and `sidecar.json` (whose paths name
the final files), or with `diverged.txt` (why every replicate diverged: that model's storing job
fails with it; the bucket's other models are stored).
"""

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..store._model_files import atomic_write, provenance, relative_path, save_model_file, write_json
from ..store import _paths as paths
from ..train._bucket import train_bucket
from ..train._checkpoint import Checkpoint
from ..train._loop import TrainingDiverged, train_ensemble
from ._pipeline import _say, _write_history

MODEL, HISTORY, SIDECAR, DIVERGED = "model.eqx", "history.npz", "sidecar.json", "diverged.txt"


def write_staged(folder, result, hps: Mapping, *, model_id: str, part: str, results: str = "results") -> dict:
    """Write one trained model (a `TrainResult`, or the `TrainingDiverged` of a model that
    diverged) into `folder`; its sidecar names the final paths under `results`.

    Returns:
        The sidecar record (or `{"diverged": message}`).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(result, TrainingDiverged):
        with atomic_write(folder / DIVERGED, "w") as f:
            f.write(str(result))
        return {"diverged": str(result)}
    save_model_file(folder / MODEL, result.ensemble, hps, result.info, model_id=model_id)
    _write_history(folder / HISTORY, result)
    record = {"kind": "model", "id": model_id, "part": part, "hps": hps,
              "path": relative_path(paths.model(part, model_id, results)),
              "history_path": relative_path(paths.model_history(part, model_id, results)),
              "replicates": result.info, **provenance()}
    write_json(folder / SIDECAR, record)
    return record


def train_staged(hps: Mapping, *, model_id: str, part: str, folder, checkpoint_path=None,
                 progress: bool = True, checkpoint_every: int = 500, checkpoint_minutes: float = 10.0) -> dict:
    """Train one model alone (resuming from `checkpoint_path` as `stages.train` does) into the
    staging `folder`.

    Raises:
        TrainingDiverged: if every replicate diverged (nothing is staged).
    """
    checkpoint = None
    if checkpoint_path is not None:
        checkpoint = Checkpoint(checkpoint_path, model_id, every_iterations=int(checkpoint_every),
                                every_seconds=60.0 * float(checkpoint_minutes), log=_say)
    result = train_ensemble(hps, progress=progress, checkpoint=checkpoint)
    return write_staged(folder, result, hps, model_id=model_id, part=part)


def train_bucket_staged(members: Sequence[Mapping], *, part: str, bucket_id: str, folder,
                        checkpoint_path=None, iterations_per_dispatch: int | None = None,
                        progress: bool = True, checkpoint_every: int = 500,
                        checkpoint_minutes: float = 10.0) -> dict[str, dict]:
    """Train a bucket's models in one compiled step into `folder/<model_id>/` (staged models).

    Arguments:
        members: `{"model_id": ..., "hps": ...}` per model (one `bucket_key`).
        bucket_id: the bucket's name (`train._plan.bucket_id` of the member ids): the
            checkpoint's identity, so a bucket of other members never resumes from it.

    Returns:
        Model id -> its sidecar record, or `{"diverged": why}` for a model whose every
        replicate diverged (the job still succeeds: the others are staged).
    """
    checkpoint = None
    if checkpoint_path is not None:
        checkpoint = Checkpoint(checkpoint_path, f"bucket {bucket_id}", every_iterations=int(checkpoint_every),
                                every_seconds=60.0 * float(checkpoint_minutes), log=_say)
    ids = [m["model_id"] for m in members]
    _say(f"training {len(ids)} models in one step: {', '.join(ids)}")
    results = train_bucket([m["hps"] for m in members], progress=progress, checkpoint=checkpoint,
                           iterations_per_dispatch=iterations_per_dispatch)
    out = {}
    for m, result in zip(members, results):
        out[m["model_id"]] = write_staged(Path(folder) / m["model_id"], result, m["hps"],
                                          model_id=m["model_id"], part=part)
        if isinstance(result, TrainingDiverged):
            _say(f"model {m['model_id']} diverged (the others are not affected): {result}")
    return out


def write_bucket_plan(path, *, part: str, bucket_id: str, members: Mapping[str, Mapping]) -> None:
    """Write a bucket's plan (`store.paths.bucket_plan`): its member ids and hyperparameters.

    The workflow plans buckets when it builds its job graph; a job that runs elsewhere (SLURM)
    parses the workflow again, when other models may be done and the plan would differ, so the
    training job reads its members from this file. Written once (a bucket id names its members).
    """
    import json

    path = Path(path)
    if path.exists():
        return
    record = {"kind": "bucket_plan", "bucket_id": bucket_id, "part": part,
              "members": [{"model_id": mid, "hps": members[mid]} for mid in sorted(members)]}
    with atomic_write(path, "w") as f:
        json.dump(record, f, sort_keys=True, indent=1)


def read_bucket_plan(path) -> list[dict]:
    """The members (`{"model_id", "hps"}`) of a bucket plan written by `write_bucket_plan`."""
    import json

    record = json.loads(Path(path).read_text())
    if record.get("kind") != "bucket_plan":
        raise ValueError(f"{path}: not a bucket plan (kind {record.get('kind')!r})")
    return record["members"]
