rule prune:
    """Michel et al.'s iterative head pruning of one language on the full fine-tune."""
    input:
        model=f"{R}/models/{{task}}/full",
        data=data_files("{task}"),
    output:
        mask_file("{task}", "{lang}"),
    log:
        f"{R}/logs/masks/{{task}}/{{lang}}.log",
    benchmark:
        f"{R}/benchmarks/masks/{{task}}/{{lang}}.tsv",
    params:
        prune=prune_params,
        device=config["compute"]["device"],
    threads: config["compute"]["threads"]
    resources:
        gpu=int(config["compute"]["gpus"]),
    script:
        "../scripts/prune.py"


rule random_mask:
    """A language's mask shuffled with a seed: a random subnetwork of the same sparsity."""
    input:
        mask_file("{task}", "{lang}"),
    output:
        mask_file("{task}", "{lang}-random{seed}"),
    log:
        f"{R}/logs/masks/{{task}}/{{lang}}-random{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/masks/{{task}}/{{lang}}-random{{seed}}.tsv",
    script:
        "../scripts/random_mask.py"


rule composed_mask:
    """Union or intersection of two languages' masks (paper appendix F.1)."""
    input:
        a=mask_file("{task}", "{a}"),
        b=mask_file("{task}", "{b}"),
    output:
        mask_file("{task}", "{kind}-{a}-{b}"),
    log:
        f"{R}/logs/masks/{{task}}/{{kind}}-{{a}}-{{b}}.log",
    benchmark:
        f"{R}/benchmarks/masks/{{task}}/{{kind}}-{{a}}-{{b}}.tsv",
    wildcard_constraints:
        a=LANG,
        b=LANG,
    script:
        "../scripts/composed_mask.py"
