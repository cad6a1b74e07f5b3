from functools import partial
from pathlib import Path

from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode, text_to_text_of
from langspec.data.schema import read_split
from langspec.models.checkpoints import kind_of, load_model
from langspec.tickets.imp import imp, train_ticket, union_rows
from langspec.tickets.maskfile import read_weight_mask, write_trajectory
from langspec.tickets.masks import prunable_shapes
from langspec.training.train import Hyperparameters


def main():
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
    out = Path(snakemake.output.trajectory).parent
    rounds = snakemake.params.rounds
    evaluation = partial(autocast, snakemake.params.evaluation["precision"], where, model)
    with autocast(snakemake.params.compute["precision"], where, model):
        trajectory = imp(model, tokenizer, train, dev, hp, out, p["rate"], rounds * p["rate"], langs, evaluation=evaluation)
        # the last round's mask has not been trained yet: train it (rewound, head carried, as every round)
        last = read_weight_mask(Path(snakemake.output.masks[-1]), prunable_shapes(model), where)["mask"]
        final = train_ticket(model, tokenizer, last, train, dev, hp, languages=langs, evaluation=evaluation)
    trajectory.append({  # nothing is pruned after it: the mask's sparsity is the one trained
        "round": rounds + 1, "sparsity": final["sparsity"], "trained_sparsity": final["sparsity"], "metric": final["metric"],
        "best_metric": final["best_metric"], "epoch_metrics": final["epoch_metrics"], "dev": final["dev"],
        "metric_name": final["metric_name"], "higher_is_better": final["higher_is_better"], "languages": langs,
        "final": True,
    })
    write_trajectory(out, trajectory)


run(snakemake.log[0], main, snakemake.threads)
