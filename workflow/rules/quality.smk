"""Which replicates learned: every judged training's quality record in one table per task and paper."""


rule replicate_quality:
    """Paper 000: each replicate's full fine-tune and SFT judged by the quality rule; fails when fewer than two learned."""
    input:
        lambda w: [
            model_dir(w.task, r, regime) for r in reps(w.task) for regime in ("full", "sft")
        ],
    output:
        quality_file("{task}"),
    log:
        f"{R}/logs/quality/{{task}}.log",
    conda:
        "../envs/langspec.yaml"
    params:
        records=lambda w: quality_records(w.task),
    script:
        "../scripts/quality.py"


rule lth_quality:
    """Paper 003: each replicate's tickets (IMP's first and last round per source) judged by the quality rule."""
    input:
        lambda w: [
            path for per in quality_records(w.task, "003").values() for path in per.values()
        ],
    output:
        quality_file("{task}", "003"),
    log:
        f"{R}/logs/quality/lth/{{task}}.log",
    conda:
        "../envs/langspec.yaml"
    params:
        records=lambda w: quality_records(w.task, "003"),
    script:
        "../scripts/quality.py"
