# motorlab workflow: train, then for every analysis evaluate -> tables -> figures, for part 1 and part 2.
#
#   snakemake --cores 8 results/part1/all                       # full study, part 1
#   snakemake --cores all results/part2/all --configfile config/demo.yaml   # tiny demo (targets
#   before --configfile: it takes several values)
#
# Products are named by the identity (content hash) of their resolved inputs; see README.md.
from snakemake.utils import min_version

min_version("9.0")


# `--configfile` replaces (rather than deep-merges into) the default study config.
if not config:

    configfile: "config/config.yaml"



report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/catalog.smk"


rule all:
    default_target: True
    localrule: True
    input:
        expand("results/{part}/all", part=PARTS),
