"""Snakemake job: train a bucket's models in one compiled step (see motorlab.stages.train_bucket_staged)."""
from motorlab.stages import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import stages  # noqa: E402
from motorlab.config import workflow_settings  # noqa: E402
from motorlab.stages import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    stages.train_bucket_staged(
        stages.read_bucket_plan(snakemake.params.plan),
        part=snakemake.wildcards.part,
        bucket_id=snakemake.wildcards.bucket_id,
        folder=snakemake.output[0],
        checkpoint_path=snakemake.params.checkpoint,
        # not a param: it changes no result, so changing it must not rerun a trained bucket
        iterations_per_dispatch=workflow_settings(snakemake.config.get("workflow")).iterations_per_dispatch,
    )
