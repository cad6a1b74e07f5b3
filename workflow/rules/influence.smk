"""TracIn influence per replicate, regime and mask condition; training-language shares; their aggregation over replicates."""


rule influence:
    """TracIn top-k of one replicate, regime and mask condition, summed over the epoch checkpoints."""
    input:
        sketches=sketch_files,
        model=model_dir("{task}", "{rep}", "{regime}"),
    output:
        influence_file("{task}", "{rep}", "{regime}", "{condition}"),
    log:
        f"{R}/logs/influence/{{task}}/rep{{rep}}/{{regime}}/{{condition}}.log",
    benchmark:
        f"{R}/benchmarks/influence/{{task}}/rep{{rep}}/{{regime}}/{{condition}}.tsv"
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["threads"]
    params:
        influence=influence_params,
        epochs=lambda w: epochs(w.task),
        shards=SHARDS,
    script:
        "../scripts/influence.py"


rule shares:
    """One replicate's training-language shares of the top-k, against the full model after full fine-tuning."""
    input:
        condition=influence_file("{task}", "{rep}", "{regime}", "{condition}"),
        baseline=influence_file("{task}", "{rep}", "full", "full"),
    output:
        shares_file("{task}", "{regime}", "{condition}", "{rep}"),
    log:
        f"{R}/logs/shares/{{task}}/rep{{rep}}/{{regime}}/{{condition}}.log",
    benchmark:
        f"{R}/benchmarks/shares/{{task}}/rep{{rep}}/{{regime}}/{{condition}}.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        languages=lambda w: languages(w.task),
        min_test=config["shares"]["min_test"],
    script:
        "../scripts/shares.py"


rule epoch_shares:
    """One replicate's shares of each checkpoint's own top-k, with test accuracy per checkpoint."""
    input:
        influence_file("{task}", "{rep}", "{regime}", "{condition}"),
    output:
        shares_file("{task}", "{regime}", "{condition}", "{rep}", per_epoch=True),
    log:
        f"{R}/logs/shares/{{task}}/rep{{rep}}/{{regime}}/{{condition}}.epochs.log",
    benchmark:
        f"{R}/benchmarks/shares/{{task}}/rep{{rep}}/{{regime}}/{{condition}}.epochs.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        languages=lambda w: languages(w.task),
        min_test=config["shares"]["min_test"],
    script:
        "../scripts/epoch_shares.py"


rule aggregate_shares:
    """Mean, 95% interval and robustness of every shares cell over the task's replicates."""
    input:
        tables=replicate_shares,
        quality=lambda w: quality_file(w.task, regime_scope(w.regime)),
    output:
        table=shares_file("{task}", "{regime}", "{condition}"),
        method=f"{R}/shares/{{task}}/{{regime}}/{{condition}}.interval.json",
    log:
        f"{R}/logs/shares/{{task}}/{{regime}}/{{condition}}.log",
    benchmark:
        f"{R}/benchmarks/shares/{{task}}/{{regime}}/{{condition}}.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        kind="comparison",
    script:
        "../scripts/aggregate_shares.py"


rule aggregate_epoch_shares:
    """Mean and 95% interval over replicates of the per-checkpoint shares and accuracies."""
    input:
        tables=lambda w: replicate_shares(w, per_epoch=True),
        quality=lambda w: quality_file(w.task, regime_scope(w.regime)),
    output:
        table=shares_file("{task}", "{regime}", "{condition}", per_epoch=True),
        method=f"{R}/shares/{{task}}/{{regime}}/{{condition}}.epochs.interval.json",
    log:
        f"{R}/logs/shares/{{task}}/{{regime}}/{{condition}}.epochs.log",
    benchmark:
        f"{R}/benchmarks/shares/{{task}}/{{regime}}/{{condition}}.epochs.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        kind="epochs",
    script:
        "../scripts/aggregate_shares.py"


rule shares_all:
    """Target: aggregated shares of full, own and random<s> after full fine-tuning and own after SFT, per task."""
    input:
        [
            shares_file(t, regime, condition)
            for t in figure_tasks()
            for regime, condition in standard_conditions(t)
        ],
