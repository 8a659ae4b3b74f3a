"""Snakemake job: the measure set of one evaluation (see motorlab.pipeline.measures)."""
from motorlab._threads import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import pipeline  # noqa: E402
from motorlab._jobs import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    pipeline.measures(snakemake.input.states, measures_path=snakemake.output.measures)
