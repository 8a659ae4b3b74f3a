"""Snakemake job: the measure set of one evaluation (see motorlab.stages.measures)."""
from motorlab.stages import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import stages  # noqa: E402
from motorlab.stages import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    stages.measures(snakemake.input.states, measures_path=snakemake.output.measures)
