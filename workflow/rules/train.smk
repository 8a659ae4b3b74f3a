rule train:
    output:
        model="results/{part}/models/{model_id}.eqx",
        history="results/{part}/models/{model_id}_history.npz",
        sidecar="results/{part}/models/{model_id}.json",
    params:
        hps=model_hps,
    threads: 2
    resources:
        mem_mb=4000,
    log:
        "logs/{part}/train/{model_id}.log",
    benchmark:
        "benchmarks/{part}/train/{model_id}.tsv"
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/train.py"
