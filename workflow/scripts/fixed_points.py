"""Snakemake job: steady-state fixed points of one model (see motorlab.stages.fixed_points)."""
from motorlab.stages import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import stages  # noqa: E402
from motorlab.stages import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    stages.fixed_points(
        snakemake.input.model,
        snakemake.params.evaluation,
        points_path=snakemake.output.fixed_points,
        eigenvalues_path=snakemake.output.eigenvalues,
        summary_path=snakemake.output.summary,
        reach_path=snakemake.output.reach,
        trajectories_path=snakemake.output.trajectories,
        continuation_path=snakemake.output.continuation,
        events_path=snakemake.output.events,
        sidecar_path=snakemake.output.sidecar,
    )
