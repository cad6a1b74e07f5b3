rule data:
    """Build a task's train/dev/test splits in the data contract, with a manifest of sources."""
    input:
        data_inputs,
    output:
        splits=[f"{R}/data/{{task}}/{split}.parquet" for split in SPLITS],
        manifest=f"{R}/data/{{task}}/manifest.json",
    log:
        f"{R}/logs/data/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/data/{{task}}.tsv",
    params:
        data=data_params,
    script:
        "../scripts/data.py"
