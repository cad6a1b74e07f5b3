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
        "../../envs/langspec.yaml"
    threads: config["compute"]["train_threads"]
    resources:
        gpu=int(config["compute"]["gpus"]),
    params:
        sft=sft_params,
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,
    script:
        "../scripts/sft.py"
