"""Snakemake job: evaluate one model on one evaluation plan (see motorlab.stages.evaluate)."""
from motorlab.stages import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import stages  # noqa: E402
from motorlab.stages import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    stages.evaluate(snakemake.input.model, snakemake.params.evaluation, states_path=snakemake.output.states)
