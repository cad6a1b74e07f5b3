from functools import partial
from pathlib import Path

from langspec.atomic import atomic_dir
from langspec.checkpoints import load_classifier, read_split
from langspec.encode import encode
from langspec.jobs import device, run
from langspec.precision import autocast
from langspec.train import Hyperparameters, train
from langspec.weightfile import read_weight_mask
from langspec.weightmask import WeightSubnetworks, prunable_shapes


def main():
    p = snakemake.params.sft
    hp = Hyperparameters(**p["hp"])
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_classifier(snakemake.input.init, where)
    shapes = prunable_shapes(model)
    tickets = {lang: read_weight_mask(path, shapes, where)["mask"] for lang, path in zip(snakemake.params.languages, snakemake.input.tickets)}
    train_data, dev_data = (encode(read_split(path), tokenizer, hp.max_length) for path in snakemake.input.data)
    evaluation = partial(autocast, snakemake.params.evaluation["precision"], where, model)
    with atomic_dir(snakemake.output[0]) as out, autocast(snakemake.params.compute["precision"], where, model), \
            WeightSubnetworks(model, tickets) as subnetworks:
        train(model, tokenizer, train_data, dev_data, hp, Path(out), subnetworks=subnetworks, strict=p["mode"] == "strict",
              evaluation=evaluation)


run(snakemake.log[0], main, snakemake.threads)
