import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.jobs import run
from langspec.stats import quality
from langspec.stats.claims import chosen, findings, load_evidence, markdown


def main():
    task = snakemake.wildcards.task
    judged = pd.read_csv(snakemake.input.quality)
    kept = quality.used(judged)  # replicates whose trainings learned (langspec.stats.quality)
    evidence = load_evidence(quality.keep_in(snakemake.params.spec, {task: kept}))
    evidence.lth = {role: quality.keep_rows(frame, kept) for role, frame in evidence.lth.items()}
    evidence.neurons = {role: quality.keep_rows(frame, kept) for role, frame in evidence.neurons.items()}
    frame = quality.with_replicates(findings(evidence, chosen(snakemake.params.claims, snakemake.params.paper)), judged)
    with atomic_path(snakemake.output.csv) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    with atomic_path(snakemake.output.md) as tmp:
        tmp.write_text(markdown(frame, task) + "\n" + quality.markdown(judged), encoding="utf-8")


run(snakemake.log[0], main)
