"""The influence browser: test examples beside their most influential training examples, as CSV and a searchable page."""


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
        "../envs/langspec.yaml"
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
