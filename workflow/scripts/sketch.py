import contextlib
from pathlib import Path

from langspec.attribution.conditions import neuron_language, ticket_language
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
from langspec.models.checkpoints import epoch_path, load_model
from langspec.neurons.masks import read_neuron_mask
from langspec.neurons.subnetworks import NeuronSubnetworks
from langspec.tickets.maskfile import read_weight_mask
from langspec.tickets.masks import WeightSubnetworks, prunable_shapes


def sketch_checkpoint(epoch, jobs, encoded):
    """Sketch one checkpoint under each mask of ``jobs``: (mask name, mask file or None, test file or None, train file).

    The model is loaded once; each mask is applied to it in turn and removed again,
    so every mask's files are those of a job that sketches it alone.
    """
    p = snakemake.params.sketch
    precision = snakemake.params.compute["precision"]
    where = device(snakemake.params.compute["device"])
    checkpoint = epoch_path(snakemake.input.model, epoch)
    model, tokenizer = load_model(checkpoint, where)
    if not encoded:  # every checkpoint of a regime saves the same tokenizer: encode once per job
        encoded.update({split: encode(read_split(path), tokenizer, p["max_length"]) for split, path in zip(("train", "test"), snakemake.input.data)})
    train, test = encoded["train"], encoded["test"]
    shard, shards = snakemake.params.shard, snakemake.params.shards
    rows = shard_rows(len(train), p["batch_size"], shards, shard, snakemake.input.data[0])
    for name, mask_path, test_out, train_out in jobs:
        with contextlib.ExitStack() as stack:
            stack.enter_context(autocast(precision, where, model))
            if ticket_language(name):  # a lottery ticket: W ⊙ M in the forward, √q-scaled sketches
                mask = read_weight_mask(mask_path, prunable_shapes(model), where)["mask"]
                stack.enter_context(WeightSubnetworks.single(model, mask)).use("*")
                sketcher = TicketSketcher(model, p["dim"], p["layers"], p["seed"], mask)
            elif lang := neuron_language(name):  # the language's LAPE neurons zeroed in the forward pass
                mask = read_neuron_mask(mask_path)["mask"]
                stack.enter_context(NeuronSubnetworks(model, {lang: mask})).use(lang)
                sketcher = Sketcher(model, p["dim"], p["layers"], p["seed"])
            else:
                gates = stack.enter_context(HeadGates(model))
                if mask_path is not None:
                    gates.set(read_mask(mask_path, gates.layout)["mask"])
                sketcher = Sketcher(model, p["dim"], p["layers"], p["seed"])
            attrs = {"checkpoint": str(checkpoint), "mask": name, "precision": precision}
            if test_out is not None:
                write_sketches(test_out, sketcher, test, p["batch_size"], {**attrs, "split": "test"}, p["dtype"])
            write_sketches(train_out, sketcher, train, p["batch_size"], {**attrs, "split": "train", "shard": shard, "shards": shards},
                           p["dtype"], rows)


def masks_and_outputs():
    """(mask name, mask file or None, output directory) of every mask this job sketches whole (sketch.shards 1)."""
    if "masks" not in snakemake.params.keys():  # one job per mask
        files = list(snakemake.input.mask)
        return [(snakemake.wildcards.mask, files[0] if files else None, snakemake.output[0])]
    files = iter(snakemake.input.masks)  # one job per regime: every mask but `full` has a file, in order
    return [(name, None if name == "full" else next(files), out) for name, out in zip(snakemake.params.masks, snakemake.output)]


def main():
    encoded = {}
    if snakemake.params.shards == 1:  # every checkpoint into each mask's directory
        with contextlib.ExitStack() as stack:
            jobs = [(name, path, Path(stack.enter_context(atomic_dir(out)))) for name, path, out in masks_and_outputs()]
            for epoch in snakemake.params.epochs:
                sketch_checkpoint(epoch, [(name, path, out / f"epoch{epoch}" / "test.h5", out / f"epoch{epoch}" / "train.h5")
                                          for name, path, out in jobs], encoded)
    else:
        (epoch,) = snakemake.params.epochs
        (mask,) = snakemake.input.mask or [None]
        sketch_checkpoint(epoch, [(snakemake.wildcards.mask, mask, snakemake.output.get("test"), snakemake.output.train)], encoded)


run(snakemake.log[0], main, snakemake.threads)
