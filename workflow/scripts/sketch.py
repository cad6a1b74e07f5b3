import contextlib
from pathlib import Path

from langspec.attribution.conditions import ticket_language
from langspec.attribution.sketch import Sketcher
from langspec.attribution.sketchfile import write_sketches
from langspec.attribution.ticket_sketch import TicketSketcher
from langspec.core.atomic import atomic_dir
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode
from langspec.data.schema import read_split
from langspec.data.shards import shard_rows
from langspec.heads.gates import HeadGates
from langspec.heads.masks import read_mask
from langspec.models.checkpoints import epoch_path, load_classifier
from langspec.tickets.maskfile import read_weight_mask
from langspec.tickets.masks import WeightSubnetworks, prunable_shapes


def sketch_checkpoint(epoch, test_out, train_out, encoded):
    """Sketch one checkpoint: the test split (when ``test_out``) and this job's shard of the training split."""
    p = snakemake.params.sketch
    precision = snakemake.params.compute["precision"]
    where = device(snakemake.params.compute["device"])
    checkpoint = epoch_path(snakemake.input.model, epoch)
    model, tokenizer = load_classifier(checkpoint, where)
    if not encoded:  # every checkpoint of a regime saves the same tokenizer: encode once per job
        encoded.update({split: encode(read_split(path), tokenizer, p["max_length"]) for split, path in zip(("train", "test"), snakemake.input.data)})
    train, test = encoded["train"], encoded["test"]
    with contextlib.ExitStack() as stack:
        stack.enter_context(autocast(precision, where, model))
        if ticket_language(snakemake.wildcards.mask):  # a lottery ticket: W ⊙ M in the forward, √q-scaled sketches
            mask = read_weight_mask(snakemake.input.mask[0], prunable_shapes(model), where)["mask"]
            stack.enter_context(WeightSubnetworks.single(model, mask)).use("*")
            sketcher = TicketSketcher(model, p["dim"], p["layers"], p["seed"], mask)
        else:
            gates = stack.enter_context(HeadGates(model))
            if snakemake.input.mask:
                gates.set(read_mask(snakemake.input.mask[0], gates.layout.shape)["mask"])
            sketcher = Sketcher(model, p["dim"], p["layers"], p["seed"])
        attrs = {"checkpoint": str(checkpoint), "mask": snakemake.wildcards.mask, "precision": precision}
        if test_out is not None:
            write_sketches(test_out, sketcher, test, p["batch_size"], {**attrs, "split": "test"}, p["dtype"])
        train_path = snakemake.input.data[0]
        shard, shards = snakemake.params.shard, snakemake.params.shards
        rows = shard_rows(len(train), p["batch_size"], shards, shard, train_path)
        write_sketches(train_out, sketcher, train, p["batch_size"], {**attrs, "split": "train", "shard": shard, "shards": shards},
                       p["dtype"], rows)


def main():
    encoded = {}
    if snakemake.params.shards == 1:  # one job per mask: every checkpoint into the mask's directory
        with atomic_dir(snakemake.output[0]) as out:
            for epoch in snakemake.params.epochs:
                where = Path(out) / f"epoch{epoch}"
                sketch_checkpoint(epoch, where / "test.h5", where / "train.h5", encoded)
    else:
        (epoch,) = snakemake.params.epochs
        sketch_checkpoint(epoch, snakemake.output.get("test"), snakemake.output.train, encoded)


run(snakemake.log[0], main, snakemake.threads)
