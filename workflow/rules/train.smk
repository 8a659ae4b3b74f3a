rule train:
    output:
        model=paths.model("{part}", "{model_id}"),
        history=paths.model_history("{part}", "{model_id}"),
        sidecar=paths.model_sidecar("{part}", "{model_id}"),
    params:
        hps=model_hps,
        # not an output: Snakemake keeps it when the job dies, and a rerun resumes from it
        checkpoint=lambda wc: paths.train_checkpoint(wc.part, wc.model_id),
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
