from functools import partial
from pathlib import Path

from langspec.core.atomic import write_json
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode, text_to_text_of
from langspec.data.schema import read_split
from langspec.models.checkpoints import kind_of, load_model
from langspec.tickets.imp import imp_first, imp_rest, read_first_rounds, save_first_rounds, union_rows
from langspec.training.quality import QualityRule
from langspec.training.train import Hyperparameters


def main():
    """IMP's first rounds (part ``first``: judged, redrawn) or the rounds after them and the ticket (``rest``)."""
    p = snakemake.params.lth
    hp = Hyperparameters(**p["hp"])
    source = snakemake.wildcards.source
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_model(snakemake.input.init, where)
    train, dev = (encode(read_split(path), tokenizer, hp.max_length, kind_of(model), hp.seed,
                                text_to_text_of(model.config)) for path in snakemake.input.data)
    langs = p["languages"]
    if source == "multi":  # the union of several languages' data, the size of one language's
        train = train.subset(union_rows(train.lang, langs, len(train.indices(langs[0])), hp.seed))
    else:
        train = train.subset(train.indices(source))
    dev = dev.subset(dev.indices(langs[0]) if len(langs) == 1 else [i for lang in langs for i in dev.indices(lang)])
    evaluation = partial(autocast, snakemake.params.evaluation["precision"], where, model)
    out_dir = Path(snakemake.output.masks[0]).parent if snakemake.output.masks else Path(snakemake.output.trajectory).parent
    with autocast(snakemake.params.compute["precision"], where, model):
        if snakemake.params.part == "first":
            first = imp_first(model, tokenizer, train, dev, hp, out_dir, p["rate"], snakemake.params.rounds, langs,
                              QualityRule(**snakemake.params.quality), evaluation=evaluation)
            save_first_rounds(first, out_dir)
        else:
            _, quality = imp_rest(model, tokenizer, train, dev, hp, out_dir, p["rate"], snakemake.params.rounds, langs,
                                  read_first_rounds(out_dir), evaluation=evaluation)
            write_json(snakemake.output.quality, quality)


run(snakemake.log[0], main, snakemake.threads)
