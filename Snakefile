# motorlab workflow: train, then for every analysis evaluate -> tables -> figures, for part 1 and part 2.
#
#   snakemake --cores 8 results/part1/all                       # full study, part 1
#   snakemake --cores all results/part2/all --configfile config/demo.yaml   # tiny demo (targets
#   before --configfile: it takes several values)
#
# Products are named by the identity (content hash) of their resolved inputs; see README.md.
from snakemake.utils import min_version

min_version("9.0")


# Snakemake's own YAML reader keeps the second of a key given twice and, for bytes that are not
# UTF-8, names neither file nor line: read each config file with motorlab's reader first, whose
# errors name the file, the line and the key (for `--configfile`, Snakemake has read it already:
# only a duplicate key can still be caught here).
from motorlab.config import load_yaml as _load_yaml

# `--configfile` replaces (rather than deep-merges into) the default study config.
if not config:
    _load_yaml("config/config.yaml")

    configfile: "config/config.yaml"


for _configfile in workflow.configfiles:
    _load_yaml(_configfile)



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
