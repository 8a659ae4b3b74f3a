"""Snakemake job: the tables of one evaluation of an analysis (see motorlab.stages.analysis_tables)."""
from motorlab.stages import limit_cpu_threads

limit_cpu_threads(snakemake.threads)

from motorlab import stages  # noqa: E402
from motorlab.stages import job_log  # noqa: E402

with job_log(snakemake.log[0]):
    stages.analysis_tables(
        snakemake.input.model,
        snakemake.params.evaluation,
        states_path=snakemake.input.get("states"),
        history_path=snakemake.input.get("history"),
        table_paths={name: snakemake.output[name] for name in snakemake.params.tables},
        manifest_path=snakemake.output.manifest,
    )
