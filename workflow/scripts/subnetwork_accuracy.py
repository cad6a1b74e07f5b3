from langspec.core.atomic import write_json
from langspec.core.jobs import device, run
from langspec.core.precision import autocast
from langspec.data.encode import encode
from langspec.data.schema import read_split
from langspec.heads.gates import HeadGates
from langspec.heads.masks import read_mask
from langspec.heads.subnetworks import HeadSubnetworks
from langspec.models.checkpoints import epoch_path, load_model
from langspec.training.evaluate import language_metrics, predict


def main():
    where = device(snakemake.params.compute["device"])
    checkpoint = epoch_path(snakemake.input.model, snakemake.params.epoch)
    model, tokenizer = load_model(checkpoint, where)
    with HeadGates(model) as gates, autocast(snakemake.params.compute["precision"], where, model):
        masks = {}
        for path in snakemake.input.masks:
            body = read_mask(path, gates.layout)
            masks[body["lang"]] = body["mask"]
        data = encode(read_split(snakemake.input.dev), tokenizer, snakemake.params.max_length)
        whole = language_metrics(data, *predict(model, data, snakemake.params.batch_size))
        subnetwork = language_metrics(data, *predict(model, data, snakemake.params.batch_size,
                                                           subnetworks=HeadSubnetworks(model, masks, gates=gates)))
    write_json(snakemake.output[0], {"checkpoint": str(checkpoint), "subnetwork": subnetwork, "full_model": whole})


run(snakemake.log[0], main, snakemake.threads)
