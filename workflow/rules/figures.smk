"""Figures 2-19 and tables 1-2 of paper 000, each its own target, each with its source data beside it
({target}.data.csv: the frame the figure or table is drawn from, langspec.stats.source_data.heads).
"""

for n in FIGURES:

    rule:
        name:
            f"fig{n}"
        input:
            paths=lambda w, n=n: spec_paths(figure_spec(n)),
            quality=lambda w, n=n: list(figure_quality(n).values()),
        output:
            pdf=report(
                f"{R}/{FIGURES_000[n].target}.pdf",
                caption=f"../report/{FIGURES_000[n].caption}.rst",
                category="Figures",
                labels={"figure": str(n)},
            ),
            png=f"{R}/{FIGURES_000[n].target}.png",
            data=f"{R}/{FIGURES_000[n].source_data}",
        log:
            f"{R}/logs/figures/fig{n}.log",
        benchmark:
            f"{R}/benchmarks/figures/fig{n}.tsv"
        localrule: True
        conda:
            "../envs/langspec.yaml"
        params:
            spec=lambda w, n=n: figure_spec(n),
            number=n,
            quality=lambda w, n=n: figure_quality(n),
        script:
            "../scripts/figure.py"


rule subnetwork_accuracy:
    """Dev accuracy of each language's subnetwork at the last checkpoint of a regime, in one replicate."""
    input:
        model=model_dir("{task}", "{rep}", "{regime}"),
        masks=lambda w: list(masks_of(w.task, w.rep).values()),
        dev=f"{R}/data/{{task}}/rep{{rep}}/dev.parquet",
    output:
        accuracy_file("{task}", "{rep}", "{regime}"),
    log:
        f"{R}/logs/accuracy/{{task}}/rep{{rep}}/{{regime}}.log",
    benchmark:
        f"{R}/benchmarks/accuracy/{{task}}/rep{{rep}}/{{regime}}.tsv"
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["threads"]
    params:
        epoch=lambda w: epochs(w.task),
        max_length=lambda w: task(w.task)["finetune"]["max_length"],
        batch_size=lambda w: task(w.task)["finetune"]["eval_batch_size"],
        compute=COMPUTE,
    script:
        "../scripts/subnetwork_accuracy.py"


rule table1:
    """Disabled heads per language and task, mean and spread over replicates."""
    input:
        masks=[
            path
            for t in figure_tasks()
            for per_replicate in replicate_masks(t)
            for path in per_replicate.values()
        ],
        quality=[quality_file(t, "full") for t in figure_tasks()],
    output:
        csv=report(
            f"{R}/tables/table1.csv", caption="../report/table1.rst", category="Tables"
        ),
        md=f"{R}/tables/table1.md",
        data=f"{R}/{TABLES_000['table1'].source_data}",
    log:
        f"{R}/logs/tables/table1.log",
    benchmark:
        f"{R}/benchmarks/tables/table1.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        masks={t: replicate_masks(t) for t in figure_tasks()},
        quality={t: quality_file(t, "full") for t in figure_tasks()},
    script:
        "../scripts/table1.py"


rule table2:
    """Dev accuracy of each language's subnetwork after full fine-tuning and after SFT, mean and spread over replicates."""
    input:
        accuracy=[
            accuracy_file(t, r, regime)
            for t in figure_tasks()
            for regime in ("full", "sft")
            for r in reps(t)
        ],
        quality=[quality_file(t, "sft") for t in figure_tasks()],
    output:
        csv=report(
            f"{R}/tables/table2.csv", caption="../report/table2.rst", category="Tables"
        ),
        md=f"{R}/tables/table2.md",
        data=f"{R}/{TABLES_000['table2'].source_data}",
    log:
        f"{R}/logs/tables/table2.log",
    benchmark:
        f"{R}/benchmarks/tables/table2.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        accuracy={
            t: {
                regime: [accuracy_file(t, r, regime) for r in reps(t)]
                for regime in ("full", "sft")
            }
            for t in figure_tasks()
        },
        quality={t: quality_file(t, "sft") for t in figure_tasks()},
    script:
        "../scripts/table2.py"
