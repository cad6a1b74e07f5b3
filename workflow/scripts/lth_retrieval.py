import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode
from langspec.data.schema import read_split
from langspec.models.checkpoints import load_model
from langspec.tickets.maskfile import read_weight_mask
from langspec.tickets.masks import prunable_shapes
from langspec.tickets.retrieval import layer_embeddings, parallel_pairs, retrieval_by_layer


def main():
    p = snakemake.params
    where = device(p.compute["device"])
    model, tokenizer = load_model(snakemake.input.init, where)
    test = encode(read_split(snakemake.input.test), tokenizer, p.max_length)
    source = p.retrieval["source"]
    tickets = {"full": None}
    for lang, path in zip(p.languages, snakemake.input.masks):
        tickets[lang] = read_weight_mask(path, prunable_shapes(model), where)["mask"]
    rows = []
    with autocast(p.compute["precision"], where, model):
        for ticket, mask in tickets.items():
            embeddings = layer_embeddings(model, test, p.batch_size, mask=mask)  # [layers + 1, N, H]
            for target in p.languages:
                if target == source:
                    continue
                a, b = parallel_pairs(test, source, target)
                for scored in retrieval_by_layer(embeddings[:, a], embeddings[:, b], p.retrieval["method"]).itertuples():
                    for k in (1, 5):
                        rows.append({"rep": int(snakemake.wildcards.rep), "ticket": ticket, "source": source, "target": target,
                                     "layer": scored.layer, "k": k, "accuracy": getattr(scored, f"top{k}"), "method": scored.method})
    with atomic_path(snakemake.output[0]) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.6g")


run(snakemake.log[0], main, snakemake.threads)
