rule sketch:
    """Per-example gradient sketches of one checkpoint under one single mask, train and test splits."""
    input:
        model=f"{R}/models/{{task}}/{{regime}}",
        data=data_files("{task}", ["train", "test"]),
        mask=sketch_mask,
    output:
        train=f"{R}/sketches/{{task}}/{{regime}}/{{mask}}/epoch{{epoch}}/train.h5",
        test=f"{R}/sketches/{{task}}/{{regime}}/{{mask}}/epoch{{epoch}}/test.h5",
    log:
        f"{R}/logs/sketches/{{task}}/{{regime}}/{{mask}}/epoch{{epoch}}.log",
    params:
        sketch=sketch_params,
        device=config["compute"]["device"],
    threads: config["compute"]["threads"]
    resources:
        gpu=config["compute"]["gpus"],
    script:
        "../scripts/sketch.py"
