"""Which replicates learned: every judged training's quality record in one table per task and scope."""


rule replicate_quality:
    """The trainings a scope's results rest on (paper 000: full, or full and SFT; paper 003: the tickets), judged by
    the quality rule in each job; fails when fewer than two replicates learned."""
    input:
        lambda w: [  # a model directory holds its quality.json; a ticket's sits beside its trajectory
            str(Path(path).parent) if w.scope != "tickets" else path
            for per in quality_records(w.task, w.scope).values()
            for path in per.values()
        ],
    output:
        quality_file("{task}", "{scope}"),
    log:
        f"{R}/logs/quality/{{task}}/{{scope}}.log",
    wildcard_constraints:
        scope="full|sft|tickets",
    conda:
        "../envs/langspec.yaml"
    params:
        records=lambda w: quality_records(w.task, w.scope),
    script:
        "../scripts/quality.py"
