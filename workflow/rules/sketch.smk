SKETCH_DIR = f"{R}/sketches/{{task}}/rep{{rep}}/{{regime}}/{{mask}}/epoch{{epoch}}"


def checked_epoch(wildcards):
    """The wildcards' checkpoint, checked against the task's epochs."""
    e = int(wildcards.epoch)
    if not 1 <= e <= epochs(wildcards.task):
        raise LangspecError(f"epoch {e} is not a checkpoint of task '{wildcards.task}' (it trains {epochs(wildcards.task)} epochs)")
    return e


rule sketch:
    """Per-example gradient sketches of one checkpoint under one single mask: the test split and the first training shard."""
    input:
        model=model_dir("{task}", "{rep}", "{regime}"),
        data=data_files("{task}", "{rep}", ["train", "test"]),
        mask=sketch_mask,
    output:
        test=f"{SKETCH_DIR}/test.h5",
        train=f"{SKETCH_DIR}/{train_sketch_names()[0]}",
    log:
        f"{R}/logs/sketches/{{task}}/rep{{rep}}/{{regime}}/{{mask}}/epoch{{epoch}}.log",
    benchmark:
        f"{R}/benchmarks/sketches/{{task}}/rep{{rep}}/{{regime}}/{{mask}}/epoch{{epoch}}.tsv"
    params:
        sketch=sketch_params,
        epoch=checked_epoch,
        shard=0,
        shards=SHARDS,
        compute=COMPUTE,
    threads: config["compute"]["threads"]
    resources:
        gpu=int(config["compute"]["gpus"]),
    script:
        "../scripts/sketch.py"


rule sketch_shard:
    """Sketches of one further shard of the training split (sketch.shards > 1)."""
    input:
        model=model_dir("{task}", "{rep}", "{regime}"),
        data=data_files("{task}", "{rep}", ["train", "test"]),
        mask=sketch_mask,
    output:
        train=f"{SKETCH_DIR}/train.shard{{shard}}.h5",
    log:
        f"{R}/logs/sketches/{{task}}/rep{{rep}}/{{regime}}/{{mask}}/epoch{{epoch}}.shard{{shard}}.log",
    benchmark:
        f"{R}/benchmarks/sketches/{{task}}/rep{{rep}}/{{regime}}/{{mask}}/epoch{{epoch}}.shard{{shard}}.tsv"
    wildcard_constraints:
        shard=r"[1-9]\d*",
    params:
        sketch=sketch_params,
        epoch=checked_epoch,
        shard=lambda w: int(w.shard),
        shards=SHARDS,
        compute=COMPUTE,
    threads: config["compute"]["threads"]
    resources:
        gpu=int(config["compute"]["gpus"]),
    script:
        "../scripts/sketch.py"
