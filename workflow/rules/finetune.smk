rule finetune:
    """Multilingual full fine-tuning (regime full), a checkpoint after every epoch."""
    input:
        init=f"{R}/models/{{task}}/init",
        data=data_files("{task}", ["train", "dev"]),
    output:
        directory(f"{R}/models/{{task}}/full"),
    log:
        f"{R}/logs/models/{{task}}/full.log",
    benchmark:
        f"{R}/benchmarks/models/{{task}}/full.tsv",
    params:
        hp=finetune_params,
        device=config["compute"]["device"],
    threads: config["compute"]["train_threads"]
    resources:
        gpu=int(config["compute"]["gpus"]),
    script:
        "../scripts/finetune.py"
