from functools import partial
from pathlib import Path

from langspec.core.atomic import atomic_dir, write_json
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode, text_to_text_of
from langspec.data.schema import read_split
from langspec.models.checkpoints import kind_of, load_model
from langspec.training.quality import QualityRule, train_learned
from langspec.training.train import Hyperparameters


def main():
    hp = Hyperparameters(**snakemake.params.hp)
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_model(snakemake.input.init, where)
    train_data, dev_data = (encode(read_split(path), tokenizer, hp.max_length, kind_of(model), hp.seed,
                                  text_to_text_of(model.config)) for path in snakemake.input.data)
    evaluation = partial(autocast, snakemake.params.evaluation["precision"], where, model)
    with atomic_dir(snakemake.output[0]) as out, autocast(snakemake.params.compute["precision"], where, model):
        _, quality = train_learned(model, tokenizer, train_data, dev_data, hp, Path(out),
                                   QualityRule(**snakemake.params.quality), evaluation=evaluation)
        write_json(Path(out) / "quality.json", quality)


run(snakemake.log[0], main, snakemake.threads)
