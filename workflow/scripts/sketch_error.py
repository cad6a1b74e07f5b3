import json

import numpy as np

from langspec.attribution.exact import compare_rankings, exact_cosines, sample_rows
from langspec.attribution.influence import read_influence
from langspec.core.atomic import write_json
from langspec.core.errors import LangspecError
from langspec.core.jobs import device, run
from langspec.data.encode import encode
from langspec.data.schema import read_split
from langspec.models.checkpoints import epoch_path, load_model


def main():
    p = snakemake.params.exact
    influence = read_influence(snakemake.input.influence)
    weights = json.loads(influence.attrs["weights"])
    rows = sample_rows(influence.test_lang, p["sample"], p["seed"])
    where = device(snakemake.params.device)
    total = 0.0
    for e, weight in enumerate(weights, start=1):
        model, tokenizer = load_model(epoch_path(snakemake.input.model, e), where)
        train, test = (encode(read_split(path), tokenizer, p["max_length"]) for path in snakemake.input.data)
        if not (np.array_equal(train.uid, influence.train_uid) and np.array_equal(test.uid, influence.test_uid)):
            raise LangspecError(f"{snakemake.input.influence} was scored on other examples than {snakemake.input.data[0]}")
        total = total + weight * exact_cosines(model, train, test, rows, p["layers"], p["batch_size"])
    result = compare_rankings(total, influence.pos_idx[rows], influence.neg_idx[rows], influence.train_lang, snakemake.params.languages)
    result |= {"test_uid": influence.test_uid[rows].tolist(), "checkpoints": len(weights), "seed": p["seed"],
               "influence": snakemake.input.influence, "precision": "float32"}
    write_json(snakemake.output[0], result)


run(snakemake.log[0], main, snakemake.threads)
