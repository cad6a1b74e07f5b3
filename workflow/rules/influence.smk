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
        "../../envs/langspec.yaml"
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
        "../../envs/langspec.yaml"
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
        "../../envs/langspec.yaml"
    params:
        languages=lambda w: languages(w.task),
        min_test=config["shares"]["min_test"],
    script:
        "../scripts/epoch_shares.py"


rule aggregate_shares:
    """Mean, 95% interval and robustness of every shares cell over the task's replicates."""
    input:
        replicate_shares,
    output:
        table=shares_file("{task}", "{regime}", "{condition}"),
        method=f"{R}/shares/{{task}}/{{regime}}/{{condition}}.interval.json",
    log:
        f"{R}/logs/shares/{{task}}/{{regime}}/{{condition}}.log",
    benchmark:
        f"{R}/benchmarks/shares/{{task}}/{{regime}}/{{condition}}.tsv"
    conda:
        "../../envs/langspec.yaml"
    params:
        kind="comparison",
    script:
        "../scripts/aggregate_shares.py"


rule aggregate_epoch_shares:
    """Mean and 95% interval over replicates of the per-checkpoint shares and accuracies."""
    input:
        lambda w: replicate_shares(w, per_epoch=True),
    output:
        table=shares_file("{task}", "{regime}", "{condition}", per_epoch=True),
        method=f"{R}/shares/{{task}}/{{regime}}/{{condition}}.epochs.interval.json",
    log:
        f"{R}/logs/shares/{{task}}/{{regime}}/{{condition}}.epochs.log",
    benchmark:
        f"{R}/benchmarks/shares/{{task}}/{{regime}}/{{condition}}.epochs.tsv"
    conda:
        "../../envs/langspec.yaml"
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


rule sketch_error:
    """Exact TracIn (full per-example gradients, float32) of a sample of test examples against the sketched top-k."""
    input:
        model=model_dir("{task}", "{rep}", "full"),
        data=data_files("{task}", "{rep}", ["train", "test"]),
        influence=influence_file("{task}", "{rep}", "full", "full"),
    output:
        f"{R}/sketch_error/{{task}}/rep{{rep}}.json",
    log:
        f"{R}/logs/sketch_error/{{task}}/rep{{rep}}.log",
    benchmark:
        f"{R}/benchmarks/sketch_error/{{task}}/rep{{rep}}.tsv"
    conda:
        "../../envs/langspec.yaml"
    threads: config["compute"]["threads"]
    params:
        exact=exact_params,
        languages=lambda w: languages(w.task),
        device=config["compute"]["device"],
    script:
        "../scripts/sketch_error.py"


rule sketch_error_table:
    """Top-k overlap of sketched with exact TracIn and the largest share difference, per replicate and mean."""
    input:
        lambda w: [f"{R}/sketch_error/{w.task}/rep{r}.json" for r in reps(w.task)],
    output:
        csv=report(
            f"{R}/sketch_error/{{task}}.csv",
            caption="../report/sketch_error.rst",
            category="Sketch error and calibration",
        ),
        md=f"{R}/sketch_error/{{task}}.md",
    log:
        f"{R}/logs/sketch_error/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/sketch_error/{{task}}.tsv"
    conda:
        "../../envs/langspec.yaml"
    script:
        "../scripts/sketch_error_table.py"


rule examples:
    """The influence browser: sampled test examples beside their top-k training examples, as CSV and a searchable page."""
    input:
        influence=influence_file("{task}", "{rep}", "{regime}", "{condition}"),
        train=f"{R}/data/{{task}}/rep{{rep}}/train.parquet",
        test=f"{R}/data/{{task}}/rep{{rep}}/test.parquet",
        manifest=f"{R}/data/{{task}}/rep{{rep}}/manifest.json",
    output:
        csv=f"{examples_dir('{task}', '{rep}', '{regime}', '{condition}')}/examples.csv",
        html=report(
            f"{examples_dir('{task}', '{rep}', '{regime}', '{condition}')}/examples.html",
            caption="../report/examples.rst",
            category="Influence examples",
            subcategory="{task} {regime}/{condition}",
            labels={
                "replicate": "{rep}",
                "task": "{task}",
                "regime": "{regime}",
                "condition": "{condition}",
            },
        ),
    log:
        f"{R}/logs/examples/{{task}}/rep{{rep}}/{{regime}}/{{condition}}.log",
    benchmark:
        f"{R}/benchmarks/examples/{{task}}/rep{{rep}}/{{regime}}/{{condition}}.tsv"
    conda:
        "../../envs/langspec.yaml"
    params:
        examples=examples_params,
    script:
        "../scripts/examples.py"


rule examples_all:
    """Target: an influence browser page for every influence file of the standard conditions, every replicate."""
    input:
        [
            f"{examples_dir(t, r, regime, condition)}/examples.html"
            for t in figure_tasks()
            for r in reps(t)
            for regime, condition in standard_conditions(t)
        ],


rule calibration:
    """A/A check of the intervals on real data: two random masks of the same sparsity should differ in about 5% of cells."""
    input:
        first=lambda w: [
            shares_file(w.task, "full", calibration_conditions()[0], r)
            for r in reps(w.task)
        ],
        second=lambda w: [
            shares_file(w.task, "full", calibration_conditions()[1], r)
            for r in reps(w.task)
        ],
    output:
        table=f"{R}/calibration/{{task}}.csv",
        summary=report(
            f"{R}/calibration/{{task}}.json",
            caption="../report/calibration.rst",
            category="Sketch error and calibration",
        ),
    log:
        f"{R}/logs/calibration/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/calibration/{{task}}.tsv"
    conda:
        "../../envs/langspec.yaml"
    params:
        conditions=calibration_conditions(),
    script:
        "../scripts/calibration.py"
