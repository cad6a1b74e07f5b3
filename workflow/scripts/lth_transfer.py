import copy
from functools import partial

from langspec.atomic import write_json
from langspec.checkpoints import load_classifier, read_split
from langspec.encode import encode
from langspec.jobs import device, run
from langspec.lottery import train_ticket
from langspec.precision import autocast
from langspec.train import Hyperparameters
from langspec.weightfile import read_weight_mask
from langspec.weightmask import full_mask, prunable_shapes, random_mask



def main():
    p = snakemake.params.lth
    hp = Hyperparameters(**p["hp"])
    source, k = snakemake.wildcards.source, int(snakemake.wildcards.round)
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_classifier(snakemake.input.init, where)
    initial = copy.deepcopy(model.state_dict())  # θ0 and the initial head: every target starts from it
    if source == "rand":  # the same number of pruned weights, placed at random over all prunable weights
        mask = random_mask(full_mask(model), snakemake.params.random_seed, k * p["rate"])
    else:
        mask = read_weight_mask(snakemake.input.mask[0], prunable_shapes(model), where)["mask"]
    train, dev = (encode(read_split(path), tokenizer, hp.max_length) for path in snakemake.input.data)
    evaluation = partial(autocast, snakemake.params.evaluation["precision"], where, model)
    results = {}
    for target in p["languages"]:
        model.load_state_dict(initial)
        with autocast(snakemake.params.compute["precision"], where, model):
            scored = train_ticket(model, tokenizer, mask, train.subset(train.indices(target)), dev.subset(dev.indices(target)),
                                  hp, languages=[target], evaluation=evaluation)
        results[target] = {key: scored[key] for key in ("metric", "best_metric", "epoch_metrics", "sparsity")}
    write_json(snakemake.output[0], {"source": source, "round": k, "sparsity": k * p["rate"], "targets": results})


run(snakemake.log[0], main, snakemake.threads)
