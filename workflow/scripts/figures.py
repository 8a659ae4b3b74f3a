"""Snakemake job: the behaviour figures of one figure group (see motorlab.pipeline.figures)."""
from motorlab._threads import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import pipeline  # noqa: E402
from motorlab._jobs import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    pipeline.figures(
        snakemake.params.group,
        states_paths=snakemake.input.states,
        measures_paths=snakemake.input.measures,
        model_sidecars=snakemake.input.models,
        out_dir=snakemake.output[0],
        sidecar_path=snakemake.output.sidecar,
        part=snakemake.wildcards.part,
    )
