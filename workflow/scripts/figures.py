"""Snakemake job: the behaviour figures of one figure group (see motorlab.stages.figures)."""
from motorlab.stages import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import stages  # noqa: E402
from motorlab.stages import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    stages.figures(
        snakemake.params.group,
        states_paths=snakemake.input.states,
        measures_paths=snakemake.input.measures,
        model_sidecars=snakemake.input.models,
        out_dir=snakemake.output[0],
        sidecar_path=snakemake.output.sidecar,
        part=snakemake.wildcards.part,
    )
