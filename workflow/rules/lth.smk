"""Lottery-ticket subnetworks per language (paper 003): IMP with rewinding, tickets, transfer, overlap, retrieval."""


rule lth_imp_first:
    """IMP's first rounds, up to lth.overlap_sparsity, for one language (or the multilingual union) of one replicate:
    judged on round 1 and redrawn under the quality rule; the trained task head kept for the rounds after them.
    """
    input:
        init=model_dir("{task}", "{rep}", "init"),
        data=data_files("{task}", "{rep}", ["train", "dev"]),
    output:
        masks=[
            f"{lth_dir('{task}', '{rep}', '{source}')}/round{k}.npz"
            for k in range(1, LTH_OVERLAP_ROUND + 1)
        ],
        trajectory=f"{lth_dir('{task}', '{rep}', '{source}')}/first/trajectory.json",
        quality=f"{lth_dir('{task}', '{rep}', '{source}')}/first/quality.json",
        head=f"{lth_dir('{task}', '{rep}', '{source}')}/first/head.safetensors",
    log:
        f"{R}/logs/lth/{{task}}/rep{{rep}}/{{source}}-first.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/rep{{rep}}/{{source}}-first.tsv"
    wildcard_constraints:
        source=SOURCE,
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["train_threads"]
    resources:
        **job_size("lth_imp_first"),
        gpu=int(config["compute"]["gpus"]),
    params:
        part="first",
        lth=lth_prune_params,
        rounds=LTH_OVERLAP_ROUND,
        quality=QUALITY,
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,
    script:
        "../scripts/lth_imp.py"


rule lth_imp_rest:
    """IMP's rounds after the first ones, to lth.max_sparsity, then the last round's mask trained as the ticket; the
    same run as one job would make (same seed, batch order and head)."""
    input:
        init=model_dir("{task}", "{rep}", "init"),
        data=data_files("{task}", "{rep}", ["train", "dev"]),
        first=rules.lth_imp_first.output,
    output:
        masks=[
            f"{lth_dir('{task}', '{rep}', '{source}')}/round{k}.npz"
            for k in range(LTH_OVERLAP_ROUND + 1, LTH_ROUNDS + 1)
        ],
        trajectory=f"{lth_dir('{task}', '{rep}', '{source}')}/trajectory.json",
        quality=f"{lth_dir('{task}', '{rep}', '{source}')}/quality.json",
    log:
        f"{R}/logs/lth/{{task}}/rep{{rep}}/{{source}}.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/rep{{rep}}/{{source}}.tsv"
    wildcard_constraints:
        source=LANG,
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["train_threads"]
    resources:
        **job_size("lth_imp_rest"),
        gpu=int(config["compute"]["gpus"]),
    params:
        part="rest",
        lth=lth_prune_params,
        rounds=LTH_ROUNDS,
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,
    script:
        "../scripts/lth_imp.py"


use rule lth_imp_rest as lth_imp_rest_multilingual with:
    output:
        masks=[],
        trajectory=f"{lth_dir('{task}', '{rep}', '{source}')}/trajectory.json",
        quality=f"{lth_dir('{task}', '{rep}', '{source}')}/quality.json",
    wildcard_constraints:
        source="multi",
    params:
        part="rest",
        lth=lth_prune_params,
        rounds=LTH_OVERLAP_ROUND,
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,


rule lth_transfer:
    """A source's ticket (or a random mask of its sparsity) rewound to the pre-trained weights and trained on every target language."""
    input:
        init=model_dir("{task}", "{rep}", "init"),
        data=data_files("{task}", "{rep}", ["train", "dev"]),
        mask=lth_transfer_input,
    output:
        f"{LTH}/{{task}}/rep{{rep}}/transfer/round{{round}}/{{source}}.json",
    log:
        f"{R}/logs/lth/{{task}}/rep{{rep}}/transfer/round{{round}}/{{source}}.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/rep{{rep}}/transfer/round{{round}}/{{source}}.tsv"
    wildcard_constraints:
        source=rf"{SOURCE}|rand",
        round=r"\d+",
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["train_threads"]
    resources:
        **job_size("lth_transfer"),
        gpu=int(config["compute"]["gpus"]),
    params:
        lth=lth_transfer_params,
        random_seed=lambda w: replicate_seed(int(w.round), replicate(w)),
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,
    script:
        "../scripts/lth_transfer.py"


rule lth_collect:
    """One task's lottery-ticket results as tidy tables: tickets (figure 2), transfer (4, 6, table 1), overlap (3)."""
    input:
        trajectories=lambda w: lth_trajectories(w.task),
        transfer=lambda w: lth_transfer_files(w.task),
        masks=lambda w: [
            path for per_rep in lth_overlap_masks(w.task) for path in per_rep.values()
        ],
        quality=quality_file("{task}", "tickets"),
    output:
        tickets=f"{LTH}/{{task}}/tickets.csv",
        transfer=f"{LTH}/{{task}}/transfer.csv",
        overlap=f"{LTH}/{{task}}/overlap.csv",
    log:
        f"{R}/logs/lth/{{task}}/tables.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/tables.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        trajectories=lambda w: {
            r: {
                s: f"{lth_dir(w.task, r, s)}/trajectory.json"
                for s in lth_sources(w.task)
            }
            for r in lth_reps(w.task)
        },
        transfer=lambda w: lth_transfer_files(w.task),
        masks=lambda w: lth_overlap_masks(w.task),
        sparsity=config["lth"]["overlap_sparsity"],
        rate=LTH_RATE,
    script:
        "../scripts/lth_collect.py"


rule lth_cross_task:
    """Figure 9: a language's ticket from another task rewound to this task's pre-trained model and trained on this task."""
    input:
        init=model_dir("{task}", "{rep}", "init"),
        data=data_files("{task}", "{rep}", ["train", "dev"]),
        mask=lambda w: f"{lth_dir(w.source_task, w.rep, w.lang)}/round{lth_cross_round()}.npz",
    output:
        f"{LTH}/{{task}}/rep{{rep}}/cross/{{source_task}}/{{lang}}.json",
    log:
        f"{R}/logs/lth/{{task}}/rep{{rep}}/cross/{{source_task}}/{{lang}}.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/rep{{rep}}/cross/{{source_task}}/{{lang}}.tsv"
    wildcard_constraints:
        lang=LANG,
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["train_threads"]
    resources:
        **job_size("lth_cross_task"),
        gpu=int(config["compute"]["gpus"]),
    params:
        lth=lambda w: {
            "hp": lth_hp(w),
            "sparsity": lth_cross_round() * LTH_RATE,
        },
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,
    script:
        "../scripts/lth_cross_task.py"


rule lth_cross_collect:
    """Figure 9's rows of one target task: every cross-task job beside the target's own ticket (its transfer table)."""
    input:
        jobs=lambda w: lth_cross_files(w.task),
        transfer=f"{LTH}/{{task}}/transfer.csv",
    output:
        f"{LTH}/{{task}}/cross_task.csv",
    log:
        f"{R}/logs/lth/{{task}}/cross_task.log",
    conda:
        "../envs/langspec.yaml"
    params:
        jobs=lambda w: lth_cross_files(w.task),
    script:
        "../scripts/lth_cross_collect.py"


rule lth_retrieval:
    """Parallel sentence retrieval with each language's ticket (pre-trained weights, no fine-tuning), per layer."""
    input:
        init=model_dir("{task}", "{rep}", "init"),
        test=f"{R}/data/{{task}}/rep{{rep}}/test.parquet",
        masks=lambda w: list(lth_overlap_masks(w.task)[int(w.rep)].values()),
    output:
        f"{LTH}/{{task}}/rep{{rep}}/retrieval.csv",
    log:
        f"{R}/logs/lth/{{task}}/rep{{rep}}/retrieval.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/rep{{rep}}/retrieval.tsv"
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["threads"]
    params:
        languages=lambda w: lth_languages(w.task),
        retrieval=lth_retrieval_params,
        max_length=lambda w: task(w.task)["finetune"]["max_length"],
        batch_size=lambda w: task(w.task)["finetune"]["eval_batch_size"],
        compute=COMPUTE,
    script:
        "../scripts/lth_retrieval.py"


rule lth_similarity:
    """SVCCA, PWCCA and mean CCA per layer between parallel sentences, pre-trained model and under each ticket."""
    input:
        data_inputs,
        init=model_dir("{task}", "{rep}", "init"),
        masks=lambda w: list(lth_overlap_masks(w.task)[int(w.rep)].values()),
    output:
        f"{LTH}/{{task}}/rep{{rep}}/similarity.csv",
    log:
        f"{R}/logs/lth/{{task}}/rep{{rep}}/similarity.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/rep{{rep}}/similarity.tsv"
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["threads"]
    params:
        data=data_params,
        languages=lambda w: lth_languages(w.task),
        similarity=lth_similarity_params,
        max_length=lambda w: task(w.task)["finetune"]["max_length"],
        batch_size=lambda w: task(w.task)["finetune"]["eval_batch_size"],
        compute=COMPUTE,
    script:
        "../scripts/lth_similarity.py"


rule lth_alternative:
    """Appendix D: a language's difference (LT-SFT) or Fisher (FISH) mask, trained from θ0 as a ticket."""
    input:
        init=model_dir("{task}", "{rep}", "init"),
        data=data_files("{task}", "{rep}", ["train", "dev"]),
    output:
        f"{LTH}/{{task}}/rep{{rep}}/{{lang}}/{{method}}.npz",
    log:
        f"{R}/logs/lth/{{task}}/rep{{rep}}/{{lang}}/{{method}}.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/rep{{rep}}/{{lang}}/{{method}}.tsv"
    wildcard_constraints:
        method="difference|fisher",
        lang=LANG,
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["train_threads"]
    resources:
        **job_size("lth_alternative"),
        gpu=int(config["compute"]["gpus"]),
    params:
        alternative=lth_alternative_params,
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,
    script:
        "../scripts/lth_alternative.py"


rule lth_alternatives_collect:
    """Appendix D's rows of one task: every alternative mask's trained metric and its overlap with the ticket."""
    input:
        masks=lambda w: [
            p for per_rep in lth_alternative_masks(w.task) for p in per_rep.values()
        ],
        tickets=lambda w: [
            p for per_rep in lth_alternative_tickets(w.task) for p in per_rep.values()
        ],
    output:
        f"{LTH}/{{task}}/alternatives.csv",
    log:
        f"{R}/logs/lth/{{task}}/alternatives.log",
    conda:
        "../envs/langspec.yaml"
    params:
        masks=lambda w: lth_alternative_masks(w.task),
        tickets=lambda w: lth_alternative_tickets(w.task),
    script:
        "../scripts/lth_alternatives_collect.py"


rule lth_heads:
    """Each language's ticket per attention head (kept fraction) beside paper 000's head mask of the same replicate."""
    input:
        init=lambda w: [model_dir(w.task, r, "init") for r in lth_reps(w.task)],
        tickets=lambda w: [
            path for per_rep in lth_overlap_masks(w.task) for path in per_rep.values()
        ],
        heads=lambda w: [
            mask_file(w.task, r, lang)
            for r in lth_reps(w.task)
            for lang in lth_languages(w.task)
        ],
    output:
        f"{LTH}/{{task}}/heads.csv",
    log:
        f"{R}/logs/lth/{{task}}/heads.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/heads.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        tickets=lambda w: lth_overlap_masks(w.task),
        heads=lambda w: [
            {lang: mask_file(w.task, r, lang) for lang in lth_languages(w.task)}
            for r in lth_reps(w.task)
        ],
        init=lambda w: [model_dir(w.task, r, "init") for r in lth_reps(w.task)],
    script:
        "../scripts/lth_heads.py"


rule lth_gather_retrieval:
    """The retrieval results of every replicate of a task in one table."""
    input:
        lambda w: [f"{LTH}/{w.task}/rep{r}/retrieval.csv" for r in lth_reps(w.task)],
    output:
        f"{LTH}/{{task}}/retrieval.csv",
    log:
        f"{R}/logs/lth/{{task}}/retrieval.log",
    conda:
        "../envs/langspec.yaml"
    script:
        "../scripts/lth_gather.py"


rule lth_gather_similarity:
    """The similarity results of every replicate of a task in one table."""
    input:
        lambda w: [f"{LTH}/{w.task}/rep{r}/similarity.csv" for r in lth_reps(w.task)],
    output:
        f"{LTH}/{{task}}/similarity.csv",
    log:
        f"{R}/logs/lth/{{task}}/similarity.log",
    conda:
        "../envs/langspec.yaml"
    script:
        "../scripts/lth_gather.py"


for name, entry in FIGURES_003.items():

    rule:
        name:
            f"lth_figure_{name}"
        input:
            paths=lambda w, entry=entry: [
                path
                for paths in lth_entry_roles(entry).values()
                for path in paths.values()
            ],
            quality=lambda w, entry=entry: list(lth_entry_quality(entry).values()),
        output:
            pdf=report(
                f"{R}/figures/lth/{name}.pdf",
                caption=f"../report/{entry.caption}.rst",
                category="Lottery tickets (paper 003)",
                labels={"figure": name},
            ),
            png=f"{R}/figures/lth/{name}.png",
            data=f"{R}/{entry.source_data}",
        log:
            f"{R}/logs/figures/lth/{name}.log",
        benchmark:
            f"{R}/benchmarks/figures/lth/{name}.tsv"
        localrule: True
        conda:
            "../envs/langspec.yaml"
        params:
            name=name,
            spec=lambda w, entry=entry: lth_figure_spec(entry),
            quality=lambda w, entry=entry: lth_entry_quality(entry),
        script:
            "../scripts/lth_figure.py"


for name, entry in TABLES_003.items():

    rule:
        name:
            f"lth_table_{name}"
        input:
            lambda w, entry=entry: [
                path
                for paths in lth_entry_roles(entry).values()
                for path in paths.values()
            ],
        output:
            csv=report(
                f"{R}/tables/lth/{name}.csv",
                caption=f"../report/{entry.caption}.rst",
                category="Lottery tickets (paper 003)",
            ),
            md=f"{R}/tables/lth/{name}.md",
            data=f"{R}/{entry.source_data}",
        log:
            f"{R}/logs/tables/lth/{name}.log",
        benchmark:
            f"{R}/benchmarks/tables/lth/{name}.tsv"
        localrule: True
        conda:
            "../envs/langspec.yaml"
        params:
            name=name,
            spec=lambda w, entry=entry: lth_figure_spec(entry),
        script:
            "../scripts/lth_table.py"


rule lth_figure_tracin:
    """TracIn shares under each language's lottery ticket after SFT on the tickets, against the full model (as figure 4)."""
    input:
        lambda w: [shares_file(t, "sft-lth", "own") for t in lth_role_tasks("heads")],
        lambda w: [
            shares_file(t, "sft-lth", "own", r)
            for t in lth_role_tasks("heads")
            for r in reps(t)
        ],
    output:
        pdf=report(
            f"{R}/{TRACIN_003.target}.pdf",
            caption=f"../report/{TRACIN_003.caption}.rst",
            category="Lottery tickets (paper 003)",
            labels={"figure": "tracin"},
        ),
        png=f"{R}/figures/lth/tracin.png",
        data=f"{R}/{TRACIN_003.source_data}",
    log:
        f"{R}/logs/figures/lth/tracin.log",
    benchmark:
        f"{R}/benchmarks/figures/lth/tracin.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        spec=lambda w: {
            "tables": {
                t: shares_file(t, "sft-lth", "own") for t in lth_role_tasks("heads")
            },
            "replicate_tables": {
                t: [shares_file(t, "sft-lth", "own", r) for r in reps(t)]
                for t in lth_role_tasks("heads")
            },
        },
        number=4,
        quality=lambda w: {t: quality_file(t, "full") for t in lth_role_tasks("heads")},
    script:
        "../scripts/figure.py"


rule lth:
    """Target: paper 003's figures 2, 3, 4, 6, 7, 9 and 10, its tables 1-5, appendix D's table, overlap and the
    head-level comparison.

    Figures and tables whose inputs no configured task has are left out: retrieval (figure 7) and similarity
    (figure 10) need a parallel task, the head-level comparison a classification task, figure 9 two tasks sharing
    a language, table 3 an MLM task, table 4 a classification task, table 5 a token-classification task and
    appendix D (lth.alternatives) a task that is not MLM.

    TracIn under tickets (results/figures/lth/tracin.pdf) is a target of its own: it needs a ticket for every
    language of the task, not only lth.languages.
    """
    input:
        [
            f"{R}/{entry.target}.{'pdf' if entry.kind == 'figure' else 'csv'}"
            for entry in lth_entries()
        ],
        [findings_file(t, "003") for t in lth_tasks()],
