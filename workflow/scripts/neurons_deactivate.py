import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode, text_to_text_of
from langspec.data.schema import read_split
from langspec.models.checkpoints import epoch_path, kind_of, load_model
from langspec.neurons.deactivation import deactivation_rows
from langspec.neurons.ffn import ffn_layers
from langspec.neurons.masks import read_neuron_mask


def main():
    p = snakemake.params.neurons
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_model(epoch_path(snakemake.input.model, p["epoch"]), where)
    layers = ffn_layers(model)
    shape = (len(layers), layers[0].neurons)
    masks = {name: read_neuron_mask(path, shape) for name, path in zip(p["masks"], snakemake.input.masks)}
    data = encode(read_split(snakemake.input.data), tokenizer, p["max_length"], kind_of(model), p["seed"],
                  text_to_text_of(model.config))
    with autocast(snakemake.params.compute["precision"], where, model):
        rows = deactivation_rows(model, data, masks, p["languages"], p["batch_size"])
    frame = pd.DataFrame(rows)
    frame.insert(0, "rep", int(snakemake.wildcards.rep))
    with atomic_path(snakemake.output[0]) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.8g")


run(snakemake.log[0], main, snakemake.threads)
