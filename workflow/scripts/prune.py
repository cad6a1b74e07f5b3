from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode
from langspec.data.schema import read_split
from langspec.heads.masks import save_mask
from langspec.heads.pruning import prune_language
from langspec.models.checkpoints import epoch_path, load_model


def main():
    p = snakemake.params.prune
    lang = snakemake.wildcards.lang
    where = device(snakemake.params.compute["device"])
    checkpoint = epoch_path(snakemake.input.model, p["epoch"])
    model, tokenizer = load_model(checkpoint, where)
    split = dict(zip(("train", "dev", "test"), snakemake.input.data))[p["split"]]
    data = encode(read_split(split), tokenizer, p["max_length"])
    with autocast(snakemake.params.compute["precision"], where, model):
        mask, trajectory = prune_language(
            model, data, lang, p["batch_size"], p["fraction"], p["fraction_of"], p["threshold"], p["normalize_layers"]
        )
    save_mask(
        snakemake.output[0], mask, lang, "pruned", trajectory=trajectory, checkpoint=str(checkpoint),
        split=p["split"], fraction=p["fraction"], fraction_of=p["fraction_of"], threshold=p["threshold"],
        normalize_layers=p["normalize_layers"], precision=snakemake.params.compute["precision"],
    )


run(snakemake.log[0], main, snakemake.threads)
