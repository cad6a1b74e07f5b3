import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode, text_to_text_of
from langspec.data.schema import read_split
from langspec.heads.masks import read_mask
from langspec.kinds.compare import compare
from langspec.models.checkpoints import epoch_path, kind_of, load_model
from langspec.models.layout import head_layout
from langspec.neurons.ffn import ffn_layers
from langspec.neurons.masks import read_neuron_mask
from langspec.tickets.maskfile import read_weight_mask
from langspec.tickets.masks import prunable_shapes


def write_csv(path, rows, rep):
    frame = pd.DataFrame(rows)
    frame.insert(0, "rep", rep)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.8g")


def main():
    p, k = snakemake.params.neurons, snakemake.params.kinds
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_model(epoch_path(snakemake.input.model, p["epoch"]), where)
    layers = ffn_layers(model)
    languages, rounds = k["languages"], k["rounds"]
    neurons = {lang: read_neuron_mask(path, (len(layers), layers[0].neurons))["mask"]
               for lang, path in zip(languages, snakemake.input.neurons)}
    heads = {lang: read_mask(path, head_layout(model))["mask"] for lang, path in zip(languages, snakemake.input.heads)}
    shapes = prunable_shapes(model)
    paths = snakemake.input.tickets  # language-major: each language's rounds 1..rounds
    tickets = {lang: [read_weight_mask(path, shapes, device=None)["mask"] for path in paths[i * rounds:(i + 1) * rounds]]
               for i, lang in enumerate(languages)}
    data = encode(read_split(snakemake.input.data), tokenizer, p["max_length"], kind_of(model), p["seed"],
                  text_to_text_of(model.config))
    with autocast(snakemake.params.compute["precision"], where, model):
        profile, overlap, removal = compare(model, data, neurons, heads, tickets, p["batch_size"], k["seed"])
    rep = int(snakemake.wildcards.rep)
    write_csv(snakemake.output.profile, profile, rep)
    write_csv(snakemake.output.overlap, overlap, rep)
    write_csv(snakemake.output.removal, removal, rep)


run(snakemake.log[0], main, snakemake.threads)
