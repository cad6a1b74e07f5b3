import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode
from langspec.data.tasks import parallel_sentences
from langspec.models.checkpoints import load_model
from langspec.tickets.maskfile import read_weight_mask
from langspec.tickets.masks import prunable_shapes
from langspec.tickets.retrieval import layer_poolings, parallel_pairs
from langspec.stats.similarity import similarity_by_layer


def main():
    p = snakemake.params
    where = device(p.compute["device"])
    model, tokenizer = load_model(snakemake.input.init, where)
    settings = p.similarity
    frame = parallel_sentences(snakemake.wildcards.task, p.data["spec"], p.languages, p.data["seed"], settings["sentences"])
    sentences = encode(frame, tokenizer, p.max_length)
    tickets = {"full": None}
    for lang, path in zip(p.languages, snakemake.input.masks):
        tickets[lang] = read_weight_mask(path, prunable_shapes(model), where)["mask"]
    source = settings["source"]
    rows = []
    with autocast(p.compute["precision"], where, model):
        for ticket, mask in tickets.items():
            for pooling, embeddings in layer_poolings(model, sentences, p.batch_size, mask=mask).items():  # [L + 1, N, H]
                for target in p.languages:
                    if target == source:
                        continue
                    a, b = parallel_pairs(sentences, source, target)
                    table = similarity_by_layer(embeddings[:, a], embeddings[:, b], settings["keep_variance"],
                                                seed=p.data["seed"])
                    rows.append(table.assign(rep=int(snakemake.wildcards.rep), ticket=ticket, pooling=pooling,
                                             source=source, target=target, sentences=len(a)))
    columns = ["rep", "ticket", "pooling", "source", "target", "layer", "measure", "similarity", "control", "sentences"]
    with atomic_path(snakemake.output[0]) as tmp:
        pd.concat(rows, ignore_index=True)[columns].to_csv(tmp, index=False, float_format="%.6g")


run(snakemake.log[0], main, snakemake.threads)
