rule evaluate:
    input:
        model=evaluation_model,
    output:
        states="results/{part}/evals/{eval_id}.parquet",
        sidecar="results/{part}/evals/{eval_id}.json",
    params:
        evaluation=evaluation,
    threads: 1
    resources:
        mem_mb=4000,
    log:
        "logs/{part}/evaluate/{eval_id}.log",
    benchmark:
        "benchmarks/{part}/evaluate/{eval_id}.tsv"
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/evaluate.py"


rule measures:
    input:
        states="results/{part}/evals/{eval_id}.parquet",
    output:
        measures="results/{part}/measures/{eval_id}.parquet",
    params:
        version=STAGE_VERSIONS["measures"],
    threads: 1
    log:
        "logs/{part}/measures/{eval_id}.log",
    benchmark:
        "benchmarks/{part}/measures/{eval_id}.tsv"
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/measures.py"
