rule prune:
    """Michel et al.'s iterative head pruning of one language on one replicate's full fine-tune."""
    input:
        model=model_dir("{task}", "{rep}", "full"),
        data=data_files("{task}", "{rep}"),
    output:
        mask_file("{task}", "{rep}", "{lang}"),
    log:
        f"{R}/logs/masks/{{task}}/rep{{rep}}/{{lang}}.log",
    benchmark:
        f"{R}/benchmarks/masks/{{task}}/rep{{rep}}/{{lang}}.tsv"
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["threads"]
    resources:
        **job_size("prune"),
        gpu=int(config["compute"]["gpus"]),
    params:
        prune=prune_params,
        compute=COMPUTE,
    script:
        "../scripts/prune.py"


rule random_mask:
    """A language's mask shuffled with a seed: a random subnetwork of the same sparsity."""
    input:
        mask_file("{task}", "{rep}", "{lang}"),
    output:
        mask_file("{task}", "{rep}", "{lang}-random{seed}"),
    log:
        f"{R}/logs/masks/{{task}}/rep{{rep}}/{{lang}}-random{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/masks/{{task}}/rep{{rep}}/{{lang}}-random{{seed}}.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        seed=random_mask_seed,
    script:
        "../scripts/random_mask.py"


rule composed_mask:
    """Union or intersection of two languages' masks (paper appendix F.1)."""
    input:
        a=mask_file("{task}", "{rep}", "{a}"),
        b=mask_file("{task}", "{rep}", "{b}"),
    output:
        mask_file("{task}", "{rep}", "{kind}-{a}-{b}"),
    log:
        f"{R}/logs/masks/{{task}}/rep{{rep}}/{{kind}}-{{a}}-{{b}}.log",
    benchmark:
        f"{R}/benchmarks/masks/{{task}}/rep{{rep}}/{{kind}}-{{a}}-{{b}}.tsv"
    wildcard_constraints:
        a=LANG,
        b=LANG,
    conda:
        "../envs/langspec.yaml"
    script:
        "../scripts/composed_mask.py"
