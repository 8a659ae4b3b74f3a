# Training. A model is trained alone (`train`) or with others of its bucket in one compiled step
# (`train_bucket`, then `unpack_member`), into a temporary staging folder; `store_model` moves it to
# its final paths. `store_model` always has that one input, however the model was trained, so
# Snakemake never reruns it because its set of inputs changed (motorlab.stages._train_jobs).


ruleorder: unpack_member > train


rule train:
    output:
        temp(directory(paths.staged_model("{part}", "{model_id}"))),
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


rule train_bucket:
    output:
        temp(directory(paths.staged_bucket("{part}", "{bucket_id}"))),
    params:
        plan=lambda wc: paths.bucket_plan(wc.part, wc.bucket_id),
        checkpoint=lambda wc: paths.bucket_checkpoint(wc.part, wc.bucket_id),
    threads: 2
    resources:
        mem_mb=bucket_mem_mb,
    log:
        "logs/{part}/train_bucket/{bucket_id}.log",
    benchmark:
        "benchmarks/{part}/train_bucket/{bucket_id}.tsv"
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/train_bucket.py"


rule unpack_member:
    input:
        member_bucket,
    output:
        temp(directory(paths.staged_model("{part}", "{model_id}"))),
    threads: 1
    localrule: True
    log:
        "logs/{part}/unpack_member/{model_id}.log",
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/store_model.py"


rule store_model:
    input:
        paths.staged_model("{part}", "{model_id}"),
    output:
        model=paths.model("{part}", "{model_id}"),
        history=paths.model_history("{part}", "{model_id}"),
        sidecar=paths.model_sidecar("{part}", "{model_id}"),
    threads: 1
    localrule: True
    log:
        "logs/{part}/store_model/{model_id}.log",
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/store_model.py"
