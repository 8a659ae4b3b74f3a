# Every analysis, the same way: evaluate (for analyses that keep states), then its tables.
rule evaluate:
    input:
        model=evaluation_model,
    output:
        states=paths.states("{part}", "{analysis}", "{eval_id}"),
    wildcard_constraints:
        analysis="|".join(n for n, a in ANALYSES.items() if a.keeps_states),
    params:
        evaluation=evaluation,
        version=STAGE_VERSIONS["evaluate"],
    threads: 1
    resources:
        mem_mb=4000,
    log:
        "logs/{part}/{analysis}/{eval_id}/evaluate.log",
    benchmark:
        "benchmarks/{part}/{analysis}/{eval_id}/evaluate.tsv"
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/evaluate.py"


# One tables rule per registered analysis: its outputs are the tables the analysis declares.
for _name, _unit in ANALYSES.items():

    rule:
        name:
            f"{_name}_tables"
        input:
            model=evaluation_model,
            **({"states": paths.states("{part}", _name, "{eval_id}")} if _unit.keeps_states else {}),
            **({"history": evaluation_history} if _unit.reads_history else {}),
        output:
            manifest=paths.manifest("{part}", _name, "{eval_id}"),
            **paths.tables("{part}", _name, "{eval_id}", _unit.table_names),
        params:
            evaluation=evaluation,
            tables=list(_unit.table_names),
            versions={k: STAGE_VERSIONS[k] for k in (*_unit.id_versions, *_unit.figure_versions)},
        threads: 1
        resources:
            mem_mb=4000,
        log:
            f"logs/{{part}}/{_name}/{{eval_id}}/tables.log",
        benchmark:
            f"benchmarks/{{part}}/{_name}/{{eval_id}}/tables.tsv"
        conda:
            "../envs/motorlab.yaml"
        script:
            "../scripts/analysis_tables.py"
