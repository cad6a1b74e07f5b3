rule sketch:
    """Per-example gradient sketches under one single mask: every epoch checkpoint, train and test.

    Writes epoch{e}/train.h5 and epoch{e}/test.h5 inside the mask's directory.
    """
    input:
        model=f"{R}/models/{{task}}/{{regime}}",
        data=data_files("{task}", ["train", "test"]),
        mask=sketch_mask,
    output:
        directory(f"{R}/sketches/{{task}}/{{regime}}/{{mask}}"),
    log:
        f"{R}/logs/sketches/{{task}}/{{regime}}/{{mask}}.log",
    benchmark:
        f"{R}/benchmarks/sketches/{{task}}/{{regime}}/{{mask}}.tsv",
    params:
        sketch=sketch_params,
        epochs=lambda w: epochs(w.task),
        device=config["compute"]["device"],
    threads: config["compute"]["threads"]
    resources:
        gpu=int(config["compute"]["gpus"]),
    script:
        "../scripts/sketch.py"
