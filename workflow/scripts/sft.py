from functools import partial
from pathlib import Path

from langspec.atomic import atomic_dir
from langspec.checkpoints import load_classifier, read_split
from langspec.encode import encode
from langspec.heads import head_layout
from langspec.jobs import device, run
from langspec.masks import read_mask
from langspec.precision import autocast
from langspec.train import Hyperparameters, train


def main():
    p = snakemake.params.sft
    hp = Hyperparameters(**p["hp"])
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_classifier(snakemake.input.init, where)
    shape = head_layout(model).shape
    masks = {}
    for path in snakemake.input.masks:
        body = read_mask(path, shape)
        masks[body["lang"]] = body["mask"]
    train_data, dev_data = (encode(read_split(path), tokenizer, hp.max_length) for path in snakemake.input.data)
    evaluation = partial(autocast, snakemake.params.evaluation["precision"], where, model)
    with atomic_dir(snakemake.output[0]) as out, autocast(snakemake.params.compute["precision"], where, model):
        train(model, tokenizer, train_data, dev_data, hp, Path(out), masks=masks, strict=p["mode"] == "strict",
              evaluation=evaluation)


run(snakemake.log[0], main, snakemake.threads)
