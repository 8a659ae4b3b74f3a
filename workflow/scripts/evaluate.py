"""Snakemake job: evaluate one model on one evaluation (see motorlab.pipeline.evaluate)."""
from motorlab._threads import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import pipeline  # noqa: E402
from motorlab._jobs import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    pipeline.evaluate(
        snakemake.input.model,
        snakemake.params.evaluation,
        states_path=snakemake.output.states,
        sidecar_path=snakemake.output.sidecar,
    )
