from langspec.core.atomic import atomic_path
from langspec.core.jobs import run
from langspec.stats.claims import chosen, findings, load_evidence, markdown


def main():
    claims = chosen(snakemake.params.claims, snakemake.params.paper)
    frame = findings(load_evidence(snakemake.params.spec), claims)
    with atomic_path(snakemake.output.csv) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    with atomic_path(snakemake.output.md) as tmp:
        tmp.write_text(markdown(frame, snakemake.wildcards.task), encoding="utf-8")


run(snakemake.log[0], main)
