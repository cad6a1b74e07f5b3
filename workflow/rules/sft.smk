rule sft:
    """Sparse fine-tuning from the initial model on the language masks (sft) or random masks (sft-random)."""
    input:
        init=f"{R}/models/{{task}}/init",
        data=data_files("{task}", ["train", "dev"]),
        masks=sft_masks,
    output:
        directory(f"{R}/models/{{task}}/{{sft_regime}}"),
    log:
        f"{R}/logs/models/{{task}}/{{sft_regime}}.log",
    benchmark:
        f"{R}/benchmarks/models/{{task}}/{{sft_regime}}.tsv",
    params:
        sft=sft_params,
        device=config["compute"]["device"],
    threads: config["compute"]["train_threads"]
    resources:
        gpu=int(config["compute"]["gpus"]),
    script:
        "../scripts/sft.py"
