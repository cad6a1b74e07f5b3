import copy
from functools import partial

from langspec.core.atomic import write_json
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode
from langspec.data.schema import read_split
from langspec.models.checkpoints import kind_of, load_model
from langspec.tickets.imp import train_ticket
from langspec.tickets.maskfile import read_weight_mask
from langspec.tickets.masks import adapt_mask, prunable_shapes
from langspec.training.train import Hyperparameters


def main():
    p, w = snakemake.params.lth, snakemake.wildcards
    hp = Hyperparameters(**p["hp"])
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_model(snakemake.input.init, where)
    initial = copy.deepcopy(model.state_dict())  # the target task's θ0 and initial head, as in its own transfer jobs
    ticket = read_weight_mask(snakemake.input.mask, None, where)["mask"]
    mask, report = adapt_mask(ticket, prunable_shapes(model))
    train, dev = (encode(read_split(path), tokenizer, hp.max_length, kind_of(model), hp.seed) for path in snakemake.input.data)
    evaluation = partial(autocast, snakemake.params.evaluation["precision"], where, model)
    model.load_state_dict(initial)
    with autocast(snakemake.params.compute["precision"], where, model):
        scored = train_ticket(model, tokenizer, mask, train.subset(train.indices(w.lang)), dev.subset(dev.indices(w.lang)),
                              hp, languages=[w.lang], evaluation=evaluation)
    write_json(snakemake.output[0], {
        "source_task": w.source_task, "target_task": w.task, "lang": w.lang, "sparsity": p["sparsity"],
        "metric_name": scored["metric_name"], "higher_is_better": scored["higher_is_better"],
        **{key: scored[key] for key in ("metric", "best_metric", "epoch_metrics")},
        "mask": {"sparsity": report["sparsity"], "dense": report["dense"], "dropped": report["dropped"]},
    })


run(snakemake.log[0], main, snakemake.threads)
