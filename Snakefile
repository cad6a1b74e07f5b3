"""langspec: language-specialized subnetworks, sparse fine-tuning and TracIn influence.

snakemake --cores 2 results/figures/fig4.pdf     # the main job, embedded default
snakemake --cores 2 all                          # every figure and table the config can draw
snakemake all --configfile config/paper.yaml   # the paper-scale study (replaces the default)
"""

from snakemake.utils import min_version

min_version("9.0")

# The embedded default, unless a --configfile replaces it (a deep merge would
# mix the default's tasks into the paper's).
if not workflow.overwrite_configfiles:
    workflow.configfile("config/config.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/lth_common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/finetune.smk"
include: "workflow/rules/prune.smk"
include: "workflow/rules/sft.smk"
include: "workflow/rules/sketch.smk"
include: "workflow/rules/influence.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/cluster.smk"
include: "workflow/rules/lth.smk"


report: "workflow/report/workflow.rst"


rule all:
    """Every figure the config can draw, tables 1 and 2, the shares of the standard conditions and the sketch error."""
    default_target: True
    input:
        rules.shares_all.input,
        rules.examples_all.input,
        [
            f"{R}/sketch_error/{t}.csv"
            for t in figure_tasks()
            if config["influence"]["exact_sample"] > 0
        ],
        [
            f"{R}/calibration/{t}.json"
            for t in figure_tasks()
            if len(config["masks"]["random_seeds"]) > 1
        ],
        [f"{R}/figures/fig{n}.pdf" for n in drawable_figures()],
        f"{R}/tables/table1.csv",
        f"{R}/tables/table2.csv",
