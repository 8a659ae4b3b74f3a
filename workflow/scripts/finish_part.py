"""Snakemake local job: the part's manifest, and the catalogue folded from every sidecar."""
from motorlab import stages
from motorlab.stages import job_log

with job_log(snakemake.log[0]):
    stages.finish_part(
        snakemake.wildcards.part,
        snakemake.input.sidecars,
        manifest_path=snakemake.output[0],
        results_dir="results",
        catalog_path="results/catalog.sqlite",
    )
