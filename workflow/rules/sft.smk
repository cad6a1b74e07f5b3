rule sft:
    """Sparse fine-tuning from the initial model on the language masks (sft) or random masks (sft-random)."""
    input:
        init=model_dir("{task}", "{rep}", "init"),
        data=data_files("{task}", "{rep}", ["train", "dev"]),
        masks=sft_masks,
    output:
        directory(model_dir("{task}", "{rep}", "{sft_regime}")),
    log:
        f"{R}/logs/models/{{task}}/rep{{rep}}/{{sft_regime}}.log",
    benchmark:
        f"{R}/benchmarks/models/{{task}}/rep{{rep}}/{{sft_regime}}.tsv"
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["train_threads"]
    resources:
        **job_size("sft"),
        gpu=int(config["compute"]["gpus"]),
    params:
        sft=sft_params,
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,
    script:
        "../scripts/sft.py"


rule sft_lth:
    """Sparse fine-tuning restricted to each language's lottery ticket (regime sft-lth): W ⊙ M in the forward, masked updates."""
    input:
        init=model_dir("{task}", "{rep}", "init"),
        data=data_files("{task}", "{rep}", ["train", "dev"]),
        tickets=lambda w: [
            ticket_file(w.task, w.rep, lang) for lang in languages(w.task)
        ],
    output:
        directory(model_dir("{task}", "{rep}", "sft-lth")),
    log:
        f"{R}/logs/models/{{task}}/rep{{rep}}/sft-lth.log",
    benchmark:
        f"{R}/benchmarks/models/{{task}}/rep{{rep}}/sft-lth.tsv"
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["train_threads"]
    resources:
        **job_size("sft_lth"),
        gpu=int(config["compute"]["gpus"]),
    params:
        sft=sft_params,
        languages=lambda w: languages(w.task),
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,
    script:
        "../scripts/sft_lth.py"
