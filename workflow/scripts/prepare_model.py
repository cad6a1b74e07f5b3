import json
from pathlib import Path

import pandas as pd

from langspec.core.jobs import run
from langspec.data.encode import TextToText
from langspec.models.prepare import prepare


def main():
    params = snakemake.params.model
    frames = [pd.read_parquet(path) for path in snakemake.input.data]
    labels = json.loads(Path(snakemake.input.manifest).read_text())["label_names"]
    if params["kind"] == "text-to-text":  # what the model reads and writes: the formatted inputs and each target word
        how = TextToText(params["prefix"], tuple(labels))
        texts = [text for frame in frames for text in how.sources(frame)] + [labels[i] for frame in frames for i in frame["label"]]
    else:
        texts = [text for frame in frames for text in frame["text_a"]] + [text for frame in frames for text in frame["text_b"].dropna()]
    name = snakemake.input.pretrained[0] if snakemake.input.pretrained else params["name"]
    prepare(name, Path(snakemake.output[0]), texts, labels, params["layers"], params["trim_vocabulary"], params["tiny"], params["seed"],
            params["kind"], params.get("prefix"))


run(snakemake.log[0], main)
