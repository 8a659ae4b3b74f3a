"""Snakemake job: train one model (see motorlab.pipeline.train)."""
from motorlab._threads import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import pipeline  # noqa: E402
from motorlab._jobs import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    pipeline.train(
        snakemake.params.hps,
        model_id=snakemake.wildcards.model_id,
        part=snakemake.wildcards.part,
        model_path=snakemake.output.model,
        sidecar_path=snakemake.output.sidecar,
        history_path=snakemake.output.history,
    )
