import copy
from functools import partial

from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode
from langspec.data.schema import read_split
from langspec.models.checkpoints import kind_of, load_model
from langspec.tickets.alternatives import difference_scores, fisher_scores, snapshot, top_mask
from langspec.tickets.imp import train_ticket
from langspec.tickets.maskfile import save_weight_mask
from langspec.training.metrics import metric_of, pooled
from langspec.training.train import Hyperparameters, train


def main():
    p = snakemake.params.alternative
    hp = Hyperparameters(**p["hp"])
    lang, method = snakemake.wildcards.lang, snakemake.wildcards.method
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_model(snakemake.input.init, where)
    initial = copy.deepcopy(model.state_dict())  # θ0 and the initial head: the mask's training starts from it
    train_data, dev = (encode(read_split(path), tokenizer, hp.max_length, kind_of(model), hp.seed) for path in snakemake.input.data)
    train_data, dev = train_data.subset(train_data.indices(lang)), dev.subset(dev.indices(lang))
    evaluation = partial(autocast, snakemake.params.evaluation["precision"], where, model)
    dense = None
    with autocast(snakemake.params.compute["precision"], where, model):
        if method == "difference":  # LT-SFT: fine-tune everything, keep the weights that moved most
            theta0 = snapshot(model)
            history = train(model, tokenizer, train_data, dev, hp, None, strict=True, evaluation=evaluation)
            dense = pooled(history[-1]["dev"], [lang], metric_of(train_data.kind).name)
            scores = difference_scores(model, theta0)
        else:  # FISH: the pre-trained model's empirical Fisher information on the language's data
            scores = fisher_scores(model, train_data, p["fisher_examples"], hp.seed)
        mask = top_mask(scores, p["sparsity"])
        model.load_state_dict(initial)
        scored = train_ticket(model, tokenizer, mask, train_data, dev, hp, languages=[lang], evaluation=evaluation)
    save_weight_mask(snakemake.output[0], mask, method=method, lang=lang, nominal_sparsity=p["sparsity"],
                     metric=scored["metric"], best_metric=scored["best_metric"], epoch_metrics=scored["epoch_metrics"],
                     metric_name=scored["metric_name"], higher_is_better=scored["higher_is_better"], dense_metric=dense,
                     fisher_examples=min(p["fisher_examples"], len(train_data)) if method == "fisher" else None)


run(snakemake.log[0], main, snakemake.threads)
