from pathlib import Path

from langspec.atomic import atomic_dir
from langspec.checkpoints import epoch_path, load_classifier, read_split
from langspec.encode import encode
from langspec.gates import HeadGates
from langspec.jobs import device, run
from langspec.masks import read_mask
from langspec.sketch import Sketcher
from langspec.sketchfile import write_sketches


def main():
    p = snakemake.params.sketch
    mask = snakemake.wildcards.mask
    with atomic_dir(snakemake.output[0]) as out:
        for epoch in range(1, snakemake.params.epochs + 1):
            checkpoint = epoch_path(snakemake.input.model, epoch)
            model, tokenizer = load_classifier(checkpoint, device(snakemake.params.device))
            with HeadGates(model) as gates:
                if snakemake.input.mask:
                    gates.set(read_mask(snakemake.input.mask[0], gates.layout.shape)["mask"])
                sketcher = Sketcher(model, p["dim"], p["layers"], p["seed"])
                for split, path in zip(("train", "test"), snakemake.input.data):
                    data = encode(read_split(path), tokenizer, p["max_length"])
                    attrs = {"checkpoint": str(checkpoint), "mask": mask, "split": split}
                    write_sketches(Path(out) / f"epoch{epoch}" / f"{split}.h5", sketcher, data, p["batch_size"], attrs, p["dtype"])


run(snakemake.log[0], main, snakemake.threads)
