"""The product path layout: the one place that spells where each product of the workflow lives.

    results/
      catalog.sqlite                                  the catalogue (folded from the sidecars)
      {part}/all                                      the part's manifest (the Snakemake target)
      {part}/models/{model_id}.eqx                    a trained ensemble
      {part}/models/{model_id}_history.npz            its loss history and parameter snapshots
      {part}/models/{model_id}.json                   its sidecar
      {part}/checkpoints/{model_id}.npz               a running training's checkpoint (not an output)
      {part}/checkpoints/bucket-{bucket_id}.npz       ... of several models trained in one job
      {part}/.staging/models/{model_id}/              a trained model before it is stored (temporary)
      {part}/.staging/buckets/{bucket_id}/            a bucket's trained models (temporary)
      {part}/.staging/buckets/{bucket_id}.json        its plan: members and hyperparameters
      {part}/{analysis}/{eval_id}/states.parquet      evaluated states (analyses that keep them)
      {part}/{analysis}/{eval_id}/{table}.parquet     each table the analysis declares
      {part}/{analysis}/{eval_id}/manifest.json       the evaluation's sidecar (kind "evaluation")
      {part}/figures/{analysis}/{group}/              a figure group's files (one sidecar each)
      {part}/figures/{analysis}/{group}.json          the group's sidecar (kind "figure_set")
      .jax-cache/                                     JAX's persistent compilation cache (not a product)

`{group}` is `{label}_{variant}_{group_id[:8]}` (`group_dir_name`). Every function takes the
results folder as `results` (default `"results"`, relative to the workflow's working directory)
and returns a POSIX path string, so that the workflow can call them with wildcard patterns
(`states("{part}", "plant_perts", "{eval_id}")`) as well as with real values.
"""

from pathlib import PurePosixPath

MODELS = "models"
CHECKPOINTS = "checkpoints"
STAGING = ".staging"  # hidden: the catalogue's scans skip it
FIGURES = "figures"
STATES = "states"
MANIFEST = "manifest.json"
CATALOG = "catalog.sqlite"
PART_TARGET = "all"
# Folder names that an analysis may not take, as they hold other products of a part.
RESERVED = frozenset({MODELS, FIGURES, PART_TARGET, CHECKPOINTS})


def _join(*parts: str) -> str:
    return str(PurePosixPath(*parts))


def part_dir(part: str, results: str = "results") -> str:
    """`results/{part}`."""
    return _join(results, part)


def part_target(part: str, results: str = "results") -> str:
    """The part's manifest, `results/{part}/all`."""
    return _join(results, part, PART_TARGET)


def catalog(results: str = "results") -> str:
    """The catalogue file, `results/catalog.sqlite`."""
    return _join(results, CATALOG)


def model(part: str, model_id: str, results: str = "results") -> str:
    """A trained ensemble, `results/{part}/models/{model_id}.eqx`."""
    return _join(results, part, MODELS, f"{model_id}.eqx")


def model_sidecar(part: str, model_id: str, results: str = "results") -> str:
    """A model's sidecar, `results/{part}/models/{model_id}.json`."""
    return _join(results, part, MODELS, f"{model_id}.json")


def model_history(part: str, model_id: str, results: str = "results") -> str:
    """A model's training history, `results/{part}/models/{model_id}_history.npz`."""
    return _join(results, part, MODELS, f"{model_id}_history.npz")


def jax_cache(results: str = "results") -> str:
    """JAX's persistent compilation cache for the jobs of one results tree, `results/.jax-cache`:
    models and evaluations of one shape compile the same programs, so a job finds most of its
    programs already compiled by an earlier one. Not a product: deleting it costs only time."""
    return _join(results, ".jax-cache")


def train_checkpoint(part: str, model_id: str, results: str = "results") -> str:
    """A running training's checkpoint, `results/{part}/checkpoints/{model_id}.npz`: not a
    declared output, so Snakemake leaves it in place when the job is killed; removed when the
    training finishes."""
    return _join(results, part, CHECKPOINTS, f"{model_id}.npz")


def bucket_checkpoint(part: str, bucket_id: str, results: str = "results") -> str:
    """The checkpoint of a bucket's training, `results/{part}/checkpoints/bucket-{bucket_id}.npz`."""
    return _join(results, part, CHECKPOINTS, f"bucket-{bucket_id}.npz")


def staged_model(part: str, model_id: str, results: str = "results") -> str:
    """A trained model's files before they are stored, `results/{part}/.staging/models/{model_id}`
    (a temporary folder: `model.eqx`, `history.npz`, `sidecar.json`, or `diverged.txt`)."""
    return _join(results, part, STAGING, MODELS, model_id)


def staged_bucket(part: str, bucket_id: str, results: str = "results") -> str:
    """The trained models of one bucket, `results/{part}/.staging/buckets/{bucket_id}`, one
    `staged_model`-like folder per member (a temporary folder)."""
    return _join(results, part, STAGING, "buckets", bucket_id)


def bucket_plan(part: str, bucket_id: str, results: str = "results") -> str:
    """A bucket's members and their hyperparameters, `results/{part}/.staging/buckets/{bucket_id}.json`,
    written when the workflow plans the bucket (its training job reads it)."""
    return _join(results, part, STAGING, "buckets", f"{bucket_id}.json")


def evaluation_dir(part: str, analysis: str, eval_id: str, results: str = "results") -> str:
    """The folder of one evaluation of an analysis, `results/{part}/{analysis}/{eval_id}`."""
    if analysis in RESERVED:
        raise ValueError(f"analysis name {analysis!r} is reserved for other products; "
                         f"expected a name other than {sorted(RESERVED)}")
    return _join(results, part, analysis, eval_id)


def states(part: str, analysis: str, eval_id: str, results: str = "results") -> str:
    """Evaluated states, `results/{part}/{analysis}/{eval_id}/states.parquet`."""
    return table(part, analysis, eval_id, STATES, results)


def table(part: str, analysis: str, eval_id: str, name: str, results: str = "results") -> str:
    """One analysis table, `results/{part}/{analysis}/{eval_id}/{name}.parquet`."""
    return _join(evaluation_dir(part, analysis, eval_id, results), f"{name}.parquet")


def tables(part: str, analysis: str, eval_id: str, names, results: str = "results") -> dict[str, str]:
    """`{name: path}` of the tables `names` of one evaluation."""
    return {n: table(part, analysis, eval_id, n, results) for n in names}


def manifest(part: str, analysis: str, eval_id: str, results: str = "results") -> str:
    """An evaluation's sidecar, `results/{part}/{analysis}/{eval_id}/manifest.json`."""
    return _join(evaluation_dir(part, analysis, eval_id, results), MANIFEST)


def group_dir_name(label: str, variant: str, group_id: str) -> str:
    """A figure group's folder name: `{label}_{variant}_{first 8 characters of its id}`."""
    return f"{label}_{variant}_{group_id[:8]}"


def figure_dir(part: str, analysis: str, group: str, results: str = "results") -> str:
    """A figure group's folder, `results/{part}/figures/{analysis}/{group}`."""
    return _join(results, part, FIGURES, analysis, group)


def figure_sidecar(part: str, analysis: str, group: str, results: str = "results") -> str:
    """A figure group's sidecar, `results/{part}/figures/{analysis}/{group}.json`."""
    return _join(results, part, FIGURES, analysis, f"{group}.json")
