# Steady-state fixed points, Jacobians and PCA of part-2 models (SPEC §2.10), then their figures.
rule fixed_points:
    input:
        model=evaluation_model,
    output:
        fixed_points="results/{part}/fixed_points/{eval_id}.parquet",
        eigenvalues="results/{part}/fixed_points/{eval_id}_eigenvalues.parquet",
        summary="results/{part}/fixed_points/{eval_id}_summary.parquet",
        reach="results/{part}/fixed_points/{eval_id}_reach.parquet",
        trajectories="results/{part}/fixed_points/{eval_id}_trajectories.parquet",
        continuation="results/{part}/fixed_points/{eval_id}_continuation.parquet",
        events="results/{part}/fixed_points/{eval_id}_continuation_events.parquet",
        sidecar="results/{part}/fixed_points/{eval_id}.json",
    params:
        evaluation=evaluation,
    threads: 1
    resources:
        mem_mb=4000,
    log:
        "logs/{part}/fixed_points/{eval_id}.log",
    benchmark:
        "benchmarks/{part}/fixed_points/{eval_id}.tsv"
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/fixed_points.py"


rule fixed_point_figures:
    input:
        unpack(fp_group_inputs),
    output:
        directory("results/{part}/fixed_points/figures/{group}"),
        sidecar="results/{part}/fixed_points/figures/{group}.json",
    params:
        group=fp_group_params,
        version=STAGE_VERSIONS["figures"],
    threads: 1
    log:
        "logs/{part}/fixed_point_figures/{group}.log",
    benchmark:
        "benchmarks/{part}/fixed_point_figures/{group}.tsv"
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/fixed_point_figures.py"
