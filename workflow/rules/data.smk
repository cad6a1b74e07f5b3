rule data:
    """Build one replicate's train/dev/test splits in the data contract, with a manifest of sources."""
    input:
        data_inputs,
    output:
        splits=[f"{R}/data/{{task}}/rep{{rep}}/{split}.parquet" for split in SPLITS],
        manifest=f"{R}/data/{{task}}/rep{{rep}}/manifest.json",
    log:
        f"{R}/logs/data/{{task}}/rep{{rep}}.log",
    benchmark:
        f"{R}/benchmarks/data/{{task}}/rep{{rep}}.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        data=data_params,
    script:
        "../scripts/data.py"
