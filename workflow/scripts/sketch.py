from langspec.checkpoints import epoch_path, load_classifier, read_split
from langspec.encode import encode
from langspec.gates import HeadGates
from langspec.jobs import device, run
from langspec.masks import read_mask
from langspec.precision import autocast
from langspec.sketch import Sketcher
from langspec.shards import shard_rows
from langspec.sketchfile import write_sketches


def main():
    p = snakemake.params.sketch
    where = device(snakemake.params.compute["device"])
    checkpoint = epoch_path(snakemake.input.model, snakemake.params.epoch)
    model, tokenizer = load_classifier(checkpoint, where)
    train_path, test_path = snakemake.input.data
    with HeadGates(model) as gates, autocast(snakemake.params.compute["precision"], where, model):
        if snakemake.input.mask:
            gates.set(read_mask(snakemake.input.mask[0], gates.layout.shape)["mask"])
        sketcher = Sketcher(model, p["dim"], p["layers"], p["seed"])
        attrs = {"checkpoint": str(checkpoint), "mask": snakemake.wildcards.mask, "precision": snakemake.params.compute["precision"]}
        if "test" in snakemake.output.keys():
            test = encode(read_split(test_path), tokenizer, p["max_length"])
            write_sketches(snakemake.output.test, sketcher, test, p["batch_size"], {**attrs, "split": "test"}, p["dtype"])
        train = encode(read_split(train_path), tokenizer, p["max_length"])
        shard, shards = snakemake.params.shard, snakemake.params.shards
        rows = shard_rows(len(train), p["batch_size"], shards, shard, train_path)
        write_sketches(snakemake.output.train, sketcher, train, p["batch_size"],
                       {**attrs, "split": "train", "shard": shard, "shards": shards}, p["dtype"], rows)


run(snakemake.log[0], main, snakemake.threads)
