"""Snakemake job: the figure set of one figure group (see motorlab.stages.analysis_figures)."""
from motorlab.stages import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import stages  # noqa: E402
from motorlab.stages import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    stages.analysis_figures(
        snakemake.wildcards.analysis,
        snakemake.params.group,
        manifests=snakemake.input.manifests,
        model_sidecars=snakemake.input.models,
        out_dir=snakemake.output[0],
        sidecar_path=snakemake.output.sidecar,
        part=snakemake.wildcards.part,
    )
