MASK_DIR = f"{R}/sketches/{{task}}/rep{{rep}}/{{regime}}/{{mask}}"


SKETCH_DIR = f"{MASK_DIR}/epoch{{epoch}}"


if SHARDS == 1:

    rule sketch:
        """Per-example gradient sketches under one single mask: every checkpoint, train and test (epoch{e}/{split}.h5)."""
        input:
            model=model_dir("{task}", "{rep}", "{regime}"),
            data=data_files("{task}", "{rep}", ["train", "test"]),
            mask=sketch_mask,
        output:
            directory(MASK_DIR),
        log:
            f"{R}/logs/sketches/{{task}}/rep{{rep}}/{{regime}}/{{mask}}.log",
        benchmark:
            f"{R}/benchmarks/sketches/{{task}}/rep{{rep}}/{{regime}}/{{mask}}.tsv"
        conda:
            "../envs/langspec.yaml"
        threads: config["compute"]["threads"]
        resources:
            **job_size("sketch"),
            gpu=int(config["compute"]["gpus"]),
        params:
            sketch=sketch_params,
            epochs=lambda w: list(range(1, epochs(w.task) + 1)),
            shard=0,
            shards=1,
            compute=COMPUTE,
        script:
            "../scripts/sketch.py"

else:

    rule sketch:
        """Sketches of one checkpoint under one single mask: the test split and the first training shard."""
        input:
            model=model_dir("{task}", "{rep}", "{regime}"),
            data=data_files("{task}", "{rep}", ["train", "test"]),
            mask=sketch_mask,
        output:
            test=f"{SKETCH_DIR}/test.h5",
            train=f"{SKETCH_DIR}/train.shard0.h5",
        log:
            f"{R}/logs/sketches/{{task}}/rep{{rep}}/{{regime}}/{{mask}}/epoch{{epoch}}.log",
        benchmark:
            f"{R}/benchmarks/sketches/{{task}}/rep{{rep}}/{{regime}}/{{mask}}/epoch{{epoch}}.tsv"
        conda:
            "../envs/langspec.yaml"
        threads: config["compute"]["threads"]
        resources:
            **job_size("sketch"),
            gpu=int(config["compute"]["gpus"]),
        params:
            sketch=sketch_params,
            epochs=checked_epoch,
            shard=0,
            shards=SHARDS,
            compute=COMPUTE,
        script:
            "../scripts/sketch.py"

    rule sketch_shard:
        """Sketches of one checkpoint under one single mask: a further shard of the training split."""
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
        conda:
            "../envs/langspec.yaml"
        threads: config["compute"]["threads"]
        resources:
            **job_size("sketch"),
            gpu=int(config["compute"]["gpus"]),
        params:
            sketch=sketch_params,
            epochs=checked_epoch,
            shard=lambda w: int(w.shard),
            shards=SHARDS,
            compute=COMPUTE,
        script:
            "../scripts/sketch.py"


if SKETCH_JOBS == "regime":
    # One job per task, replicate and regime for the regime's standard masks
    # (regime_masks): the model is loaded once per checkpoint and the job's
    # start-up is paid once. Other masks fall to the per-mask rule above.
    for _name in classification_tasks():
        for _regime, _masks in regime_masks(_name).items():
            _rule = f"sketch_{_regime}_{_name}".replace("-", "_")

            rule:
                name:
                    _rule
                input:
                    model=model_dir(_name, "{rep}", _regime),
                    data=data_files(_name, "{rep}", ["train", "test"]),
                    masks=[mask_file(_name, "{rep}", m) for m in _masks if m != "full"],
                output:
                    [
                        directory(f"{R}/sketches/{_name}/rep{{rep}}/{_regime}/{m}")
                        for m in _masks
                    ],
                log:
                    f"{R}/logs/sketches/{_name}/rep{{rep}}/{_regime}.log",
                benchmark:
                    f"{R}/benchmarks/sketches/{_name}/rep{{rep}}/{_regime}.tsv"
                conda:
                    "../envs/langspec.yaml"
                threads: config["compute"]["threads"]
                resources:
                    **job_size("sketch", _name, len(_masks)),
                    gpu=int(config["compute"]["gpus"]),
                params:
                    sketch=lambda w, name=_name: sketch_params(for_task(name, w)),
                    epochs=list(range(1, epochs(_name) + 1)),
                    masks=_masks,
                    shard=0,
                    shards=1,
                    compute=COMPUTE,
                script:
                    "../scripts/sketch.py"

            workflow.ruleorder(_rule, "sketch")
