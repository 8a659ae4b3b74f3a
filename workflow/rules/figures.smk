# The figure set of one figure group of any analysis; its PNGs go into `snakemake --report`.
rule analysis_figures:
    input:
        unpack(group_inputs),
    output:
        figure_report(paths.figure_dir("{part}", "{analysis}", "{group}")),
        sidecar=paths.figure_sidecar("{part}", "{analysis}", "{group}"),
    params:
        group=group_params,
        version=STAGE_VERSIONS["figures"],
    threads: 1
    resources:
        mem_mb=4000,
    log:
        "logs/{part}/figures/{analysis}/{group}.log",
    benchmark:
        "benchmarks/{part}/figures/{analysis}/{group}.tsv"
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/analysis_figures.py"
