rule finetune:
    """Multilingual full fine-tuning of one replicate (regime full), a checkpoint after every epoch."""
    input:
        init=model_dir("{task}", "{rep}", "init"),
        data=data_files("{task}", "{rep}", ["train", "dev"]),
    output:
        directory(model_dir("{task}", "{rep}", "full")),
    log:
        f"{R}/logs/models/{{task}}/rep{{rep}}/full.log",
    benchmark:
        f"{R}/benchmarks/models/{{task}}/rep{{rep}}/full.tsv"
    conda:
        "../envs/langspec.yaml"
    threads: config["compute"]["train_threads"]
    resources:
        **job_size("finetune"),
        gpu=int(config["compute"]["gpus"]),
    params:
        hp=finetune_params,
        quality=QUALITY,
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,
    script:
        "../scripts/finetune.py"
