"""Snakemake job: train one model alone into its staging folder (see motorlab.stages.train_staged)."""
from motorlab.stages import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import stages  # noqa: E402
from motorlab.stages import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    stages.train_staged(
        snakemake.params.hps,
        model_id=snakemake.wildcards.model_id,
        part=snakemake.wildcards.part,
        folder=snakemake.output[0],
        checkpoint_path=snakemake.params.checkpoint,
    )
