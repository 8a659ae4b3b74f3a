"""Snakemake job: train one model (see motorlab.stages.train)."""
from motorlab.stages import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import stages  # noqa: E402
from motorlab.stages import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    stages.train(
        snakemake.params.hps,
        model_id=snakemake.wildcards.model_id,
        part=snakemake.wildcards.part,
        model_path=snakemake.output.model,
        sidecar_path=snakemake.output.sidecar,
        history_path=snakemake.output.history,
        checkpoint_path=snakemake.params.checkpoint,
    )
