import numpy as np

from langspec.core.atomic import atomic_path
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode, text_to_text_of
from langspec.data.schema import read_split
from langspec.models.checkpoints import epoch_path, kind_of, load_model
from langspec.neurons.activation import count_active


def main():
    p = snakemake.params.neurons
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_model(epoch_path(snakemake.input.model, p["epoch"]), where)
    data = encode(read_split(snakemake.input.data), tokenizer, p["max_length"], kind_of(model), p["seed"],
                  text_to_text_of(model.config))
    with autocast(snakemake.params.compute["precision"], where, model):
        counted = [count_active(model, data, lang, p["batch_size"]) for lang in p["languages"]]
    with atomic_path(snakemake.output[0]) as tmp, open(tmp, "wb") as out:
        np.savez_compressed(out, languages=np.array(p["languages"]), counts=np.stack([a.counts for a in counted]),
                            tokens=np.array([a.tokens for a in counted], dtype=np.int64))


run(snakemake.log[0], main, snakemake.threads)
