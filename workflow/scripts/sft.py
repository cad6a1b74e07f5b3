from functools import partial
from pathlib import Path

from langspec.core.atomic import atomic_dir, write_json
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode
from langspec.data.schema import read_split
from langspec.heads.masks import read_mask
from langspec.heads.subnetworks import HeadSubnetworks
from langspec.models.checkpoints import load_model
from langspec.models.layout import head_layout
from langspec.training.quality import QualityRule, train_learned
from langspec.training.train import Hyperparameters


def main():
    p = snakemake.params.sft
    hp = Hyperparameters(**p["hp"])
    where = device(snakemake.params.compute["device"])
    model, tokenizer = load_model(snakemake.input.init, where)
    shape = head_layout(model)
    masks = {}
    for path in snakemake.input.masks:
        body = read_mask(path, shape)
        masks[body["lang"]] = body["mask"]
    train_data, dev_data = (encode(read_split(path), tokenizer, hp.max_length) for path in snakemake.input.data)
    evaluation = partial(autocast, snakemake.params.evaluation["precision"], where, model)
    with atomic_dir(snakemake.output[0]) as out, autocast(snakemake.params.compute["precision"], where, model), \
            HeadSubnetworks(model, masks) as subnetworks:
        _, quality = train_learned(model, tokenizer, train_data, dev_data, hp, Path(out), QualityRule(**p["quality"]),
                                   evaluation=evaluation, subnetworks=subnetworks, strict=p["mode"] == "strict")
        write_json(Path(out) / "quality.json", quality)


run(snakemake.log[0], main, snakemake.threads)
