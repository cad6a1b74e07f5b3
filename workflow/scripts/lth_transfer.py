import copy
from functools import partial

from langspec.core.atomic import write_json
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode, text_to_text_of
from langspec.data.schema import read_split
from langspec.models.checkpoints import kind_of, load_model
from langspec.tickets.imp import train_ticket
from langspec.tickets.maskfile import read_weight_mask
from langspec.tickets.masks import full_mask, prunable_shapes, random_mask
from langspec.training.train import Hyperparameters


def main():
    p = snakemake.params.lth
    hp = Hyperparameters(**p["hp"])
    source, k = snakemake.wildcards.source, int(snakemake.wildcards.round)
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_model(snakemake.input.init, where)
    initial = copy.deepcopy(model.state_dict())  # θ0 and the initial head: every target starts from it
    if source == "rand":  # the same number of pruned weights, placed at random over all prunable weights
        mask = random_mask(full_mask(model), snakemake.params.random_seed, k * p["rate"])
    else:
        mask = read_weight_mask(snakemake.input.mask[0], prunable_shapes(model), where)["mask"]
    train, dev = (encode(read_split(path), tokenizer, hp.max_length, kind_of(model), hp.seed,
                                text_to_text_of(model.config)) for path in snakemake.input.data)
    evaluation = partial(autocast, snakemake.params.evaluation["precision"], where, model)
    results = {}
    for target in p["languages"]:
        model.load_state_dict(initial)
        with autocast(snakemake.params.compute["precision"], where, model):
            scored = train_ticket(model, tokenizer, mask, train.subset(train.indices(target)), dev.subset(dev.indices(target)),
                                  hp, languages=[target], evaluation=evaluation)
        results[target] = {key: scored[key] for key in ("metric", "best_metric", "epoch_metrics", "sparsity", "dev")}
    write_json(snakemake.output[0], {"source": source, "round": k, "sparsity": k * p["rate"], "metric_name": scored["metric_name"],
                                     "higher_is_better": scored["higher_is_better"], "targets": results})


run(snakemake.log[0], main, snakemake.threads)
