rule figures:
    input:
        unpack(group_inputs),
    output:
        directory("results/{part}/figures/{group}"),
        sidecar="results/{part}/figures/{group}.json",
    params:
        group=group_params,
        version=STAGE_VERSIONS["figures"],
    threads: 1
    resources:
        mem_mb=4000,
    log:
        "logs/{part}/figures/{group}.log",
    benchmark:
        "benchmarks/{part}/figures/{group}.tsv"
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/figures.py"
