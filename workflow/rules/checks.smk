"""Checks of the attribution: exact TracIn against the sketch, and the A/A calibration of the intervals on real data."""


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
        "../envs/langspec.yaml"
    threads: config["compute"]["threads"]
    params:
        exact=exact_params,
        languages=lambda w: languages(w.task),
        device=config["compute"]["device"],
    script:
        "../scripts/sketch_error.py"


rule sketch_error_table:
    """Top-k overlap of sketched with exact TracIn and the largest share difference, per checked replicate and mean."""
    input:
        lambda w: [
            f"{R}/sketch_error/{w.task}/rep{r}.json"
            for r in reps(w.task)[: config["influence"]["exact_replicates"]]
        ],
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
        "../envs/langspec.yaml"
    script:
        "../scripts/sketch_error_table.py"


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
        "../envs/langspec.yaml"
    params:
        conditions=calibration_conditions(),
    script:
        "../scripts/calibration.py"
