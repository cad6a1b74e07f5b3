rule influence:
    """TracIn top-k for one regime and mask condition, summed over the epoch checkpoints."""
    input:
        sketches=sketch_dirs,
        model=f"{R}/models/{{task}}/{{regime}}",
    output:
        influence_file("{task}", "{regime}", "{condition}"),
    log:
        f"{R}/logs/influence/{{task}}/{{regime}}/{{condition}}.log",
    benchmark:
        f"{R}/benchmarks/influence/{{task}}/{{regime}}/{{condition}}.tsv",
    params:
        influence=influence_params,
        epochs=lambda w: epochs(w.task),
    threads: config["compute"]["threads"]
    script:
        "../scripts/influence.py"


rule shares:
    """Training-language shares of the top-k, against the full model after full fine-tuning."""
    input:
        condition=influence_file("{task}", "{regime}", "{condition}"),
        baseline=influence_file("{task}", "full", "full"),
    output:
        shares_file("{task}", "{regime}", "{condition}"),
    log:
        f"{R}/logs/shares/{{task}}/{{regime}}/{{condition}}.log",
    benchmark:
        f"{R}/benchmarks/shares/{{task}}/{{regime}}/{{condition}}.tsv",
    params:
        languages=lambda w: languages(w.task),
    script:
        "../scripts/shares.py"


rule epoch_shares:
    """Training-language shares of each checkpoint's own top-k, with test accuracy per checkpoint."""
    input:
        influence_file("{task}", "{regime}", "{condition}"),
    output:
        shares_file("{task}", "{regime}", "{condition}", per_epoch=True),
    log:
        f"{R}/logs/shares/{{task}}/{{regime}}/{{condition}}.epochs.log",
    benchmark:
        f"{R}/benchmarks/shares/{{task}}/{{regime}}/{{condition}}.epochs.tsv",
    params:
        languages=lambda w: languages(w.task),
    script:
        "../scripts/epoch_shares.py"


def standard_conditions(name):
    """(regime, condition) pairs of the paper's main comparisons for one task."""
    seeds = config["masks"]["random_seeds"]
    pairs = [("full", "full"), ("full", "own"), ("sft", "own"), ("sft-random", f"random{config['sft']['random_seed']}")]
    return pairs + [("full", f"random{s}") for s in seeds]


rule shares_all:
    """Target: shares of full, own and random<s> after full fine-tuning and own after SFT, per task."""
    input:
        [shares_file(t, regime, condition) for t in config["tasks"] for regime, condition in standard_conditions(t)],
