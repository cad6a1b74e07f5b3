"""Language-specific feed-forward neurons (LAPE, Tang et al. 2024): activation counts, selection and masks, deactivation."""


rule neurons_count:
    """Per feed-forward neuron and language: how many of the language's training tokens activate it (one replicate's fine-tuned model)."""
    input:
        model=model_dir("{task}", "{rep}", "full"),
        data=f"{rep_dir('data', '{task}', '{rep}')}/train.parquet",
    output:
        f"{NEURONS}/{{task}}/rep{{rep}}/activations.npz",
    log:
        f"{R}/logs/neurons/{{task}}/rep{{rep}}/activations.log",
    benchmark:
        f"{R}/benchmarks/neurons/{{task}}/rep{{rep}}/activations.tsv"
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["threads"]
    resources:
        **job_size("neurons_count"),
        gpu=int(config["compute"]["gpus"]),
    params:
        neurons=neurons_params,
        compute=COMPUTE,
    script:
        "../scripts/neurons_count.py"


for name in neurons_tasks():

    rule:
        name:
            f"neurons_select_{name}"
        input:
            f"{NEURONS}/{name}/rep{{rep}}/activations.npz",
        output:
            masks=[
                f"{NEURONS}/{name}/rep{{rep}}/{lang}.json"
                for lang in neurons_languages(name)
            ],
            randoms=[
                f"{NEURONS}/{name}/rep{{rep}}/{lang}-random{s}.json"
                for lang in neurons_languages(name)
                for s in config["neurons"]["random_seeds"]
            ],
        log:
            f"{R}/logs/neurons/{name}/rep{{rep}}/masks.log",
        benchmark:
            f"{R}/benchmarks/neurons/{name}/rep{{rep}}/masks.tsv"
        conda:
            "../envs/langspec.yaml"
        params:
            lape=lambda w, name=name: lape_params(name, w.rep),
        script:
            "../scripts/neurons_select.py"


rule neurons_deactivate:
    """Every language's dev metric with each language's neurons, and each random control, deactivated; and intact."""
    input:
        model=model_dir("{task}", "{rep}", "full"),
        data=f"{rep_dir('data', '{task}', '{rep}')}/dev.parquet",
        masks=lambda w: list(neuron_masks(w.task, w.rep).values()),
    output:
        f"{NEURONS}/{{task}}/rep{{rep}}/deactivation.csv",
    log:
        f"{R}/logs/neurons/{{task}}/rep{{rep}}/deactivation.log",
    benchmark:
        f"{R}/benchmarks/neurons/{{task}}/rep{{rep}}/deactivation.tsv"
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["threads"]
    resources:
        **job_size("neurons_deactivate"),
        gpu=int(config["compute"]["gpus"]),
    params:
        neurons=lambda w: neurons_params(w)
        | {"masks": list(neuron_masks(w.task, w.rep))},
        compute=COMPUTE,
    script:
        "../scripts/neurons_deactivate.py"


rule neurons_kinds:
    """Heads, weights and neurons of one replicate side by side: specificity per layer, overlaps, and every compared
    language's dev loss with each kind's most specific units of each language removed at matched parameters.
    """
    input:
        model=model_dir("{task}", "{rep}", "full"),
        data=f"{rep_dir('data', '{task}', '{rep}')}/dev.parquet",
        neurons=lambda w: [
            neuron_masks(w.task, w.rep)[lang] for lang in compare_languages(w.task)
        ],
        heads=lambda w: [
            mask_file(w.task, w.rep, lang) for lang in compare_languages(w.task)
        ],
        tickets=lambda w: [
            f"{lth_dir(w.task, w.rep, lang)}/round{k}.npz"
            for lang in compare_languages(w.task)
            for k in range(1, LTH_OVERLAP_ROUND + 1)
        ],
    output:
        profile=f"{NEURONS}/{{task}}/rep{{rep}}/kinds/profile.csv",
        overlap=f"{NEURONS}/{{task}}/rep{{rep}}/kinds/overlap.csv",
        removal=f"{NEURONS}/{{task}}/rep{{rep}}/kinds/removal.csv",
    log:
        f"{R}/logs/neurons/{{task}}/rep{{rep}}/kinds.log",
    benchmark:
        f"{R}/benchmarks/neurons/{{task}}/rep{{rep}}/kinds.tsv"
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["threads"]
    resources:
        **job_size("neurons_kinds"),
        gpu=int(config["compute"]["gpus"]),
    params:
        neurons=neurons_params,
        kinds=lambda w: {
            "languages": compare_languages(w.task),
            "rounds": LTH_OVERLAP_ROUND,
            "seed": replicate_seed(config["neurons"]["compare"]["seed"], int(w.rep)),
        },
        compute=COMPUTE,
    script:
        "../scripts/neurons_kinds.py"


rule neurons_kinds_collect:
    """One task's comparison of kinds over its replicates whose fine-tuned model and tickets learned."""
    input:
        tables=lambda w: [
            f"{kinds_dir(w.task, r)}/{part}.csv"
            for r in lth_reps(w.task)
            for part in ("profile", "overlap", "removal")
        ],
        tickets=lambda w: [
            f"{lth_dir(w.task, r, lang)}/first/quality.json"
            for r in lth_reps(w.task)
            for lang in compare_languages(w.task)
        ],
        quality=quality_file("{task}", "full"),
    output:
        profile=f"{NEURONS}/{{task}}/kinds_profile.csv",
        overlap=f"{NEURONS}/{{task}}/kinds_overlap.csv",
        removal=f"{NEURONS}/{{task}}/kinds_removal.csv",
    log:
        f"{R}/logs/neurons/{{task}}/kinds_tables.log",
    benchmark:
        f"{R}/benchmarks/neurons/{{task}}/kinds_tables.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        tables=lambda w: {r: kinds_dir(w.task, r) for r in lth_reps(w.task)},
        tickets=lambda w: {
            r: [
                f"{lth_dir(w.task, r, lang)}/first/quality.json"
                for lang in compare_languages(w.task)
            ]
            for r in lth_reps(w.task)
        },
    script:
        "../scripts/neurons_kinds_collect.py"


rule neurons_collect:
    """One task's neurons as tidy tables over its replicates that learned: neurons per layer, the deactivation matrix."""
    input:
        masks=lambda w: [
            neuron_masks(w.task, r)[lang]
            for r in reps(w.task)
            for lang in neurons_languages(w.task)
        ],
        deactivation=lambda w: [
            f"{neurons_dir(w.task, r)}/deactivation.csv" for r in reps(w.task)
        ],
        quality=quality_file("{task}", "full"),
    output:
        layers=f"{NEURONS}/{{task}}/layers.csv",
        deactivation=f"{NEURONS}/{{task}}/deactivation.csv",
    log:
        f"{R}/logs/neurons/{{task}}/tables.log",
    benchmark:
        f"{R}/benchmarks/neurons/{{task}}/tables.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        masks=lambda w: {
            r: {
                lang: neuron_masks(w.task, r)[lang]
                for lang in neurons_languages(w.task)
            }
            for r in reps(w.task)
        },
        deactivation=lambda w: {
            r: f"{neurons_dir(w.task, r)}/deactivation.csv" for r in reps(w.task)
        },
    script:
        "../scripts/neurons_collect.py"


for name, entry in neurons_figures().items():

    rule:
        name:
            f"neurons_figure_{name}"
        input:
            paths=lambda w, entry=entry: [
                path for role in entry.roles for path in neurons_spec()[role].values()
            ],
            quality=lambda w: list(neurons_quality().values()),
        output:
            pdf=report(
                f"{R}/{entry.target}.pdf",
                caption=f"../report/{entry.caption}.rst",
                category="Language-specific neurons",
                labels={"figure": name},
            ),
            png=f"{R}/{entry.target}.png",
            data=f"{R}/{entry.source_data}",
        log:
            f"{R}/logs/figures/neurons/{name}.log",
        benchmark:
            f"{R}/benchmarks/figures/neurons/{name}.tsv"
        localrule: True
        conda:
            "../envs/langspec.yaml"
        params:
            name=name,
            spec=lambda w, entry=entry: {
                role: neurons_spec()[role] for role in entry.roles
            },
            quality=lambda w: neurons_quality(),
        script:
            "../scripts/neurons_figure.py"


rule neurons_figure_tracin:
    """TracIn shares with each test language's own LAPE neurons deactivated, against the full model (as figure 2)."""
    input:
        lambda w: [shares_file(t, "full", "neurons") for t in neurons_tracin_tasks()],
        lambda w: [
            shares_file(t, "full", "neurons", r)
            for t in neurons_tracin_tasks()
            for r in reps(t)
        ],
    output:
        pdf=report(
            f"{R}/{TRACIN_NEURONS.target}.pdf",
            caption=f"../report/{TRACIN_NEURONS.caption}.rst",
            category="Language-specific neurons",
            labels={"figure": "tracin"},
        ),
        png=f"{R}/{TRACIN_NEURONS.target}.png",
        data=f"{R}/{TRACIN_NEURONS.source_data}",
    log:
        f"{R}/logs/figures/neurons/tracin.log",
    benchmark:
        f"{R}/benchmarks/figures/neurons/tracin.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        spec=lambda w: {
            "tables": {
                t: shares_file(t, "full", "neurons") for t in neurons_tracin_tasks()
            },
            "replicate_tables": {
                t: [shares_file(t, "full", "neurons", r) for r in reps(t)]
                for t in neurons_tracin_tasks()
            },
        },
        figure="neurons/tracin",
        number=2,
        quality=lambda w: {t: quality_file(t, "full") for t in neurons_tracin_tasks()},
    script:
        "../scripts/figure.py"


rule neurons:
    """Target: the language-specific neurons (LAPE) of every neurons task: neurons per layer per language, the
    deactivation matrix with its random control, heads, weights and neurons side by side (neurons.compare), TracIn
    shares under each test language's own neurons deactivated (classification tasks), and the neuron claims' findings.
    """
    input:
        [f"{R}/{entry.target}.pdf" for entry in neurons_figures().values()],
        [f"{R}/{TRACIN_NEURONS.target}.pdf" for _ in neurons_tracin_tasks()[:1]],
        [findings_file(t, "neurons") for t in neurons_tasks()],
