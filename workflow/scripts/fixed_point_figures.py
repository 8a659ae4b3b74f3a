"""Snakemake job: the fixed-point figures of one figure group (see motorlab.stages.fixed_point_figures)."""
from motorlab.stages import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import stages  # noqa: E402
from motorlab.stages import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    stages.fixed_point_figures(
        snakemake.params.group,
        points_paths=snakemake.input.fixed_points,
        eigenvalues_paths=snakemake.input.eigenvalues,
        summary_paths=snakemake.input.summaries,
        reach_paths=snakemake.input.reach,
        trajectories_paths=snakemake.input.trajectories,
        continuation_paths=snakemake.input.continuation,
        events_paths=snakemake.input.events,
        model_sidecars=snakemake.input.models,
        out_dir=snakemake.output[0],
        sidecar_path=snakemake.output.sidecar,
        part=snakemake.wildcards.part,
    )
