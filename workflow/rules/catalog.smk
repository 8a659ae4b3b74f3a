# The part's manifest; it also folds every sidecar into results/catalog.sqlite. A local rule, so
# only the host running Snakemake writes the catalogue (safe on network filesystems).
rule part_all:
    input:
        sidecars=part_sidecars,
        files=part_files,
        stale=part_stale,
    output:
        paths.part_target("{part}"),
    localrule: True
    threads: 1
    log:
        "logs/{part}/all.log",
    conda:
        "../envs/motorlab.yaml"
    script:
        "../scripts/finish_part.py"
